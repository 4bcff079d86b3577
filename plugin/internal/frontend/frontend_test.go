package frontend

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/segmenter/foreground"
	"github.com/mmcseg/mmcseg/segmenter/prep"
)

func params(t *testing.T, given map[string]string) sdk.Params {
	t.Helper()
	p, err := sdk.Description{Parameters: Parameters()}.ResolveParams(given)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNew(t *testing.T) {
	ct := sdk.SeriesInfo{UID: "1.2.3", Modality: "CT", PhotometricInterpretation: "MONOCHROME2", Format: sdk.Float32, Rows: 4, Columns: 4}
	photo := sdk.SeriesInfo{UID: "1.2.4", Modality: "XC", PhotometricInterpretation: "RGB", Format: sdk.RGB8, Rows: 4, Columns: 4}
	mr := sdk.SeriesInfo{UID: "1.2.5", Modality: "MR", PhotometricInterpretation: "MONOCHROME2", Format: sdk.Float32, Rows: 4, Columns: 4}
	tests := []struct {
		name     string
		info     sdk.SeriesInfo
		given    map[string]string
		wantErr  error
		wantRule foreground.Rule
	}{
		{"CT defaults to the lung rule", ct, nil, nil, foreground.Lung},
		{"photographs default to the lesion rule", photo, nil, nil, foreground.Lesion},
		{"a rule can be forced", ct, map[string]string{"rule": "largest"}, nil, foreground.Largest},
		{"no window on colour", photo, map[string]string{"normalize": "window"}, sdk.ErrBadParam, 0},
		{"no lung rule without HU", mr, map[string]string{"rule": "lung"}, sdk.ErrBadParam, 0},
		{"unknown pixel format", sdk.SeriesInfo{UID: "1.2.6", Format: 0}, nil, sdk.ErrUnsupported, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := New(tt.info, params(t, tt.given))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("New: %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.rule.Rule != tt.wantRule {
				t.Errorf("rule %v, want %v", f.rule.Rule, tt.wantRule)
			}
		})
	}
}

func TestPrepare(t *testing.T) {
	info := sdk.SeriesInfo{UID: "1.2.3", Modality: "CT", PhotometricInterpretation: "MONOCHROME2", Format: sdk.Float32, Rows: 1, Columns: 3}
	f, err := New(info, params(t, map[string]string{"window_level": "-600", "window_width": "1500"}))
	if err != nil {
		t.Fatal(err)
	}
	// The window's lower edge, centre and upper edge, on prep's 8-bit
	// grid as in the authors' pipeline.
	im, err := f.Prepare(sdk.NewFloat32Slice(0, 1, 3, []float32{-1350, -600, 150}))
	if err != nil {
		t.Fatal(err)
	}
	if im.Kind != prep.CT {
		t.Errorf("kind %v, want CT", im.Kind)
	}
	for i, want := range []float64{0, 0.5, 1} {
		if got := float64(im.Planes[0][i]); math.Abs(got-want) > 0.5/255+1e-6 {
			t.Errorf("pixel %d: %g, want %g", i, got, want)
		}
		if im.Intensity[i] != []float32{-1350, -600, 150}[i] {
			t.Errorf("pixel %d: intensity %g, want the HU value", i, im.Intensity[i])
		}
	}

	// Pixels that are not whole float32 values fail the slice, not the series.
	bad := sdk.Slice{Index: 7, Format: sdk.Float32, Rows: 1, Columns: 3, Data: make([]byte, 10)}
	_, err = f.Prepare(bad)
	var se *sdk.SliceError
	if !errors.As(err, &se) || se.Index != 7 || se.Code != sdk.SliceInvalidInput {
		t.Errorf("truncated slice: %v, want a SliceInvalidInput error for slice 7", err)
	}
}

func TestForeground(t *testing.T) {
	const side = 12
	info := sdk.SeriesInfo{UID: "1.2.3", Modality: "OT", PhotometricInterpretation: "MONOCHROME2", Format: sdk.Uint8, Rows: side, Columns: side}
	f, err := New(info, params(t, map[string]string{"rule": "largest", "min_area": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	im, err := f.Prepare(sdk.Slice{Format: sdk.Uint8, Rows: side, Columns: side, Data: make([]byte, side*side)})
	if err != nil {
		t.Fatal(err)
	}
	// Cluster 0 is the background touching the border, cluster 1 a 5×5
	// block, cluster 2 a 2×2 block.
	labels := make([]uint8, side*side)
	inBlock := func(i int) bool { r, c := i/side, i%side; return r >= 2 && r <= 6 && c >= 2 && c <= 6 }
	for i := range labels {
		r, c := i/side, i%side
		switch {
		case inBlock(i):
			labels[i] = 1
		case r >= 8 && r <= 9 && c >= 8 && c <= 9:
			labels[i] = 2
		}
	}
	mask, err := f.Foreground(context.Background(), labels, im)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range mask {
		if (v != 0) != inBlock(i) {
			t.Fatalf("pixel (%d, %d): mask %d; want exactly the 5×5 block", i/side, i%side, v)
		}
	}
}
