package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mmcseg/mmcseg/nifti"
)

// DemoParams are the mmcformer parameters of the demo: a 129-pixel working
// size, 32 embedding channels and cluster labels, and at most 30 steps per
// slice: about 14 CPU-seconds a slice, so that the 16-slice phantom
// segments in about two minutes on two idle cores. The defaults (257, 100,
// 100, 50) cost about 20 times as much, for no better Dice on the phantom.
var DemoParams = map[string]string{"size": "129", "dim": "32", "clusters": "32", "iterations": "30"}

// DemoOptions configure RunDemo.
type DemoOptions struct {
	// OutDir receives phantom/ (the DICOM series) and results/ (the
	// segmentation outputs, in the layout of Run); "demo-out" when empty.
	OutDir string
	// Plugin and Params as in Options; the zero values mean mmcformer with
	// DemoParams (so do "mmcformer" and nil Params).
	Plugin string
	Params map[string]string
	// Phantom sizes the phantom (zero: the default 256×256×16).
	Phantom PhantomOptions
	// Events and Logger as in Options.
	Events func(Event)
	Logger *slog.Logger
	// PluginDirs as in Options.
	PluginDirs  []SearchDir
	ToolVersion string
}

// DemoResult is what the demo did.
type DemoResult struct {
	Phantom *Phantom
	Report  *Report
	// Series is the phantom's series report (outputs, timings, volumes).
	Series SeriesReport
	// Dice compares the mask (read back from the NIfTI output) with the
	// phantom's lung truth.
	Dice float64
	// TruthML and MaskML are the lung volumes of the truth and the mask.
	TruthML, MaskML float64
	// PhantomTime is the time to write the phantom, Elapsed the whole demo.
	PhantomTime, Elapsed time.Duration
}

// RunDemo writes the chest phantom as a DICOM series under OutDir/phantom,
// segments it into OutDir/results with SEG, NIfTI and PNG outputs, reads the
// NIfTI mask back and scores it against the phantom's truth.
func RunDemo(ctx context.Context, o DemoOptions) (*DemoResult, error) {
	t0 := time.Now()
	if o.OutDir == "" {
		o.OutDir = "demo-out"
	}
	if o.Plugin == "" {
		o.Plugin = DefaultPlugin
	}
	if o.Plugin == DefaultPlugin && o.Params == nil {
		o.Params = DemoParams
	}
	if o.Phantom.PatientID == "" {
		o.Phantom.PatientID = "PHANTOM"
	}
	phDir := filepath.Join(o.OutDir, "phantom")
	// A fresh phantom each time: its UIDs are new, so a left-over one
	// would be a second series.
	if err := os.RemoveAll(phDir); err != nil {
		return nil, err
	}
	ph, err := WritePhantom(ctx, phDir, o.Phantom)
	if err != nil {
		return nil, err
	}
	res := &DemoResult{Phantom: ph, PhantomTime: time.Since(t0)}
	rep, err := Run(ctx, Options{
		Inputs:      []string{phDir},
		OutDir:      filepath.Join(o.OutDir, "results"),
		Plugin:      o.Plugin,
		Params:      o.Params,
		Formats:     []Format{FormatSEG, FormatNIfTI, FormatPNG},
		Events:      o.Events,
		Logger:      o.Logger,
		PluginDirs:  o.PluginDirs,
		ToolVersion: o.ToolVersion,
	})
	res.Report = rep
	if err != nil {
		return res, err
	}
	if len(rep.Series) != 1 {
		return res, fmt.Errorf("the demo found %d series in %s, want 1", len(rep.Series), phDir)
	}
	s := rep.Series[0]
	res.Series = s
	if s.Outcome != OutcomeOK {
		return res, fmt.Errorf("the phantom was not segmented: %s", s.Error)
	}
	im, err := nifti.ReadFile(ctx, filepath.Join(s.Dir, NIfTIName), nifti.ReadOptions{})
	if err != nil {
		return res, err
	}
	g := im.Grid
	if g.Columns != ph.Grid.Columns || g.Rows != ph.Grid.Rows || g.Slices != ph.Grid.Slices {
		return res, errors.New("the NIfTI mask is not on the phantom's grid")
	}
	mask := make([]uint8, len(ph.Truth))
	n := g.Columns * g.Rows
	for k := 0; k < g.Slices; k++ {
		v, err := im.Slice(k, nil)
		if err != nil {
			return res, err
		}
		for i, x := range v {
			if x != 0 {
				mask[k*n+i] = 1
			}
		}
	}
	res.Dice = Dice(mask, ph.Truth)
	ml := ph.Grid.VoxelVolume() / 1000
	for i := range mask {
		res.MaskML += float64(mask[i]) * ml
		res.TruthML += float64(ph.Truth[i]) * ml
	}
	res.Elapsed = time.Since(t0)
	return res, nil
}
