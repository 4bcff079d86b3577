package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/mmcseg/mmcseg/host"
)

func init() {
	register(command{name: "demo", summary: "segment a synthetic chest CT phantom with mmcformer into ./demo-out and score it against its truth", run: runDemo})
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", "", stderr)
	out := fs.String("out", "demo-out", "output `DIR`")
	plugin := fs.String("plugin", host.DefaultPlugin, "plugin `NAME` or PATH")
	params := paramFlag{}
	fs.Var(params, "param", "plugin parameter `name=value` (repeatable); with none, mmcformer runs with size=129 dim=32 clusters=32 iterations=30")
	slices := fs.Int("slices", 16, "slices of the phantom")
	side := fs.Int("side", 256, "rows and columns of the phantom")
	progress := fs.String("progress", "auto", "progress display: auto, bars, plain or json")
	if pos, code, ok := parseFlags(fs, args); !ok {
		return code
	} else if len(pos) != 0 {
		fs.Usage()
		return exitUsage
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
		fmt.Fprintf(stderr, "mmcseg demo: --progress must be auto, bars, plain or json, not %q\n", *progress)
		return exitUsage
	}
	pr := host.NewProgress(stderr, mode)
	o := host.DemoOptions{
		OutDir:      *out,
		Plugin:      *plugin,
		Phantom:     host.PhantomOptions{Columns: *side, Rows: *side, Slices: *slices},
		Events:      pr.Event,
		Logger:      slog.New(slog.DiscardHandler),
		ToolVersion: version,
	}
	if len(params) > 0 {
		o.Params = params
	}
	fmt.Fprintf(stdout, "Writing a %d×%d×%d chest CT phantom (DICOM) to %s/phantom …\n", *side, *side, *slices, *out)
	res, err := host.RunDemo(ctx, o)
	pr.Close()
	if res != nil && res.Report != nil && len(res.Report.Series) > 0 {
		host.WriteSummary(stdout, res.Report, filepath.Join(*out, "results"))
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "mmcseg demo: interrupted")
		} else {
			fmt.Fprintf(stderr, "mmcseg demo: %v\n", err)
		}
		return exitFailed
	}
	s := res.Series
	fmt.Fprintf(stdout, "\nPlugin %s %s, parameters %v\n", s.Plugin.Name, s.Plugin.Version, s.Params)
	fmt.Fprintf(stdout, "Outputs in %s:\n", s.Dir)
	for _, o := range s.Outputs {
		fmt.Fprintf(stdout, "  %-18s %8d bytes\n", o.Path, o.Bytes)
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(stdout, "  warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "\nLung volume: mask %.1f mL, truth %.1f mL\n", res.MaskML, res.TruthML)
	fmt.Fprintf(stdout, "Dice against the phantom's truth: %.4f\n", res.Dice)
	fmt.Fprintf(stdout, "Time: %s (phantom %s, segmentation %s, outputs %s)\n",
		res.Elapsed.Round(100*time.Millisecond), res.PhantomTime.Round(time.Millisecond),
		secs(s.Timings.Segment), secs(s.Timings.Write))
	return exitOK
}

func secs(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(10 * time.Millisecond)
}
