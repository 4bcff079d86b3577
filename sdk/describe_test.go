package sdk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/sdk"
)

func validDescription() sdk.Description {
	return sdk.Description{
		Name: "ok", Version: "1", PixelFormats: []sdk.PixelFormat{sdk.Float32, sdk.RGB8},
		Segments: []sdk.SegmentInfo{
			{Number: 1, Label: "Lung", Category: sdk.SCT("123037004", "Anatomical Structure"), Type: sdk.SCT("39607008", "Lung"), Modalities: []string{"CT"}, PixelFormats: []sdk.PixelFormat{sdk.Float32}},
			{Number: 1, Label: "Lesion", Category: sdk.SCT("49755003", "Morphologically Altered Structure"), Type: sdk.SCT("52988006", "Lesion"), PixelFormats: []sdk.PixelFormat{sdk.RGB8}},
		},
		Parameters: []sdk.Parameter{
			{Name: "k", Type: sdk.ParamInt, Default: "2", Min: sdk.Bound(1), Max: sdk.Bound(9)},
			{Name: "w", Type: sdk.ParamFloat, Default: "0.5"},
			{Name: "on", Type: sdk.ParamBool, Default: "false"},
			{Name: "mode", Type: sdk.ParamEnum, Default: "a", Choices: []string{"a", "b"}},
			{Name: "note", Type: sdk.ParamString, Default: ""},
		},
	}
}

func TestValidate(t *testing.T) {
	if err := validDescription().Validate(); err != nil {
		t.Fatalf("valid description: %v", err)
	}
	for _, tc := range []struct {
		edit func(*sdk.Description)
		want string
	}{
		{func(d *sdk.Description) { d.Name = "Bad Name" }, `name "Bad Name" must match`},
		{func(d *sdk.Description) { d.Version = " " }, "no version"},
		{func(d *sdk.Description) { d.ContractVersion = 2 }, "contract version 2"},
		{func(d *sdk.Description) { d.PixelFormats = nil }, "no pixel format"},
		{func(d *sdk.Description) { d.PixelFormats = append(d.PixelFormats, 9) }, "unknown pixel format PixelFormat(9)"},
		{func(d *sdk.Description) { d.Modalities = []string{"ct"} }, `modality "ct" is not a DICOM Modality`},
		{func(d *sdk.Description) { d.Segments = nil }, "no segments"},
		{func(d *sdk.Description) { d.Segments[0].Number = 256 }, "number 256 outside 1..255"},
		{func(d *sdk.Description) { d.Segments[0].Label = "" }, "no label"},
		{func(d *sdk.Description) { d.Segments[0].Type.Meaning = "" }, "type code (SCT, 39607008, \"\") needs scheme, value and meaning"},
		{func(d *sdk.Description) { d.Segments[1].PixelFormats = nil }, `segments "Lung" and "Lesion" both have number 1 for the same input`},
		{func(d *sdk.Description) { d.Parameters[0].Default = "x" }, `parameter "k": default: bad parameter k="x": not an integer`},
		{func(d *sdk.Description) { d.Parameters[1].Name = "W" }, `parameter name "W" must match`},
		{func(d *sdk.Description) { d.Parameters[2].Name = "k" }, `parameter "k" declared twice`},
		{func(d *sdk.Description) { d.Parameters[3].Choices = nil }, `enum parameter "mode" has no choices`},
		{func(d *sdk.Description) { d.Parameters[0].Min = sdk.Bound(10) }, "minimum 10 above maximum 9"},
		{func(d *sdk.Description) { d.InputMode = 7 }, "unknown input mode"},
	} {
		d := validDescription()
		tc.edit(&d)
		err := d.Validate()
		if !errors.Is(err, sdk.ErrBadDescription) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

func TestResolveParams(t *testing.T) {
	d := validDescription()
	p, err := d.ResolveParams(map[string]string{"k": " 7 ", "on": "true", "mode": "b"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Int("k") != 7 || p.Float("w") != 0.5 || !p.Bool("on") || p.Get("mode") != "b" || p.Get("note") != "" || p.Float("k") != 7 {
		t.Errorf("params %v", p.Map())
	}
	if m := p.Map(); len(m) != 5 || m["w"] != "0.5" {
		t.Errorf("map %v: defaults not filled in", m)
	}
	for _, tc := range []struct {
		given map[string]string
		want  string
	}{
		{map[string]string{"kk": "1", "z": "2"}, "plugin ok has no parameter kk, z (it takes k, w, on, mode, note)"},
		{map[string]string{"k": "0"}, `k="0": below the minimum 1`},
		{map[string]string{"k": "10"}, `k="10": above the maximum 9`},
		{map[string]string{"k": "2.0"}, "not an integer"},
		{map[string]string{"w": "Inf"}, "not a finite number"},
		{map[string]string{"w": "nan"}, "not a finite number"},
		{map[string]string{"on": "yes"}, `want "true" or "false"`},
		{map[string]string{"mode": "c"}, "want one of a, b"},
	} {
		_, err := d.ResolveParams(tc.given)
		if !errors.Is(err, sdk.ErrBadParam) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.given, err, tc.want)
		}
	}
}

func TestCheckSeriesAndSegmentsFor(t *testing.T) {
	d := validDescription()
	if segs := d.SegmentsFor("CT", sdk.Float32); len(segs) != 1 || segs[0].Label != "Lung" {
		t.Errorf("CT FLOAT32: %v", segs)
	}
	if segs := d.SegmentsFor("XC", sdk.RGB8); len(segs) != 1 || segs[0].Label != "Lesion" {
		t.Errorf("XC RGB8: %v", segs)
	}
	ok := sdk.SeriesInfo{UID: "s", Modality: "CT", Format: sdk.Float32, Rows: 4, Columns: 5, Slices: 2,
		Geometry: &geom.Grid{Rows: 4, Columns: 5, Slices: 2}}
	if err := d.CheckSeries(ok); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit func(*sdk.SeriesInfo)
		kind error
		want string
	}{
		{func(s *sdk.SeriesInfo) { s.Rows = 0 }, sdk.ErrInvalidInput, "size 5×0×2"},
		{func(s *sdk.SeriesInfo) { s.Format = 0 }, sdk.ErrInvalidInput, "unknown pixel format"},
		{func(s *sdk.SeriesInfo) { s.Rows, s.Columns = 1<<14, 1<<14 }, sdk.ErrInvalidInput, "exceed 255 MiB"},
		{func(s *sdk.SeriesInfo) { s.Geometry.Slices = 3 }, sdk.ErrInvalidInput, "geometry is 5×4×3"},
		{func(s *sdk.SeriesInfo) { s.Format = sdk.Uint8 }, sdk.ErrUnsupported, "does not take UINT8 pixels"},
		{func(s *sdk.SeriesInfo) { s.Modality = "MR" }, sdk.ErrUnsupported, "no segment for MR FLOAT32 input"},
	} {
		s := ok
		g := *ok.Geometry
		s.Geometry = &g
		tc.edit(&s)
		err := d.CheckSeries(s)
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %v with %q", err, tc.kind, tc.want)
		}
	}
}

func TestSliceHelpers(t *testing.T) {
	px := []float32{-1000, 0.5, 3e38, -0}
	s := sdk.NewFloat32Slice(3, 2, 2, px)
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	back, err := s.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	for i := range px {
		if back[i] != px[i] {
			t.Fatalf("pixel %d: %g, want %g", i, back[i], px[i])
		}
	}
	if _, err := sdk.NewUint8Slice(0, 1, 1, []uint8{1}).Float32s(); err == nil {
		t.Error("UINT8 decoded as float32")
	}
	bad := sdk.NewRGB8Slice(4, 2, 2, make([]uint8, 11))
	if err := bad.Check(); !errors.Is(err, sdk.ErrBadSlice) || !strings.Contains(err.Error(), "slice 4: 11 bytes of pixel data, want 12") {
		t.Errorf("short RGB slice: %v", err)
	}
	if m := sdk.NewMask(s); m.Index != 3 || len(m.Labels) != 4 {
		t.Errorf("NewMask: %+v", m)
	}
}
