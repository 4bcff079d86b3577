package main

import (
	"context"
	"slices"
	"testing"

	"github.com/mmcseg/mmcseg/sdk"
)

// Nearest-neighbour resampling with pixel-centre alignment, against maps
// worked out by hand.
func TestResizeNearest(t *testing.T) {
	src := []uint8{
		0, 1, 2,
		3, 4, 5,
	}
	for _, tc := range []struct {
		dw, dh int
		want   []uint8
	}{
		{3, 2, src}, // identity
		{6, 4, []uint8{ // doubling repeats every pixel
			0, 0, 1, 1, 2, 2,
			0, 0, 1, 1, 2, 2,
			3, 3, 4, 4, 5, 5,
			3, 3, 4, 4, 5, 5,
		}},
		{1, 1, []uint8{4}},    // the centre pixel (1.5, 1) → column 1, row 1
		{2, 1, []uint8{3, 5}}, // centres 0.75 and 2.25 → columns 0 and 2
		{5, 2, []uint8{0, 0, 1, 2, 2, 3, 3, 4, 5, 5}},
	} {
		got := resizeNearest(src, 3, 2, tc.dw, tc.dh)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%d×%d: %v, want %v", tc.dw, tc.dh, got, tc.want)
		}
	}
}

// Asked for its cluster maps, the plugin sends the k-means map at the
// slice's size (the mask is drawn from its darkest cluster) and a
// workSize×workSize copy; not asked, it sends none.
func TestClusterMaps(t *testing.T) {
	p := openPlugin(t)
	const rows, cols = 40, 60
	px := make([]uint8, 3*rows*cols)
	for i := range rows * cols {
		y, x := i/cols, i%cols
		v := uint8(200)
		if (y-20)*(y-20)+(x-30)*(x-30) < 100 {
			v = 40 // a dark disc in the middle
		}
		px[3*i], px[3*i+1], px[3*i+2] = v, v, v
	}
	sl := sdk.NewRGB8Slice(0, rows, cols, px)
	for _, want := range [][]string{nil, auxMaps} {
		var got sdk.Mask
		_, err := p.Segment(context.Background(), sdk.SegmentRequest{
			Series: sdk.SeriesInfo{UID: "disc", Modality: "XC", Format: sdk.RGB8, Rows: rows, Columns: cols, Slices: 1, WantAux: want},
			Slice:  func(context.Context, int) (sdk.Slice, error) { return sl, nil },
			OnMask: func(m sdk.Mask) error { got = m; return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Aux) != len(want) {
			t.Fatalf("asked %q, got %d aux maps", want, len(got.Aux))
		}
		if want == nil {
			continue
		}
		c, _ := got.AuxMap(sdk.AuxClusters)
		w, _ := got.AuxMap(sdk.AuxClustersWork)
		if c.Rows != rows || c.Columns != cols || w.Rows != workSize || w.Columns != workSize {
			t.Fatalf("sizes: clusters %d×%d, clusters@work %d×%d", c.Columns, c.Rows, w.Columns, w.Rows)
		}
		for i, l := range got.Labels {
			// k = 2: cluster 0 is the dark disc, and it is the mask.
			if (l == 1) != (c.Labels[i] == 0) {
				t.Fatalf("pixel %d: mask %d, cluster %d", i, l, c.Labels[i])
			}
		}
		if !slices.Equal(w.Labels, resizeNearest(c.Labels, cols, rows, workSize, workSize)) {
			t.Fatal("clusters@work is not the resampled clusters map")
		}
	}
}
