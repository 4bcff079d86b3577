package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/mmcseg/mmcseg/host"
	"github.com/mmcseg/mmcseg/sdk"
)

func init() {
	register(command{name: "segment", summary: "segment DICOM series, NIfTI volumes and 2D images into DIR/<patient>/<study>/<series>/", run: runSegment})
}

// segmentHelp is printed after the flags of `mmcseg segment -h`.
const segmentHelp = `
Inputs are folders (searched recursively), DICOM files, NIfTI files (.nii,
.nii.gz, .hdr) and 2D images (PNG, JPEG, BMP, TIFF, WebP). NIfTI and image
inputs carry no modality: give one with --modality (e.g. CT) for plugins
whose segments depend on it.

Each series gets DIR/<patient>/<study>/<series>/ with seg.dcm, mask.nii.gz
(+ mask_labels.txt/.json), preview.png (and mask.png for 2D images) as asked,
and report.json, written last. A series whose report.json shows a complete
result from the same plugin, version and parameters is skipped, so an
interrupted batch resumes where it stopped; a complete result made
differently is left alone and the series fails unless --force.

Faults: a series that is not a volume, a slice the plugin cannot segment, a
plugin that crashes or hangs (--timeout) fails that series only; the plugin is
started again for the next one. Ctrl-C stops the plugins and leaves no partial
files; run the same command again to resume.

--progress json writes one JSON object per line on stderr, with "event" and
"time" and, by event:
  batch_started   found, total, skipped_inputs
  series_started  series, index, slices, dir, description, modality
  progress        series, index, slices, slice, iteration, iterations, fraction, message
  slice_done      series, index, slices, slice, done, fraction
  series_done     series, index, slices, dir, outcome (ok, failed, skipped,
                  cancelled), error, outputs, warnings, seconds
  batch_done      found, total, ok, failed, skipped, cancelled, seconds

Exit status: 0 every series ok (or complete before), 1 every series failed or
the batch could not run (no series, plugin missing, interrupted), 2 usage
error (including parameters the plugin rejects), 3 some series failed.
`

// segmentFlags are the flags of `mmcseg segment`.
type segmentFlags struct {
	out, plugin, pluginSum, formats, progress, shard, modality, reportFile string
	series                                                                 stringList
	params                                                                 paramFlag
	jobs, threads                                                          int
	memory                                                                 int64
	force, quiet, offset16, verbose                                        bool
	timeout                                                                time.Duration
}

// newSegmentFlags defines the flags of `mmcseg segment` on a new flag set.
func newSegmentFlags(stderr io.Writer) (*flag.FlagSet, *segmentFlags) {
	fs := newFlagSet("segment", "IN... --out DIR", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mmcseg segment [flags] IN... --out DIR\n\n%s\n\nFlags:\n", commands["segment"].summary)
		fs.PrintDefaults()
		fmt.Fprint(stderr, segmentHelp)
	}
	f := &segmentFlags{params: paramFlag{}}
	fs.StringVar(&f.out, "out", "", "output `DIR` (required)")
	fs.StringVar(&f.plugin, "plugin", host.DefaultPlugin, "plugin `NAME` (mmcseg-plugin-NAME beside mmcseg, on $MMCSEG_PLUGIN_PATH or on $PATH) or PATH to an executable")
	fs.StringVar(&f.pluginSum, "plugin-sha256", "", "refuse to run a plugin executable whose SHA-256 is not `HEX`")
	fs.StringVar(&f.formats, "format", "seg,nifti", "outputs to write: a comma-separated list of seg, nifti, png")
	fs.Var(&f.series, "series", "segment only the series with this SeriesInstanceUID `UID` (repeatable)")
	fs.IntVar(&f.jobs, "jobs", 1, "series run at once, each with its own plugin process")
	fs.IntVar(&f.threads, "threads", 0, "threads per plugin (0: CPUs / jobs; jobs × threads never exceeds the CPUs)")
	fs.Var(f.params, "param", "plugin parameter `name=value` (repeatable), checked against the plugin's description")
	fs.BoolVar(&f.force, "force", false, "rewrite series that already have a complete result")
	fs.BoolVar(&f.quiet, "quiet", false, "print only errors and the summary")
	fs.StringVar(&f.progress, "progress", "auto", "progress display: auto (bars on a terminal, else plain), bars, plain or json (JSON lines on stderr)")
	fs.StringVar(&f.shard, "shard", "", "process only shard `i/n` of the series (0 ≤ i < n), split by a stable hash of the SeriesInstanceUID")
	fs.StringVar(&f.modality, "modality", "", "DICOM `modality` (CT, MR, …) given to plugins for NIfTI and image inputs")
	fs.BoolVar(&f.offset16, "signed-offset-16", false, "16-bit grey images store a signed value + 32768 (e.g. Kaggle lung CT PNGs)")
	fs.Int64Var(&f.memory, "memory", host.DefaultMemoryBudget>>20, "`MiB` the series in flight may hold in mmcseg at once (plugins' own memory not counted)")
	fs.DurationVar(&f.timeout, "timeout", 0, "declare a plugin hung after this long without any message (0: the sdk default, 10m)")
	fs.StringVar(&f.reportFile, "report", "", "also write the batch report as JSON to `FILE`")
	fs.BoolVar(&f.verbose, "v", false, "show the plugins' log on stderr")
	return fs, f
}

// options checks the flags and turns them into host.Options (without
// Events and Logger) and the progress mode.
func (f *segmentFlags) options(inputs []string, stderr io.Writer) (host.Options, host.ProgressMode, error) {
	var o host.Options
	if len(inputs) == 0 {
		return o, "", errors.New("no input given")
	}
	if f.out == "" {
		return o, "", errors.New("--out DIR is required")
	}
	fmts, err := host.ParseFormats(f.formats)
	if err != nil {
		return o, "", err
	}
	sh, err := host.ParseShard(f.shard)
	if err != nil {
		return o, "", fmt.Errorf("--shard: %w", err)
	}
	mode := host.ProgressMode(f.progress)
	switch f.progress {
	case "auto":
		mode = host.ProgressPlain
		if isTerminal(stderr) {
			mode = host.ProgressBars
		}
	case "bars", "plain", "json":
	default:
		return o, "", fmt.Errorf("--progress must be auto, bars, plain or json, not %q", f.progress)
	}
	if f.quiet && f.progress != "json" {
		mode = host.ProgressQuiet
	}
	if f.jobs < 1 || f.threads < 0 || f.memory < 1 || f.timeout < 0 {
		return o, "", errors.New("--jobs and --memory must be at least 1, --threads and --timeout at least 0")
	}
	if f.pluginSum != "" {
		if b, err := hex.DecodeString(f.pluginSum); err != nil || len(b) != 32 {
			return o, "", fmt.Errorf("--plugin-sha256 %q is not 64 hex digits", f.pluginSum)
		}
	}
	return host.Options{
		Inputs:            inputs,
		OutDir:            f.out,
		Plugin:            f.plugin,
		PluginSHA256:      f.pluginSum,
		Params:            f.params,
		Formats:           fmts,
		Series:            f.series,
		Shard:             sh,
		Jobs:              f.jobs,
		Threads:           f.threads,
		MemoryBudget:      f.memory << 20,
		Force:             f.force,
		Modality:          strings.ToUpper(f.modality),
		Image:             host.ImageOptions{SignedOffset16: f.offset16},
		InactivityTimeout: f.timeout,
		ToolVersion:       version,
	}, mode, nil
}

func runSegment(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, f := newSegmentFlags(stderr)
	inputs, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(inputs) == 0 {
		fs.Usage()
		return exitUsage
	}
	opts, mode, err := f.options(inputs, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "mmcseg segment: %v\n", err)
		return exitUsage
	}
	pr := host.NewProgress(stderr, mode)
	if file, ok := stderr.(*os.File); ok && mode == host.ProgressBars {
		if w, _, err := term.GetSize(int(file.Fd())); err == nil {
			pr.Width = w
		}
	}
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelDebug
	}
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if mode == host.ProgressBars && !f.verbose {
		// Log lines would tear the bars; the report keeps the warnings.
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Events = pr.Event
	rep, err := host.Run(ctx, opts)
	pr.Close()
	if rep != nil && len(rep.Series) > 0 {
		host.WriteSummary(stdout, rep, f.out)
	}
	if rep != nil && f.reportFile != "" {
		if werr := writeJSONFile(f.reportFile, rep); werr != nil {
			fmt.Fprintf(stderr, "mmcseg segment: writing --report: %v\n", werr)
		}
	}
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		done := 0
		if rep != nil {
			done = rep.Count(host.OutcomeOK) + rep.Count(host.OutcomeSkipped)
		}
		fmt.Fprintf(stderr, "mmcseg segment: interrupted; %d series complete, plugins stopped, no partial files left; run the same command again to resume\n", done)
		return exitFailed
	case errors.Is(err, sdk.ErrBadParam) || errors.Is(err, host.ErrOptions) || errors.Is(err, host.ErrSeriesNotFound):
		fmt.Fprintf(stderr, "mmcseg segment: %v\n", err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "mmcseg segment: %v\n", err)
		return exitFailed
	}
	if len(rep.Series) == 0 {
		fmt.Fprintf(stderr, "mmcseg segment: shard %s holds none of the %d series found; nothing to do\n", opts.Shard, rep.Found)
		return exitOK
	}
	failed := rep.Count(host.OutcomeFailed) + rep.Count(host.OutcomeCancelled)
	switch {
	case failed == 0:
		return exitOK
	case failed == len(rep.Series):
		return exitFailed
	}
	return exitPartial
}

// stringList collects a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	*s = append(*s, v)
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// writeJSONFile writes v as indented JSON to path (through a temporary file
// and a rename).
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
