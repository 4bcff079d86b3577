package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	pb "github.com/mmcseg/mmcseg/sdk/segmenterv1"
)

// SegmentRequest is one series to segment.
type SegmentRequest struct {
	Series SeriesInfo
	// Params are the user's parameter values by name; missing ones get
	// their defaults. They are checked against the description.
	Params map[string]string
	// Slice loads slice index (0 ≤ index < Series.Slices). It is called in
	// index order, from one goroutine, as the stream needs the slices, so
	// that only a few are held in memory at a time.
	Slice func(ctx context.Context, index int) (Slice, error)
	// OnMask receives each slice's mask, in index order, with the
	// auxiliary maps Series.WantAux asked for in Mask.Aux. The mask's
	// Labels are not reused by the caller. An error stops the series.
	OnMask func(Mask) error
	// OnProgress, if set, receives the plugin's progress reports.
	OnProgress func(Progress)
	// Unchecked skips the host-side checks of the series, parameters and
	// slices, sending them as given. Only conformance tests, which feed
	// plugins bad input on purpose, want this. The plugin's answers are
	// checked regardless.
	Unchecked bool
}

// SegmentResult summarises a series the plugin finished.
type SegmentResult struct {
	// Masks is how many slices got a mask.
	Masks int
	// SliceErrors are the slices that got none, in index order.
	SliceErrors []SliceError
	// Warnings are the plugin's remarks about the series.
	Warnings []string
}

// Segment streams one series through the plugin and calls req.OnMask with
// each mask. It returns when the plugin has answered every slice, or with
// an error: the context's (cancellation reaches the plugin), the input's
// (ErrInvalidInput, ErrUnsupported, ErrBadParam), or an *Error when the
// plugin crashed (ErrExited), went quiet for longer than the inactivity
// timeout (ErrHung: the plugin is then stopped), broke the contract
// (ErrProtocol) or failed (ErrPluginFailed).
func (p *Plugin) Segment(ctx context.Context, req SegmentRequest) (*SegmentResult, error) {
	s := req.Series
	if req.Slice == nil || req.OnMask == nil {
		return nil, fmt.Errorf("sdk: SegmentRequest for series %s needs Slice and OnMask", s.UID)
	}
	params := req.Params
	if !req.Unchecked {
		if err := p.desc.CheckSeries(s); err != nil {
			return nil, err
		}
		resolved, err := p.desc.ResolveParams(req.Params)
		if err != nil {
			return nil, fmt.Errorf("series %s: %w", s.UID, err)
		}
		params = resolved.Map()
	}
	if p.sem != nil {
		select {
		case p.sem <- struct{}{}:
			defer func() { <-p.sem }()
		case <-ctx.Done():
			return nil, fmt.Errorf("series %s: waiting for plugin %s: %w", s.UID, p.label, ctx.Err())
		}
	}
	if reason := p.stopReason(); reason != nil {
		return nil, p.callError(ctx, reason, s.UID, -1)
	}
	r := &run{p: p, req: req, series: s, allowed: labelSet(p.desc.SegmentsFor(s.Modality, s.Format))}
	return r.do(ctx, params)
}

// run is one Segment call: a sender goroutine streams the slices, the
// calling goroutine reads the answers, a watchdog watches for silence.
type run struct {
	p       *Plugin
	req     SegmentRequest
	series  SeriesInfo
	allowed [256]bool

	last     atomic.Int64 // unix nanoseconds of the last sign of life
	answered atomic.Int64 // slices answered so far
	// hostBusy counts host-side work in progress (loading a slice,
	// handling a mask): time spent there is not the plugin's silence.
	hostBusy atomic.Int32

	once  sync.Once
	first error // the first failure, which decides the result
}

func (r *run) touch() { r.last.Store(time.Now().UnixNano()) }

// host runs host-side work f without counting its time against the plugin.
func (r *run) host(f func() error) error {
	r.hostBusy.Add(1)
	defer func() {
		r.touch()
		r.hostBusy.Add(-1)
	}()
	return f()
}

// fail records err if it is the first failure.
func (r *run) fail(err error) {
	r.once.Do(func() { r.first = err })
}

func (r *run) errorf(kind error, what string, cause error) *Error {
	return &Error{Plugin: r.p.label, Series: r.series.UID, Slice: int(r.answered.Load()), Kind: kind, What: what, Err: cause}
}

func (r *run) do(ctx context.Context, params map[string]string) (*SegmentResult, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.touch()

	var hung atomic.Bool
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		if r.watch(sctx) {
			hung.Store(true)
			timeout := r.p.opts.InactivityTimeout
			r.fail(r.errorf(ErrHung, fmt.Sprintf("stopped responding (no message for %v)", timeout), nil))
			cancel()
		}
	}()

	res, err := r.stream(sctx, params, cancel)
	if err != nil {
		r.fail(err)
	}
	cancel()
	<-watchDone

	if ctx.Err() != nil {
		return nil, &Error{Plugin: r.p.label, Series: r.series.UID, Slice: int(r.answered.Load()), Kind: ctx.Err(), What: "was interrupted", Err: ctx.Err()}
	}
	if hung.Load() {
		// The process may be stuck for every series; stop it so that the
		// next call gets a clear error instead of another long wait.
		r.p.stop(r.first)
	}
	if r.first != nil {
		return nil, r.first
	}
	return res, nil
}

// watch returns true when no sign of life came for the inactivity timeout,
// false when ctx ends first.
func (r *run) watch(ctx context.Context) bool {
	timeout := r.p.opts.InactivityTimeout
	for {
		wait := time.Until(time.Unix(0, r.last.Load()).Add(timeout))
		if wait <= 0 {
			if r.hostBusy.Load() == 0 {
				return true
			}
			wait = timeout / 10
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

func (r *run) stream(ctx context.Context, params map[string]string, cancel context.CancelFunc) (*SegmentResult, error) {
	stream, err := r.p.rpc.Segment(ctx)
	if err != nil {
		return nil, r.p.callError(ctx, err, r.series.UID, -1)
	}
	start := &pb.SegmentRequest{Kind: &pb.SegmentRequest_Start{Start: seriesToPB(r.series, params)}}
	sendDone := make(chan struct{})
	go func() {
		defer close(sendDone)
		if err := r.send(ctx, stream, start); err != nil {
			r.fail(err)
			cancel()
		}
	}()
	res, err := r.receive(ctx, stream)
	if err != nil {
		r.fail(err)
		cancel()
	}
	<-sendDone
	return res, err
}

// send streams SeriesStart, the slices and End. A send that fails because
// the plugin ended the stream returns nil: receive reports why.
func (r *run) send(ctx context.Context, stream pb.Segmenter_SegmentClient, start *pb.SegmentRequest) error {
	sendErr := func(err error) error {
		if errors.Is(err, io.EOF) || ctx.Err() != nil {
			return nil
		}
		return r.p.callError(ctx, err, r.series.UID, -1)
	}
	if err := stream.Send(start); err != nil {
		return sendErr(err)
	}
	r.touch()
	s := r.series
	for i := 0; i < s.Slices; i++ {
		var sl Slice
		err := r.host(func() (err error) { sl, err = r.req.Slice(ctx, i); return err })
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("series %s: loading slice %d: %w", s.UID, i, err)
		}
		if !r.req.Unchecked {
			if sl.Index != i {
				return fmt.Errorf("series %s: asked for slice %d, got slice %d", s.UID, i, sl.Index)
			}
			if sl.Format != s.Format || sl.Rows != s.Rows || sl.Columns != s.Columns {
				return fmt.Errorf("%w: series %s slice %d is %d×%d %v, the series %d×%d %v", ErrInvalidInput, s.UID, i, sl.Columns, sl.Rows, sl.Format, s.Columns, s.Rows, s.Format)
			}
			if err := sl.Check(); err != nil {
				return fmt.Errorf("%w: series %s: %w", ErrInvalidInput, s.UID, err)
			}
		}
		if err := stream.Send(&pb.SegmentRequest{Kind: &pb.SegmentRequest_Slice{Slice: sliceToPB(sl)}}); err != nil {
			return sendErr(err)
		}
		r.touch()
	}
	if err := stream.Send(&pb.SegmentRequest{Kind: &pb.SegmentRequest_End{End: &pb.End{}}}); err != nil {
		return sendErr(err)
	}
	if err := stream.CloseSend(); err != nil {
		return sendErr(err)
	}
	return nil
}

// receive reads the plugin's answers and checks them against the contract.
func (r *run) receive(ctx context.Context, stream pb.Segmenter_SegmentClient) (*SegmentResult, error) {
	s := r.series
	res := &SegmentResult{}
	done := false
	protocol := func(format string, args ...any) error {
		return r.errorf(ErrProtocol, "broke the contract", fmt.Errorf(format, args...))
	}
	for {
		msg, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if !done {
					if what, exited := r.p.exitStatus(r.p.exitWait); exited {
						return nil, r.errorf(ErrExited, what, nil)
					}
					return nil, protocol("the response stream ended without Done, after %d of %d slices", r.answered.Load(), s.Slices)
				}
				return res, nil
			}
			return nil, r.p.callError(ctx, err, s.UID, int(r.answered.Load()))
		}
		r.touch()
		if done {
			return nil, protocol("a message after Done")
		}
		next := int(r.answered.Load())
		switch k := msg.Kind.(type) {
		case *pb.SegmentResponse_Mask:
			m := k.Mask
			if err := r.checkIndex("mask", int(m.GetIndex()), next); err != nil {
				return nil, err
			}
			rows, cols := int(m.GetRows()), int(m.GetColumns())
			if rows != s.Rows || cols != s.Columns || len(m.GetLabels()) != s.Rows*s.Columns {
				return nil, protocol("the mask of slice %d is %d×%d with %d labels, the slice is %d×%d", next, cols, rows, len(m.GetLabels()), s.Columns, s.Rows)
			}
			if bad, ok := firstDisallowed(m.GetLabels(), &r.allowed); !ok {
				return nil, protocol("the mask of slice %d has label %d, which is not a segment for %s %v input", next, bad, s.Modality, s.Format)
			}
			aux := auxFromPB(m.GetAux())
			if err := checkAux(aux, s.WantAux); err != nil {
				return nil, protocol("the mask of slice %d: %w", next, err)
			}
			if err := r.host(func() error {
				return r.req.OnMask(Mask{Index: next, Rows: rows, Columns: cols, Labels: m.GetLabels(), Aux: aux})
			}); err != nil {
				return nil, fmt.Errorf("series %s: mask of slice %d: %w", s.UID, next, err)
			}
			res.Masks++
			r.answered.Add(1)
		case *pb.SegmentResponse_SliceError:
			e := k.SliceError
			if err := r.checkIndex("error", int(e.GetIndex()), next); err != nil {
				return nil, err
			}
			code := SliceErrorCode(e.GetCode())
			if code < SliceInvalidInput || code > SliceInternal {
				code = SliceFailed
			}
			res.SliceErrors = append(res.SliceErrors, SliceError{Index: next, Code: code, Message: e.GetMessage()})
			r.answered.Add(1)
		case *pb.SegmentResponse_Progress:
			if r.req.OnProgress != nil {
				pr := k.Progress
				r.req.OnProgress(Progress{
					Slice:      int(pr.GetSliceIndex()),
					Iteration:  int(pr.GetIteration()),
					Iterations: int(pr.GetIterations()),
					Fraction:   fraction(pr.GetFraction()),
					Message:    pr.GetMessage(),
				})
			}
		case *pb.SegmentResponse_Done:
			if next != s.Slices {
				return nil, protocol("Done after answering %d of %d slices", next, s.Slices)
			}
			res.Warnings = k.Done.GetWarnings()
			done = true
		default:
			return nil, protocol("an empty response message")
		}
	}
}

func (r *run) checkIndex(what string, got, want int) error {
	if got == want {
		return nil
	}
	return &Error{Plugin: r.p.label, Series: r.series.UID, Slice: want, Kind: ErrProtocol, What: "broke the contract",
		Err: fmt.Errorf("it sent the %s for slice %d when slice %d was due (answers must come in index order, one per slice, for %d slices)", what, got, want, r.series.Slices)}
}

// fraction clamps a plugin's progress fraction to [0, 1]; NaN becomes 0.
func fraction(f float64) float64 {
	if !(f > 0) {
		return 0
	}
	return min(f, 1)
}
