package sdk_test

import (
	"context"
	"fmt"

	"github.com/mmcseg/mmcseg/sdk"
)

// darkPixels is a complete (if simple) segmenter: pixels darker than a
// threshold are segment 1. A plugin's main would be
//
//	func main() { sdk.Serve(darkPixels{}) }
type darkPixels struct{}

func (darkPixels) Describe() sdk.Description {
	return sdk.Description{
		Name:         "dark",
		Version:      "1.0.0",
		Summary:      "marks grey pixels darker than a threshold",
		PixelFormats: []sdk.PixelFormat{sdk.Uint8},
		Segments: []sdk.SegmentInfo{{
			Number: 1, Label: "Dark", Color: [3]uint8{0, 0, 255},
			Category: sdk.SCT("91723000", "Anatomical Structure"), Type: sdk.SCT("85756007", "Tissue"),
		}},
		Parameters: []sdk.Parameter{{Name: "below", Type: sdk.ParamInt, Default: "50", Min: sdk.Bound(0), Max: sdk.Bound(255)}},
	}
}

func (darkPixels) Open(_ context.Context, _ sdk.SeriesInfo, p sdk.Params) (sdk.Session, error) {
	return &darkSession{below: uint8(p.Int("below"))}, nil
}

type darkSession struct{ below uint8 }

func (s *darkSession) Segment(ctx context.Context, sl sdk.Slice) (sdk.Mask, error) {
	m := sdk.NewMask(sl)
	for i, v := range sl.Data {
		if v < s.below {
			m.Labels[i] = 1
		}
	}
	sdk.ReportProgress(ctx, 1, 1, "done")
	return m, nil
}

func (s *darkSession) Close() error { return nil }

// A host segments a series with a plugin. Here the plugin is served in
// process; sdk.Open(ctx, "/path/to/mmcseg-plugin-dark", opts) starts the
// same plugin as a subprocess and is used in the same way.
func ExampleServeInProcess() {
	ctx := context.Background()
	p, err := sdk.ServeInProcess(ctx, darkPixels{}, sdk.ClientOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()

	pixels := [][]uint8{{10, 200, 30, 40, 250, 60}, {0, 0, 255, 255, 90, 9}}
	res, err := p.Segment(ctx, sdk.SegmentRequest{
		Series: sdk.SeriesInfo{UID: "1.2.3", Modality: "OT", Format: sdk.Uint8, Rows: 2, Columns: 3, Slices: 2},
		Params: map[string]string{"below": "35"},
		Slice: func(_ context.Context, k int) (sdk.Slice, error) {
			return sdk.NewUint8Slice(k, 2, 3, pixels[k]), nil
		},
		OnMask: func(m sdk.Mask) error {
			fmt.Printf("slice %d: %v\n", m.Index, m.Labels)
			return nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Masks, "masks")
	// Output:
	// slice 0: [1 0 1 0 0 0]
	// slice 1: [1 1 0 0 0 1]
	// 2 masks
}

func ExampleDescription_ResolveParams() {
	d := darkPixels{}.Describe()
	p, err := d.ResolveParams(nil)
	fmt.Println(p.Int("below"), err)
	_, err = d.ResolveParams(map[string]string{"below": "300"})
	fmt.Println(err)
	// Output:
	// 50 <nil>
	// bad parameter below="300": above the maximum 255
}
