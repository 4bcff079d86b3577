package sdk_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
)

// slowCleaner's sessions block until their context ends, then take a
// while to clean up; it records what finished.
type slowCleaner struct {
	entered chan struct{}
	segDone atomic.Bool
	closed  atomic.Bool
}

func (*slowCleaner) Describe() sdk.Description {
	return sdk.Description{
		Name: "slowcleaner", Version: "1.0.0",
		PixelFormats: []sdk.PixelFormat{sdk.Uint8},
		Segments: []sdk.SegmentInfo{{
			Number: 1, Label: "Any", Color: [3]uint8{0, 0, 255},
			Category: sdk.SCT("91723000", "Anatomical Structure"), Type: sdk.SCT("85756007", "Tissue"),
		}},
	}
}

func (c *slowCleaner) Open(context.Context, sdk.SeriesInfo, sdk.Params) (sdk.Session, error) {
	return &slowSession{c: c}, nil
}

type slowSession struct{ c *slowCleaner }

func (s *slowSession) Segment(ctx context.Context, sl sdk.Slice) (sdk.Mask, error) {
	close(s.c.entered)
	<-ctx.Done()
	time.Sleep(200 * time.Millisecond)
	s.c.segDone.Store(true)
	return sdk.Mask{}, ctx.Err()
}

func (s *slowSession) Close() error {
	time.Sleep(50 * time.Millisecond)
	s.c.closed.Store(true)
	return nil
}

// Stopping a plugin while a series runs: the session sees the
// cancellation and its clean-up (the rest of Segment, then Close) runs to
// the end before the server is gone, instead of being cut off when the
// process exits.
func TestCloseLetsSessionsCleanUp(t *testing.T) {
	ctx := context.Background()
	impl := &slowCleaner{entered: make(chan struct{})}
	p, err := sdk.ServeInProcess(ctx, impl, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	info, slice := greySeries()
	errc := make(chan error, 1)
	go func() {
		_, err := p.Segment(ctx, sdk.SegmentRequest{Series: info, Slice: slice, OnMask: func(sdk.Mask) error { return nil }})
		errc <- err
	}()
	select {
	case <-impl.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the session never started")
	}
	p.Close()
	if !impl.segDone.Load() || !impl.closed.Load() {
		t.Errorf("after Close: Segment finished %v, session closed %v", impl.segDone.Load(), impl.closed.Load())
	}
	if err := <-errc; err == nil {
		t.Error("Segment on a closed plugin succeeded")
	}
}
