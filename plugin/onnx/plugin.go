package main

import (
	"context"
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

	"github.com/mmcseg/mmcseg/plugin/onnx/modelspec"
	"github.com/mmcseg/mmcseg/plugin/onnx/onnxmodel"
	"github.com/mmcseg/mmcseg/sdk"
)

const (
	// EnvModel names the model whose segments the plugin describes, and
	// the default of the model parameter.
	EnvModel = "MMCSEG_ONNX_MODEL"

	pluginName    = "onnx"
	pluginVersion = "0.1.0"

	// maxModels bounds the models kept loaded between series.
	maxModels = 2
	// genericSegments is how many segments a plugin started without a
	// model describes: enough for most segmentation models, few enough to
	// list. Models with more classes need MMCSEG_ONNX_MODEL.
	genericSegments = 32
)

// segmenter implements sdk.Segmenter.
type segmenter struct {
	desc sdk.Description
	// described are the segments of the start-time model's sidecar, nil
	// when the plugin describes generic segments.
	described []sdk.SegmentInfo
	models    *modelCache
}

// newSegmenter returns the plugin for a start-time model path ("" for
// none). A sidecar that cannot be read leaves the description generic;
// the series that use the model then fail at their start with the reason.
func newSegmenter(startModel string) *segmenter {
	g := &segmenter{models: newModelCache(maxModels, onnxmodel.Load)}
	var spec *modelspec.Spec
	var specErr error
	if startModel != "" {
		if abs, err := filepath.Abs(startModel); err == nil {
			startModel = abs
		}
		spec, specErr = loadSpec(startModel, "")
		if specErr != nil {
			slog.Error("the start-time model's sidecar cannot be read; describing generic segments", "env", EnvModel, "model", startModel, "error", specErr)
		} else {
			g.described = spec.Segments
		}
	}
	g.desc = describe(startModel, spec)
	if specErr != nil {
		// Also where `mmcseg plugin list` shows it.
		g.desc.Summary += fmt.Sprintf(" %s=%s was given, but %v.", EnvModel, startModel, specErr)
	}
	return g
}

func describe(model string, spec *modelspec.Spec) sdk.Description {
	d := sdk.Description{
		Name:    pluginName,
		Version: pluginVersion,
		Parameters: []sdk.Parameter{
			{
				Name: "model", Type: sdk.ParamString, Default: model,
				Description: "the ONNX model file (PATH.onnx); its sidecar is PATH.json unless sidecar= says otherwise",
			},
			{
				Name: "sidecar", Type: sdk.ParamString,
				Description: "the model's JSON sidecar; empty means the model's path with .json",
			},
			{
				Name: "threshold", Type: sdk.ParamFloat, Default: "0", Min: sdk.Bound(0), Max: sdk.Bound(1),
				Description: "probability threshold of a sigmoid model, between 0 and 1; 0 (the default) keeps the sidecar's output.threshold",
			},
		},
		InputMode:        sdk.SliceMode,
		ConcurrentSeries: true,
	}
	const what = "Runs an ONNX segmentation model on the CPU (onnx-go v0.5.0) as its JSON sidecar describes: preprocessing, fitting to the model's input size, sigmoid or soft-max output."
	if spec == nil {
		d.Summary = what + " Started without " + EnvModel + ", it describes generic segments (Class 1…32); start it with " + EnvModel + "=PATH.onnx to describe the sidecar's labels and codes."
		d.PixelFormats = []sdk.PixelFormat{sdk.Float32, sdk.Uint8, sdk.RGB8}
		for n := 1; n <= genericSegments; n++ {
			d.Segments = append(d.Segments, sdk.SegmentInfo{
				Number:        n,
				Label:         fmt.Sprintf("Class %d", n),
				Color:         genericColor(n),
				Category:      sdk.SCT("85756007", "Tissue"),
				Type:          sdk.SCT("85756007", "Tissue"),
				AlgorithmName: "onnx",
			})
		}
		return d
	}
	d.Summary = fmt.Sprintf("%s Model: %s.", what, model)
	d.Segments = spec.Segments
	d.Modalities = spec.Modalities
	d.PixelFormats = spec.PixelFormats()
	return d
}

// genericColor gives segment n a distinct colour: hues a golden angle
// apart, saturation 0.7, value 0.9.
func genericColor(n int) [3]uint8 {
	h := math.Mod(float64(n)*137.508, 360) / 60
	c := 0.9 * 0.7
	x := c * (1 - math.Abs(math.Mod(h, 2)-1))
	var r, g, b float64
	switch int(h) {
	case 0:
		r, g = c, x
	case 1:
		r, g = x, c
	case 2:
		g, b = c, x
	case 3:
		g, b = x, c
	case 4:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := 0.9 - c
	return [3]uint8{uint8(255*(r+m) + 0.5), uint8(255*(g+m) + 0.5), uint8(255*(b+m) + 0.5)}
}

func (g *segmenter) Describe() sdk.Description { return g.desc }

// sidecarPath returns the sidecar of a model: the given path, or the
// model's with its extension replaced by .json.
func sidecarPath(model, given string) string {
	if given != "" {
		return given
	}
	return strings.TrimSuffix(model, filepath.Ext(model)) + ".json"
}

// loadSpec reads a model's sidecar. A sidecar without a name is named
// after the model file: DICOM-SEG needs an algorithm name for automatic
// segments.
func loadSpec(model, sidecar string) (*modelspec.Spec, error) {
	spec, err := modelspec.Load(sidecarPath(model, sidecar))
	if err != nil {
		return nil, err
	}
	if spec.Name == "" {
		spec.Name = strings.TrimSuffix(filepath.Base(model), filepath.Ext(model))
		for i := range spec.Segments {
			spec.Segments[i].AlgorithmName = spec.Name
		}
	}
	return spec, nil
}

// Open loads (or reuses) the series' model and checks everything about it
// before any slice: sidecar, model, their agreement, the series' input.
func (g *segmenter) Open(ctx context.Context, series sdk.SeriesInfo, p sdk.Params) (sdk.Session, error) {
	model := p.Get("model")
	if model == "" {
		return nil, fmt.Errorf("%w: no model: give model=PATH.onnx, or start the plugin with %s=PATH.onnx", sdk.ErrBadParam, EnvModel)
	}
	if abs, err := filepath.Abs(model); err == nil {
		model = abs
	}
	spec, err := loadSpec(model, p.Get("sidecar"))
	if err != nil {
		return nil, fmt.Errorf("%w: model=%s: %w", sdk.ErrBadParam, model, err)
	}
	threshold := spec.Output.Threshold
	if t := p.Float("threshold"); t != 0 {
		if spec.Output.Kind != modelspec.Sigmoid {
			return nil, fmt.Errorf("%w: threshold=%g: the model's output is %s (argmax), it has no threshold", sdk.ErrBadParam, t, spec.Output.Kind)
		}
		if t >= 1 {
			return nil, fmt.Errorf("%w: threshold=%g: must be below 1", sdk.ErrBadParam, t)
		}
		threshold = t
	}
	if g.described != nil {
		if err := sameSegments(g.described, spec.Segments); err != nil {
			return nil, fmt.Errorf("%w: model=%s: %v; the plugin described the segments of %s=%s when it started: start another plugin process for this model",
				sdk.ErrBadParam, model, err, EnvModel, g.desc.Parameters[0].Default)
		}
	} else {
		if n := len(spec.Segments); n > genericSegments {
			return nil, fmt.Errorf("%w: model=%s: its sidecar declares %d segments, more than the %d generic ones described without %s: start the plugin with %s=%s",
				sdk.ErrBadParam, model, n, genericSegments, EnvModel, EnvModel, model)
		}
		sdk.Warn(ctx, fmt.Sprintf("the plugin was started without %s, so it describes generic segments (Class 1…%d), not the labels and codes of %s: start it with %s=%s",
			EnvModel, genericSegments, filepath.Base(sidecarPath(model, p.Get("sidecar"))), EnvModel, model))
	}
	if len(spec.Modalities) > 0 && !slices.Contains(spec.Modalities, series.Modality) {
		return nil, fmt.Errorf("%w: model %s is for %s, the series is %q", sdk.ErrUnsupported, filepath.Base(model), strings.Join(spec.Modalities, ", "), series.Modality)
	}
	if series.Threads > 0 && series.Threads != runtime.GOMAXPROCS(0) {
		// gonum's matrix products under each convolution use GOMAXPROCS
		// goroutines; the host gives each job's plugin process its share
		// of the cores.
		runtime.GOMAXPROCS(series.Threads)
	}
	sdk.ReportProgress(ctx, 0, 0, "loading model "+filepath.Base(model))
	m, err := g.models.get(ctx, model)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %w", sdk.ErrBadParam, err)
	}
	if err := spec.CheckModel(m.InputShape(), m.OutputShape()); err != nil {
		return nil, fmt.Errorf("%w: model=%s: sidecar %s: %w", sdk.ErrBadParam, model, sidecarPath(model, p.Get("sidecar")), err)
	}
	frame, err := spec.NewFrame(series.Rows, series.Columns, series.Format)
	if err != nil {
		return nil, fmt.Errorf("series %s: %w", series.UID, err)
	}
	if c := frame.Converted(); c != "" {
		sdk.Warn(ctx, c)
	}
	if frame.Cropped() {
		sdk.Warn(ctx, fmt.Sprintf("slices of %d×%d are larger than the model's %d×%d input and fit is \"pad\": only the centre is segmented, the rest is background",
			series.Columns, series.Rows, spec.Input.Width, spec.Input.Height))
	}
	sdk.Logger(ctx).Debug("model ready", "model", model, "input", m.InputShape(), "output", m.OutputShape(), "fit", spec.Fit)
	return &session{
		model:     m,
		frame:     frame,
		threshold: threshold,
		in:        make([]float32, frame.InputLen()),
		out:       make([]float32, frame.OutputLen()),
	}, nil
}

// sameSegments reports how two segment lists differ in what a SEG would
// record (number, label, colour, codes), or nil.
func sameSegments(described, got []sdk.SegmentInfo) error {
	if len(described) != len(got) {
		return fmt.Errorf("its sidecar declares %d segments, not %d", len(got), len(described))
	}
	for i, a := range described {
		b := got[i]
		if a.Number != b.Number || a.Label != b.Label || a.Color != b.Color || a.Category != b.Category ||
			a.Type != b.Type || a.AnatomicRegion != b.AnatomicRegion {
			return fmt.Errorf("its sidecar's segment %d is %q %v, not %q %v", b.Number, b.Label, b.Type, a.Label, a.Type)
		}
	}
	return nil
}

// session segments the slices of one series.
type session struct {
	model     *onnxmodel.Model
	frame     *modelspec.Frame
	threshold float64
	in, out   []float32
}

func (s *session) Segment(ctx context.Context, sl sdk.Slice) (sdk.Mask, error) {
	m := sdk.NewMask(sl)
	if err := s.frame.Input(sl, s.in); err != nil {
		return m, fmt.Errorf("%w: %w", sdk.ErrInvalidInput, err)
	}
	if err := s.model.Run(ctx, s.in, s.out); err != nil {
		return m, err
	}
	if err := s.frame.LabelsThreshold(s.out, s.threshold, m.Labels); err != nil {
		return m, err
	}
	sdk.ReportProgress(ctx, 1, 1, "inferred")
	return m, nil
}

func (s *session) Close() error { return nil }

// modelCache keeps the most recently used models loaded. Two series that
// need the same model at once share one load.
type modelCache struct {
	max  int
	load func(context.Context, string) (*onnxmodel.Model, error)

	mu      sync.Mutex
	entries []*cacheEntry // least recently used first
	loads   int
}

type cacheKey struct {
	path    string
	size    int64
	modTime time.Time
}

type cacheEntry struct {
	key   cacheKey
	ready chan struct{}
	model *onnxmodel.Model
	err   error
}

func newModelCache(max int, load func(context.Context, string) (*onnxmodel.Model, error)) *modelCache {
	return &modelCache{max: max, load: load}
}

func (c *modelCache) get(ctx context.Context, path string) (*onnxmodel.Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	key := cacheKey{path: path, size: st.Size(), modTime: st.ModTime()}
	c.mu.Lock()
	for i, e := range c.entries {
		if e.key == key {
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
			c.mu.Unlock()
			select {
			case <-e.ready:
				return e.model, e.err
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	// A file that changed replaces its old entry.
	c.entries = slices.DeleteFunc(c.entries, func(e *cacheEntry) bool { return e.key.path == path })
	e := &cacheEntry{key: key, ready: make(chan struct{})}
	c.entries = append(c.entries, e)
	c.loads++
	c.mu.Unlock()

	// The load finishes even if this series is cancelled: another may be
	// waiting for it, and it is bounded (one dry run).
	e.model, e.err = c.load(context.WithoutCancel(ctx), path)
	close(e.ready)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.err != nil {
		// Not kept: the next series tries again, and a failed load
		// evicts nothing.
		c.entries = slices.DeleteFunc(c.entries, func(x *cacheEntry) bool { return x == e })
		return nil, e.err
	}
	for len(c.entries) > c.max {
		i := 0
		if c.entries[0] == e {
			i = 1
		}
		c.entries = slices.Delete(c.entries, i, i+1)
	}
	return e.model, nil
}
