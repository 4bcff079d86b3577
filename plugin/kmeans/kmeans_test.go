package main

import (
	"context"
	"encoding/csv"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/internal/shareddata"
	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/sdk/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	buildtest.Cleanup()
	os.Exit(code)
}

func openPlugin(t *testing.T) *sdk.Plugin {
	t.Helper()
	bin := buildtest.Binary(t, "./plugin/kmeans", "mmcseg-plugin-kmeans")
	p, err := sdk.Open(context.Background(), bin, sdk.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func decode(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// segmentOne runs a one-slice series through the plugin.
func segmentOne(t *testing.T, p *sdk.Plugin, uid, modality string, sl sdk.Slice) []uint8 {
	t.Helper()
	var labels []uint8
	res, err := p.Segment(context.Background(), sdk.SegmentRequest{
		Series: sdk.SeriesInfo{UID: uid, Modality: modality, Format: sl.Format, Rows: sl.Rows, Columns: sl.Columns, Slices: 1},
		Slice:  func(context.Context, int) (sdk.Slice, error) { return sl, nil },
		OnMask: func(m sdk.Mask) error { labels = m.Labels; return nil },
	})
	if err != nil {
		t.Fatalf("%s: %v", uid, err)
	}
	if labels == nil {
		t.Fatalf("%s: no mask: %+v", uid, res)
	}
	return labels
}

// dice compares a label mask (non-zero = foreground) with a reference mask
// image (non-zero = foreground).
func dice(labels []uint8, ref image.Image) float64 {
	b := ref.Bounds()
	var inter, a, g int
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			p := labels[y*b.Dx()+x] != 0
			q := color.GrayModel.Convert(ref.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y != 0
			if p {
				a++
			}
			if q {
				g++
			}
			if p && q {
				inter++
			}
		}
	}
	if a+g == 0 {
		return 1
	}
	return 2 * float64(inter) / float64(a+g)
}

func readIndex(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// PH2 dermoscopy through the real plugin: an RGB8 slice per image.
func TestPH2Dice(t *testing.T) {
	dir := shareddata.Path(t, "ph2")
	p := openPlugin(t)
	rows := readIndex(t, filepath.Join(dir, "index.csv"))
	var sum float64
	n := 0
	for i := 0; i < len(rows); i += 10 {
		img := decode(t, filepath.Join(dir, rows[i][1]))
		b := img.Bounds()
		px := make([]uint8, 0, 3*b.Dx()*b.Dy())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				px = append(px, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			}
		}
		labels := segmentOne(t, p, rows[i][0], "XC", sdk.NewRGB8Slice(0, b.Dy(), b.Dx(), px))
		d := dice(labels, decode(t, filepath.Join(dir, rows[i][2])))
		t.Logf("%s dice %.3f", rows[i][0], d)
		sum += d
		n++
	}
	// The paper's k-means row is 71.3 with an oracle choice of cluster.
	// Without ground truth, the lesion rule of segmenter/foreground
	// (field of view, Otsu split of the clusters, closing and opening)
	// measured 0.904 on these 20 images (2026-11; the earlier rule without
	// the field of view, 0.868). The bound guards against regressions with
	// some margin.
	mean := sum / float64(n)
	t.Logf("PH2: mean Dice %.3f over %d images", mean, n)
	if mean < 0.87 {
		t.Errorf("PH2 mean Dice %.3f < 0.87", mean)
	}
}

// Kaggle lung CT slices through the real plugin: FLOAT32 HU.
func TestLungCTDice(t *testing.T) {
	dir := shareddata.Path(t, "lung-ct-2d")
	p := openPlugin(t)
	rows := readIndex(t, filepath.Join(dir, "index.csv"))
	var sum float64
	n := 0
	for i := 0; i < len(rows); i += 4 {
		img := decode(t, filepath.Join(dir, rows[i][3]))
		g16, ok := img.(*image.Gray16)
		if !ok {
			t.Fatalf("%s: %T, want 16-bit grey", rows[i][3], img)
		}
		b := g16.Bounds()
		px := make([]float32, 0, b.Dx()*b.Dy())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				px = append(px, float32(int(g16.Gray16At(x, y).Y)-32768))
			}
		}
		labels := segmentOne(t, p, rows[i][0], "CT", sdk.NewFloat32Slice(0, b.Dy(), b.Dx(), px))
		d := dice(labels, decode(t, filepath.Join(dir, rows[i][4])))
		t.Logf("%s dice %.3f", rows[i][0], d)
		sum += d
		n++
	}
	// Paper: 92.7 (oracle cluster). Measured 0.943 here (2026-11); one
	// slice, ID_0052_Z_0108, scores 0.60 because its reference mask also
	// covers the air between the body and the reconstruction circle, which
	// the lung rule rightly leaves out.
	mean := sum / float64(n)
	t.Logf("lung CT: mean Dice %.3f over %d slices", mean, n)
	if mean < 0.90 {
		t.Errorf("lung CT mean Dice %.3f < 0.90", mean)
	}
}

// The conformance kit, through the real subprocess path.
func TestConformance(t *testing.T) {
	plugintest.Run(t, buildtest.Binary(t, "./plugin/kmeans", "mmcseg-plugin-kmeans"))
}

// A noisy chest slice with a wide padding outside the reconstruction
// circle, modelled on lung-ct-2d's ID_0032_Z_0055 (a fifth of the slice
// padded below −2500 HU, lungs −580 ± 150, tissue −30 ± 150): the clamped
// padding must not decide the clusters, so that the lungs fall wholly in
// the dark cluster.
func TestWindowedClustersIgnorePadding(t *testing.T) {
	const side = 160
	px := make([]float32, side*side)
	lungs := make([]bool, side*side)
	rng := uint32(3)
	noise := func() float32 { // roughly normal, sd ≈ 150
		var s float32
		for range 4 {
			rng = rng*1664525 + 1013904223
			s += float32(rng>>8)/float32(1<<24) - 0.5
		}
		return 260 * s
	}
	for i := range px {
		x, y := float64(i%side)-79.5, float64(i/side)-79.5
		switch {
		case x*x+y*y > 72*72:
			px[i] = -2500 // padding: a fifth of the slice
		case x*x/(68*68)+y*y/(58*58) > 1:
			px[i] = -800 + noise()
		default:
			px[i] = -30 + noise()
			for _, cx := range []float64{-30, 30} {
				if (x-cx)*(x-cx)/(21*21)+y*y/(38*38) <= 1 {
					px[i], lungs[i] = -580+noise(), true
				}
			}
		}
	}
	pl := plugin{}
	p, err := pl.Describe().ResolveParams(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := pl.Open(context.Background(), sdk.SeriesInfo{UID: "noisy", Modality: "CT", Format: sdk.Float32, Rows: side, Columns: side, Slices: 1}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := s.(*session).Segment(context.Background(), sdk.NewFloat32Slice(0, side, side, px))
	if err != nil {
		t.Fatal(err)
	}
	var inter, a, b int
	for i, l := range m.Labels {
		if l != 0 {
			a++
		}
		if lungs[i] {
			b++
		}
		if l != 0 && lungs[i] {
			inter++
		}
	}
	if d := 2 * float64(inter) / float64(a+b); d < 0.95 {
		t.Errorf("Dice %.3f against the phantom's lungs", d)
	}
}
