// Command crash is a broken test plugin: it exits with status 3 while
// segmenting the second slice of any series.
package main

import (
	"context"
	"os"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
)

func main() { sdk.Serve(crash{}) }

type crash struct{}

func (crash) Describe() sdk.Description { return describe("crash") }

func (crash) Open(context.Context, sdk.SeriesInfo, sdk.Params) (sdk.Session, error) {
	return session{}, nil
}

type session struct{}

func (session) Segment(_ context.Context, sl sdk.Slice) (sdk.Mask, error) {
	if sl.Index == 1 {
		// Give gRPC's writer time to deliver slice 0's mask first, so
		// that the host can tell which slice the crash happened on.
		time.Sleep(200 * time.Millisecond)
		os.Exit(3)
	}
	return sdk.NewMask(sl), nil
}

func (session) Close() error { return nil }

func describe(name string) sdk.Description {
	return sdk.Description{
		Name: name, Version: "0.0.1",
		PixelFormats: []sdk.PixelFormat{sdk.Float32, sdk.Uint8, sdk.RGB8},
		Segments: []sdk.SegmentInfo{{
			Number: 1, Label: "Anything", Color: [3]uint8{1, 2, 3},
			Category: sdk.SCT("91723000", "Anatomical Structure"), Type: sdk.SCT("85756007", "Tissue"),
		}},
		ConcurrentSeries: true,
	}
}
