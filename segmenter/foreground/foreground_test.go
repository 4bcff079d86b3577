package foreground

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// canvas is a synthetic image: an intensity per pixel plus a label map,
// drawn from shapes.
type canvas struct {
	w, h  int
	val   []float32
	label []uint8
}

func newCanvas(w, h int, val float32, label uint8) *canvas {
	c := &canvas{w: w, h: h, val: make([]float32, w*h), label: make([]uint8, w*h)}
	for i := range c.val {
		c.val[i], c.label[i] = val, label
	}
	return c
}

// ellipse paints pixels whose centre lies inside the ellipse.
func (c *canvas) ellipse(cx, cy, rx, ry float64, val float32, label uint8) {
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			if dx*dx+dy*dy <= 1 {
				c.val[y*c.w+x], c.label[y*c.w+x] = val, label
			}
		}
	}
}

// corners paints the dermatoscope vignette: everything outside a circle.
func (c *canvas) corners(r float64, val float32, label uint8) {
	cx, cy := float64(c.w-1)/2, float64(c.h-1)/2
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			if math.Hypot(float64(x)-cx, float64(y)-cy) > r {
				c.val[y*c.w+x], c.label[y*c.w+x] = val, label
			}
		}
	}
}

func (c *canvas) want(f func(x, y int) bool) []uint8 {
	m := make([]uint8, c.w*c.h)
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			if f(x, y) {
				m[y*c.w+x] = 1
			}
		}
	}
	return m
}

func inEllipse(x, y int, cx, cy, rx, ry float64) bool {
	dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
	return dx*dx+dy*dy <= 1
}

func diff(got, want []uint8, w int) string {
	n := 0
	first := ""
	for i := range got {
		if got[i] != want[i] {
			if n == 0 {
				first = fmt.Sprintf(" first at (%d,%d): got %d", i%w, i/w, got[i])
			}
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d pixels differ;%s", n, first)
}

func TestDarkLesion(t *testing.T) {
	// Skin (bright, cluster 1), a dark lesion with a bright glint inside
	// (a hole to fill), dark vignette corners in the lesion's cluster, and
	// a few dark hairs too small to matter.
	c := newCanvas(120, 90, 200, 1)
	c.corners(52, 25, 0)
	c.ellipse(60, 45, 25, 18, 70, 0)
	c.ellipse(62, 44, 4, 3, 210, 1)
	c.label[10*120+60], c.val[10*120+60] = 0, 60
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: DarkLesion})
	if err != nil {
		t.Fatal(err)
	}
	want := c.want(func(x, y int) bool { return inEllipse(x, y, 60, 45, 25, 18) })
	if d := diff(res.Mask, want, c.w); d != "" {
		t.Fatalf("mask: %s", d)
	}
	if len(res.Clusters) != 1 || res.Clusters[0] != 0 || res.Reason != "" {
		t.Errorf("result %+v", res)
	}
	var area int
	for _, v := range want {
		area += int(v)
	}
	if res.Area != area {
		t.Errorf("area %d, want %d", res.Area, area)
	}
}

// With three clusters the darkest can be the vignette alone: the rule
// moves on to the next.
func TestDarkLesionSkipsBorderCluster(t *testing.T) {
	c := newCanvas(100, 100, 190, 2)
	c.corners(45, 15, 0)
	c.ellipse(50, 50, 20, 20, 90, 1)
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: DarkLesion})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(res.Mask, c.want(func(x, y int) bool { return inEllipse(x, y, 50, 50, 20, 20) }), c.w); d != "" {
		t.Fatalf("mask: %s", d)
	}
	if len(res.Clusters) != 1 || res.Clusters[0] != 1 {
		t.Errorf("clusters %v", res.Clusters)
	}
}

// A lesion filling most of the frame touches the border but is not
// dominated by the band: it stays.
func TestDarkLesionLargeTouchingBorder(t *testing.T) {
	c := newCanvas(100, 80, 200, 1)
	c.ellipse(50, 40, 60, 45, 60, 0)
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: DarkLesion})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(res.Mask, c.want(func(x, y int) bool { return inEllipse(x, y, 50, 40, 60, 45) }), c.w); d != "" {
		t.Fatalf("mask: %s", d)
	}
}

func TestLowDensityLungs(t *testing.T) {
	// Air around the body at −800 (not −1000: the rule must not care),
	// circular field-of-view padding at −2000, a soft-tissue body, two
	// lungs with vessels, a small trachea, and the table below the body.
	const w, h = 160, 140
	c := newCanvas(w, h, -800, 0)
	c.corners(78, -2000, 0)
	c.ellipse(80, 70, 62, 45, 40, 1)
	c.ellipse(55, 68, 18, 28, -780, 0)
	c.ellipse(105, 68, 18, 28, -760, 0)
	for _, v := range [][2]float64{{55, 60}, {50, 75}, {105, 70}} {
		c.ellipse(v[0], v[1], 2, 2, 60, 1)
	}
	c.ellipse(80, 45, 2.5, 2.5, -900, 0)
	for x := 20; x < 140; x++ {
		c.val[128*w+x], c.label[128*w+x] = 300, 1
	}
	res, err := Select(c.label, c.val, w, h, Options{Rule: LowDensity})
	if err != nil {
		t.Fatal(err)
	}
	want := c.want(func(x, y int) bool {
		return inEllipse(x, y, 55, 68, 18, 28) || inEllipse(x, y, 105, 68, 18, 28)
	})
	if d := diff(res.Mask, want, w); d != "" {
		t.Fatalf("mask: %s", d)
	}
	if res.Reason != "" || len(res.Clusters) != 1 || res.Clusters[0] != 0 {
		t.Errorf("result %+v", res)
	}
}

// With three clusters, air and lung may split; both are below −400 and
// together make the candidate mask.
func TestLowDensityUnionOfClusters(t *testing.T) {
	c := newCanvas(100, 100, -1000, 0)
	c.ellipse(50, 50, 45, 40, 30, 2)
	c.ellipse(35, 50, 10, 20, -700, 1)
	c.ellipse(65, 50, 10, 20, -950, 0)
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: LowDensity})
	if err != nil {
		t.Fatal(err)
	}
	want := c.want(func(x, y int) bool { return inEllipse(x, y, 35, 50, 10, 20) || inEllipse(x, y, 65, 50, 10, 20) })
	if d := diff(res.Mask, want, c.w); d != "" {
		t.Fatalf("mask: %s", d)
	}
}

func TestEmptyResults(t *testing.T) {
	c := newCanvas(40, 30, 100, 3)
	for _, r := range []Rule{DarkLesion, LowDensity} {
		res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: r})
		if err != nil {
			t.Fatal(err)
		}
		if res.Area != 0 || res.Reason == "" {
			t.Errorf("%v on a uniform image: area %d, reason %q", r, res.Area, res.Reason)
		}
	}
	// 1×1 images are legal input.
	res, err := Select([]int{0}, []float32{5}, 1, 1, Options{Rule: DarkLesion})
	if err != nil || len(res.Mask) != 1 {
		t.Errorf("1×1: %+v, %v", res, err)
	}
}

func TestLabelTypesAgree(t *testing.T) {
	c := newCanvas(60, 50, 200, 1)
	c.ellipse(30, 25, 12, 9, 50, 0)
	ref, err := Select(c.label, c.val, c.w, c.h, Options{Rule: DarkLesion})
	if err != nil {
		t.Fatal(err)
	}
	wide := make([]uint16, len(c.label))
	ints := make([]int, len(c.label))
	for i, l := range c.label {
		wide[i] = uint16(l) * 300 // labels need not be small
		ints[i] = int(l) + 7
	}
	r16, err := Select(wide, c.val, c.w, c.h, Options{Rule: DarkLesion})
	if err != nil {
		t.Fatal(err)
	}
	rInt, err := Select(ints, c.val, c.w, c.h, Options{Rule: DarkLesion})
	if err != nil {
		t.Fatal(err)
	}
	if diff(r16.Mask, ref.Mask, c.w) != "" || diff(rInt.Mask, ref.Mask, c.w) != "" {
		t.Error("label type changes the mask")
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		labels []int
		vals   []float32
		w, h   int
		opts   Options
		msg    string
	}{
		{[]int{0, 1}, []float32{0, 1}, 3, 1, Options{Rule: DarkLesion}, "2 labels and 2 intensities for a 3×1 image"},
		{[]int{0, 1}, []float32{0}, 2, 1, Options{Rule: DarkLesion}, "1 intensities"},
		{[]int{0, 1}, []float32{0, 1}, 2, 1, Options{}, "unknown rule"},
		{[]int{0, -1}, []float32{0, 1}, 2, 1, Options{Rule: LowDensity}, "label -1 at pixel 1"},
		{[]int{0, 1 << 16}, []float32{0, 1}, 2, 1, Options{Rule: LowDensity}, "label 65536"},
	} {
		_, err := Select(tc.labels, tc.vals, tc.w, tc.h, tc.opts)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("err = %v, want %q", err, tc.msg)
		}
	}
}

func FuzzSelect(f *testing.F) {
	f.Add([]byte{0, 1, 1, 0, 2, 2, 1, 0, 0}, uint8(3), false)
	f.Add([]byte{5}, uint8(1), true)
	f.Fuzz(func(t *testing.T, data []byte, width uint8, lowDensity bool) {
		w := int(width%16) + 1
		h := len(data) / w
		if h == 0 {
			return
		}
		labels := data[:w*h]
		vals := make([]float32, w*h)
		for i, l := range labels {
			vals[i] = float32(l%7)*100 - 900
		}
		rule := DarkLesion
		if lowDensity {
			rule = LowDensity
		}
		res, err := Select(labels, vals, w, h, Options{Rule: rule})
		if err != nil {
			t.Fatal(err)
		}
		area := 0
		for _, v := range res.Mask {
			if v > 1 {
				t.Fatalf("mask value %d", v)
			}
			area += int(v)
		}
		if area != res.Area || (area == 0) != (res.Reason != "") {
			t.Fatalf("area %d, result %+v", area, res)
		}
	})
}

func BenchmarkSelect512(b *testing.B) {
	c := newCanvas(512, 512, -800, 0)
	c.ellipse(256, 256, 200, 150, 40, 1)
	c.ellipse(180, 250, 60, 100, -750, 0)
	c.ellipse(330, 250, 60, 100, -750, 0)
	for i := 0; i < b.N; i++ {
		if _, err := Select(c.label, c.val, c.w, c.h, Options{Rule: LowDensity}); err != nil {
			b.Fatal(err)
		}
	}
}
