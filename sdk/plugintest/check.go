package plugintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
)

// Options tune a conformance run. The zero value suits fast plugins.
type Options struct {
	// Logger receives the plugin's own log; nil discards it.
	Logger *slog.Logger
	// Params are parameter values sent with every well-formed series, for
	// plugins that need them to be quick (e.g. fewer iterations).
	Params map[string]string
	// StartTimeout bounds each start of the plugin; 0 means 30 s.
	StartTimeout time.Duration
	// InactivityTimeout is the host's hang detector during the checks; 0
	// means 60 s.
	InactivityTimeout time.Duration
	// SeriesTimeout bounds each series the kit sends; 0 means 5 minutes.
	SeriesTimeout time.Duration
	// LargeSide is the side of the large-slice check; 0 means 2048 (16 MiB
	// as float32, four times gRPC's default message limit).
	LargeSide int
	// TLS chooses AutoMTLS as for sdk.Open.
	TLS sdk.TLSMode
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.InactivityTimeout <= 0 {
		o.InactivityTimeout = time.Minute
	}
	if o.SeriesTimeout <= 0 {
		o.SeriesTimeout = 5 * time.Minute
	}
	if o.LargeSide <= 0 {
		o.LargeSide = 2048
	}
	return o
}

func (o Options) client() sdk.ClientOptions {
	return sdk.ClientOptions{
		Logger:            o.Logger,
		StartTimeout:      o.StartTimeout,
		InactivityTimeout: o.InactivityTimeout,
		TLS:               o.TLS,
	}
}

// Check runs the conformance checks on the plugin executable at path,
// started through go-plugin as mmcseg starts it. The error is non-nil
// only when ctx ends the run early; a broken plugin is a report with
// failed checks.
func Check(ctx context.Context, path string, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	c := &checker{
		opts:   opts,
		report: &Report{Plugin: path},
		open: func(ctx context.Context) (*sdk.Plugin, error) {
			return sdk.Open(ctx, path, opts.client())
		},
		subprocess: true,
	}
	if abs, err := filepath.Abs(path); err == nil {
		c.report.Plugin = abs
	}
	return c.runAll(ctx)
}

// CheckInProcess runs the conformance checks on a Go implementation served
// in this process (sdk.ServeInProcess): no build, no handshake, the same
// wire path otherwise.
func CheckInProcess(ctx context.Context, impl sdk.Segmenter, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	c := &checker{
		opts:   opts,
		report: &Report{Plugin: "in-process"},
		open: func(ctx context.Context) (*sdk.Plugin, error) {
			return sdk.ServeInProcess(ctx, impl, opts.client())
		},
	}
	return c.runAll(ctx)
}

type checker struct {
	opts       Options
	report     *Report
	open       func(context.Context) (*sdk.Plugin, error)
	subprocess bool

	p       *sdk.Plugin
	desc    sdk.Description
	inputs  []input // accepted kinds of input, the primary first
	primary input
	uids    int
}

func (c *checker) runAll(ctx context.Context) (*Report, error) {
	defer func() {
		if c.p != nil {
			c.p.Close()
		}
	}()
	c.check(ctx, "handshake", c.handshake)
	if c.p == nil {
		c.report.Results = append(c.report.Results, Result{Name: "all other checks", Status: Skip, Message: "the plugin did not start"})
		return c.report, ctx.Err()
	}
	c.check(ctx, "describe", c.describe)
	c.inputs = acceptedInputs(c.desc)
	if len(c.inputs) == 0 {
		c.report.Results = append(c.report.Results, Result{Name: "all other checks", Status: Skip, Message: "the description accepts no input with a segment"})
		return c.report, ctx.Err()
	}
	c.primary = c.inputs[0]
	large := c.opts.LargeSide
	for _, sz := range []struct {
		rows, cols int
		mayReject  bool
	}{{1, 1, true}, {257, 257, false}, {7, 300, false}, {300, 7, false}, {large, large, false}} {
		c.check(ctx, fmt.Sprintf("masks/%dx%d", sz.cols, sz.rows), func(ctx context.Context) (Status, string, error) {
			return c.sizeCheck(ctx, sz.rows, sz.cols, sz.mayReject)
		})
	}
	c.check(ctx, "series", c.seriesCheck)
	c.check(ctx, "aux", c.auxCheck)
	for _, in := range c.inputs {
		c.check(ctx, "input/"+in.String(), func(ctx context.Context) (Status, string, error) { return c.inputCheck(ctx, in) })
	}
	c.badInputChecks(ctx)
	c.check(ctx, "cancellation", c.cancellation)
	c.check(ctx, "concurrency", c.concurrency)
	c.check(ctx, "progress", c.progress)
	return c.report, ctx.Err()
}

// check runs one check, recording its result. A check returns a status
// and message, or an error (a failure with the error as message). If the
// plugin died during the check, it is started again for the next.
func (c *checker) check(ctx context.Context, name string, f func(context.Context) (Status, string, error)) {
	if ctx.Err() != nil {
		c.report.Results = append(c.report.Results, Result{Name: name, Status: Skip, Message: "interrupted: " + ctx.Err().Error()})
		return
	}
	if name != "handshake" && c.p == nil {
		c.report.Results = append(c.report.Results, Result{Name: name, Status: Skip, Message: "the plugin could not be restarted"})
		return
	}
	begin := time.Now()
	st, msg, err := f(ctx)
	if err != nil {
		st, msg = Fail, err.Error()
	}
	c.report.Results = append(c.report.Results, Result{Name: name, Status: st, Message: msg, Duration: time.Since(begin)})
	if c.p != nil && name != "handshake" && c.dead(ctx) {
		c.p.Close()
		c.p = nil
		c.report.Restarts++
		if p, err := c.open(ctx); err == nil {
			c.p = p
		}
	}
}

// dead reports whether the plugin no longer answers.
func (c *checker) dead(ctx context.Context) bool {
	if c.p.Exited() {
		return true
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := c.p.Describe(dctx)
	return err != nil
}

func (c *checker) uid() string {
	c.uids++
	return fmt.Sprintf("2.25.%d%03d", 1000+c.uids, c.uids)
}

func (c *checker) handshake(ctx context.Context) (Status, string, error) {
	p, err := c.open(ctx)
	if err != nil {
		return Fail, "", err
	}
	c.p = p
	c.desc = p.Description()
	d := c.desc
	c.report.Description = &d
	if !c.subprocess {
		return Pass, "served in process", nil
	}
	if v := p.ProtocolVersion(); v != sdk.ProtocolVersion {
		return Fail, "", fmt.Errorf("negotiated application protocol version %d, want %d", v, sdk.ProtocolVersion)
	}
	tls := "AutoMTLS off (not a Go binary)"
	if p.MTLS() {
		tls = "AutoMTLS on"
	}
	return Pass, fmt.Sprintf("protocol version %d, %s", p.ProtocolVersion(), tls), nil
}

// describe checks what sdk.Open's validation does not: codes, colours,
// documentation, and that Describe answers the same again.
func (c *checker) describe(ctx context.Context) (Status, string, error) {
	d := c.desc
	var problems []string
	for _, s := range d.Segments {
		for _, code := range []struct {
			what string
			c    sdk.Code
		}{{"category", s.Category}, {"type", s.Type}, {"anatomic region", s.AnatomicRegion}} {
			if code.c.IsZero() || code.c.Scheme != "SCT" {
				continue
			}
			if err := checkSCTID(code.c.Value); err != nil {
				problems = append(problems, fmt.Sprintf("segment %q %s code: %v", s.Label, code.what, err))
			}
		}
		if s.Color == [3]uint8{} {
			problems = append(problems, fmt.Sprintf("segment %q has colour black, invisible over most images", s.Label))
		}
	}
	for _, f := range d.PixelFormats {
		found := false
		for _, s := range d.Segments {
			if len(s.PixelFormats) == 0 || slices.Contains(s.PixelFormats, f) {
				found = true
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("pixel format %v is accepted but no segment applies to it", f))
		}
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	again, err := c.p.Describe(dctx)
	if err != nil {
		return Fail, "", fmt.Errorf("a second Describe failed: %w", err)
	}
	if again.InputMode == 0 {
		again.InputMode = sdk.SliceMode
	}
	if !reflect.DeepEqual(again, d) {
		problems = append(problems, "a second Describe answered differently")
	}
	if len(problems) > 0 {
		return Fail, strings.Join(problems, "; "), nil
	}
	sct := 0
	for _, s := range d.Segments {
		if s.Category.Scheme == "SCT" && s.Type.Scheme == "SCT" {
			sct++
		}
	}
	return Pass, fmt.Sprintf("%d segments (%d with SNOMED CT category and type), %d parameters, accepts %s", len(d.Segments), sct, len(d.Parameters), describeInputs(acceptedInputs(d))), nil
}

func describeInputs(ins []input) string {
	var s []string
	for _, in := range ins {
		s = append(s, in.String())
	}
	return strings.Join(s, ", ")
}

// acceptedInputs lists the kinds of input the description accepts and has
// a segment for, CT first (the most common). A plugin that takes any
// modality is tried with a representative few per pixel format.
func acceptedInputs(d sdk.Description) []input {
	var out []input
	for _, f := range []sdk.PixelFormat{sdk.Float32, sdk.Uint8, sdk.RGB8} {
		if !slices.Contains(d.PixelFormats, f) {
			continue
		}
		mods := d.Modalities
		if len(mods) == 0 {
			mods = map[sdk.PixelFormat][]string{
				sdk.Float32: {"CT", "MR"},
				sdk.Uint8:   {"OT", "US"},
				sdk.RGB8:    {"XC", "OT"},
			}[f]
		}
		for _, m := range mods {
			in := input{Modality: m, Format: f, Photometric: "MONOCHROME2"}
			if f == sdk.RGB8 {
				in.Photometric = "RGB"
			}
			if len(d.PhotometricInterpretations) > 0 && !slices.Contains(d.PhotometricInterpretations, in.Photometric) {
				continue
			}
			if len(d.SegmentsFor(m, f)) > 0 {
				out = append(out, in)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b input) int {
		if (a.Modality == "CT") != (b.Modality == "CT") {
			if a.Modality == "CT" {
				return -1
			}
			return 1
		}
		return 0
	})
	return out
}

// run segments a series, bounded by the series timeout, collecting masks.
type outcome struct {
	masks    map[int]sdk.Mask
	res      *sdk.SegmentResult
	err      error
	progress int
}

func (c *checker) run(ctx context.Context, s sdk.SeriesInfo, params map[string]string, slice func(context.Context, int) (sdk.Slice, error), unchecked bool) outcome {
	ctx, cancel := context.WithTimeout(ctx, c.opts.SeriesTimeout)
	defer cancel()
	var mu sync.Mutex
	out := outcome{masks: map[int]sdk.Mask{}}
	if params == nil {
		params = c.opts.Params
	}
	out.res, out.err = c.p.Segment(ctx, sdk.SegmentRequest{
		Series:     s,
		Params:     params,
		Slice:      slice,
		Unchecked:  unchecked,
		OnMask:     func(m sdk.Mask) error { mu.Lock(); out.masks[m.Index] = m; mu.Unlock(); return nil },
		OnProgress: func(sdk.Progress) { mu.Lock(); out.progress++; mu.Unlock() },
	})
	if errors.Is(out.err, context.DeadlineExceeded) && ctx.Err() != nil {
		out.err = fmt.Errorf("series %s did not finish within %v: %w", s.UID, c.opts.SeriesTimeout, out.err)
	}
	return out
}

func (c *checker) synthSeries(in input, rows, cols, slices int, seed uint64) (sdk.SeriesInfo, func(context.Context, int) (sdk.Slice, error)) {
	s := in.series(c.uid(), rows, cols, slices)
	return s, func(_ context.Context, k int) (sdk.Slice, error) { return synthSlice(in, seed, k, rows, cols), nil }
}

// wantMasks turns an outcome into an error unless every slice got a mask.
func wantMasks(o outcome, slices int) error {
	if o.err != nil {
		return o.err
	}
	if len(o.res.SliceErrors) > 0 {
		e := o.res.SliceErrors[0]
		return fmt.Errorf("%d of %d slices got no mask; slice %d: %v: %s", len(o.res.SliceErrors), slices, e.Index, e.Code, e.Message)
	}
	if len(o.masks) != slices {
		return fmt.Errorf("%d masks for %d slices", len(o.masks), slices)
	}
	return nil
}

func foreground(o outcome) (fg, total int) {
	for _, m := range o.masks {
		total += len(m.Labels)
		for _, l := range m.Labels {
			if l != 0 {
				fg++
			}
		}
	}
	return fg, total
}

func (c *checker) sizeCheck(ctx context.Context, rows, cols int, mayReject bool) (Status, string, error) {
	s, slice := c.synthSeries(c.primary, rows, cols, 1, 7)
	o := c.run(ctx, s, nil, slice, false)
	if mayReject {
		if errors.Is(o.err, sdk.ErrInvalidInput) || errors.Is(o.err, sdk.ErrUnsupported) {
			return Pass, fmt.Sprintf("%v rejected cleanly: %v", c.primary, o.err), nil
		}
		if o.err == nil && len(o.res.SliceErrors) == 1 && o.res.SliceErrors[0].Code == sdk.SliceInvalidInput {
			return Pass, fmt.Sprintf("%v refused with a slice error: %s", c.primary, o.res.SliceErrors[0].Message), nil
		}
	}
	if err := wantMasks(o, 1); err != nil {
		return Fail, "", err
	}
	fg, total := foreground(o)
	return Pass, fmt.Sprintf("%v: mask %d×%d, %d of %d pixels labelled", c.primary, cols, rows, fg, total), nil
}

func (c *checker) seriesCheck(ctx context.Context) (Status, string, error) {
	const n = 6
	s, slice := c.synthSeries(c.primary, 64, 80, n, 11)
	o := c.run(ctx, s, nil, slice, false)
	if err := wantMasks(o, n); err != nil {
		return Fail, "", err
	}
	return Pass, fmt.Sprintf("%v: %d slices of 80×64 answered in order", c.primary, n), nil
}

// auxCheck asks for every auxiliary map the plugin declares and wants each
// with every mask ("clusters" at the mask's size). The host side already
// refuses maps that were not asked for, sent twice or mis-sized.
func (c *checker) auxCheck(ctx context.Context) (Status, string, error) {
	if len(c.desc.AuxMaps) == 0 {
		return Skip, "the plugin declares no auxiliary maps", nil
	}
	const n = 2
	s, slice := c.synthSeries(c.primary, 48, 64, n, 17)
	s.WantAux = c.desc.AuxMaps
	o := c.run(ctx, s, nil, slice, false)
	if err := wantMasks(o, n); err != nil {
		return Fail, "", err
	}
	var sizes []string
	for k := range n {
		m := o.masks[k]
		for _, name := range c.desc.AuxMaps {
			a, ok := m.AuxMap(name)
			if !ok {
				return Fail, fmt.Sprintf("the mask of slice %d lacks the auxiliary map %q, which was asked for", k, name), nil
			}
			if name == sdk.AuxClusters && (a.Rows != m.Rows || a.Columns != m.Columns) {
				return Fail, fmt.Sprintf("slice %d: %q is %d×%d, the mask %d×%d", k, name, a.Columns, a.Rows, m.Columns, m.Rows), nil
			}
			if k == 0 {
				sizes = append(sizes, fmt.Sprintf("%s %d×%d", name, a.Columns, a.Rows))
			}
		}
	}
	return Pass, fmt.Sprintf("%v: every mask carries %s", c.primary, strings.Join(sizes, ", ")), nil
}

func (c *checker) inputCheck(ctx context.Context, in input) (Status, string, error) {
	s, slice := c.synthSeries(in, 48, 64, 2, 13)
	o := c.run(ctx, s, nil, slice, false)
	if err := wantMasks(o, 2); err != nil {
		return Fail, "", err
	}
	fg, total := foreground(o)
	var labels []string
	for _, seg := range c.desc.SegmentsFor(in.Modality, in.Format) {
		labels = append(labels, fmt.Sprintf("%d %q", seg.Number, seg.Label))
	}
	return Pass, fmt.Sprintf("segments %s; %d of %d pixels labelled", strings.Join(labels, ", "), fg, total), nil
}

// badInputChecks feed the plugin input the host would never send (the
// host's checks are bypassed) and want errors, not crashes or masks.
func (c *checker) badInputChecks(ctx context.Context) {
	in := c.primary
	goodParams := func() map[string]string {
		m := map[string]string{}
		for k, v := range c.opts.Params {
			m[k] = v
		}
		return m
	}
	rejectSeries := func(name string, s sdk.SeriesInfo, params map[string]string) {
		c.check(ctx, "bad-input/"+name, func(ctx context.Context) (Status, string, error) {
			slice := func(_ context.Context, k int) (sdk.Slice, error) {
				return synthSlice(input{Modality: s.Modality, Format: s.Format}, 3, k, max(1, s.Rows), max(1, s.Columns)), nil
			}
			o := c.run(ctx, s, params, slice, true)
			return c.wantRejected(o)
		})
	}

	p := goodParams()
	p["no_such_parameter"] = "1"
	s, _ := c.synthSeries(in, 16, 16, 1, 1)
	rejectSeries("unknown-parameter", s, p)

	for _, par := range c.desc.Parameters {
		var bad, why string
		switch par.Type {
		case sdk.ParamInt:
			bad, why = "1.5", "a non-integer"
			if par.Max != nil {
				bad, why = fmt.Sprint(int64(math.Floor(*par.Max))+1), "above the maximum"
			}
		case sdk.ParamFloat:
			bad, why = "abc", "not a number"
			if par.Max != nil {
				bad, why = fmt.Sprint(*par.Max*2+1), "above the maximum"
			}
		case sdk.ParamBool:
			bad, why = "maybe", "not a boolean"
		case sdk.ParamEnum:
			bad, why = "no-such-choice", "not a choice"
		default:
			continue
		}
		p := goodParams()
		p[par.Name] = bad
		s, _ := c.synthSeries(in, 16, 16, 1, 1)
		name := fmt.Sprintf("parameter-%s", par.Name)
		c.check(ctx, "bad-input/"+name, func(ctx context.Context) (Status, string, error) {
			slice := func(_ context.Context, k int) (sdk.Slice, error) { return synthSlice(in, 3, k, 16, 16), nil }
			o := c.run(ctx, s, p, slice, true)
			st, msg, err := c.wantRejected(o)
			if err != nil {
				err = fmt.Errorf("%s=%q (%s): %w", par.Name, bad, why, err)
			}
			return st, msg, err
		})
	}

	for _, f := range []sdk.PixelFormat{sdk.Float32, sdk.Uint8, sdk.RGB8} {
		if !slices.Contains(c.desc.PixelFormats, f) {
			s, _ := c.synthSeries(input{Modality: in.Modality, Format: f}, 16, 16, 1, 1)
			rejectSeries("format-"+f.String(), s, goodParams())
			break
		}
	}
	if len(c.desc.Modalities) > 0 {
		s, _ := c.synthSeries(input{Modality: "ZZ", Format: in.Format, Photometric: in.Photometric}, 16, 16, 1, 1)
		rejectSeries("modality-ZZ", s, goodParams())
	}
	s, _ = c.synthSeries(in, 0, 16, 1, 1)
	rejectSeries("zero-rows", s, goodParams())

	// A truncated slice and a slice of the wrong size in the middle of a
	// series: a per-slice error (or rejecting the series) is right, a mask
	// is not.
	for _, bad := range []string{"truncated-slice", "wrong-slice-size"} {
		c.check(ctx, "bad-input/"+bad, func(ctx context.Context) (Status, string, error) {
			s, good := c.synthSeries(in, 20, 24, 3, 5)
			slice := func(ctx context.Context, k int) (sdk.Slice, error) {
				if k != 1 {
					return good(ctx, k)
				}
				if bad == "truncated-slice" {
					sl := synthSlice(in, 5, k, 20, 24)
					sl.Data = sl.Data[:len(sl.Data)/2]
					return sl, nil
				}
				return synthSlice(in, 5, k, 21, 24), nil
			}
			o := c.run(ctx, s, nil, slice, true)
			return c.wantSliceRefused(o, 1)
		})
	}
	if slices.Contains(c.desc.PixelFormats, sdk.Float32) {
		c.check(ctx, "bad-input/non-finite", func(ctx context.Context) (Status, string, error) {
			fin := in
			if fin.Format != sdk.Float32 {
				for _, x := range c.inputs {
					if x.Format == sdk.Float32 {
						fin = x
						break
					}
				}
			}
			s, _ := c.synthSeries(fin, 32, 32, 2, 9)
			slice := func(_ context.Context, k int) (sdk.Slice, error) {
				px, _ := synthSlice(fin, 9, k, 32, 32).Float32s()
				for i := range px {
					switch i % 7 {
					case 0:
						px[i] = float32(math.NaN())
					case 3:
						px[i] = float32(math.Inf(1))
					case 5:
						px[i] = float32(math.Inf(-1))
					}
				}
				return sdk.NewFloat32Slice(k, 32, 32, px), nil
			}
			o := c.run(ctx, s, nil, slice, true)
			if o.err != nil && !errors.Is(o.err, sdk.ErrInvalidInput) && !errors.Is(o.err, sdk.ErrUnsupported) {
				return Fail, "", o.err
			}
			if err := c.alive(ctx); err != nil {
				return Fail, "", err
			}
			switch {
			case o.err != nil:
				return Pass, "series rejected: " + o.err.Error(), nil
			case len(o.res.SliceErrors) > 0:
				return Pass, fmt.Sprintf("%d slices refused: %s", len(o.res.SliceErrors), o.res.SliceErrors[0].Message), nil
			}
			return Pass, "NaN and ±Inf pixels handled: masks for both slices", nil
		})
	}
}

// alive checks that the plugin still answers after bad input.
func (c *checker) alive(ctx context.Context) error {
	if c.p.Exited() {
		return errors.New("the plugin exited after this input")
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.p.Describe(dctx); err != nil {
		return fmt.Errorf("the plugin stopped answering after this input: %w", err)
	}
	return nil
}

func (c *checker) wantRejected(o outcome) (Status, string, error) {
	switch {
	case o.err == nil:
		return Fail, "", fmt.Errorf("accepted: %d masks, %d slice errors; want the series rejected", len(o.masks), len(o.res.SliceErrors))
	case errors.Is(o.err, sdk.ErrInvalidInput), errors.Is(o.err, sdk.ErrUnsupported), errors.Is(o.err, sdk.ErrBadParam):
		if err := c.alive(context.Background()); err != nil {
			return Fail, "", err
		}
		return Pass, "rejected: " + o.err.Error(), nil
	}
	return Fail, "", o.err
}

func (c *checker) wantSliceRefused(o outcome, bad int) (Status, string, error) {
	if o.err != nil {
		if errors.Is(o.err, sdk.ErrInvalidInput) {
			if err := c.alive(context.Background()); err != nil {
				return Fail, "", err
			}
			return Pass, "series rejected: " + o.err.Error(), nil
		}
		return Fail, "", o.err
	}
	if _, ok := o.masks[bad]; ok {
		return Fail, "", fmt.Errorf("slice %d got a mask; want a slice error", bad)
	}
	for _, e := range o.res.SliceErrors {
		if e.Index == bad {
			if e.Code != sdk.SliceInvalidInput {
				return Fail, "", fmt.Errorf("slice %d refused with code %v, want %v: %s", bad, e.Code, sdk.SliceInvalidInput, e.Message)
			}
			if len(o.masks) != 2 {
				return Fail, "", fmt.Errorf("the good slices got %d masks, want 2", len(o.masks))
			}
			return Pass, fmt.Sprintf("slice %d refused: %s; the others segmented", bad, e.Message), nil
		}
	}
	return Fail, "", fmt.Errorf("slice %d got neither a mask nor an error", bad)
}

// cancellation starts a long series, cancels it once the plugin is busy,
// and wants the call to end at once and the plugin to serve the next
// series.
func (c *checker) cancellation(ctx context.Context) (Status, string, error) {
	n := 400
	if c.desc.InputMode == sdk.VolumeMode {
		n = 40
	}
	s, slice := c.synthSeries(c.primary, 96, 96, n, 17)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var once sync.Once
	var cancelledAt time.Time
	stop := func() { once.Do(func() { cancelledAt = time.Now(); cancel() }) }
	timer := time.AfterFunc(3*time.Second, stop)
	defer timer.Stop()
	_, err := c.p.Segment(cctx, sdk.SegmentRequest{
		Series: s, Params: c.opts.Params, Slice: slice,
		OnMask:     func(sdk.Mask) error { stop(); return nil },
		OnProgress: func(sdk.Progress) { stop() },
	})
	returned := time.Now()
	switch {
	case err == nil:
		return Skip, fmt.Sprintf("inconclusive: %d slices were segmented before the series could be cancelled", n), nil
	case !errors.Is(err, context.Canceled):
		return Fail, "", err
	}
	lag := returned.Sub(cancelledAt)
	if lag > 5*time.Second {
		return Fail, "", fmt.Errorf("the call returned %v after cancellation", lag)
	}
	// The plugin must be free for the next series: a plugin that ignored
	// the cancellation would still be busy with the old one.
	begin := time.Now()
	s2, slice2 := c.synthSeries(c.primary, 32, 32, 1, 19)
	if err := wantMasks(c.run(ctx, s2, nil, slice2, false), 1); err != nil {
		return Fail, "", fmt.Errorf("the next series after cancellation: %w", err)
	}
	return Pass, fmt.Sprintf("stopped %v after cancellation; the next series took %v", lag.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond)), nil
}

// concurrency runs four series alone, then at once, and compares.
func (c *checker) concurrency(ctx context.Context) (Status, string, error) {
	sizes := [][2]int{{64, 64}, {50, 80}, {80, 50}, {72, 72}}
	type job struct {
		s     sdk.SeriesInfo
		slice func(context.Context, int) (sdk.Slice, error)
	}
	jobs := make([]job, len(sizes))
	for i, sz := range sizes {
		jobs[i].s, jobs[i].slice = c.synthSeries(c.primary, sz[0], sz[1], 3, uint64(100+i))
	}
	alone := make([]outcome, len(jobs))
	for i, j := range jobs {
		alone[i] = c.run(ctx, j.s, nil, j.slice, false)
		if err := wantMasks(alone[i], 3); err != nil {
			return Fail, "", fmt.Errorf("series %d alone: %w", i, err)
		}
	}
	together := make([]outcome, len(jobs))
	var wg sync.WaitGroup
	begin := time.Now()
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			together[i] = c.run(ctx, j.s, nil, j.slice, false)
		}()
	}
	wg.Wait()
	el := time.Since(begin)
	for i := range jobs {
		if err := wantMasks(together[i], 3); err != nil {
			return Fail, "", fmt.Errorf("series %d among %d at once: %w", i, len(jobs), err)
		}
	}
	how := "run one at a time by the host (the plugin does not declare concurrent series)"
	if c.desc.ConcurrentSeries {
		how = "run at once"
	}
	// Compare only if the plugin repeats itself when run alone.
	again := c.run(ctx, jobs[0].s, nil, jobs[0].slice, false)
	if err := wantMasks(again, 3); err != nil {
		return Fail, "", fmt.Errorf("series 0 run again: %w", err)
	}
	deterministic := sameMasks(alone[0], again)
	c.report.Results = append(c.report.Results, Result{Name: "determinism", Status: Info, Message: map[bool]string{
		true:  "the same series twice gave the same masks",
		false: "the same series twice gave different masks (fine, but results cannot be reproduced)",
	}[deterministic]})
	if deterministic {
		for i := range jobs {
			if !sameMasks(alone[i], together[i]) {
				return Fail, "", fmt.Errorf("series %d gave other masks when run alongside others than alone: concurrent series interfere", i)
			}
		}
		return Pass, fmt.Sprintf("%d series %s in %v, masks identical to running each alone", len(jobs), how, el.Round(time.Millisecond)), nil
	}
	return Pass, fmt.Sprintf("%d series %s in %v", len(jobs), how, el.Round(time.Millisecond)), nil
}

func sameMasks(a, b outcome) bool {
	if len(a.masks) != len(b.masks) {
		return false
	}
	for k, m := range a.masks {
		if !bytes.Equal(m.Labels, b.masks[k].Labels) {
			return false
		}
	}
	return true
}

func (c *checker) progress(ctx context.Context) (Status, string, error) {
	s, slice := c.synthSeries(c.primary, 64, 64, 3, 23)
	o := c.run(ctx, s, nil, slice, false)
	if err := wantMasks(o, 3); err != nil {
		return Fail, "", err
	}
	if o.progress == 0 {
		return Info, "no progress reports (plugins that spend long on a slice should send them: they keep the host's inactivity timer from expiring)", nil
	}
	return Info, fmt.Sprintf("%d progress reports for 3 slices", o.progress), nil
}
