// Command garbage is a broken test plugin: it prints a line of its own on
// stdout before the go-plugin handshake line, as a plugin that logs to
// stdout would.
package main

import (
	"context"
	"fmt"

	"github.com/mmcseg/mmcseg/sdk"
)

func main() {
	fmt.Println("starting up, loading model weights...")
	sdk.Serve(garbage{})
}

type garbage struct{}

func (garbage) Describe() sdk.Description {
	return sdk.Description{
		Name: "garbage", Version: "0.0.1",
		PixelFormats: []sdk.PixelFormat{sdk.Uint8},
		Segments: []sdk.SegmentInfo{{
			Number: 1, Label: "Anything", Color: [3]uint8{1, 2, 3},
			Category: sdk.SCT("91723000", "Anatomical Structure"), Type: sdk.SCT("85756007", "Tissue"),
		}},
	}
}

func (garbage) Open(context.Context, sdk.SeriesInfo, sdk.Params) (sdk.Session, error) {
	return nil, fmt.Errorf("never reached")
}
