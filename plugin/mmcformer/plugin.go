package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/mmcseg/mmcseg/plugin/internal/frontend"
	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/segmenter/mmcformer"
)

// defaultWarmIterations is warm_iterations' default.
const defaultWarmIterations = 12

// version is the plugin's version, reported by Describe. 1.2.0: the
// model computes the same function with fewer products (values never formed,
// head combined), so its float32 results differ from 1.1.0 in rounding.
// 1.3.0: the dominant products run on mmcseg's own AVX-512 kernels where
// the CPU has them, summing in another order than OpenBLAS, so the results
// differ from 1.2.0 in rounding again.
const version = "1.3.0"

// plugin keeps idle models between series: a model allocates about 1.3 GB
// at the default size, once, and is reused for every slice and series with
// the same configuration.
type plugin struct {
	mu   sync.Mutex
	idle []*mmcformer.Model
}

func (*plugin) Describe() sdk.Description {
	def := mmcformer.DefaultConfig()
	itoa := func(v int) string { return fmt.Sprint(v) }
	ftoa := func(v float64) string { return fmt.Sprint(v) }
	lesion := func(format sdk.PixelFormat) sdk.SegmentInfo {
		return sdk.SegmentInfo{
			Number:         1,
			Label:          "Skin lesion",
			Description:    "darker MMCFormer clusters inside the dermatoscope's field of view",
			Color:          [3]uint8{255, 128, 0},
			Category:       sdk.SCT("49755003", "Morphologically Altered Structure"),
			Type:           sdk.SCT("52988006", "Lesion"),
			AnatomicRegion: sdk.SCT("39937001", "Skin"),
			AlgorithmName:  "MMCFormer + lesion rule",
			PixelFormats:   []sdk.PixelFormat{format},
		}
	}
	return sdk.Description{
		Name:    "mmcformer",
		Version: version,
		Summary: "MMCFormer (MS-Former, MIDL 2023): a dual-scale transformer optimised on each slice with " +
			"self-supervised losses until its clusters settle; the foreground cluster is chosen without " +
			"ground truth: the lungs for CT, the darker clusters inside the field of view (a skin lesion) for photographs.",
		PixelFormats: []sdk.PixelFormat{sdk.Float32, sdk.RGB8, sdk.Uint8},
		InputMode:    sdk.SliceMode,
		AuxMaps:      auxMaps,
		Segments: []sdk.SegmentInfo{
			{
				Number:        1,
				Label:         "Lung",
				Description:   "low-density MMCFormer clusters inside the body, without the airways (both lungs)",
				Color:         [3]uint8{128, 174, 128},
				Category:      sdk.SCT("123037004", "Anatomical Structure"),
				Type:          sdk.SCT("39607008", "Lung"),
				AlgorithmName: "MMCFormer + lung rule",
				Modalities:    []string{"CT"},
				PixelFormats:  []sdk.PixelFormat{sdk.Float32},
			},
			lesion(sdk.RGB8),
			lesion(sdk.Uint8),
		},
		Parameters: append([]sdk.Parameter{
			{Name: "iterations", Type: sdk.ParamInt, Default: itoa(def.MaxIter), Min: sdk.Bound(0), Max: sdk.Bound(1000),
				Description: "most optimisation steps per slice (maxIter)"},
			{Name: "min_labels", Type: sdk.ParamInt, Default: itoa(def.MinLabels), Min: sdk.Bound(0), Max: sdk.Bound(256),
				Description: "stop once the arg-max map has at most this many labels (minLabels)"},
			{Name: "lr", Type: sdk.ParamFloat, Default: ftoa(def.LR), Min: sdk.Bound(1e-6), Max: sdk.Bound(10),
				Description: "SGD learning rate"},
			{Name: "momentum", Type: sdk.ParamFloat, Default: ftoa(def.Momentum), Min: sdk.Bound(0), Max: sdk.Bound(0.999),
				Description: "SGD momentum"},
			{Name: "w_inter", Type: sdk.ParamFloat, Default: ftoa(def.WInter), Min: sdk.Bound(0), Max: sdk.Bound(100),
				Description: "weight of the inter-scale (cosine) loss"},
			{Name: "w_intra", Type: sdk.ParamFloat, Default: ftoa(def.WIntra), Min: sdk.Bound(0), Max: sdk.Bound(100),
				Description: "weight of the intra-scale (spatial stability) loss"},
			{Name: "no_inter", Type: sdk.ParamBool, Default: "false",
				Description: "ablation: switch the inter-scale loss off (as w_inter 0)"},
			{Name: "no_intra", Type: sdk.ParamBool, Default: "false",
				Description: "ablation: switch the intra-scale loss off (as w_intra 0)"},
			{Name: "size", Type: sdk.ParamInt, Default: itoa(def.Size), Min: sdk.Bound(65), Max: sdk.Bound(mmcformer.MaxSize),
				Description: "working side S: odd, S−1 a multiple of 32 (129, 161, …, 257, 289, …)"},
			{Name: "clusters", Type: sdk.ParamInt, Default: itoa(def.Clusters), Min: sdk.Bound(2), Max: sdk.Bound(256),
				Description: "output channels, the possible cluster labels"},
			{Name: "dim", Type: sdk.ParamInt, Default: itoa(def.Dim), Min: sdk.Bound(1), Max: sdk.Bound(1024),
				Description: "embedding width of both branches"},
			{Name: "seed", Type: sdk.ParamInt, Default: "0", Min: sdk.Bound(0),
				Description: "seed of the weight initialisation (the same for every slice)"},
			{Name: "threads", Type: sdk.ParamInt, Default: "0", Min: sdk.Bound(0), Max: sdk.Bound(256),
				Description: "threads of one model; 0 means the host's limit, else one per CPU"},
			{Name: "warm_start", Type: sdk.ParamEnum, Default: "auto", Choices: []string{"auto", "on", "off"},
				Description: "continue each slice from the previous slice's trained weights (auto: for series of more than one slice)"},
			{Name: "warm_iterations", Type: sdk.ParamInt, Default: itoa(defaultWarmIterations), Min: sdk.Bound(1), Max: sdk.Bound(1000),
				Description: "most optimisation steps of a warm-started slice"},
		}, frontend.Parameters()...),
	}
}

func (pl *plugin) Open(_ context.Context, info sdk.SeriesInfo, p sdk.Params) (sdk.Session, error) {
	cfg := mmcformer.DefaultConfig()
	cfg.MaxIter = p.Int("iterations")
	cfg.MinLabels = p.Int("min_labels")
	cfg.LR = p.Float("lr")
	cfg.Momentum = p.Float("momentum")
	cfg.WInter = p.Float("w_inter")
	cfg.WIntra = p.Float("w_intra")
	if p.Bool("no_inter") {
		cfg.WInter = 0
	}
	if p.Bool("no_intra") {
		cfg.WIntra = 0
	}
	cfg.Size = p.Int("size")
	cfg.Clusters = p.Int("clusters")
	cfg.Dim = p.Int("dim")
	cfg.Seed = uint64(p.Int("seed"))
	cfg.Threads = p.Int("threads")
	if cfg.Threads == 0 {
		cfg.Threads = info.Threads
	}
	if cfg.Threads <= 0 {
		cfg.Threads = runtime.NumCPU()
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", sdk.ErrBadParam, err)
	}
	front, err := frontend.New(info, p)
	if err != nil {
		return nil, err
	}
	s := &session{pl: pl, cfg: cfg, info: info, front: front, warmIter: p.Int("warm_iterations")}
	switch p.Get("warm_start") {
	case "on":
		s.warm = true
	case "auto":
		s.warm = info.Slices > 1
	}
	return s, nil
}

// poolKey is what must agree for a model to serve a series: everything
// but the warm start, which sessions set themselves.
func poolKey(c mmcformer.Config) mmcformer.Config {
	c.WarmStart, c.WarmIterations = false, 0
	return c
}

// model returns an idle model with cfg, or a new one.
func (pl *plugin) model(cfg mmcformer.Config) (*mmcformer.Model, error) {
	pl.mu.Lock()
	for i, m := range pl.idle {
		if poolKey(m.Config()) == poolKey(cfg) {
			pl.idle = append(pl.idle[:i], pl.idle[i+1:]...)
			pl.mu.Unlock()
			return m, nil
		}
	}
	pl.mu.Unlock()
	return mmcformer.New(cfg)
}

// release keeps m for the next series, dropping models of other
// configurations (one size in memory at a time is the common case).
func (pl *plugin) release(m *mmcformer.Model) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	keep := pl.idle[:0]
	for _, o := range pl.idle {
		if poolKey(o.Config()) == poolKey(m.Config()) {
			keep = append(keep, o)
		}
	}
	pl.idle = append(keep, m)
}

type session struct {
	pl    *plugin
	cfg   mmcformer.Config
	info  sdk.SeriesInfo
	m     *mmcformer.Model
	front *frontend.FrontEnd
	// warm and warmIter set the model's warm start for this series (the
	// pooled models are shared by series with and without it).
	warm     bool
	warmIter int
	// last is the last slice's optimisation, for tests.
	last *mmcformer.Result
}

func (s *session) Segment(ctx context.Context, sl sdk.Slice) (sdk.Mask, error) {
	pre, err := s.front.Prepare(sl)
	if err != nil {
		return sdk.Mask{}, err
	}
	if s.m == nil {
		if s.m, err = s.pl.model(s.cfg); err != nil {
			return sdk.Mask{}, err
		}
		// A pooled model may have ended another series: this one starts
		// fresh, warm start or not.
		s.m.Reset(s.cfg.Seed)
		s.m.SetWarmStart(s.warm, s.warmIter)
	}
	// The reference's B, G, R order (method doc §2).
	img := mmcformer.Image{Width: pre.Width, Height: pre.Height, Planes: [3][]float32{pre.Planes[2], pre.Planes[1], pre.Planes[0]}}
	total := s.cfg.MaxIter + 1
	res, err := s.m.Segment(ctx, img, func(st mmcformer.Step) {
		sdk.ReportProgress(ctx, st.Iter+1, total, fmt.Sprintf("step %d: %d labels, loss %.4g", st.Iter+1, st.Labels, st.Total))
	})
	if err != nil {
		if errors.Is(err, mmcformer.ErrImage) {
			return sdk.Mask{}, &sdk.SliceError{Index: sl.Index, Code: sdk.SliceInvalidInput, Message: err.Error()}
		}
		return sdk.Mask{}, err
	}
	s.last = res
	start := "fresh"
	if res.Warm {
		start = "warm"
	}
	sdk.ReportProgress(ctx, total, total, fmt.Sprintf("read out after %d steps (%s start): %d labels", len(res.Steps), start, res.NumLabels))
	mask, err := s.front.Foreground(ctx, res.InputLabels, pre)
	if err != nil {
		return sdk.Mask{}, err
	}
	return sdk.Mask{Index: sl.Index, Rows: sl.Rows, Columns: sl.Columns, Labels: mask, Aux: clusterMaps(s.info, res)}, nil
}

func (s *session) Close() error {
	if s.m != nil {
		s.pl.release(s.m)
		s.m = nil
	}
	return nil
}
