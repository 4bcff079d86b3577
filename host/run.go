package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/mmcseg/mmcseg/sdk"
)

// Errors of a batch as a whole (per-series failures are in the Report).
var (
	// ErrNoSeries: the inputs hold no series at all.
	ErrNoSeries = errors.New("no series found")
	// ErrSeriesNotFound: a series asked for with Options.Series is not
	// among the inputs.
	ErrSeriesNotFound = errors.New("series not found")
	// ErrPluginStart: the plugin could not be found or started.
	ErrPluginStart = errors.New("plugin unusable")
)

// Run segments every series under opts.Inputs with one plugin and writes
// the outputs under opts.OutDir. The pipeline, top to bottom:
//
//  1. scan the inputs (DICOM series, NIfTI files, 2D images);
//  2. keep the series that Options.Series and Options.Shard select;
//  3. start the plugin and check Options.Params against its description;
//  4. run the series, Jobs at a time within the memory budget, each job
//     slot with its own plugin process: skip a series whose folder already
//     holds a complete result, stream its slices through the plugin into a
//     label volume, write the outputs to a staging folder, move them into
//     place and write report.json last;
//  5. stop the plugins and return the report.
//
// A series that fails (not a volume, a slice the plugin could not segment,
// a plugin crash, a write error) fails alone; the report says why. The
// error is non-nil only for the batch as a whole: bad options, no series,
// a plugin that cannot be started or rejects the parameters, or ctx ending
// (the report then holds what was done, and cancelled series left nothing
// behind).
func Run(ctx context.Context, opts Options) (*Report, error) {
	b, err := newBatch(opts)
	if err != nil {
		return nil, err
	}
	rep := &Report{Started: b.start, Series: []SeriesReport{}, Skipped: []SkippedInput{}}
	defer func() { rep.Duration = time.Since(b.start) }()

	// 1. Scan.
	units, skipped, err := gather(ctx, &b.opts)
	if err != nil {
		return rep, err
	}
	rep.Skipped = append(rep.Skipped, skipped...)
	if len(units) == 0 {
		return rep, fmt.Errorf("%w in %s (%d files skipped)", ErrNoSeries, strings.Join(b.opts.Inputs, ", "), len(skipped))
	}
	if err := assignDirs(units, b.opts.OutDir); err != nil {
		return rep, err
	}
	rep.Found = len(units)

	// 2. Filter and shard.
	sel, err := selectUnits(units, b.opts.Series, b.opts.Shard)
	if err != nil {
		return rep, err
	}

	// 3. Plugin and parameters.
	defer b.closePlugins() // also when the parameters are refused
	spec := pluginSpec{name: b.opts.Plugin, dirs: b.opts.PluginDirs, sha256: b.opts.PluginSHA256, impl: b.opts.Segmenter,
		jobs: b.opts.Jobs, threads: b.threads, logger: b.logger,
		startTimeout: b.opts.StartTimeout, inactivityTimeout: b.opts.InactivityTimeout, params: b.opts.Params}
	if err := b.startPlugins(ctx, spec); err != nil {
		return rep, err
	}
	rep.Plugin, rep.Params = b.plugin, b.params

	// 4. Series.
	b.emit(Event{Kind: EventBatchStarted, Found: len(units), Total: len(sel), SkippedInputs: len(rep.Skipped)})
	results := make([]SeriesReport, len(sel))
	started := make([]bool, len(sel))
	work := make(chan int)
	g, gctx := errgroup.WithContext(ctx)
	for w := range b.slots {
		g.Go(func() error {
			for i := range work {
				results[i] = b.series(gctx, b.slots[w], sel[i], i+1, len(sel))
			}
			return nil
		})
	}
feed:
	for i := range sel {
		select {
		case work <- i:
			started[i] = true
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	g.Wait()
	for i, u := range sel {
		if !started[i] {
			results[i] = b.newSeriesReport(u)
			results[i].Outcome, results[i].Error = OutcomeCancelled, "not started: the batch was interrupted"
		}
	}
	rep.Series = results

	// 5. Done.
	rep.Cancelled = ctx.Err() != nil
	b.emit(Event{Kind: EventBatchDone, Found: len(units), Total: len(sel),
		OK: rep.Count(OutcomeOK), Failed: rep.Count(OutcomeFailed), Skipped: rep.Count(OutcomeSkipped),
		Cancelled: rep.Cancelled, Seconds: time.Since(b.start).Seconds()})
	if rep.Cancelled {
		return rep, fmt.Errorf("batch interrupted: %w", context.Cause(ctx))
	}
	return rep, nil
}

// batch is the state of one Run.
type batch struct {
	opts    Options
	start   time.Time
	threads int
	budget  int64
	mem     *semaphore.Weighted
	seg     SEGWriter
	logger  *slog.Logger
	warn    []string // about the batch, repeated in every series report

	pool

	emitMu sync.Mutex
}

// newBatch checks opts and fills in defaults.
func newBatch(opts Options) (*batch, error) {
	b := &batch{opts: opts, start: time.Now()}
	o := &b.opts
	if len(o.Inputs) == 0 {
		return nil, fmt.Errorf("%w: no inputs", ErrOptions)
	}
	if o.OutDir == "" {
		return nil, fmt.Errorf("%w: no output folder", ErrOptions)
	}
	out, err := filepath.Abs(o.OutDir)
	if err != nil {
		return nil, err
	}
	o.OutDir = out
	if o.Plugin == "" {
		o.Plugin = DefaultPlugin
	}
	if len(o.Formats) == 0 {
		o.Formats = DefaultFormats
	}
	for _, f := range o.Formats {
		if _, err := ParseFormats(string(f)); err != nil {
			return nil, err
		}
	}
	if err := o.Shard.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	if o.Jobs < 0 || o.Threads < 0 {
		return nil, fmt.Errorf("%w: jobs and threads cannot be negative", ErrOptions)
	}
	var warn []string
	o.Jobs, b.threads, warn = cpuShare(o.Jobs, o.Threads)
	b.warn = append(b.warn, warn...)
	b.budget = o.MemoryBudget
	if b.budget <= 0 {
		b.budget = DefaultMemoryBudget
	}
	b.mem = semaphore.NewWeighted(b.budget)
	b.seg = o.SEG
	if b.seg == nil {
		b.seg = defaultSEG
	}
	b.logger = o.Logger
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	if o.PreviewTiles <= 0 {
		o.PreviewTiles = defaultPreviewTiles
	}
	if o.ToolVersion == "" {
		o.ToolVersion = "dev"
	}
	if o.PluginSHA256 != "" {
		if _, err := parseSHA256(o.PluginSHA256); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// selectUnits keeps the series named in filter (all when empty) that the
// shard selects.
func selectUnits(units []*unit, filter []string, shard Shard) ([]*unit, error) {
	want := map[string]bool{}
	for _, s := range filter {
		want[s] = false
	}
	var out []*unit
	for _, u := range units {
		if len(want) > 0 {
			uid := u.key
			if u.dicom != nil && u.dicom.SeriesInstanceUID != "" {
				uid = u.dicom.SeriesInstanceUID
			}
			_, byUID := want[uid]
			_, byKey := want[u.key]
			if !byUID && !byKey {
				continue
			}
			want[uid], want[u.key] = true, true
		}
		if shard.Selects(u.key) {
			out = append(out, u)
		}
	}
	for _, s := range filter {
		if !want[s] {
			return nil, fmt.Errorf("%w: %s is not among the inputs", ErrSeriesNotFound, s)
		}
	}
	return out, nil
}

// emit delivers an event to the handler, one at a time.
func (b *batch) emit(e Event) {
	if b.opts.Events == nil {
		return
	}
	e.Time = time.Now()
	b.emitMu.Lock()
	defer b.emitMu.Unlock()
	b.opts.Events(e)
}

func (b *batch) newSeriesReport(u *unit) SeriesReport {
	r := SeriesReport{
		Format:      ReportFormat,
		Tool:        "mmcseg",
		ToolVersion: b.opts.ToolVersion,
		Key:         u.key,
		Source:      u.source,
		Modality:    u.info.Modality,
		Description: u.info.Description,
		Dir:         u.dir,
		Inputs:      u.inputs,
		Rows:        u.info.Rows,
		Columns:     u.info.Columns,
		Slices:      u.info.Slices,
		Plugin:      b.plugin,
		Params:      b.params,
		Formats:     b.opts.Formats,
		Warnings:    append(slices.Clone(b.warn), u.warnings...),
		Segments:    []SegmentReport{},
		Outputs:     []Output{},
	}
	if s := u.dicom; s != nil {
		r.SeriesInstanceUID, r.StudyInstanceUID, r.PatientID = s.SeriesInstanceUID, s.StudyInstanceUID, s.PatientID
	}
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
	return r
}

// series runs one series start to end and reports how it went. It never
// fails the batch.
func (b *batch) series(ctx context.Context, sl *slot, u *unit, index, total int) (r SeriesReport) {
	t0 := time.Now()
	r = b.newSeriesReport(u)
	r.Started = t0
	ev := Event{Series: u.key, Index: index, Slices: u.info.Slices}
	var held int64 // memory held from the budget
	// series_started goes out once the series holds its memory and
	// really starts, or just before series_done when it ends earlier.
	begun := false
	begin := func() {
		if !begun {
			begun = true
			start := ev
			start.Kind, start.Dir, start.Description, start.Modality = EventSeriesStarted, u.dir, u.info.Description, u.info.Modality
			b.emit(start)
		}
	}
	defer func() {
		if r.Outcome != OutcomeSkipped {
			r.Timings.Total = time.Since(t0).Seconds()
		}
		begin()
		done := ev
		done.Kind, done.Result = EventSeriesDone, &r
		b.emit(done)
		// Released only now, so that no series starts before this one
		// has said it is done.
		if held > 0 {
			b.mem.Release(held)
		}
	}()
	fail := func(err error) SeriesReport {
		r.Outcome, r.Error = OutcomeFailed, err.Error()
		if ctx.Err() != nil {
			r.Outcome, r.Error = OutcomeCancelled, "interrupted: nothing was written for this series"
		}
		return r
	}

	// An earlier complete result stands unless --force.
	if prev, err := ReadSeriesReport(filepath.Join(u.dir, ReportName)); err == nil && !b.opts.Force {
		why, conflict := completeness(prev, b.plugin, b.params, b.opts.Formats)
		switch {
		case why == "":
			r = *prev
			r.Dir, r.Outcome = u.dir, OutcomeSkipped
			return r
		case conflict:
			return fail(fmt.Errorf("%s already holds a complete result, but %s; use --force to replace it", u.dir, why))
		}
	}
	if u.bad != nil {
		return fail(u.bad)
	}
	info := u.info
	info.Threads = b.threads
	if err := b.desc.CheckSeries(info); err != nil {
		hint := ""
		if u.source != SourceDICOM && b.opts.Modality == "" {
			hint = " (NIfTI and image files carry no modality: say which with --modality, e.g. CT)"
		}
		return fail(fmt.Errorf("plugin %s does not take this series: %w%s", b.desc.Name, err, hint))
	}

	// Memory: a series larger than the whole budget runs alone.
	need := min(u.estimate(), b.budget)
	if err := b.mem.Acquire(ctx, need); err != nil {
		return fail(err)
	}
	held = need
	begin()

	src, err := openSource(ctx, u, b.opts.Image)
	if err != nil {
		return fail(err)
	}
	info.Format = src.format()

	// Segment: slices stream through the plugin into the label volume.
	tSeg := time.Now()
	sliceLen := info.Rows * info.Columns
	labels := make([]uint8, sliceLen*info.Slices)
	done := 0
	p, err := sl.plugin(ctx)
	if err != nil {
		return fail(fmt.Errorf("starting plugin %s again: %w", b.desc.Name, err))
	}
	res, err := p.Segment(ctx, sdk.SegmentRequest{
		Series: info,
		Params: b.params,
		Slice:  src.slice,
		OnMask: func(m sdk.Mask) error {
			if m.Index < 0 || m.Index >= info.Slices || len(m.Labels) != sliceLen {
				return fmt.Errorf("mask for slice %d does not fit the series", m.Index)
			}
			copy(labels[m.Index*sliceLen:], m.Labels)
			done++
			e := ev
			e.Kind, e.Slice, e.Done, e.Fraction = EventSliceDone, m.Index, done, float64(done)/float64(info.Slices)
			b.emit(e)
			return nil
		},
		OnProgress: func(pr sdk.Progress) {
			e := ev
			e.Kind, e.Slice, e.Iteration, e.Iterations, e.Fraction, e.Message = EventProgress, pr.Slice, pr.Iteration, pr.Iterations, pr.Fraction, pr.Message
			b.emit(e)
		},
	})
	r.Timings.Segment = time.Since(tSeg).Seconds()
	if err != nil {
		sl.failed(err)
		return fail(err)
	}
	r.Warnings = append(r.Warnings, res.Warnings...)
	if n := len(res.SliceErrors); n > 0 {
		var msgs []string
		for i, se := range res.SliceErrors {
			if i == 3 {
				msgs = append(msgs, fmt.Sprintf("and %d more", n-3))
				break
			}
			msgs = append(msgs, fmt.Sprintf("slice %d: %s", se.Index, se.Message))
		}
		return fail(fmt.Errorf("plugin %s could not segment %d of %d slices (%s); nothing was written", b.desc.Name, n, info.Slices, strings.Join(msgs, "; ")))
	}
	segs := b.desc.SegmentsFor(info.Modality, info.Format)
	r.Segments = segmentVolumes(labels, segs, u.grid)

	// Write: outputs into a staging folder, then into place, report last.
	tWrite := time.Now()
	if err := os.MkdirAll(u.dir, 0o755); err != nil {
		return fail(err)
	}
	removeStaleStaging(u.dir)
	staging, err := os.MkdirTemp(u.dir, stagingPrefix)
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(staging) // gone after a commit; cleans up otherwise
	outs, warns, err := writeOutputs(ctx, staging, outputJob{
		u: u, src: src, labels: labels, segments: segs, formats: b.opts.Formats, seg: b.seg, tiles: b.opts.PreviewTiles,
		meta: SEGMeta{PluginName: b.plugin.Name, PluginVersion: b.plugin.Version, ToolVersion: b.opts.ToolVersion,
			SeriesDescription: "mmcseg " + b.plugin.Name},
	})
	if err != nil {
		return fail(err)
	}
	r.Warnings = append(r.Warnings, warns...)
	if len(outs) == 0 && !slices.ContainsFunc(r.Segments, func(s SegmentReport) bool { return s.Voxels > 0 }) && len(r.Segments) > 0 {
		// An empty mask with only SEG asked for: the SEG writer's policy
		// is no SEG, and that is the result.
		r.Warnings = append(r.Warnings, "the mask is empty: no output written")
	} else if len(outs) == 0 {
		return fail(fmt.Errorf("none of the formats asked for (%s) applies to this series", joinFormats(b.opts.Formats)))
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	// From here on the series is committed whatever ctx does: a few
	// renames and one small file.
	names := make([]string, len(outs))
	for i, o := range outs {
		names[i] = o.Path
	}
	if err := commitStaged(staging, u.dir, names); err != nil {
		return fail(fmt.Errorf("moving the outputs into %s: %w", u.dir, err))
	}
	r.Outputs = outs
	r.Outcome = OutcomeOK
	r.Timings.Write = time.Since(tWrite).Seconds()
	r.Timings.Total = time.Since(t0).Seconds()
	stored := r
	stored.Dir = ""
	data, err := json.MarshalIndent(stored, "", "  ")
	if err == nil {
		err = writeFileAtomic(filepath.Join(u.dir, ReportName), append(data, '\n'))
	}
	if err != nil {
		r.Outputs = nil
		return fail(fmt.Errorf("writing %s: %w", ReportName, err))
	}
	return r
}

func joinFormats(fs []Format) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ",")
}
