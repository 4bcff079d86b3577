package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/segmenter/foreground"
	"github.com/mmcseg/mmcseg/segmenter/mmcformer"
)

// version is the plugin's version, reported by Describe.
const version = "1.0.0"

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
			Description:    "darkest MMCFormer cluster not dominated by the image border",
			Color:          [3]uint8{255, 128, 0},
			Category:       sdk.SCT("49755003", "Morphologically Altered Structure"),
			Type:           sdk.SCT("52988006", "Lesion"),
			AnatomicRegion: sdk.SCT("39937001", "Skin"),
			AlgorithmName:  "MMCFormer + dark-lesion rule",
			PixelFormats:   []sdk.PixelFormat{format},
		}
	}
	return sdk.Description{
		Name:    "mmcformer",
		Version: version,
		Summary: "MMCFormer (MS-Former, MIDL 2023): a dual-scale transformer optimised on each slice with " +
			"self-supervised losses until its clusters settle; the foreground cluster is chosen without " +
			"ground truth: the lungs for CT, the dark non-border region (a skin lesion) for photographs.",
		PixelFormats: []sdk.PixelFormat{sdk.Float32, sdk.RGB8, sdk.Uint8},
		InputMode:    sdk.SliceMode,
		AuxMaps:      auxMaps,
		Segments: []sdk.SegmentInfo{
			{
				Number:        1,
				Label:         "Lung",
				Description:   "low-density MMCFormer clusters inside the body (both lungs)",
				Color:         [3]uint8{128, 174, 128},
				Category:      sdk.SCT("123037004", "Anatomical Structure"),
				Type:          sdk.SCT("39607008", "Lung"),
				AlgorithmName: "MMCFormer + low-density rule",
				Modalities:    []string{"CT"},
				PixelFormats:  []sdk.PixelFormat{sdk.Float32},
			},
			lesion(sdk.RGB8),
			lesion(sdk.Uint8),
		},
		Parameters: []sdk.Parameter{
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
			{Name: "ct_level", Type: sdk.ParamFloat, Default: "-600",
				Description: "CT only: centre (HU) of the window mapped to 0..255 (our choice, not the authors')"},
			{Name: "ct_width", Type: sdk.ParamFloat, Default: "1500", Min: sdk.Bound(1),
				Description: "CT only: width (HU) of that window"},
			{Name: "min_area", Type: sdk.ParamFloat, Default: "0.001", Min: sdk.Bound(0), Max: sdk.Bound(0.5),
				Description: "foreground regions smaller than this fraction of the slice are dropped"},
		},
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
	s := &session{pl: pl, cfg: cfg, info: info, level: p.Float("ct_level"), width: p.Float("ct_width"), minArea: p.Float("min_area")}
	switch info.Format {
	case sdk.Float32:
		s.rule = foreground.LowDensity
	case sdk.RGB8, sdk.Uint8:
		s.rule = foreground.DarkLesion
	default:
		return nil, fmt.Errorf("%w: mmcformer takes FLOAT32 CT, RGB8 or UINT8 input, not %v", sdk.ErrUnsupported, info.Format)
	}
	return s, nil
}

// model returns an idle model with cfg, or a new one.
func (pl *plugin) model(cfg mmcformer.Config) (*mmcformer.Model, error) {
	pl.mu.Lock()
	for i, m := range pl.idle {
		if m.Config() == cfg {
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
		if o.Config() == m.Config() {
			keep = append(keep, o)
		}
	}
	pl.idle = append(keep, m)
}

type session struct {
	pl           *plugin
	cfg          mmcformer.Config
	info         sdk.SeriesInfo
	m            *mmcformer.Model
	level, width float64
	minArea      float64
	rule         foreground.Rule
}

func (s *session) Segment(ctx context.Context, sl sdk.Slice) (sdk.Mask, error) {
	img, intensity, err := s.image(sl)
	if err != nil {
		return sdk.Mask{}, err
	}
	if s.m == nil {
		if s.m, err = s.pl.model(s.cfg); err != nil {
			return sdk.Mask{}, err
		}
	}
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
	sdk.ReportProgress(ctx, total, total, fmt.Sprintf("read out after %d steps: %d labels", len(res.Steps), res.NumLabels))
	fg, err := foreground.Select(res.InputLabels, intensity, sl.Columns, sl.Rows, foreground.Options{Rule: s.rule, MinArea: s.minArea})
	if err != nil {
		return sdk.Mask{}, err
	}
	if fg.Reason != "" {
		sdk.Warn(ctx, "some slices have no foreground: "+fg.Reason)
	}
	return sdk.Mask{Index: sl.Index, Rows: sl.Rows, Columns: sl.Columns, Labels: fg.Mask, Aux: clusterMaps(s.info, res)}, nil
}

func (s *session) Close() error {
	if s.m != nil {
		s.pl.release(s.m)
		s.m = nil
	}
	return nil
}

// image converts a slice into the model's input (B, G, R planes in [0, 1],
// as the reference reads 8-bit files) and the intensity that ranks the
// clusters (HU for CT, grey value or luminance otherwise). CT is mapped
// through the window [level − width/2, level + width/2] to 0..255, rounded
// as an 8-bit file would be, then divided by 255: our choice, since the
// reference had 8-bit lung images.
func (s *session) image(sl sdk.Slice) (mmcformer.Image, []float32, error) {
	n := sl.Rows * sl.Columns
	img := mmcformer.Image{Width: sl.Columns, Height: sl.Rows}
	bad := func(msg string) error {
		return &sdk.SliceError{Index: sl.Index, Code: sdk.SliceInvalidInput, Message: msg}
	}
	switch sl.Format {
	case sdk.Float32:
		px, err := sl.Float32s()
		if err != nil {
			return img, nil, bad(err.Error())
		}
		grey := make([]float32, n)
		lo := s.level - s.width/2
		for i, v := range px {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return img, nil, bad(fmt.Sprintf("pixel %d is %g", i, v))
			}
			g := math.Round(255 * (float64(v) - lo) / s.width)
			grey[i] = float32(min(max(g, 0), 255) / 255)
		}
		img.Planes = [3][]float32{grey, grey, grey}
		return img, px, nil
	case sdk.Uint8:
		if len(sl.Data) != n {
			return img, nil, bad(fmt.Sprintf("%d bytes for %d×%d pixels", len(sl.Data), sl.Columns, sl.Rows))
		}
		grey, intensity := make([]float32, n), make([]float32, n)
		for i, v := range sl.Data {
			grey[i] = float32(v) / 255
			intensity[i] = float32(v)
		}
		img.Planes = [3][]float32{grey, grey, grey}
		return img, intensity, nil
	case sdk.RGB8:
		if len(sl.Data) != 3*n {
			return img, nil, bad(fmt.Sprintf("%d bytes for %d×%d RGB pixels", len(sl.Data), sl.Columns, sl.Rows))
		}
		for ch := range img.Planes {
			img.Planes[ch] = make([]float32, n)
		}
		intensity := make([]float32, n)
		for i := range n {
			r, g, b := sl.Data[3*i], sl.Data[3*i+1], sl.Data[3*i+2]
			img.Planes[0][i] = float32(b) / 255 // the reference's B, G, R order
			img.Planes[1][i] = float32(g) / 255
			img.Planes[2][i] = float32(r) / 255
			intensity[i] = 0.299*float32(r) + 0.587*float32(g) + 0.114*float32(b)
		}
		return img, intensity, nil
	}
	return img, nil, bad(fmt.Sprintf("unsupported pixel format %v", sl.Format))
}
