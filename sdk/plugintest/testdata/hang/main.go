// Command hang is a broken test plugin: while segmenting the second slice
// of any series it stops answering, ignoring cancellation.
package main

import (
	"context"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
)

func main() { sdk.Serve(hang{}) }

type hang struct{}

func (hang) Describe() sdk.Description {
	return sdk.Description{
		Name: "hang", Version: "0.0.1",
		PixelFormats: []sdk.PixelFormat{sdk.Float32, sdk.Uint8, sdk.RGB8},
		Segments: []sdk.SegmentInfo{{
			Number: 1, Label: "Anything", Color: [3]uint8{1, 2, 3},
			Category: sdk.SCT("91723000", "Anatomical Structure"), Type: sdk.SCT("85756007", "Tissue"),
		}},
		ConcurrentSeries: true,
	}
}

func (hang) Open(context.Context, sdk.SeriesInfo, sdk.Params) (sdk.Session, error) {
	return session{}, nil
}

type session struct{}

func (session) Segment(_ context.Context, sl sdk.Slice) (sdk.Mask, error) {
	if sl.Index == 1 {
		time.Sleep(24 * time.Hour)
	}
	return sdk.NewMask(sl), nil
}

func (session) Close() error { return nil }
