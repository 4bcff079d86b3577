package plugintest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/sdk/plugintest"
)

// volumeMean is a VOLUME-mode segmenter: it marks the pixels above the
// mean of the whole stack, so it needs every slice before answering.
type volumeMean struct{ opened atomic.Int64 }

func (*volumeMean) Describe() sdk.Description {
	return sdk.Description{
		Name: "volume-mean", Version: "0.1.0",
		PixelFormats: []sdk.PixelFormat{sdk.Float32, sdk.Uint8},
		Modalities:   []string{"CT", "MR"},
		InputMode:    sdk.VolumeMode,
		Segments: []sdk.SegmentInfo{{
			Number: 1, Label: "Above mean", Color: [3]uint8{0, 255, 0},
			Category: sdk.SCT("91723000", "Anatomical Structure"), Type: sdk.SCT("85756007", "Tissue"),
		}},
		Parameters:       []sdk.Parameter{{Name: "margin", Type: sdk.ParamFloat, Default: "0", Min: sdk.Bound(-1000), Max: sdk.Bound(1000)}},
		ConcurrentSeries: true,
	}
}

func (v *volumeMean) Open(_ context.Context, _ sdk.SeriesInfo, p sdk.Params) (sdk.Session, error) {
	v.opened.Add(1)
	return &volumeSession{margin: p.Float("margin")}, nil
}

type volumeSession struct{ margin float64 }

func values(sl sdk.Slice) ([]float64, error) {
	out := make([]float64, sl.Rows*sl.Columns)
	if sl.Format == sdk.Uint8 {
		for i, v := range sl.Data {
			out[i] = float64(v)
		}
		return out, nil
	}
	px, err := sl.Float32s()
	for i, v := range px {
		out[i] = float64(v)
	}
	return out, err
}

func (s *volumeSession) SegmentVolume(ctx context.Context, slices []sdk.Slice) ([]sdk.Mask, error) {
	var sum float64
	var n int
	vals := make([][]float64, len(slices))
	for k, sl := range slices {
		v, err := values(sl)
		if err != nil {
			return nil, err
		}
		vals[k] = v
		for _, x := range v {
			if x == x && x < 1e30 && x > -1e30 { // finite
				sum += x
				n++
			}
		}
	}
	if n == 0 {
		return nil, &sdk.SliceError{Code: sdk.SliceFailed, Message: "no finite pixel"}
	}
	mean := sum/float64(n) + s.margin
	masks := make([]sdk.Mask, len(slices))
	for k, sl := range slices {
		masks[k] = sdk.NewMask(sl)
		for i, x := range vals[k] {
			if x > mean {
				masks[k].Labels[i] = 1
			}
		}
		sdk.ReportProgress(ctx, k+1, len(slices), fmt.Sprintf("slice %d", k))
	}
	return masks, nil
}

func (s *volumeSession) Close() error { return nil }

func TestVolumeModeInProcess(t *testing.T) {
	impl := &volumeMean{}
	plugintest.RunInProcess(t, impl, plugintest.Options{LargeSide: 1024})
	if impl.opened.Load() == 0 {
		t.Fatal("the in-process plugin was never opened")
	}
}

// The volume session sees the whole stack: a slice's mask depends on the
// others (the mean is global), which a slice-by-slice run could not give.
func TestVolumeSessionSeesWholeStack(t *testing.T) {
	p, err := sdk.ServeInProcess(context.Background(), &volumeMean{}, sdk.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Slice 0 is all 10, slice 1 all 30: the global mean is 20, so slice 0
	// is all background and slice 1 all foreground.
	got := map[int][]uint8{}
	_, err = p.Segment(context.Background(), sdk.SegmentRequest{
		Series: sdk.SeriesInfo{UID: "v", Modality: "CT", Format: sdk.Uint8, Rows: 2, Columns: 3, Slices: 2},
		Slice: func(_ context.Context, k int) (sdk.Slice, error) {
			px := make([]uint8, 6)
			for i := range px {
				px[i] = uint8(10 + 20*k)
			}
			return sdk.NewUint8Slice(k, 2, 3, px), nil
		},
		OnMask: func(m sdk.Mask) error { got[m.Index] = m.Labels; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got[0]) != "[0 0 0 0 0 0]" || fmt.Sprint(got[1]) != "[1 1 1 1 1 1]" {
		t.Fatalf("masks %v", got)
	}
}
