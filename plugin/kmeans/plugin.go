package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"

	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/segmenter/foreground"
	"github.com/mmcseg/mmcseg/segmenter/kmeans"
)

// version is the plugin's version, reported by Describe.
const version = "1.0.0"

// CT values are clipped to this range before clustering, so that the
// padding outside a circular field of view (−2000 HU and below) joins the
// air and metal (thousands of HU) does not drag a cluster centre.
const (
	ctLow  = -1024
	ctHigh = 1024
)

type plugin struct{}

func (plugin) Describe() sdk.Description {
	return sdk.Description{
		Name:    "kmeans",
		Version: version,
		Summary: "k-means baseline (MMCFormer paper, Table 1): clusters each slice's pixels by intensity " +
			"(CT in HU) or colour (RGB) and keeps the foreground cluster chosen without ground truth: " +
			"the lungs for CT, the dark non-border region (a skin lesion) for colour photographs.",
		PixelFormats:     []sdk.PixelFormat{sdk.Float32, sdk.RGB8},
		InputMode:        sdk.SliceMode,
		ConcurrentSeries: true,
		AuxMaps:          auxMaps,
		Segments: []sdk.SegmentInfo{
			{
				Number:        1,
				Label:         "Lung",
				Description:   "low-density region inside the body (both lungs)",
				Color:         [3]uint8{128, 174, 128},
				Category:      sdk.SCT("123037004", "Anatomical Structure"),
				Type:          sdk.SCT("39607008", "Lung"),
				AlgorithmName: "k-means + low-density rule",
				Modalities:    []string{"CT"},
				PixelFormats:  []sdk.PixelFormat{sdk.Float32},
			},
			{
				Number:         1,
				Label:          "Skin lesion",
				Description:    "darkest region not dominated by the image border",
				Color:          [3]uint8{255, 128, 0},
				Category:       sdk.SCT("49755003", "Morphologically Altered Structure"),
				Type:           sdk.SCT("52988006", "Lesion"),
				AnatomicRegion: sdk.SCT("39937001", "Skin"),
				AlgorithmName:  "k-means + dark-lesion rule",
				PixelFormats:   []sdk.PixelFormat{sdk.RGB8},
			},
		},
		Parameters: []sdk.Parameter{
			{Name: "k", Type: sdk.ParamInt, Default: "2", Min: sdk.Bound(2), Max: sdk.Bound(8),
				Description: "number of clusters"},
			{Name: "iterations", Type: sdk.ParamInt, Default: "100", Min: sdk.Bound(1), Max: sdk.Bound(1000),
				Description: "most Lloyd iterations per slice"},
			{Name: "seed", Type: sdk.ParamInt, Default: "1", Min: sdk.Bound(0),
				Description: "seed of the k-means++ initialisation"},
			{Name: "min_area", Type: sdk.ParamFloat, Default: "0.001", Min: sdk.Bound(0), Max: sdk.Bound(0.5),
				Description: "regions smaller than this fraction of the slice are dropped"},
		},
	}
}

func (plugin) Open(_ context.Context, info sdk.SeriesInfo, p sdk.Params) (sdk.Session, error) {
	s := &session{
		cfg: kmeans.Config{
			K:       p.Int("k"),
			MaxIter: p.Int("iterations"),
			Seed:    uint64(p.Int("seed")),
			Workers: info.Threads,
		},
		minArea: p.Float("min_area"),
		format:  info.Format,
		info:    info,
	}
	if s.cfg.Workers <= 0 {
		s.cfg.Workers = runtime.GOMAXPROCS(0)
	}
	switch info.Format {
	case sdk.Float32:
		s.rule = foreground.LowDensity
	case sdk.RGB8:
		s.rule = foreground.DarkLesion
	default:
		return nil, fmt.Errorf("%w: kmeans takes FLOAT32 CT or RGB8 input, not %v", sdk.ErrUnsupported, info.Format)
	}
	return s, nil
}

type session struct {
	cfg     kmeans.Config
	minArea float64
	format  sdk.PixelFormat
	rule    foreground.Rule
	info    sdk.SeriesInfo
}

func (s *session) Segment(ctx context.Context, sl sdk.Slice) (sdk.Mask, error) {
	feats, dim, intensity, err := features(sl)
	if err != nil {
		return sdk.Mask{}, err
	}
	res, err := kmeans.Cluster(ctx, feats, dim, s.cfg)
	if err != nil {
		return sdk.Mask{}, err
	}
	sdk.ReportProgress(ctx, 1, 2, "clustered in "+strconv.Itoa(res.Iterations)+" iterations")
	fg, err := foreground.Select(res.Labels, intensity, sl.Columns, sl.Rows, foreground.Options{Rule: s.rule, MinArea: s.minArea})
	if err != nil {
		return sdk.Mask{}, err
	}
	if fg.Reason != "" {
		sdk.Warn(ctx, "some slices have no foreground: "+fg.Reason)
	}
	sdk.ReportProgress(ctx, 2, 2, "foreground selected")
	return sdk.Mask{Rows: sl.Rows, Columns: sl.Columns, Labels: fg.Mask, Aux: clusterMaps(s.info, res.Labels, sl.Rows, sl.Columns)}, nil
}

func (s *session) Close() error { return nil }

// features returns the per-pixel features to cluster (dim values each) and
// the per-pixel intensity that ranks the clusters.
func features(sl sdk.Slice) (feats []float32, dim int, intensity []float32, err error) {
	switch sl.Format {
	case sdk.Float32:
		px, err := sl.Float32s()
		if err != nil {
			return nil, 0, nil, err
		}
		for i, v := range px {
			switch {
			case math.IsNaN(float64(v)) || v < ctLow:
				px[i] = ctLow
			case v > ctHigh:
				px[i] = ctHigh
			}
		}
		return px, 1, px, nil
	case sdk.RGB8:
		n := sl.Rows * sl.Columns
		feats = make([]float32, 3*n)
		intensity = make([]float32, n)
		for i := 0; i < n; i++ {
			r, g, b := float32(sl.Data[3*i]), float32(sl.Data[3*i+1]), float32(sl.Data[3*i+2])
			feats[3*i], feats[3*i+1], feats[3*i+2] = r, g, b
			intensity[i] = 0.299*r + 0.587*g + 0.114*b
		}
		return feats, 3, intensity, nil
	}
	return nil, 0, nil, &sdk.SliceError{Code: sdk.SliceInvalidInput, Message: fmt.Sprintf("unsupported pixel format %v", sl.Format)}
}
