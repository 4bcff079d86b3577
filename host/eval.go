package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mmcseg/mmcseg/sdk"
)

// Evaluation: Evaluate runs a plugin on pairs of 2D images and reference
// masks through the normal plugin path (discovery, sdk.Open, parameters
// checked against Describe, one plugin process per job) and scores its
// masks, under our deployable protocol, the authors' ground-truth-assisted
// protocol, or both. The pipeline, top to bottom:
//
//  1. pair the images with their masks (PairImages), keep the first Limit;
//  2. start the plugin, resolve the parameters, check it can give the
//     cluster maps the paper protocol needs;
//  3. for each pair, Jobs at a time: reuse the record an earlier run left
//     in OutDir (same plugin, version, parameters and input settings), or
//     segment the image and write its record (mask, cluster maps, timings)
//     atomically; then score it against the reference;
//  4. write metrics.json and metrics.csv after every image, and the montage
//     of the worst cases at the end.

// EvalProtocol chooses what Evaluate measures.
type EvalProtocol string

const (
	// EvalDeployable scores the plugin's own mask at the input's size
	// against the reference: what a user without ground truth gets.
	EvalDeployable EvalProtocol = "deployable"
	// EvalPaper scores the authors' protocol (method doc §6): the cluster
	// chosen with the ground truth, cut to the dilated ground truth, at the
	// working size. It needs the plugin's "clusters@work" map.
	EvalPaper EvalProtocol = "paper"
	// EvalBoth does both.
	EvalBoth EvalProtocol = "both"
)

// The keys of EvalImage.Scores and EvalReport.Means: how each set of
// scores was obtained.
const (
	// ScoreDeployable: the plugin's mask vs the reference, at the input's
	// size (reference: non-zero = foreground).
	ScoreDeployable = "deployable"
	// ScoreDeployableWork: the plugin's mask (as 0/255) vs the reference,
	// both resized to the working size and binarised as the authors treat
	// the ground truth; computed with the paper protocol, to separate the
	// effect of the cluster choice from that of the resolution.
	ScoreDeployableWork = "deployable_work"
	// ScorePaper: the authors' protocol exactly (label 0 never chosen).
	ScorePaper = "paper"
	// ScorePaperLabel0: the same with our correction: label 0 may be
	// chosen like any other cluster.
	ScorePaperLabel0 = "paper_label0"
)

// ScoreKeys are the score keys in the order tables list them.
var ScoreKeys = []string{ScoreDeployable, ScoreDeployableWork, ScorePaper, ScorePaperLabel0}

// ErrEval reports an evaluation that cannot run as asked.
var ErrEval = errors.New("cannot evaluate")

// EvalOptions configure Evaluate. Images and Masks are required; the zero
// value of everything else is a sensible default.
type EvalOptions struct {
	// Images and Masks are the folders of images and reference masks.
	Images, Masks string
	// Pairing selects the images and names their masks.
	Pairing Pairing
	// Limit evaluates only the first Limit pairs in name order (0: all).
	Limit int

	// Plugin, PluginSHA256, Params and PluginDirs are as in Options.
	Plugin       string
	PluginSHA256 string
	Params       map[string]string
	PluginDirs   []SearchDir

	// Protocol is EvalDeployable when empty.
	Protocol EvalProtocol

	// Modality is given to the plugin ("" sends "OT"). Offset is added to
	// the values of unsigned 16-bit grey images (−32768 for the lung-ct-2d
	// PNGs, which store CT + 32768); signed TIFF values are used as they
	// are. Neither is ever guessed.
	Modality string
	Offset   float64

	// Jobs and Threads are as in Options: Jobs images at once, each job
	// with its own plugin process, Jobs × Threads never above the CPUs.
	Jobs, Threads int

	// OutDir, if set, keeps a record per image (OutDir/images/NAME/:
	// result.json, mask.png, clusters.png, clusters-work.png) so that a
	// rerun resumes, and receives metrics.json, metrics.csv, table.md and
	// worst.png.
	OutDir string
	// Force recomputes images that have a usable record.
	Force bool
	// WorstTiles is how many of the worst images worst.png shows; 0 means
	// 8, negative none.
	WorstTiles int

	// Dataset names the data in the report (e.g. "ph2"); informational.
	Dataset string

	// Events receives progress; nil ignores it. Calls come one at a time.
	Events func(EvalEvent)
	// Logger receives the plugins' logs; nil discards them.
	Logger *slog.Logger
	// StartTimeout and InactivityTimeout are passed to the plugin client.
	StartTimeout, InactivityTimeout time.Duration
	// ToolVersion is recorded in the report ("dev" when empty).
	ToolVersion string
}

// EvalEventKind names an evaluation event.
type EvalEventKind string

const (
	// EvalStarted: the pairs are known and the plugin runs.
	EvalStarted EvalEventKind = "started"
	// EvalProgress: the plugin reported progress on an image.
	EvalProgress EvalEventKind = "progress"
	// EvalImageDone: an image is scored (or failed).
	EvalImageDone EvalEventKind = "image_done"
)

// EvalEvent is one step of an evaluation.
type EvalEvent struct {
	Kind EvalEventKind
	// Done of Total images are finished (scored or failed); Reused of them
	// came from earlier records, Failed failed.
	Done, Total, Reused, Failed int
	// Elapsed since the start; ETA of the remaining images, from the
	// images computed (not reused) so far (0 when unknown).
	Elapsed, ETA time.Duration
	// Image is the finished image (EvalImageDone).
	Image *EvalImage
	// Name, Iteration, Iterations and Message: plugin progress on the
	// image Name (EvalProgress).
	Name                  string
	Iteration, Iterations int
	Message               string
}

// EvalImage is the result for one pair.
type EvalImage struct {
	EvalPair
	Width  int `json:"width"`
	Height int `json:"height"`
	// Error says why the image could not be scored; "" when it was.
	Error string `json:"error,omitempty"`
	// Reused marks an image whose plugin output came from an earlier
	// run's record.
	Reused bool `json:"reused"`
	// Seconds is the plugin's wall time on the image; Steps the last
	// progress iteration it reported before finishing (MMCFormer: its
	// optimisation steps); Message its last progress message.
	Seconds float64 `json:"seconds"`
	Steps   int     `json:"steps"`
	Message string  `json:"message,omitempty"`
	// Scores by key (ScoreDeployable, …).
	Scores map[string]Scores `json:"scores"`
	// WorkSize is the side of the working-size map the paper protocol
	// used (rows × columns when not square: WorkRows, WorkColumns).
	WorkRows    int `json:"work_rows,omitempty"`
	WorkColumns int `json:"work_columns,omitempty"`
	// PaperCluster and PaperClusterLabel0 are the clusters the two paper
	// variants chose (-1: none qualified, the mask is empty).
	PaperCluster       *int     `json:"paper_cluster,omitempty"`
	PaperClusterLabel0 *int     `json:"paper_cluster_label0,omitempty"`
	Warnings           []string `json:"warnings"`
	// Record is the image's record folder, relative to OutDir.
	Record string `json:"record,omitempty"`
}

// EvalStat is the mean and sample standard deviation (n − 1) of one metric
// over the images where it is defined; Undefined counts the scored images
// where it is not (NaN).
type EvalStat struct {
	Mean      Score `json:"mean"`
	Std       Score `json:"std"`
	N         int   `json:"n"`
	Undefined int   `json:"undefined"`
}

// EvalMachine describes where an evaluation ran.
type EvalMachine struct {
	CPU  string `json:"cpu"`
	CPUs int    `json:"cpus"`
	OS   string `json:"os"`
	Go   string `json:"go"`
	// LoadStart and LoadEnd are /proc/loadavg at the start and the end.
	LoadStart string `json:"load_start,omitempty"`
	LoadEnd   string `json:"load_end,omitempty"`
}

// EvalReportFormat is the "format" of metrics.json.
const EvalReportFormat = "mmcseg-eval/1"

// EvalReport is the result of Evaluate, written as metrics.json.
type EvalReport struct {
	Format      string    `json:"format"`
	ToolVersion string    `json:"tool_version"`
	Started     time.Time `json:"started"`
	Seconds     float64   `json:"seconds"`
	// Complete is false while images are still missing (an interrupted
	// or running evaluation).
	Complete bool `json:"complete"`

	Dataset  string  `json:"dataset,omitempty"`
	Images   string  `json:"images_dir"`
	Masks    string  `json:"masks_dir"`
	Pairing  Pairing `json:"pairing"`
	Modality string  `json:"modality"`
	Offset   float64 `json:"offset"`
	Limit    int     `json:"limit,omitempty"`

	Plugin PluginInfo        `json:"plugin"`
	Params map[string]string `json:"params"`
	// Key identifies plugin, version, parameters and input settings:
	// records with another key are not reused.
	Key      string       `json:"key"`
	Protocol EvalProtocol `json:"protocol"`
	// ScoreKeys are the keys of the scores computed, in table order.
	ScoreKeys []string `json:"score_keys"`
	// Units of the metrics: DSC, HM and XOR are fractions, HD and HD95
	// pixels.
	Units map[string]string `json:"units"`

	Jobs    int         `json:"jobs"`
	Threads int         `json:"threads"`
	Machine EvalMachine `json:"machine"`

	// Pairs is how many pairs were selected; Unmatched lists images
	// without a mask (not evaluated).
	Pairs     int      `json:"pairs"`
	Unmatched []string `json:"unmatched"`
	// Scored, Failed and Reused count images; Scored includes Reused.
	Scored int `json:"scored"`
	Failed int `json:"failed"`
	Reused int `json:"reused"`
	// SecondsMean and StepsMean are means over the scored images of the
	// plugin's time and steps (reused images keep their recorded values).
	SecondsMean float64 `json:"seconds_mean"`
	StepsMean   float64 `json:"steps_mean"`
	// Means by score key, then metric name.
	Means map[string]map[string]EvalStat `json:"means"`
	// PerImage holds every selected pair in name order.
	PerImage []EvalImage `json:"images"`
	Warnings []string    `json:"warnings"`
}

// Evaluate runs the evaluation opts describes. The error is non-nil for the
// evaluation as a whole (bad options, no pairs, a plugin that cannot start
// or give what the protocol needs, ctx ending); single images that fail are
// in the report.
func Evaluate(ctx context.Context, opts EvalOptions) (*EvalReport, error) {
	e, err := newEvaluation(opts)
	if err != nil {
		return nil, err
	}
	defer e.closePlugins()
	if err := e.start(ctx); err != nil {
		return nil, err
	}
	e.emit(EvalEvent{Kind: EvalStarted})

	work := make(chan int)
	g, gctx := errgroup.WithContext(ctx)
	for _, sl := range e.slots {
		g.Go(func() error {
			for i := range work {
				img := e.one(gctx, sl, i)
				e.finish(i, img)
			}
			return nil
		})
	}
feed:
	for i := range e.pairs {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	_ = g.Wait()

	e.mu.Lock()
	defer e.mu.Unlock()
	rep := e.report()
	if e.opts.OutDir != "" {
		if err := e.writeAggregate(rep); err != nil {
			return rep, err
		}
		if e.opts.WorstTiles >= 0 && ctx.Err() == nil {
			if err := writeWorstMontage(filepath.Join(e.opts.OutDir, evalWorstName), rep, e.opts.WorstTiles, e.opts.Offset); err != nil {
				rep.Warnings = append(rep.Warnings, "worst-case montage: "+err.Error())
			}
		}
	}
	if ctx.Err() != nil {
		return rep, fmt.Errorf("evaluation interrupted after %d of %d images: %w", rep.Scored+rep.Failed, rep.Pairs, context.Cause(ctx))
	}
	return rep, nil
}

// evaluation is the state of one Evaluate call.
type evaluation struct {
	opts      EvalOptions
	begin     time.Time
	threads   int
	pairs     []EvalPair
	unmatched []string
	warn      []string
	machine   EvalMachine

	pool
	key     string
	wantAux []string

	mu       sync.Mutex
	results  []*EvalImage
	done     int
	computed int
	reused   int
	failed   int
	busy     time.Duration // wall time of computed images, summed
}

func newEvaluation(opts EvalOptions) (*evaluation, error) {
	e := &evaluation{opts: opts, begin: time.Now()}
	o := &e.opts
	if o.Images == "" || o.Masks == "" {
		return nil, fmt.Errorf("%w: the images and masks folders are both needed", ErrEval)
	}
	switch o.Protocol {
	case "":
		o.Protocol = EvalDeployable
	case EvalDeployable, EvalPaper, EvalBoth:
	default:
		return nil, fmt.Errorf("%w: protocol %q (deployable, paper or both)", ErrEval, o.Protocol)
	}
	if o.Jobs < 0 || o.Threads < 0 || o.Limit < 0 {
		return nil, fmt.Errorf("%w: jobs, threads and limit cannot be negative", ErrEval)
	}
	if math.IsNaN(o.Offset) || math.IsInf(o.Offset, 0) {
		return nil, fmt.Errorf("%w: offset %v", ErrEval, o.Offset)
	}
	if o.Plugin == "" {
		o.Plugin = DefaultPlugin
	}
	if o.WorstTiles == 0 {
		o.WorstTiles = 8
	}
	if o.ToolVersion == "" {
		o.ToolVersion = "dev"
	}
	if o.PluginSHA256 != "" {
		if _, err := parseSHA256(o.PluginSHA256); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrEval, err)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var warn []string
	o.Jobs, e.threads, warn = cpuShare(o.Jobs, o.Threads)
	e.warn = append(e.warn, warn...)
	pairs, unmatched, err := PairImages(o.Images, o.Masks, o.Pairing)
	if err != nil {
		return nil, err
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("%w: no image in %s has a mask in %s (%d images without one)", ErrPairs, o.Images, o.Masks, len(unmatched))
	}
	if o.Limit > 0 && o.Limit < len(pairs) {
		pairs = pairs[:o.Limit]
	}
	if len(unmatched) > 0 {
		e.warn = append(e.warn, fmt.Sprintf("%d images have no mask and were not evaluated", len(unmatched)))
	}
	e.pairs, e.unmatched = pairs, unmatched
	e.results = make([]*EvalImage, len(pairs))
	e.machine = evalMachineInfo()
	return e, nil
}

// paper reports whether the paper protocol is asked for.
func (e *evaluation) paper() bool { return e.opts.Protocol != EvalDeployable }

// start finds and starts the plugin, resolves the parameters and checks
// that it provides what the protocol needs.
func (e *evaluation) start(ctx context.Context) error {
	o := &e.opts
	spec := pluginSpec{name: o.Plugin, dirs: o.PluginDirs, sha256: o.PluginSHA256, jobs: o.Jobs, threads: e.threads,
		logger: o.Logger, startTimeout: o.StartTimeout, inactivityTimeout: o.InactivityTimeout, params: o.Params}
	if err := e.startPlugins(ctx, spec); err != nil {
		return err
	}
	if e.paper() {
		if !slices.Contains(e.desc.AuxMaps, sdk.AuxClustersWork) {
			return fmt.Errorf("%w: the paper protocol needs the plugin's cluster map (%q), and plugin %s %s does not provide it; use --protocol deployable",
				ErrEval, sdk.AuxClustersWork, e.desc.Name, e.desc.Version)
		}
		e.wantAux = []string{sdk.AuxClustersWork}
	}
	if slices.Contains(e.desc.AuxMaps, sdk.AuxClusters) {
		// Kept with every record for later analysis (issue 13): the map
		// the plugin's own rule chose from, at the input's size.
		e.wantAux = append(e.wantAux, sdk.AuxClusters)
	}
	e.key = evalKey(e.plugin, e.params, e.modality(), o.Offset)
	if o.OutDir != "" {
		if err := os.MkdirAll(filepath.Join(o.OutDir, evalRecordsDir), 0o755); err != nil {
			return fmt.Errorf("%w: %w", ErrEval, err)
		}
	}
	return nil
}

func (e *evaluation) modality() string {
	if e.opts.Modality == "" {
		return "OT"
	}
	return e.opts.Modality
}

// evalKey hashes what decides a plugin's output: plugin name and version,
// every parameter, and how the images reach it.
func evalKey(p PluginInfo, params map[string]string, modality string, offset float64) string {
	h := sha256.New()
	fmt.Fprintf(h, "plugin %s %s\nmodality %s\noffset %g\n", p.Name, p.Version, modality, offset)
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(h, "param %s=%s\n", k, params[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func (e *evaluation) emit(ev EvalEvent) {
	if e.opts.Events == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.emitLocked(ev)
}

func (e *evaluation) emitLocked(ev EvalEvent) {
	if e.opts.Events == nil {
		return
	}
	ev.Done, ev.Total, ev.Reused, ev.Failed = e.done, len(e.pairs), e.reused, e.failed
	ev.Elapsed = time.Since(e.begin)
	if e.computed > 0 {
		// The plugin's mean time per computed image, spread over the jobs.
		per := e.busy / time.Duration(e.computed) / time.Duration(len(e.slots))
		ev.ETA = per * time.Duration(len(e.pairs)-e.done)
	}
	e.opts.Events(ev)
}

// finish records an image's result, tells the handler and keeps the
// aggregate files current after each image the plugin ran on (an image
// taken from its record changes nothing a crash could lose; the end of
// Evaluate writes them anyway).
func (e *evaluation) finish(i int, img *EvalImage) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.results[i] = img
	e.done++
	switch {
	case img.Error != "":
		e.failed++
	case img.Reused:
		e.reused++
	default:
		e.computed++
		e.busy += time.Duration(img.Seconds * float64(time.Second))
	}
	e.emitLocked(EvalEvent{Kind: EvalImageDone, Image: img})
	if e.opts.OutDir != "" && !img.Reused {
		if err := e.writeAggregate(e.report()); err != nil {
			e.opts.Logger.Warn("writing the metrics", "error", err)
		}
	}
}

// one evaluates pair i: reuse or compute the plugin's output, then score.
func (e *evaluation) one(ctx context.Context, sl *slot, i int) *EvalImage {
	pair := e.pairs[i]
	img := &EvalImage{EvalPair: pair, Scores: map[string]Scores{}, Warnings: []string{}}
	fail := func(err error) *EvalImage {
		img.Error = err.Error()
		if ctx.Err() != nil {
			img.Error = "interrupted"
		}
		return img
	}
	var out *evalOutput
	dir := ""
	if e.opts.OutDir != "" {
		img.Record = filepath.Join(evalRecordsDir, SanitizeComponent(pair.Name, "image"))
		dir = filepath.Join(e.opts.OutDir, img.Record)
		if !e.opts.Force {
			if o, err := loadEvalRecord(dir, e.key, e.wantAux); err == nil {
				out = o
				img.Reused = true
			}
		}
	}
	if out == nil {
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
		o, err := e.segment(ctx, sl, pair)
		if err != nil {
			return fail(err)
		}
		out = o
		if dir != "" {
			if err := saveEvalRecord(dir, out); err != nil {
				return fail(fmt.Errorf("%s: writing its record: %w", pair.Name, err))
			}
		}
	}
	img.Width, img.Height = out.rec.Width, out.rec.Height
	img.Seconds, img.Steps, img.Message = out.rec.Seconds, out.rec.Steps, out.rec.Message
	img.Warnings = append(img.Warnings, out.rec.Warnings...)
	if err := e.score(img, out); err != nil {
		return fail(err)
	}
	return img
}

// segment runs the plugin on one image.
func (e *evaluation) segment(ctx context.Context, sl *slot, pair EvalPair) (*evalOutput, error) {
	im, err := readEvalImage(pair.Image, e.opts.Offset)
	if err != nil {
		return nil, err
	}
	info := sdk.SeriesInfo{
		UID: "eval:" + pair.Name, Modality: e.modality(), Description: filepath.Base(pair.Image),
		Format: im.format, Rows: im.h, Columns: im.w, Slices: 1, Threads: e.threads, WantAux: e.wantAux,
	}
	if err := e.desc.CheckSeries(info); err != nil {
		return nil, fmt.Errorf("%s: plugin %s does not take it: %w", pair.Name, e.desc.Name, err)
	}
	p, err := sl.plugin(ctx)
	if err != nil {
		return nil, fmt.Errorf("starting plugin %s again: %w", e.desc.Name, err)
	}
	out := &evalOutput{rec: evalRecord{
		Format: evalRecordFormat, Name: pair.Name, Image: pair.Image, Mask: pair.Mask,
		Width: im.w, Height: im.h, PixelFormat: im.format.String(), Modality: info.Modality, Offset: e.opts.Offset,
		Plugin: e.plugin, Params: e.params, Key: e.key, Warnings: []string{},
	}}
	t0 := time.Now()
	res, err := p.Segment(ctx, sdk.SegmentRequest{
		Series: info,
		Params: e.params,
		Slice:  func(context.Context, int) (sdk.Slice, error) { return im.slice(), nil },
		OnMask: func(m sdk.Mask) error {
			out.mask = m.Labels
			out.aux = m.Aux
			return nil
		},
		OnProgress: func(pr sdk.Progress) {
			if pr.Iterations > 0 && pr.Iteration < pr.Iterations {
				out.rec.Steps = max(out.rec.Steps, pr.Iteration)
			}
			out.rec.Message = pr.Message
			e.emit(EvalEvent{Kind: EvalProgress, Name: pair.Name, Iteration: pr.Iteration, Iterations: pr.Iterations, Message: pr.Message})
		},
	})
	out.rec.Seconds = time.Since(t0).Seconds()
	if err != nil {
		sl.failed(err)
		return nil, fmt.Errorf("%s: %w", pair.Name, err)
	}
	if len(res.SliceErrors) > 0 {
		return nil, fmt.Errorf("%s: plugin %s could not segment it: %s", pair.Name, e.desc.Name, res.SliceErrors[0].Message)
	}
	if out.mask == nil {
		return nil, fmt.Errorf("%s: plugin %s sent no mask", pair.Name, e.desc.Name)
	}
	out.rec.Warnings = append(out.rec.Warnings, res.Warnings...)
	for _, name := range e.wantAux {
		if _, ok := out.auxMap(name); !ok {
			return nil, fmt.Errorf("%s: plugin %s sent no %q map although it declares one", pair.Name, e.desc.Name, name)
		}
	}
	out.rec.Finished = time.Now().UTC()
	return out, nil
}

// score computes the image's scores from the plugin's output.
func (e *evaluation) score(img *EvalImage, out *evalOutput) error {
	gt, gw, gh, err := readGroundTruth(img.Mask)
	if err != nil {
		return err
	}
	w, h := out.rec.Width, out.rec.Height
	if gw != w || gh != h {
		return fmt.Errorf("%s: the mask %s is %d×%d, the image %d×%d", img.Name, img.Mask, gw, gh, w, h)
	}
	if len(out.mask) != w*h {
		return fmt.Errorf("%s: the plugin's mask has %d labels for %d×%d pixels", img.Name, len(out.mask), w, h)
	}
	ref := Binarize(gt)
	pred := Binarize(out.mask)
	if img.Scores[ScoreDeployable], err = CompareMasks(pred, ref, w, h); err != nil {
		return err
	}
	if !e.paper() {
		return nil
	}
	work, ok := out.auxMap(sdk.AuxClustersWork)
	if !ok {
		return fmt.Errorf("%s: no %q map", img.Name, sdk.AuxClustersWork)
	}
	sw, sh := work.Columns, work.Rows
	img.WorkRows, img.WorkColumns = sh, sw
	refS := Binarize(ResizeLinear8(gt, w, h, sw, sh))
	for _, v := range []struct {
		key   string
		zero  bool
		store **int
	}{{ScorePaper, false, &img.PaperCluster}, {ScorePaperLabel0, true, &img.PaperClusterLabel0}} {
		cls, ok := PaperCluster(work.Labels, refS, v.zero)
		var mask []uint8
		if ok {
			mask = PaperMask(work.Labels, refS, sw, sh, cls)
		} else {
			mask = make([]uint8, sw*sh)
			cls = -1
			img.Warnings = append(img.Warnings, fmt.Sprintf("%s: no cluster qualifies inside the ground truth; the mask is empty", v.key))
		}
		*v.store = &cls
		if img.Scores[v.key], err = CompareMasks(mask, refS, sw, sh); err != nil {
			return err
		}
	}
	pred255 := make([]uint8, w*h)
	for i, v := range pred {
		pred255[i] = 255 * v
	}
	predS := Binarize(ResizeLinear8(pred255, w, h, sw, sh))
	img.Scores[ScoreDeployableWork], err = CompareMasks(predS, refS, sw, sh)
	return err
}

// report summarises the results so far. Called with e.mu held.
func (e *evaluation) report() *EvalReport {
	o := e.opts
	rep := &EvalReport{
		Format: EvalReportFormat, ToolVersion: o.ToolVersion, Started: e.begin, Seconds: time.Since(e.begin).Seconds(),
		Dataset: o.Dataset, Images: o.Images, Masks: o.Masks, Pairing: o.Pairing, Modality: e.modality(), Offset: o.Offset, Limit: o.Limit,
		Plugin: e.plugin, Params: e.params, Key: e.key, Protocol: o.Protocol,
		Units: map[string]string{"dsc": "fraction", "hm": "fraction", "xor": "fraction", "hd": "pixel", "hd95": "pixel"},
		Jobs:  len(e.slots), Threads: e.threads, Machine: e.machine,
		Pairs: len(e.pairs), Unmatched: append([]string{}, e.unmatched...),
		Means: map[string]map[string]EvalStat{}, PerImage: []EvalImage{}, Warnings: append([]string{}, e.warn...),
	}
	rep.Machine.LoadEnd = evalLoadAvg()
	rep.ScoreKeys = []string{ScoreDeployable}
	if e.paper() {
		rep.ScoreKeys = []string{ScoreDeployable, ScoreDeployableWork, ScorePaper, ScorePaperLabel0}
	}
	var secs, steps float64
	for i, r := range e.results {
		if r == nil {
			rep.PerImage = append(rep.PerImage, EvalImage{EvalPair: e.pairs[i], Error: "not evaluated", Scores: map[string]Scores{}, Warnings: []string{}})
			continue
		}
		rep.PerImage = append(rep.PerImage, *r)
		if r.Error != "" {
			rep.Failed++
			continue
		}
		rep.Scored++
		if r.Reused {
			rep.Reused++
		}
		secs += r.Seconds
		steps += float64(r.Steps)
	}
	rep.Complete = rep.Scored+rep.Failed == rep.Pairs
	if rep.Scored > 0 {
		rep.SecondsMean = secs / float64(rep.Scored)
		rep.StepsMean = steps / float64(rep.Scored)
	}
	for _, k := range rep.ScoreKeys {
		rep.Means[k] = map[string]EvalStat{}
		for _, m := range MetricNames {
			var vals []float64
			st := EvalStat{}
			for _, r := range rep.PerImage {
				if r.Error != "" {
					continue
				}
				s := r.Scores[k].Get(m)
				if s.Valid() {
					vals = append(vals, float64(s))
				} else {
					st.Undefined++
				}
			}
			st.N = len(vals)
			st.Mean, st.Std = evalMeanStd(vals)
			rep.Means[k][m] = st
		}
	}
	return rep
}

// evalMeanStd returns the mean and the sample standard deviation (n − 1);
// NaN where undefined (no values, or one for the deviation).
func evalMeanStd(v []float64) (Score, Score) {
	if len(v) == 0 {
		return Score(math.NaN()), Score(math.NaN())
	}
	var sum float64
	for _, x := range v {
		sum += x
	}
	mean := sum / float64(len(v))
	if len(v) == 1 {
		return Score(mean), Score(math.NaN())
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return Score(mean), Score(math.Sqrt(ss / float64(len(v)-1)))
}

// evalMachineInfo describes this machine.
func evalMachineInfo() EvalMachine {
	m := EvalMachine{CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), LoadStart: evalLoadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// evalLoadAvg returns the 1, 5 and 15 minute load averages ("" where the
// system does not say).
func evalLoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
