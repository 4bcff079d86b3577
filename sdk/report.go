package sdk

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	pb "github.com/mmcseg/mmcseg/sdk/segmenterv1"
)

// progressInterval is the least time between two progress messages of a
// series; more frequent reports are dropped (the last of a slice is kept).
const progressInterval = 50 * time.Millisecond

// maxWarnings bounds the warnings one series collects.
const maxWarnings = 100

// reporter lets session code reach the host while a series runs.
type reporter struct {
	out    *streamOut
	slices int
	volume bool
	log    *slog.Logger

	slice atomic.Int64
	last  atomic.Int64 // unix nanoseconds of the last progress sent

	mu       sync.Mutex
	warnings []string
}

type reporterKey struct{}

func withReporter(ctx context.Context, r *reporter) context.Context {
	return context.WithValue(ctx, reporterKey{}, r)
}

func reporterFrom(ctx context.Context) *reporter {
	r, _ := ctx.Value(reporterKey{}).(*reporter)
	return r
}

// ReportProgress tells the host how far the current slice (SLICE mode) or
// series (VOLUME mode) has got: iteration of iterations (both 0 if not
// applicable) and a short message. Reports also keep the host's
// inactivity timer from expiring, so a plugin that works on one slice for
// a long time should report at least every minute. Outside a session it
// does nothing. It is safe for concurrent use.
func ReportProgress(ctx context.Context, iteration, iterations int, message string) {
	r := reporterFrom(ctx)
	if r == nil {
		return
	}
	now := time.Now().UnixNano()
	final := iterations > 0 && iteration >= iterations
	if last := r.last.Load(); !final && now-last < int64(progressInterval) {
		return
	}
	r.last.Store(now)
	slice := int(r.slice.Load())
	var within float64
	if iterations > 0 {
		within = min(1, max(0, float64(iteration)/float64(iterations)))
	}
	fraction := within
	if !r.volume && r.slices > 0 {
		fraction = (float64(slice) + within) / float64(r.slices)
	}
	_ = r.out.send(&pb.SegmentResponse{Kind: &pb.SegmentResponse_Progress{Progress: &pb.Progress{
		SliceIndex: nonNeg(slice),
		Iteration:  nonNeg(iteration),
		Iterations: nonNeg(iterations),
		Fraction:   fraction,
		Message:    message,
	}}})
}

// Warn records something the user should know about the series as a whole
// (e.g. "3 slices had no foreground"); the host reports it with the
// series. Repeated messages are kept once. Outside a session it only logs.
func Warn(ctx context.Context, message string) {
	r := reporterFrom(ctx)
	if r == nil {
		slog.Warn(message)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.warnings {
		if w == message {
			return
		}
	}
	if len(r.warnings) < maxWarnings {
		r.warnings = append(r.warnings, message)
	}
}

func (r *reporter) takeWarnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.warnings...)
}

// Logger returns the logger for session code: its records reach the
// host's log, tagged with the series. Outside a session it returns
// slog.Default(), which Serve also points at the host.
func Logger(ctx context.Context) *slog.Logger {
	if r := reporterFrom(ctx); r != nil && r.log != nil {
		return r.log
	}
	return slog.Default()
}

// streamOut serialises sends on a response stream: masks from the series
// loop and progress from session goroutines.
type streamOut struct {
	mu     sync.Mutex
	stream pb.Segmenter_SegmentServer
	closed bool
	err    error
}

func (o *streamOut) send(r *pb.SegmentResponse) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return errStreamClosed
	}
	if o.err != nil {
		return o.err
	}
	if err := o.stream.Send(r); err != nil {
		o.err = err
		return err
	}
	return nil
}

// close stops further sends: the handler is about to return and a send
// after that would be a gRPC error.
func (o *streamOut) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}
