package host_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mmcseg/mmcseg/host"
	"github.com/mmcseg/mmcseg/sdk"
)

// lungWindow is a minimal segmenter for the example: voxels of lung
// density (−950 to −700 HU) are label 1. It also catches the blurred rim
// where the body meets the air, which is why real plugins choose connected
// regions inside the body (see segmenter/foreground).
type lungWindow struct{}

func (lungWindow) Describe() sdk.Description {
	return sdk.Description{
		Name: "lungwindow", Version: "1.0.0", Summary: "voxels of lung density",
		PixelFormats: []sdk.PixelFormat{sdk.Float32},
		Segments: []sdk.SegmentInfo{{
			Number: 1, Label: "Lung", Color: [3]uint8{128, 174, 128},
			Category: sdk.SCT("123037004", "Anatomical Structure"), Type: sdk.SCT("39607008", "Lung"),
			Modalities: []string{"CT"},
		}},
	}
}

func (lungWindow) Open(context.Context, sdk.SeriesInfo, sdk.Params) (sdk.Session, error) {
	return lungSession{}, nil
}

type lungSession struct{}

func (lungSession) Segment(_ context.Context, s sdk.Slice) (sdk.Mask, error) {
	px, err := s.Float32s()
	if err != nil {
		return sdk.Mask{}, err
	}
	m := sdk.NewMask(s)
	for i, v := range px {
		if v >= -950 && v <= -700 {
			m.Labels[i] = 1
		}
	}
	return m, nil
}

func (lungSession) Close() error { return nil }

// Run segments every series under the inputs and reports on each. Here the
// input is a small synthetic chest CT and the segmenter a Go value served in
// process; a plugin executable is named with Options.Plugin instead.
func ExampleRun() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "mmcseg-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ph, err := host.WritePhantom(ctx, filepath.Join(dir, "ct"), host.PhantomOptions{
		Columns: 64, Rows: 64, Slices: 4, PixelSpacing: 5, SliceSpacing: 10, Noise: -1,
		SeriesInstanceUID: "1.2.826.0.1.3680043.8.498.1", StudyInstanceUID: "1.2.826.0.1.3680043.8.498.2",
	})
	if err != nil {
		panic(err)
	}
	rep, err := host.Run(ctx, host.Options{
		Inputs:    []string{ph.Dir},
		OutDir:    filepath.Join(dir, "out"),
		Segmenter: lungWindow{},
		Formats:   []host.Format{host.FormatNIfTI},
		Events: func(e host.Event) {
			if e.Kind == host.EventSeriesStarted {
				fmt.Printf("series %d: %s, %d slices\n", e.Index, e.Series, e.Slices)
			}
		},
	})
	if err != nil {
		panic(err)
	}
	for _, s := range rep.Series {
		rel, _ := filepath.Rel(dir, s.Dir)
		fmt.Printf("%s in %s\n", s.Outcome, rel)
		for _, o := range s.Outputs {
			fmt.Printf("  %s (%s)\n", o.Path, o.Format)
		}
		truth := 0
		for _, v := range ph.Truth {
			truth += int(v)
		}
		for _, seg := range s.Segments {
			fmt.Printf("  %s: %d voxels, %.0f mL (the phantom's lungs: %d voxels)\n", seg.Label, seg.Voxels, *seg.VolumeML, truth)
		}
	}
	// Output:
	// series 1: 1.2.826.0.1.3680043.8.498.1, 4 slices
	// ok in out/PHANTOM/1.2.826.0.1.3680043.8.498.2/1.2.826.0.1.3680043.8.498.1
	//   mask.nii.gz (nifti)
	//   mask_labels.txt (labels)
	//   mask_labels.json (labels)
	//   Lung: 1412 voxels, 353 mL (the phantom's lungs: 1101 voxels)
}
