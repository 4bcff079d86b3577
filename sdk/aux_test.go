package sdk_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/sdk"
)

// clusterer labels each pixel with its grey value / 64 (clusters 0..3) and
// marks cluster 0 as segment 1; with aux maps asked for it attaches the
// cluster map ("clusters") and a 2×2 summary ("clusters@work"). With
// rogue set it attaches an aux map nobody asked for.
type clusterer struct{ rogue bool }

func (clusterer) Describe() sdk.Description {
	return sdk.Description{
		Name: "clusterer", Version: "1.0.0",
		PixelFormats: []sdk.PixelFormat{sdk.Uint8},
		Segments: []sdk.SegmentInfo{{
			Number: 1, Label: "Dark", Color: [3]uint8{0, 0, 255},
			Category: sdk.SCT("91723000", "Anatomical Structure"), Type: sdk.SCT("85756007", "Tissue"),
		}},
		AuxMaps: []string{sdk.AuxClusters, sdk.AuxClustersWork},
	}
}

func (c clusterer) Open(_ context.Context, info sdk.SeriesInfo, _ sdk.Params) (sdk.Session, error) {
	return &clusterSession{info: info, rogue: c.rogue}, nil
}

type clusterSession struct {
	info  sdk.SeriesInfo
	rogue bool
}

func (s *clusterSession) Segment(_ context.Context, sl sdk.Slice) (sdk.Mask, error) {
	m := sdk.NewMask(sl)
	clusters := make([]uint8, len(sl.Data))
	for i, v := range sl.Data {
		clusters[i] = v / 64
		if clusters[i] == 0 {
			m.Labels[i] = 1
		}
	}
	if s.info.WantsAux(sdk.AuxClusters) {
		m.Aux = append(m.Aux, sdk.LabelMap{Name: sdk.AuxClusters, Rows: sl.Rows, Columns: sl.Columns, Labels: clusters})
	}
	if s.info.WantsAux(sdk.AuxClustersWork) {
		m.Aux = append(m.Aux, sdk.LabelMap{Name: sdk.AuxClustersWork, Rows: 2, Columns: 2, Labels: []uint8{0, 1, 2, 3}})
	}
	if s.rogue {
		m.Aux = append(m.Aux, sdk.LabelMap{Name: "extra", Rows: 1, Columns: 1, Labels: []uint8{9}})
	}
	return m, nil
}

func (s *clusterSession) Close() error { return nil }

func greySeries(want ...string) (sdk.SeriesInfo, func(context.Context, int) (sdk.Slice, error)) {
	info := sdk.SeriesInfo{UID: "g", Modality: "OT", Format: sdk.Uint8, Rows: 2, Columns: 3, Slices: 2, WantAux: want}
	return info, func(_ context.Context, k int) (sdk.Slice, error) {
		return sdk.NewUint8Slice(k, 2, 3, []uint8{0, 70, 130, 200, 255, uint8(10 * k)}), nil
	}
}

// Aux maps asked for arrive with every mask, over the real gRPC path; maps
// not asked for are not sent.
func TestAuxMapsRoundTrip(t *testing.T) {
	ctx := context.Background()
	p, err := sdk.ServeInProcess(ctx, clusterer{}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if got := p.Description().AuxMaps; !slices.Equal(got, []string{sdk.AuxClusters, sdk.AuxClustersWork}) {
		t.Fatalf("described aux maps %q", got)
	}
	for _, want := range [][]string{nil, {sdk.AuxClusters}, {sdk.AuxClusters, sdk.AuxClustersWork}} {
		info, slice := greySeries(want...)
		var masks []sdk.Mask
		_, err := p.Segment(ctx, sdk.SegmentRequest{Series: info, Slice: slice, OnMask: func(m sdk.Mask) error {
			masks = append(masks, m)
			return nil
		}})
		if err != nil {
			t.Fatalf("want %q: %v", want, err)
		}
		if len(masks) != 2 {
			t.Fatalf("want %q: %d masks", want, len(masks))
		}
		for k, m := range masks {
			if len(m.Aux) != len(want) {
				t.Fatalf("want %q: slice %d has aux %v", want, k, m.Aux)
			}
			if len(want) == 0 {
				continue
			}
			c, ok := m.AuxMap(sdk.AuxClusters)
			wantLabels := []uint8{0, 1, 2, 3, 3, uint8(10*k) / 64}
			if !ok || c.Rows != 2 || c.Columns != 3 || !slices.Equal(c.Labels, wantLabels) {
				t.Fatalf("slice %d clusters = %+v, want 3×2 %v", k, c, wantLabels)
			}
			if len(want) == 2 {
				w, ok := m.AuxMap(sdk.AuxClustersWork)
				if !ok || w.Rows != 2 || w.Columns != 2 || !slices.Equal(w.Labels, []uint8{0, 1, 2, 3}) {
					t.Fatalf("slice %d clusters@work = %+v", k, w)
				}
			}
			if _, ok := m.AuxMap("nothing"); ok {
				t.Fatal("AuxMap found a map that is not there")
			}
		}
	}
}

// A host cannot ask for a map the plugin does not declare: the series is
// refused before it starts.
func TestAuxMapsUndeclaredRefused(t *testing.T) {
	d := clusterer{}.Describe()
	info, _ := greySeries("edges")
	err := d.CheckSeries(info)
	if !errors.Is(err, sdk.ErrUnsupported) || !strings.Contains(err.Error(), `does not provide the auxiliary map "edges"`) {
		t.Fatalf("CheckSeries = %v", err)
	}
	info, _ = greySeries(sdk.AuxClustersWork)
	if err := d.CheckSeries(info); err != nil {
		t.Fatalf("CheckSeries of a declared map: %v", err)
	}
}

func TestAuxMapNamesValidated(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"clusters", "clusters@work", "edges.v2", "x_1-b"}, ""},
		{[]string{"Clusters"}, `auxiliary map name "Clusters" must match`},
		{[]string{""}, `auxiliary map name "" must match`},
		{[]string{"@work"}, `auxiliary map name "@work" must match`},
		{[]string{"clusters", "clusters"}, `auxiliary map "clusters" declared twice`},
	} {
		d := clusterer{}.Describe()
		d.AuxMaps = tc.names
		err := d.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: Validate = %v, want %q", tc.names, err, tc.want)
		}
	}
}

// A session that attaches a map nobody asked for is caught by Serve: the
// slice gets an internal error instead of a mask.
func TestAuxMapsUnaskedCaughtByServe(t *testing.T) {
	ctx := context.Background()
	p, err := sdk.ServeInProcess(ctx, clusterer{rogue: true}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	info, slice := greySeries(sdk.AuxClusters)
	res, err := p.Segment(ctx, sdk.SegmentRequest{Series: info, Slice: slice, OnMask: func(sdk.Mask) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Masks != 0 || len(res.SliceErrors) != 2 {
		t.Fatalf("masks %d, slice errors %v", res.Masks, res.SliceErrors)
	}
	se := res.SliceErrors[0]
	if se.Code != sdk.SliceInternal || !strings.Contains(se.Message, `plugin bug: auxiliary map "extra" was not asked for`) {
		t.Fatalf("slice error %+v", se)
	}
}

// A plugin speaking the wire directly with malformed or unasked aux maps
// breaks the contract, and the host says so.
func TestAuxMapsContractViolations(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
		msg  string
	}{
		{"badaux", []string{sdk.AuxClusters}, `the mask of slice 0: auxiliary map "clusters" is 3×3 with 8 labels`},
		{"unaskedaux", nil, `the mask of slice 0: auxiliary map "clusters" was not asked for`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := open(t, tc.name, testOptions(t))
			s := floatSeries("s", 3, 3, 2, func(_, _, _ int) float32 { return 0 })
			s.info.WantAux = tc.want
			_, _, err := collect(context.Background(), p, s, nil)
			if !errors.Is(err, sdk.ErrProtocol) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v\nwant %s", err, tc.msg)
			}
		})
	}
}
