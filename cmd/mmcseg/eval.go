package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/mmcseg/mmcseg/host"
	"github.com/mmcseg/mmcseg/sdk"
)

func init() {
	register(command{name: "eval", summary: "score a plugin on 2D images with reference masks (the paper's protocol and what users get)", run: runEval})
}

const evalHelp = `
Pairs every image in --images with the mask in --masks of the same name
(--mask-name '{stem}_lesion' for other names; any image extension), runs the
plugin on each through the normal plugin path and scores its masks:

  --protocol deployable  the plugin's own mask at the image's size (default):
                         what a user without ground truth gets
  --protocol paper       the authors' protocol: the cluster chosen with the
                         ground truth, cut to the ground truth dilated by 6
                         pixels, at the working size (257×257); also scored
                         with label 0 selectable (our correction) and the
                         plugin's mask at 257×257; needs a plugin that gives
                         its cluster maps
  --protocol both        both

Metrics: DSC, HM (1 − Jaccard) and XOR (|A⊕B|/|GT|) in percent in the table
(fractions in metrics.json), Hausdorff distance and HD95 between the mask
boundaries in pixels (MedPy's hd and hd95); mean ± sample SD over images.

Datasets: --dataset ph2 (colour JPEGs, masks of the same name) and
--dataset lung-ct-2d (16-bit PNGs storing CT + 32768: sets --modality CT
--offset -32768) set the input settings; explicit flags win. Signed 16-bit
TIFFs (Kaggle's original slices) are read as they are.

With --out DIR every image's plugin output is kept in DIR/images/NAME/
(result.json, mask.png, clusters.png, clusters-work.png), so an interrupted
run resumes where it stopped and a rerun rescores without running the model;
DIR also gets metrics.json, metrics.csv, table.md and worst.png (the worst
cases outlined: reference green, plugin red, paper blue).

Exit status: 0 every image scored, 1 none (or the run could not start),
2 usage error, 3 some images failed.
`

// evalDataset is a preset of input settings.
type evalDataset struct {
	modality string
	offset   float64
}

var evalDatasets = map[string]evalDataset{
	"ph2":        {},
	"lung-ct-2d": {modality: "CT", offset: -32768},
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("eval", "--images DIR [--masks DIR]", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mmcseg eval --images DIR [--masks DIR] [flags]\n\n%s\n\nFlags:\n", commands["eval"].summary)
		fs.PrintDefaults()
		fmt.Fprint(stderr, evalHelp)
	}
	images := fs.String("images", "", "folder of images (`DIR`, required)")
	masks := fs.String("masks", "", "folder of reference masks (`DIR`; default: the folder masks beside --images)")
	dataset := fs.String("dataset", "", "input presets for `NAME`: ph2 or lung-ct-2d")
	glob := fs.String("glob", "", "evaluate only images whose file name matches `PATTERN` (e.g. '*.jpg')")
	maskName := fs.String("mask-name", host.DefaultMaskName, "mask file name without extension; {stem} is the image's (`TEMPLATE`)")
	limit := fs.Int("limit", 0, "evaluate only the first `N` pairs in name order (0: all)")
	plugin := fs.String("plugin", host.DefaultPlugin, "plugin `NAME` or path to an executable")
	pluginSum := fs.String("plugin-sha256", "", "refuse a plugin executable whose SHA-256 is not `HEX`")
	params := paramFlag{}
	fs.Var(params, "param", "plugin parameter `name=value` (repeatable), checked against the plugin's description")
	protocol := fs.String("protocol", string(host.EvalDeployable), "deployable, paper or both")
	modality := fs.String("modality", "", "DICOM `modality` given to the plugin (CT for CT slices; default OT)")
	offset := fs.Float64("offset", 0, "`VALUE` added to unsigned 16-bit grey values (-32768 for PNGs storing CT + 32768)")
	jobs := fs.Int("jobs", 1, "images at once, each job with its own plugin process")
	threads := fs.Int("threads", 0, "threads per plugin (0: CPUs / jobs; jobs × threads never exceeds the CPUs)")
	out := fs.String("out", "", "keep per-image records and write metrics.json, metrics.csv, table.md and worst.png in `DIR`")
	force := fs.Bool("force", false, "recompute images that have a record in --out")
	worst := fs.Int("worst", 8, "images in the worst-case montage (0: none)")
	timeout := fs.Duration("timeout", 0, "declare a plugin hung after this long without a message (0: the sdk default, 10m)")
	progress := fs.String("progress", "plain", "progress on stderr: plain (a line per image), json (JSON lines) or quiet")
	verbose := fs.Bool("v", false, "show the plugins' log on stderr")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "mmcseg eval: "+format+"\n", a...)
		return exitUsage
	}
	if len(pos) > 0 {
		return usage("unexpected arguments %q (use --images and --masks)", pos)
	}
	if *images == "" {
		return usage("--images DIR is required")
	}
	if *masks == "" {
		*masks = filepath.Join(filepath.Dir(filepath.Clean(*images)), "masks")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *dataset != "" {
		d, ok := evalDatasets[*dataset]
		if !ok {
			return usage("--dataset must be ph2 or lung-ct-2d, not %q", *dataset)
		}
		if !set["modality"] {
			*modality = d.modality
		}
		if !set["offset"] {
			*offset = d.offset
		}
	}
	switch *progress {
	case "plain", "json", "quiet":
	default:
		return usage("--progress must be plain, json or quiet, not %q", *progress)
	}
	if *jobs < 1 || *threads < 0 || *limit < 0 {
		return usage("--jobs must be at least 1, --threads and --limit at least 0")
	}
	tiles := *worst
	if tiles <= 0 {
		tiles = -1
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	opts := host.EvalOptions{
		Images:            *images,
		Masks:             *masks,
		Pairing:           host.Pairing{Glob: *glob, MaskName: *maskName},
		Limit:             *limit,
		Plugin:            *plugin,
		PluginSHA256:      *pluginSum,
		Params:            params,
		Protocol:          host.EvalProtocol(*protocol),
		Modality:          strings.ToUpper(*modality),
		Offset:            *offset,
		Jobs:              *jobs,
		Threads:           *threads,
		OutDir:            *out,
		Force:             *force,
		WorstTiles:        tiles,
		Dataset:           *dataset,
		Events:            evalProgress(stderr, *progress),
		Logger:            slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		InactivityTimeout: *timeout,
		ToolVersion:       version,
	}
	defer sdk.CloseAll()
	rep, err := host.Evaluate(ctx, opts)
	if rep != nil {
		if werr := host.WriteEvalTable(stdout, rep); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "mmcseg eval: %v\n", err)
		if errors.Is(err, sdk.ErrBadParam) || errors.Is(err, host.ErrPairs) || (errors.Is(err, host.ErrEval) && rep == nil) {
			return exitUsage
		}
		return exitFailed
	}
	for _, r := range rep.PerImage {
		if r.Error != "" {
			fmt.Fprintf(stderr, "mmcseg eval: %s: %s\n", r.Name, r.Error)
		}
	}
	switch {
	case rep.Failed == 0:
		return exitOK
	case rep.Scored == 0:
		return exitFailed
	}
	return exitPartial
}

// evalProgress prints the evaluation's events on w.
func evalProgress(w io.Writer, mode string) func(host.EvalEvent) {
	switch mode {
	case "quiet":
		return nil
	case "json":
		enc := json.NewEncoder(w)
		return func(ev host.EvalEvent) {
			if ev.Kind == host.EvalProgress {
				return
			}
			line := map[string]any{"event": ev.Kind, "done": ev.Done, "total": ev.Total, "reused": ev.Reused, "failed": ev.Failed,
				"elapsed_s": ev.Elapsed.Seconds(), "eta_s": ev.ETA.Seconds()}
			if ev.Image != nil {
				line["image"] = ev.Image
			}
			_ = enc.Encode(line)
		}
	}
	var last time.Time
	return func(ev host.EvalEvent) {
		switch ev.Kind {
		case host.EvalStarted:
			fmt.Fprintf(w, "evaluating %d images\n", ev.Total)
		case host.EvalProgress:
			// A line a minute about the image at work, for long runs.
			if time.Since(last) >= time.Minute {
				last = time.Now()
				fmt.Fprintf(w, "  %s: %d/%d %s\n", ev.Name, ev.Iteration, ev.Iterations, ev.Message)
			}
		case host.EvalImageDone:
			r := ev.Image
			head := fmt.Sprintf("[%*d/%d] %s", len(fmt.Sprint(ev.Total)), ev.Done, ev.Total, r.Name)
			if r.Error != "" {
				fmt.Fprintf(w, "%s FAILED: %s\n", head, r.Error)
				return
			}
			var b strings.Builder
			b.WriteString(head)
			for _, k := range host.ScoreKeys {
				if s, ok := r.Scores[k]; ok && (k == host.ScoreDeployable || k == host.ScorePaper) {
					fmt.Fprintf(&b, "  %s dsc %.3f", k, float64(s.DSC))
				}
			}
			fmt.Fprintf(&b, "  %d steps %.1f s", r.Steps, r.Seconds)
			if r.Reused {
				b.WriteString(" (earlier record)")
			}
			fmt.Fprintf(&b, "  elapsed %s", ev.Elapsed.Round(time.Second))
			if ev.ETA > 0 {
				fmt.Fprintf(&b, "  ETA %s", ev.ETA.Round(time.Second))
			}
			fmt.Fprintln(w, b.String())
		}
	}
}
