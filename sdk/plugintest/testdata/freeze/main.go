// Command freeze is a broken test plugin: while segmenting the second
// slice of any series it stops its own process (SIGSTOP), so that it can
// answer nothing at all, not even go-plugin's shutdown request.
package main

import (
	"context"
	"syscall"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
)

func main() { sdk.Serve(freeze{}) }

type freeze struct{}

func (freeze) Describe() sdk.Description {
	return sdk.Description{
		Name: "freeze", Version: "0.0.1",
		PixelFormats: []sdk.PixelFormat{sdk.Float32, sdk.Uint8, sdk.RGB8},
		Segments: []sdk.SegmentInfo{{
			Number: 1, Label: "Anything", Color: [3]uint8{1, 2, 3},
			Category: sdk.SCT("91723000", "Anatomical Structure"), Type: sdk.SCT("85756007", "Tissue"),
		}},
	}
}

func (freeze) Open(context.Context, sdk.SeriesInfo, sdk.Params) (sdk.Session, error) {
	return session{}, nil
}

type session struct{}

func (session) Segment(_ context.Context, sl sdk.Slice) (sdk.Mask, error) {
	if sl.Index == 1 {
		// Let gRPC's writer deliver slice 0's mask first (see crash).
		time.Sleep(200 * time.Millisecond)
		_ = syscall.Kill(syscall.Getpid(), syscall.SIGSTOP)
		// Should something continue the process, it still never answers.
		time.Sleep(24 * time.Hour)
	}
	return sdk.NewMask(sl), nil
}

func (session) Close() error { return nil }
