// Command mmcseg-plugin-threshold is the smallest useful mmcseg segmenter
// plugin: it marks every pixel brighter than a threshold. It is the Go
// example of docs/plugin-authors.md and a fast, well-behaved plugin for the
// SDK's own tests and benchmarks.
//
// Build it with: go build -o mmcseg-plugin-threshold ./sdk/examples/threshold
package main

import (
	"context"
	"math"

	"github.com/mmcseg/mmcseg/sdk"
)

func main() { sdk.Serve(threshold{}) }

type threshold struct{}

func (threshold) Describe() sdk.Description {
	return sdk.Description{
		Name:         "threshold",
		Version:      "1.0.0",
		Summary:      "Marks pixels brighter than a threshold (grey value, CT in HU, or RGB luminance).",
		PixelFormats: []sdk.PixelFormat{sdk.Float32, sdk.Uint8, sdk.RGB8},
		Segments: []sdk.SegmentInfo{{
			Number:        1,
			Label:         "Bright",
			Color:         [3]uint8{255, 200, 0},
			Category:      sdk.SCT("91723000", "Anatomical Structure"),
			Type:          sdk.SCT("85756007", "Tissue"),
			AlgorithmName: "threshold",
		}},
		Parameters: []sdk.Parameter{{
			Name:        "threshold",
			Type:        sdk.ParamFloat,
			Default:     "100",
			Description: "pixels with a value above this are marked",
		}},
		ConcurrentSeries: true,
	}
}

func (threshold) Open(_ context.Context, _ sdk.SeriesInfo, p sdk.Params) (sdk.Session, error) {
	return &session{t: p.Float("threshold")}, nil
}

type session struct{ t float64 }

func (s *session) Segment(ctx context.Context, sl sdk.Slice) (sdk.Mask, error) {
	m := sdk.NewMask(sl)
	switch sl.Format {
	case sdk.Float32:
		px, err := sl.Float32s()
		if err != nil {
			return m, err
		}
		for i, v := range px {
			if float64(v) > s.t { // NaN compares false: background
				m.Labels[i] = 1
			}
		}
	case sdk.Uint8:
		for i, v := range sl.Data {
			if float64(v) > s.t {
				m.Labels[i] = 1
			}
		}
	case sdk.RGB8:
		for i := range m.Labels {
			r, g, b := float64(sl.Data[3*i]), float64(sl.Data[3*i+1]), float64(sl.Data[3*i+2])
			if y := 0.299*r + 0.587*g + 0.114*b; y > s.t && !math.IsNaN(y) {
				m.Labels[i] = 1
			}
		}
	}
	sdk.ReportProgress(ctx, 1, 1, "thresholded")
	return m, nil
}

func (s *session) Close() error { return nil }
