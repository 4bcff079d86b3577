// Command probe is a well-behaved test plugin whose behaviour the tests
// steer through parameters: a delay per slice (honouring cancellation),
// a marker file written when a session sees its context cancelled, and
// per-slice failures and panics that the SDK must contain.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
)

func main() { sdk.Serve(probe{}) }

type probe struct{}

func (probe) Describe() sdk.Description {
	return sdk.Description{
		Name:         "probe",
		Version:      "0.0.1",
		Summary:      "test plugin: thresholds at zero, with knobs",
		PixelFormats: []sdk.PixelFormat{sdk.Float32, sdk.Uint8, sdk.RGB8},
		Segments: []sdk.SegmentInfo{{
			Number: 1, Label: "Positive", Color: [3]uint8{255, 0, 0},
			Category: sdk.SCT("91723000", "Anatomical Structure"), Type: sdk.SCT("85756007", "Tissue"),
		}},
		Parameters: []sdk.Parameter{
			{Name: "delay_ms", Type: sdk.ParamInt, Default: "0", Min: sdk.Bound(0)},
			{Name: "marker", Type: sdk.ParamString, Default: ""},
			{Name: "fail_at", Type: sdk.ParamInt, Default: "-1"},
			{Name: "panic_at", Type: sdk.ParamInt, Default: "-1"},
			{Name: "reject", Type: sdk.ParamEnum, Default: "no", Choices: []string{"no", "invalid", "unsupported", "internal"}},
		},
		ConcurrentSeries: true,
	}
}

func (probe) Open(ctx context.Context, info sdk.SeriesInfo, p sdk.Params) (sdk.Session, error) {
	switch p.Get("reject") {
	case "invalid":
		return nil, fmt.Errorf("%w: probe was told to reject series %s", sdk.ErrInvalidInput, info.UID)
	case "unsupported":
		return nil, fmt.Errorf("%w: probe was told so", sdk.ErrUnsupported)
	case "internal":
		return nil, errors.New("probe was told to fail")
	}
	sdk.Logger(ctx).Info("probe opened a series", "slices", info.Slices)
	return &session{p: p}, nil
}

type session struct{ p sdk.Params }

func (s *session) Segment(ctx context.Context, sl sdk.Slice) (sdk.Mask, error) {
	if sl.Index == s.p.Int("panic_at") {
		panic("probe was told to panic")
	}
	if sl.Index == s.p.Int("fail_at") {
		return sdk.Mask{}, &sdk.SliceError{Code: sdk.SliceFailed, Message: "probe was told to fail"}
	}
	if d := time.Duration(s.p.Int("delay_ms")) * time.Millisecond; d > 0 {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(d)
	wait:
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				if m := s.p.Get("marker"); m != "" {
					_ = os.WriteFile(m, []byte(fmt.Sprintf("cancelled at slice %d: %v\n", sl.Index, ctx.Err())), 0o644)
				}
				return sdk.Mask{}, ctx.Err()
			case <-tick.C:
				sdk.ReportProgress(ctx, i, 0, "waiting")
			case <-deadline:
				break wait
			}
		}
	}
	m := sdk.NewMask(sl)
	bpp := sl.Format.BytesPerPixel()
	for i := range m.Labels {
		if sl.Data[i*bpp+bpp-1]&0x7f != 0 && sl.Data[i*bpp+bpp-1]&0x80 == 0 {
			m.Labels[i] = 1
		}
	}
	sdk.Warn(ctx, "probe ran")
	return m, nil
}

func (s *session) Close() error { return nil }
