package main

import (
	"context"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"os"
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

// quick are parameters that make a slice take milliseconds: the smallest
// working size, a narrow network, few steps.
var quick = map[string]string{"size": "65", "dim": "8", "clusters": "8", "iterations": "2"}

func TestConformance(t *testing.T) {
	plugintest.Run(t, buildtest.Binary(t, "./plugin/mmcformer", "mmcseg-plugin-mmcformer"), plugintest.Options{Params: quick})
}

func TestBadParams(t *testing.T) {
	pl := &plugin{}
	d := pl.Describe()
	for _, bad := range []map[string]string{{"size": "256"}, {"size": "100"}} {
		p, err := d.ResolveParams(bad)
		if err != nil {
			continue // rejected by the declared bounds already
		}
		if _, err := pl.Open(context.Background(), sdk.SeriesInfo{Format: sdk.RGB8, Rows: 4, Columns: 4, Slices: 1}, p); err == nil {
			t.Errorf("Open accepted %v", bad)
		}
	}
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

// TestPH2 segments a real dermoscopy image through the built plugin at a
// reduced working size and compares the mask with the expert's.
func TestPH2(t *testing.T) {
	if testing.Short() {
		t.Skip("a full optimisation takes tens of seconds")
	}
	img := decode(t, shareddata.Path(t, "ph2/images/IMD004.jpg"))
	ref := decode(t, shareddata.Path(t, "ph2/masks/IMD004.png"))
	b := img.Bounds()
	px := make([]uint8, 0, 3*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			px = append(px, c.R, c.G, c.B)
		}
	}
	p, err := sdk.Open(context.Background(), buildtest.Binary(t, "./plugin/mmcformer", "mmcseg-plugin-mmcformer"), sdk.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sl := sdk.NewRGB8Slice(0, b.Dy(), b.Dx(), px)
	var labels []uint8
	_, err = p.Segment(context.Background(), sdk.SegmentRequest{
		Series: sdk.SeriesInfo{UID: "IMD004", Modality: "XC", Format: sdk.RGB8, Rows: b.Dy(), Columns: b.Dx(), Slices: 1},
		Params: map[string]string{"size": "129"},
		Slice:  func(context.Context, int) (sdk.Slice, error) { return sl, nil },
		OnMask: func(m sdk.Mask) error { labels = m.Labels; return nil },
	})
	if err != nil || labels == nil {
		t.Fatalf("segment: %v (mask %v)", err, labels != nil)
	}
	var inter, a, g int
	for y := range b.Dy() {
		for x := range b.Dx() {
			pm := labels[y*b.Dx()+x] != 0
			q := color.GrayModel.Convert(ref.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y != 0
			if pm {
				a++
			}
			if q {
				g++
			}
			if pm && q {
				inter++
			}
		}
	}
	d := 2 * float64(inter) / float64(a+g)
	t.Logf("IMD004 at S=129: Dice %.3f (mask %d px, reference %d px)", d, a, g)
	if d < 0.6 {
		t.Errorf("Dice %.3f, want ≥ 0.6", d)
	}
}
