package main

import (
	"context"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"maps"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/internal/shareddata"
	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/sdk/plugintest"
	"github.com/mmcseg/mmcseg/segmenter/mmcformer"
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

// The working size must be odd with S−1 a multiple of 32 (method doc
// §3.6); other sizes are refused when the series opens, naming the rule.
func TestWorkingSizes(t *testing.T) {
	pl := &plugin{}
	d := pl.Describe()
	rgb := sdk.SeriesInfo{UID: "s", Format: sdk.RGB8, Rows: 4, Columns: 4, Slices: 1}
	for _, size := range []int{65, 129, 161, 193, 225, 257, 289, 513, 1025} {
		p, err := d.ResolveParams(map[string]string{"size": strconv.Itoa(size)})
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		s, err := pl.Open(context.Background(), rgb, p)
		if err != nil {
			t.Errorf("size %d refused: %v", size, err)
			continue
		}
		s.Close()
	}
	for _, size := range []int{64, 100, 128, 130, 192, 256, 258, 1057} {
		p, err := d.ResolveParams(map[string]string{"size": strconv.Itoa(size)})
		if err != nil {
			continue // outside the declared bounds: refused already
		}
		_, err = pl.Open(context.Background(), rgb, p)
		if !errors.Is(err, sdk.ErrBadParam) || !strings.Contains(err.Error(), "must be odd, with size−1 a multiple of 32") {
			t.Errorf("size %d: err %v, want a bad-parameter error that states the rule", size, err)
		}
	}
}

func TestBadParams(t *testing.T) {
	pl := &plugin{}
	d := pl.Describe()
	ct := sdk.SeriesInfo{UID: "ct", Modality: "CT", Format: sdk.Float32, Rows: 4, Columns: 4, Slices: 1}
	rgb := sdk.SeriesInfo{UID: "photo", Modality: "XC", Format: sdk.RGB8, Rows: 4, Columns: 4, Slices: 1}
	for _, tc := range []struct {
		info   sdk.SeriesInfo
		params map[string]string
		msg    string
	}{
		{rgb, map[string]string{"normalize": "window"}, "normalize=window applies to grey images"},
		{rgb, map[string]string{"rule": "lung"}, "rule=lung needs CT"},
		{ct, map[string]string{"window_width": "0"}, ""},
		{ct, map[string]string{"normalize": "clip"}, ""},
		{ct, map[string]string{"warm_start": "yes"}, ""},
		{ct, map[string]string{"warm_iterations": "0"}, ""},
	} {
		p, err := d.ResolveParams(tc.params)
		if err != nil {
			if tc.msg != "" {
				t.Errorf("%v: refused by the description (%v), want Open to refuse it", tc.params, err)
			}
			continue // rejected by the declared bounds or choices
		}
		if tc.msg == "" {
			t.Errorf("%v: accepted by the description", tc.params)
			continue
		}
		_, err = pl.Open(context.Background(), tc.info, p)
		if !errors.Is(err, sdk.ErrBadParam) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: err %v, want %q", tc.params, err, tc.msg)
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

// TestWarmStartSeries: in a CT series of several slices the plugin
// continues each slice from the previous one's weights (warm_start=auto):
// the second slice's first loss is near the first slice's last, far below
// a fresh start's, and it runs at most warm_iterations steps. A series of
// one slice and warm_start=off start fresh every time; a pooled model that
// ended a series starts the next one fresh.
func TestWarmStartSeries(t *testing.T) {
	const side = 40
	// A chest-like phantom: air, a body, two lungs that grow slice by
	// slice, as neighbouring slices of a volume do.
	slice := func(k int) sdk.Slice {
		px := make([]float32, side*side)
		for i := range px {
			x, y := float64(i%side)-19.5, float64(i/side)-19.5
			v := float32(-900)
			if x*x/324+y*y/196 <= 1 {
				v = 40
			}
			for _, cx := range []float64{-8, 8} {
				if (x-cx)*(x-cx)/float64(16+k)+y*y/float64(64+2*k) <= 1 {
					v = -750
				}
			}
			px[i] = v + float32((i*7919+k*104729)%23) // texture, different each slice
		}
		return sdk.NewFloat32Slice(k, side, side, px)
	}
	pl := &plugin{}
	d := pl.Describe()
	run := func(n int, extra map[string]string) []*mmcformer.Result {
		ps := map[string]string{"size": "65", "dim": "8", "clusters": "8", "iterations": "8", "min_labels": "0", "warm_iterations": "3", "threads": "1"}
		maps.Copy(ps, extra)
		p, err := d.ResolveParams(ps)
		if err != nil {
			t.Fatal(err)
		}
		info := sdk.SeriesInfo{UID: "phantom", Modality: "CT", Format: sdk.Float32, Rows: side, Columns: side, Slices: n}
		sess, err := pl.Open(context.Background(), info, p)
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		var out []*mmcformer.Result
		for k := range n {
			if _, err := sess.(*session).Segment(context.Background(), slice(k)); err != nil {
				t.Fatal(err)
			}
			out = append(out, sess.(*session).last)
		}
		return out
	}
	res := run(3, nil)
	if res[0].Warm || len(res[0].Steps) != 8 {
		t.Errorf("slice 0: warm %v, %d steps; want a fresh start of 8 steps", res[0].Warm, len(res[0].Steps))
	}
	for k := 1; k < 3; k++ {
		if !res[k].Warm || len(res[k].Steps) != 3 {
			t.Errorf("slice %d: warm %v, %d steps; want a warm start of 3 steps", k, res[k].Warm, len(res[k].Steps))
		}
	}
	first, last, next := res[0].Steps[0].Total, res[0].Steps[7].Total, res[1].Steps[0].Total
	t.Logf("slice 0: loss %.4g → %.4g; slice 1 starts at %.4g", first, last, next)
	if math.Abs(next-last) > 0.5*last || next > 0.5*first {
		t.Errorf("slice 1 starts at loss %.4g: want near slice 0's last %.4g, far below a fresh start's %.4g", next, last, first)
	}
	// The pooled model now holds the trained weights: a new series must
	// not inherit them.
	again := run(2, nil)
	if again[0].Warm || again[0].Steps[0].Total != first {
		t.Errorf("a new series started from loss %.4g (warm %v), want the fresh %.4g", again[0].Steps[0].Total, again[0].Warm, first)
	}
	if one := run(1, nil); one[0].Warm {
		t.Error("a one-slice series warm-started")
	}
	if off := run(2, map[string]string{"warm_start": "off"}); off[1].Warm || len(off[1].Steps) != 8 {
		t.Errorf("warm_start=off: slice 1 warm %v, %d steps", off[1].Warm, len(off[1].Steps))
	}
	if on := run(1, map[string]string{"warm_start": "on"}); on[0].Warm {
		t.Error("warm_start=on: the first slice of a series has nothing to continue from")
	}
}
