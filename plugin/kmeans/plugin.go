package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"

	"github.com/mmcseg/mmcseg/plugin/internal/frontend"
	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/segmenter/kmeans"
	"github.com/mmcseg/mmcseg/segmenter/prep"
)

// version is the plugin's version, reported by Describe.
const version = "1.1.0"

type plugin struct{}

func (plugin) Describe() sdk.Description {
	return sdk.Description{
		Name:    "kmeans",
		Version: version,
		Summary: "k-means baseline (MMCFormer paper, Table 1): clusters each slice's pixels by intensity " +
			"(CT in HU) or colour (RGB) and keeps the foreground cluster chosen without ground truth: " +
			"the lungs for CT, the darker clusters inside the field of view (a skin lesion) for colour photographs.",
		PixelFormats:     []sdk.PixelFormat{sdk.Float32, sdk.RGB8},
		InputMode:        sdk.SliceMode,
		ConcurrentSeries: true,
		AuxMaps:          auxMaps,
		Segments: []sdk.SegmentInfo{
			{
				Number:        1,
				Label:         "Lung",
				Description:   "low-density region inside the body, without the airways (both lungs)",
				Color:         [3]uint8{128, 174, 128},
				Category:      sdk.SCT("123037004", "Anatomical Structure"),
				Type:          sdk.SCT("39607008", "Lung"),
				AlgorithmName: "k-means + lung rule",
				Modalities:    []string{"CT"},
				PixelFormats:  []sdk.PixelFormat{sdk.Float32},
			},
			{
				Number:         1,
				Label:          "Skin lesion",
				Description:    "darker clusters inside the dermatoscope's field of view",
				Color:          [3]uint8{255, 128, 0},
				Category:       sdk.SCT("49755003", "Morphologically Altered Structure"),
				Type:           sdk.SCT("52988006", "Lesion"),
				AnatomicRegion: sdk.SCT("39937001", "Skin"),
				AlgorithmName:  "k-means + lesion rule",
				PixelFormats:   []sdk.PixelFormat{sdk.RGB8},
			},
		},
		Parameters: append([]sdk.Parameter{
			{Name: "k", Type: sdk.ParamInt, Default: "2", Min: sdk.Bound(2), Max: sdk.Bound(8),
				Description: "number of clusters"},
			{Name: "iterations", Type: sdk.ParamInt, Default: "100", Min: sdk.Bound(1), Max: sdk.Bound(1000),
				Description: "most Lloyd iterations per slice"},
			{Name: "seed", Type: sdk.ParamInt, Default: "1", Min: sdk.Bound(0),
				Description: "seed of the k-means++ initialisation"},
		}, frontend.Parameters()...),
	}
}

func (plugin) Open(_ context.Context, info sdk.SeriesInfo, p sdk.Params) (sdk.Session, error) {
	if info.Format != sdk.Float32 && info.Format != sdk.RGB8 {
		return nil, fmt.Errorf("%w: kmeans takes FLOAT32 CT or RGB8 input, not %v", sdk.ErrUnsupported, info.Format)
	}
	front, err := frontend.New(info, p)
	if err != nil {
		return nil, err
	}
	s := &session{
		cfg: kmeans.Config{
			K:       p.Int("k"),
			MaxIter: p.Int("iterations"),
			Seed:    uint64(p.Int("seed")),
			Workers: info.Threads,
		},
		front: front,
		info:  info,
	}
	if s.cfg.Workers <= 0 {
		s.cfg.Workers = runtime.GOMAXPROCS(0)
	}
	return s, nil
}

type session struct {
	cfg   kmeans.Config
	front *frontend.FrontEnd
	info  sdk.SeriesInfo
}

func (s *session) Segment(ctx context.Context, sl sdk.Slice) (sdk.Mask, error) {
	pre, err := s.front.Prepare(sl)
	if err != nil {
		return sdk.Mask{}, err
	}
	feats, dim := features(pre)
	res, err := cluster(ctx, feats, dim, pre, s.cfg)
	if err != nil {
		return sdk.Mask{}, err
	}
	sdk.ReportProgress(ctx, 1, 2, "clustered in "+strconv.Itoa(res.Iterations)+" iterations")
	mask, err := s.front.Foreground(ctx, res.Labels, pre)
	if err != nil {
		return sdk.Mask{}, err
	}
	sdk.ReportProgress(ctx, 2, 2, "foreground selected")
	return sdk.Mask{Rows: sl.Rows, Columns: sl.Columns, Labels: mask, Aux: clusterMaps(s.info, res.Labels, sl.Rows, sl.Columns)}, nil
}

func (s *session) Close() error { return nil }

// features returns the per-pixel features to cluster, dim values each:
// the prepared plane of a grey slice (for CT, HU through the window) or
// the R, G, B planes of a colour one.
func features(im *prep.Image) (feats []float32, dim int) {
	if im.Grey() {
		return im.Planes[0], 1
	}
	n := im.Width * im.Height
	feats = make([]float32, 3*n)
	for i := range n {
		feats[3*i], feats[3*i+1], feats[3*i+2] = im.Planes[0][i], im.Planes[1][i], im.Planes[2][i]
	}
	return feats, 3
}

// cluster runs k-means on the features; for a windowed grey slice (CT)
// only on the pixels strictly inside the window, giving the clamped ones
// (planes 0 or 1: padding outside the reconstruction circle, bone, metal)
// their nearest centre afterwards. Clamped values carry no contrast, and
// in quantity they drag a centre: a quarter of a slice padded at −2000 HU
// pulls the dark centre so far below air that the k = 2 boundary falls
// inside the lung's noise (lung-ct-2d: DSC 93.8 with the padding
// clustered, 97.2 without).
func cluster(ctx context.Context, feats []float32, dim int, pre *prep.Image, cfg kmeans.Config) (*kmeans.Result, error) {
	if dim != 1 || pre.Normalize != prep.Window {
		return kmeans.Cluster(ctx, feats, dim, cfg)
	}
	var in []float32
	for _, v := range feats {
		if v > 0 && v < 1 {
			in = append(in, v)
		}
	}
	if len(in) < cfg.K {
		return kmeans.Cluster(ctx, feats, dim, cfg)
	}
	res, err := kmeans.Cluster(ctx, in, 1, cfg)
	if err != nil {
		return nil, err
	}
	labels := make([]uint8, len(feats))
	for i, v := range feats {
		best, bd := 0, math.Inf(1)
		for c := 0; c < res.K; c++ {
			if d := math.Abs(float64(v) - res.Centers[c]); d < bd {
				best, bd = c, d
			}
		}
		labels[i] = uint8(best)
	}
	res.Labels = labels
	return res, nil
}
