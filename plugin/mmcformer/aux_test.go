package main

import (
	"context"
	"testing"

	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/sdk"
)

// Asked for its cluster maps, the plugin sends the read-out's label map at
// the slice's size and at the working size, labels within the channels.
func TestClusterMaps(t *testing.T) {
	p, err := sdk.Open(context.Background(), buildtest.Binary(t, "./plugin/mmcformer", "mmcseg-plugin-mmcformer"), sdk.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const rows, cols = 30, 50
	px := make([]uint8, rows*cols)
	for i := range px {
		px[i] = uint8(40 + 150*((i%cols)/25))
	}
	sl := sdk.NewUint8Slice(0, rows, cols, px)
	var got sdk.Mask
	_, err = p.Segment(context.Background(), sdk.SegmentRequest{
		Series: sdk.SeriesInfo{UID: "halves", Modality: "OT", Format: sdk.Uint8, Rows: rows, Columns: cols, Slices: 1, WantAux: auxMaps},
		Params: quick,
		Slice:  func(context.Context, int) (sdk.Slice, error) { return sl, nil },
		OnMask: func(m sdk.Mask) error { got = m; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	c, ok1 := got.AuxMap(sdk.AuxClusters)
	w, ok2 := got.AuxMap(sdk.AuxClustersWork)
	if !ok1 || !ok2 || len(got.Aux) != 2 {
		t.Fatalf("aux maps %+v", got.Aux)
	}
	if c.Rows != rows || c.Columns != cols || w.Rows != 65 || w.Columns != 65 {
		t.Fatalf("sizes: clusters %d×%d, clusters@work %d×%d", c.Columns, c.Rows, w.Columns, w.Rows)
	}
	for _, m := range []sdk.LabelMap{c, w} {
		for i, l := range m.Labels {
			if l >= 8 { // quick has 8 clusters
				t.Fatalf("%s: label %d at %d", m.Name, l, i)
			}
		}
	}
}
