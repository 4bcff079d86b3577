package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/mmcseg/mmcseg/sdk/segmenterv1"
)

var errStreamClosed = errors.New("series already finished")

// Serve runs impl as a plugin and returns when the host is done with it.
// Call it from main and nothing else: it owns stdout (the handshake) and
// logs JSON to stderr, which the host forwards into its log. slog's
// default logger is pointed there too, so slog.Info in plugin code reaches
// the host. If the description is invalid, or the binary was not started
// by mmcseg, Serve prints why and exits with status 1. When the host stops
// the plugin (or cancels its series first), a session's Segment sees its
// context cancelled, and Serve waits up to a second for it to return and
// for Close to run before the process ends.
func Serve(impl Segmenter) {
	// Keep the real stderr: go-plugin replaces os.Stderr after the
	// handshake with a pipe that the host discards.
	stderr := &lockedWriter{w: os.Stderr}
	if os.Getenv(MagicCookieKey) != MagicCookieValue {
		fmt.Fprintf(stderr, "%s is an mmcseg segmenter plugin; it is started by mmcseg, not by hand.\n"+
			"Check it with: mmcseg plugin check %s\n", os.Args[0], os.Args[0])
		os.Exit(1)
	}
	log := slog.New(newPluginLogHandler(stderr, slog.LevelDebug))
	slog.SetDefault(log)
	srv, err := newServer(impl, log)
	if err != nil {
		log.Error("plugin cannot start", "error", err)
		os.Exit(1)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  handshake,
		VersionedPlugins: pluginSets(srv),
		GRPCServer:       newGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       "go-plugin",
			Level:      hclog.Debug,
			Output:     stderr,
			JSONFormat: true,
		}),
	})
	// go-plugin's Shutdown stops the gRPC server without waiting for its
	// handlers; let sessions that saw the cancellation finish their
	// clean-up (Close, temporary files) before the process exits.
	srv.drain(drainGrace)
}

// drainGrace bounds how long a stopping plugin waits for its series to
// return. It is well under go-plugin's own 2 s wait for a graceful exit,
// after which the host kills the process.
const drainGrace = time.Second

// server implements the wire contract on top of a Segmenter.
type server struct {
	pb.UnimplementedSegmenterServer
	impl   Segmenter
	desc   Description
	descPB *pb.Description
	log    *slog.Logger
	// sem admits one series at a time unless the plugin declares
	// ConcurrentSeries (nil then).
	sem chan struct{}
	// active counts Segment calls in progress.
	active sync.WaitGroup
}

func newServer(impl Segmenter, log *slog.Logger) (*server, error) {
	var desc Description
	if err := safely(func() error { desc = impl.Describe(); return nil }); err != nil {
		return nil, fmt.Errorf("Describe: %w", err)
	}
	if desc.InputMode == 0 {
		desc.InputMode = SliceMode
	}
	desc.ContractVersion = ContractVersion
	if err := desc.Validate(); err != nil {
		return nil, err
	}
	s := &server{impl: impl, desc: desc, descPB: descriptionToPB(desc), log: log}
	if !desc.ConcurrentSeries {
		s.sem = make(chan struct{}, 1)
	}
	return s, nil
}

// drain waits until no series is in progress, or at most d.
func (s *server) drain(d time.Duration) {
	done := make(chan struct{})
	go func() {
		s.active.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
	}
}

func (s *server) Describe(context.Context, *pb.DescribeRequest) (*pb.Description, error) {
	return s.descPB, nil
}

// Segment runs one series: SeriesStart, slices, End in; masks or slice
// errors, progress and Done out.
func (s *server) Segment(stream pb.Segmenter_SegmentServer) error {
	s.active.Add(1)
	defer s.active.Done()
	ctx := stream.Context()
	first, err := stream.Recv()
	if err != nil {
		return recvError(ctx, err)
	}
	start := first.GetStart()
	if start == nil {
		return status.Error(codes.InvalidArgument, "the first message of a series must be SeriesStart")
	}
	info := seriesFromPB(start)
	if err := s.desc.CheckSeries(info); err != nil {
		return statusOf(err)
	}
	params, err := s.desc.ResolveParams(start.GetParameters())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	allowed := labelSet(s.desc.SegmentsFor(info.Modality, info.Format))

	if s.sem != nil {
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}

	out := &streamOut{stream: stream}
	defer out.close()
	rep := &reporter{
		out:    out,
		slices: info.Slices,
		volume: s.desc.InputMode == VolumeMode,
		log:    s.log.With("series", info.UID),
	}
	ctx = withReporter(ctx, rep)

	var sess Session
	if err := safely(func() (err error) { sess, err = s.impl.Open(ctx, info, params); return err }); err != nil {
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		return statusOf(err)
	}
	if sess == nil {
		return status.Error(codes.Internal, "plugin bug: Open returned no session")
	}
	defer func() {
		if err := safely(sess.Close); err != nil {
			rep.log.Warn("closing the session", "error", err)
		}
	}()

	sl := &seriesLoop{s: s, stream: stream, out: out, rep: rep, info: info, allowed: allowed}
	switch s.desc.InputMode {
	case VolumeMode:
		vs, ok := sess.(VolumeSession)
		if !ok {
			return status.Errorf(codes.Internal, "plugin bug: input mode VOLUME but the session (%T) has no SegmentVolume method", sess)
		}
		err = sl.runVolume(ctx, vs)
	default:
		ss, ok := sess.(SliceSession)
		if !ok {
			return status.Errorf(codes.Internal, "plugin bug: input mode SLICE but the session (%T) has no Segment method", sess)
		}
		err = sl.runSlices(ctx, ss)
	}
	if err != nil {
		return err
	}
	return out.send(&pb.SegmentResponse{Kind: &pb.SegmentResponse_Done{Done: &pb.Done{Warnings: rep.takeWarnings()}}})
}

type seriesLoop struct {
	s       *server
	stream  pb.Segmenter_SegmentServer
	out     *streamOut
	rep     *reporter
	info    SeriesInfo
	allowed [256]bool
}

// next receives the next slice, or reports the End (slice nil, err nil).
func (l *seriesLoop) next(ctx context.Context, want int) (*pb.Slice, error) {
	req, err := l.stream.Recv()
	if err != nil {
		return nil, recvError(ctx, err)
	}
	switch k := req.Kind.(type) {
	case *pb.SegmentRequest_Slice:
		if int(k.Slice.GetIndex()) != want || want >= l.info.Slices {
			if want >= l.info.Slices {
				return nil, status.Errorf(codes.InvalidArgument, "slice %d sent, but the series has %d slices", k.Slice.GetIndex(), l.info.Slices)
			}
			return nil, status.Errorf(codes.InvalidArgument, "slice %d sent when slice %d was due (slices must come in index order)", k.Slice.GetIndex(), want)
		}
		return k.Slice, nil
	case *pb.SegmentRequest_End:
		if want != l.info.Slices {
			return nil, status.Errorf(codes.InvalidArgument, "End after %d of %d slices", want, l.info.Slices)
		}
		return nil, nil
	case *pb.SegmentRequest_Start:
		return nil, status.Errorf(codes.InvalidArgument, "a second SeriesStart in the same stream")
	}
	return nil, status.Errorf(codes.InvalidArgument, "empty request message")
}

// checkSlice checks a received slice against the series.
func (l *seriesLoop) checkSlice(p *pb.Slice) (Slice, error) {
	sl := sliceFromPB(p)
	if sl.Format != l.info.Format || sl.Rows != l.info.Rows || sl.Columns != l.info.Columns {
		return sl, fmt.Errorf("%w %d: %d×%d %v in a series of %d×%d %v", ErrBadSlice, sl.Index, sl.Columns, sl.Rows, sl.Format, l.info.Columns, l.info.Rows, l.info.Format)
	}
	return sl, sl.Check()
}

func (l *seriesLoop) runSlices(ctx context.Context, sess SliceSession) error {
	for i := 0; ; i++ {
		p, err := l.next(ctx, i)
		if err != nil {
			return err
		}
		if p == nil {
			return nil
		}
		sl, err := l.checkSlice(p)
		if err != nil {
			if err := l.sendSliceError(i, SliceInvalidInput, err.Error()); err != nil {
				return err
			}
			continue
		}
		l.rep.slice.Store(int64(i))
		var m Mask
		err = safely(func() (err error) { m, err = sess.Segment(ctx, sl); return err })
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		if err := l.answer(sl, m, err); err != nil {
			return err
		}
	}
}

func (l *seriesLoop) runVolume(ctx context.Context, sess VolumeSession) error {
	var all []Slice
	for i := 0; ; i++ {
		p, err := l.next(ctx, i)
		if err != nil {
			return err
		}
		if p == nil {
			break
		}
		sl, err := l.checkSlice(p)
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		all = append(all, sl)
	}
	var masks []Mask
	err := safely(func() (err error) { masks, err = sess.SegmentVolume(ctx, all); return err })
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	if err == nil && len(masks) != len(all) {
		err = &SliceError{Code: SliceInternal, Message: fmt.Sprintf("plugin bug: SegmentVolume returned %d masks for %d slices", len(masks), len(all))}
	}
	for i, sl := range all {
		var m Mask
		if err == nil {
			m = masks[i]
		}
		if err := l.answer(sl, m, err); err != nil {
			return err
		}
	}
	return nil
}

// answer sends the session's result for one slice: the mask if it is
// well-formed, a slice error otherwise.
func (l *seriesLoop) answer(sl Slice, m Mask, err error) error {
	if err != nil {
		code, msg := SliceFailed, err.Error()
		var se *SliceError
		var pe panicError
		if errors.As(err, &pe) {
			code = SliceInternal
		} else if errors.As(err, &se) {
			code, msg = se.Code, se.Message
			if code < SliceInvalidInput || code > SliceInternal {
				code = SliceFailed
			}
		} else if errors.Is(err, ErrInvalidInput) {
			code = SliceInvalidInput
		}
		return l.sendSliceError(sl.Index, code, msg)
	}
	if m.Rows != sl.Rows || m.Columns != sl.Columns || len(m.Labels) != sl.Rows*sl.Columns {
		return l.sendSliceError(sl.Index, SliceInternal, fmt.Sprintf("plugin bug: mask is %d×%d with %d labels, slice is %d×%d", m.Columns, m.Rows, len(m.Labels), sl.Columns, sl.Rows))
	}
	if bad, ok := firstDisallowed(m.Labels, &l.allowed); !ok {
		return l.sendSliceError(sl.Index, SliceInternal, fmt.Sprintf("plugin bug: label %d is not a segment number for %s %v input", bad, l.info.Modality, l.info.Format))
	}
	if err := checkAux(m.Aux, l.info.WantAux); err != nil {
		return l.sendSliceError(sl.Index, SliceInternal, "plugin bug: "+err.Error())
	}
	return l.out.send(&pb.SegmentResponse{Kind: &pb.SegmentResponse_Mask{Mask: &pb.Mask{
		Index:   nonNeg(sl.Index),
		Rows:    nonNeg(sl.Rows),
		Columns: nonNeg(sl.Columns),
		Labels:  m.Labels,
		Aux:     auxToPB(m.Aux),
	}}})
}

func (l *seriesLoop) sendSliceError(index int, code SliceErrorCode, msg string) error {
	l.rep.log.Warn("slice not segmented", "slice", index, "code", code.String(), "error", msg)
	return l.out.send(&pb.SegmentResponse{Kind: &pb.SegmentResponse_SliceError{SliceError: &pb.SliceError{
		Index:   nonNeg(index),
		Code:    pb.SliceErrorCode(code),
		Message: msg,
	}}})
}

// labelSet returns which mask values are allowed: background and the
// numbers of the given segments.
func labelSet(segs []SegmentInfo) [256]bool {
	var ok [256]bool
	ok[0] = true
	for _, s := range segs {
		if s.Number >= 1 && s.Number <= 255 {
			ok[s.Number] = true
		}
	}
	return ok
}

func firstDisallowed(labels []uint8, allowed *[256]bool) (uint8, bool) {
	var seen [256]bool
	for _, v := range labels {
		seen[v] = true
	}
	for v := range seen {
		if seen[v] && !allowed[v] {
			return uint8(v), false
		}
	}
	return 0, true
}

// recvError turns a failed Recv into the handler's result: a cancelled
// stream stays cancelled, a stream closed early is the host's mistake.
func recvError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	if errors.Is(err, io.EOF) {
		return status.Error(codes.InvalidArgument, "the request stream ended before End")
	}
	return err
}

// statusOf maps an error from validation or Open to a gRPC status.
func statusOf(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	case errors.Is(err, ErrInvalidInput), errors.Is(err, ErrBadParam), errors.Is(err, ErrBadSlice):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrUnsupported):
		return status.Error(codes.Unimplemented, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

// safely runs author code, turning a panic into an error so that one bad
// slice cannot take the plugin process down.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			stack := string(debug.Stack())
			if i := strings.Index(stack, "panic("); i > 0 {
				stack = stack[i:]
			}
			slog.Error("plugin code panicked", "panic", fmt.Sprint(r), "stack", stack)
			err = panicError{r}
		}
	}()
	return f()
}

// panicError is a recovered panic in plugin code.
type panicError struct{ v any }

func (e panicError) Error() string { return fmt.Sprintf("plugin bug: panic: %v", e.v) }
