package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

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

Exit status: 0 every series ok (or complete before), 1 every series failed or
the batch could not run (no series, plugin missing, interrupted), 2 usage
error (including parameters the plugin rejects), 3 some series failed.
`

func runSegment(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("segment", "IN... --out DIR", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mmcseg segment [flags] IN... --out DIR\n\n%s\n\nFlags:\n", commands["segment"].summary)
		fs.PrintDefaults()
		fmt.Fprint(stderr, segmentHelp)
	}
	out := fs.String("out", "", "output `DIR` (required)")
	plugin := fs.String("plugin", host.DefaultPlugin, "plugin `NAME` (mmcseg-plugin-NAME beside mmcseg, on $MMCSEG_PLUGIN_PATH or on $PATH) or PATH to an executable")
	pluginSum := fs.String("plugin-sha256", "", "refuse to run a plugin executable whose SHA-256 is not `HEX`")
	formats := fs.String("format", "seg,nifti", "outputs to write: a comma-separated list of seg, nifti, png")
	var series stringList
	fs.Var(&series, "series", "segment only the series with this SeriesInstanceUID `UID` (repeatable)")
	jobs := fs.Int("jobs", 1, "series run at once, each with its own plugin process")
	threads := fs.Int("threads", 0, "threads per plugin (0: CPUs / jobs; jobs × threads never exceeds the CPUs)")
	params := paramFlag{}
	fs.Var(params, "param", "plugin parameter `name=value` (repeatable), checked against the plugin's description")
	force := fs.Bool("force", false, "rewrite series that already have a complete result")
	quiet := fs.Bool("quiet", false, "print only errors and the summary")
	progress := fs.String("progress", "auto", "progress display: auto (bars on a terminal, else plain), bars, plain or json (JSON lines on stderr)")
	shard := fs.String("shard", "", "process only shard `i/n` of the series (0 ≤ i < n), split by a stable hash of the SeriesInstanceUID")
	modality := fs.String("modality", "", "DICOM `modality` (CT, MR, …) given to plugins for NIfTI and image inputs")
	offset16 := fs.Bool("signed-offset-16", false, "16-bit grey images store a signed value + 32768 (e.g. Kaggle lung CT PNGs)")
	memory := fs.Int64("memory", host.DefaultMemoryBudget>>20, "`MiB` the series in flight may hold in mmcseg at once (plugins' own memory not counted)")
	timeout := fs.Duration("timeout", 0, "declare a plugin hung after this long without any message (0: the sdk default, 10m)")
	reportFile := fs.String("report", "", "also write the batch report as JSON to `FILE`")
	verbose := fs.Bool("v", false, "show the plugins' log on stderr")
	inputs, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "mmcseg segment: "+format+"\n", a...)
		return exitUsage
	}
	if len(inputs) == 0 {
		fs.Usage()
		return exitUsage
	}
	if *out == "" {
		return usage("--out DIR is required")
	}
	fmts, err := host.ParseFormats(*formats)
	if err != nil {
		return usage("%v", err)
	}
	sh, err := host.ParseShard(*shard)
	if err != nil {
		return usage("--shard: %v", err)
	}
	mode := host.ProgressMode(*progress)
	switch *progress {
	case "auto":
		mode = host.ProgressPlain
		if isTerminal(stderr) {
			mode = host.ProgressBars
		}
	case "bars", "plain", "json":
	default:
		return usage("--progress must be auto, bars, plain or json, not %q", *progress)
	}
	if *quiet && *progress != "json" {
		mode = host.ProgressQuiet
	}
	if *jobs < 1 || *threads < 0 || *memory < 1 {
		return usage("--jobs and --memory must be at least 1, --threads at least 0")
	}

	pr := host.NewProgress(stderr, mode)
	if f, ok := stderr.(*os.File); ok && mode == host.ProgressBars {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			pr.Width = w
		}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if mode == host.ProgressBars && !*verbose {
		// Log lines would tear the bars; the report keeps the warnings.
		logger = slog.New(slog.DiscardHandler)
	}
	opts := host.Options{
		Inputs:            inputs,
		OutDir:            *out,
		Plugin:            *plugin,
		PluginSHA256:      *pluginSum,
		Params:            params,
		Formats:           fmts,
		Series:            series,
		Shard:             sh,
		Jobs:              *jobs,
		Threads:           *threads,
		MemoryBudget:      *memory << 20,
		Force:             *force,
		Modality:          strings.ToUpper(*modality),
		Image:             host.ImageOptions{SignedOffset16: *offset16},
		Events:            pr.Event,
		Logger:            logger,
		InactivityTimeout: *timeout,
		ToolVersion:       version,
	}
	rep, err := host.Run(ctx, opts)
	pr.Close()
	if rep != nil && len(rep.Series) > 0 {
		host.WriteSummary(stdout, rep, *out)
	}
	if rep != nil && *reportFile != "" {
		if werr := writeJSONFile(*reportFile, rep); werr != nil {
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
		fmt.Fprintf(stderr, "mmcseg segment: shard %s holds none of the %d series found; nothing to do\n", sh, rep.Found)
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
