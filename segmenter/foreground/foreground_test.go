package foreground

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/segmenter/prep"
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

// line paints a straight band of the given width from (x0, y0) to (x1, y1):
// a hair.
func (c *canvas) line(x0, y0, x1, y1, width float64, val float32, label uint8) {
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			t := ((float64(x)-x0)*dx + (float64(y)-y0)*dy) / l2
			t = math.Max(0, math.Min(1, t))
			px, py := x0+t*dx, y0+t*dy
			if math.Hypot(float64(x)-px, float64(y)-py) <= width/2 {
				c.val[y*c.w+x], c.label[y*c.w+x] = val, label
			}
		}
	}
}

// dice compares two masks.
func dice(a, b []uint8) float64 {
	var inter, na, nb int
	for i := range a {
		na += int(a[i])
		nb += int(b[i])
		inter += int(a[i] & b[i])
	}
	if na+nb == 0 {
		return 1
	}
	return 2 * float64(inter) / float64(na+nb)
}

// dermoscopy draws a PH2-like image at 400×300: skin (cluster 2, bright),
// the dermatoscope's vignette outside a circle (cluster 0, near black), a
// dark lesion (cluster 0 too: as dark as the vignette to a clustering)
// and returns the circle's centre and radius.
func dermoscopy() (*canvas, float64, float64, float64) {
	c := newCanvas(400, 300, 190, 2)
	cx, cy, r := 199.5+6, 149.5-4, 210.0
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			if math.Hypot(float64(x)-cx, float64(y)-cy) > r {
				c.val[y*c.w+x], c.label[y*c.w+x] = 40, 0
			}
		}
	}
	return c, cx, cy, r
}

// The skin lesion on skin with the dermatoscope's dark border, in the same
// cluster as the lesion and touching it: the rule finds the field of
// view, keeps the lesion inside it, fills the glint inside the lesion and
// takes neither the vignette nor the hairs that join the lesion to it.
func TestLesion(t *testing.T) {
	c, cx, cy, r := dermoscopy()
	// A large lesion reaching the upper right edge of the field of view.
	c.ellipse(250, 110, 100, 75, 90, 0)
	c.ellipse(255, 105, 8, 6, 200, 2) // a glint
	c.line(150, 110, 10, 290, 2, 60, 0)
	c.line(170, 160, 395, 295, 3, 60, 0)
	inFOV := func(x, y int) bool { return math.Hypot(float64(x)-cx, float64(y)-cy) <= r }
	want := c.want(func(x, y int) bool { return inEllipse(x, y, 250, 110, 100, 75) && inFOV(x, y) })
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lesion})
	if err != nil {
		t.Fatal(err)
	}
	if res.FieldOfView == nil {
		t.Fatal("no field of view found")
	}
	f := *res.FieldOfView
	if math.Hypot(f.X-cx, f.Y-cy) > 4 || math.Abs(f.R-r) > 0.02*r {
		t.Errorf("field of view %+v, want centre (%g, %g) radius %g", f, cx, cy, r)
	}
	if d := dice(res.Mask, want); d < 0.97 {
		t.Errorf("Dice %.4f against the lesion inside the field of view (%s)", d, diff(res.Mask, want, c.w))
	}
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			if res.Mask[y*c.w+x] == 1 && !inFOV(x, y) {
				t.Fatalf("vignette pixel (%d, %d) in the mask", x, y)
			}
			// Where a hair leaves the lesion at an acute angle, the
			// closing fills the corner: allow three smoothing radii.
			if res.Mask[y*c.w+x] == 1 && !inEllipse(x, y, 250, 110, 109, 84) {
				t.Fatalf("pixel (%d, %d) far from the lesion (a hair?) in the mask", x, y)
			}
		}
	}
	if len(res.Clusters) != 1 || res.Clusters[0] != 0 || res.Reason != "" {
		t.Errorf("result: clusters %v, reason %q", res.Clusters, res.Reason)
	}
}

// Without the field of view the vignette, in the lesion's cluster, would
// swallow the lesion: the old failure this rule fixes.
func TestLesionNeedsFieldOfView(t *testing.T) {
	c, cx, cy, r := dermoscopy()
	// A lesion reaching past the field of view's edge into the vignette
	// of the upper right corner.
	c.ellipse(335, 50, 65, 45, 90, 0)
	want := c.want(func(x, y int) bool {
		return inEllipse(x, y, 335, 50, 65, 45) && math.Hypot(float64(x)-cx, float64(y)-cy) <= r
	})
	with, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lesion})
	if err != nil {
		t.Fatal(err)
	}
	without, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lesion, NoFieldOfView: true})
	if err != nil {
		t.Fatal(err)
	}
	dw, dn := dice(with.Mask, want), dice(without.Mask, want)
	if dw < 0.97 || dn > dw-0.03 {
		t.Errorf("Dice with the field of view %.3f (want ≥ 0.97), without %.3f (want it 3 points worse at least)", dw, dn)
	}
}

// A lesion in two clusters (dark core, lighter rim) on skin, plus the
// vignette: both lesion clusters are the darker class of the split.
func TestLesionTwoClusters(t *testing.T) {
	c, _, _, _ := dermoscopy()
	c.ellipse(200, 150, 90, 60, 130, 1)
	c.ellipse(205, 148, 50, 30, 60, 0)
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lesion})
	if err != nil {
		t.Fatal(err)
	}
	want := c.want(func(x, y int) bool { return inEllipse(x, y, 200, 150, 90, 60) })
	if d := dice(res.Mask, want); d < 0.98 || len(res.Clusters) != 2 {
		t.Errorf("Dice %.4f, clusters %v; want the whole lesion from clusters 0 and 1", d, res.Clusters)
	}
}

// A porous lesion, as a per-pixel clustering leaves it (k-means): 60 % of
// its pixels in the dark cluster, the rest in the skin's. The closing
// makes it whole again.
func TestLesionPorous(t *testing.T) {
	c, _, _, _ := dermoscopy()
	rng := uint32(1)
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			rng = rng*1664525 + 1013904223
			if inEllipse(x, y, 190, 160, 80, 55) && rng>>24 < 154 {
				c.val[y*c.w+x], c.label[y*c.w+x] = 80, 0
			}
		}
	}
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lesion})
	if err != nil {
		t.Fatal(err)
	}
	want := c.want(func(x, y int) bool { return inEllipse(x, y, 190, 160, 80, 55) })
	if d := dice(res.Mask, want); d < 0.95 {
		t.Errorf("Dice %.4f", d)
	}
}

// A tiny image, where the smoothing radius is below a pixel: the rule
// still picks the dark object, label 0 like any other.
func TestLesionSmall(t *testing.T) {
	c := newCanvas(60, 40, 200, 1)
	c.ellipse(30, 20, 12, 8, 60, 0)
	c.ellipse(31, 20, 2, 2, 210, 1) // a glint: a hole to fill
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lesion})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(res.Mask, c.want(func(x, y int) bool { return inEllipse(x, y, 30, 20, 12, 8) }), c.w); d != "" {
		t.Errorf("mask: %s", d)
	}
	if res.FieldOfView != nil {
		t.Errorf("field of view %+v in an image without one", *res.FieldOfView)
	}
}

func TestFieldOfView(t *testing.T) {
	t.Run("dermoscopy", func(t *testing.T) {
		c, cx, cy, r := dermoscopy()
		c.ellipse(200, 150, 60, 40, 90, 0)
		f, ok := FieldOfView(c.val, c.w, c.h)
		if !ok || math.Hypot(f.X-cx, f.Y-cy) > 4 || math.Abs(f.R-r) > 0.02*r {
			t.Errorf("got %+v %v, want centre (%g, %g) radius %g", f, ok, cx, cy, r)
		}
	})
	t.Run("none", func(t *testing.T) {
		c := newCanvas(400, 300, 190, 0)
		c.ellipse(200, 150, 60, 40, 50, 1)
		if f, ok := FieldOfView(c.val, c.w, c.h); ok {
			t.Errorf("found %+v in an image without a border", f)
		}
	})
	t.Run("dark corner lesion", func(t *testing.T) {
		// A lesion filling one corner is not a field-of-view border: a
		// lens's circle cuts all four corners.
		c := newCanvas(400, 300, 190, 0)
		c.ellipse(400, 300, 150, 120, 40, 1)
		if f, ok := FieldOfView(c.val, c.w, c.h); ok {
			t.Errorf("found %+v", f)
		}
	})
	t.Run("CT reconstruction circle", func(t *testing.T) {
		// Padding of −2000 outside a 250-pixel circle, air and body inside:
		// intensities may be negative; the dark level is relative to the
		// 90th percentile, here soft tissue.
		c := newCanvas(512, 512, 40, 0)
		for y := 0; y < c.h; y++ {
			for x := 0; x < c.w; x++ {
				if math.Hypot(float64(x)-255.5, float64(y)-255.5) > 250 {
					c.val[y*c.w+x] = -2000
				}
			}
		}
		if f, ok := FieldOfView(c.val, c.w, c.h); ok {
			// The 90th percentile is positive: −2000 is dark; a circle
			// that leaves the corners outside is found.
			if math.Abs(f.R-250) > 5 {
				t.Errorf("radius %g, want 250", f.R)
			}
		} else {
			t.Error("no circle found")
		}
	})
	if _, ok := FieldOfView(make([]float32, 16), 4, 4); ok {
		t.Error("a 4×4 image has a field of view")
	}
}

// lungPhantom draws a chest CT slice in HU: air at −800 (not −1000: the
// rule must not care) around a body of soft tissue, padding at −2000
// outside the reconstruction circle, two lungs at −750 and −780 with
// vessels, the trachea (−900) on the midline, and the table below the
// body. Lungs: cluster 0 with the air; tissue, vessels and table: 1.
func lungPhantom(merged bool) *canvas {
	const w, h = 200, 170
	c := newCanvas(w, h, -800, 0)
	c.corners(98, -2000, 0)
	c.ellipse(100, 80, 78, 55, 40, 1)
	left, right := 70.0, 130.0
	if merged {
		left, right = 80, 120
	}
	c.ellipse(left, 80, 24, 34, -780, 0)
	c.ellipse(right, 80, 24, 34, -750, 0)
	for _, v := range [][2]float64{{left - 4, 70}, {left + 2, 95}, {right + 3, 82}} {
		c.ellipse(v[0], v[1], 2.5, 2.5, 60, 1)
	}
	c.ellipse(100, 48, 4, 4, -900, 0)
	for x := 25; x < 175; x++ {
		for y := 150; y < 153; y++ {
			c.val[y*w+x], c.label[y*w+x] = 300, 1
		}
	}
	return c
}

// Two lungs in a body in air: both lungs, vessels filled, without the
// air around the body, the padding or the trachea.
func TestLungs(t *testing.T) {
	c := lungPhantom(false)
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lung})
	if err != nil {
		t.Fatal(err)
	}
	want := c.want(func(x, y int) bool { return inEllipse(x, y, 70, 80, 24, 34) || inEllipse(x, y, 130, 80, 24, 34) })
	if d := diff(res.Mask, want, c.w); d != "" {
		t.Fatalf("mask: %s", d)
	}
	if res.Reason != "" || len(res.Clusters) != 1 || res.Clusters[0] != 0 {
		t.Errorf("result: clusters %v, reason %q", res.Clusters, res.Reason)
	}
}

// Lungs that touch at the anterior junction form one region: the trachea
// would then be the second largest air region, kept as a "lung" unless
// the airway test drops it.
func TestLungsMergedWithTrachea(t *testing.T) {
	c := lungPhantom(true)
	lungs := c.want(func(x, y int) bool { return inEllipse(x, y, 80, 80, 24, 34) || inEllipse(x, y, 120, 80, 24, 34) })
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lung})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(res.Mask, lungs, c.w); d != "" {
		t.Errorf("mask: %s", d)
	}
	keep, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lung, KeepAirways: true})
	if err != nil {
		t.Fatal(err)
	}
	withTrachea := c.want(func(x, y int) bool { return lungs[y*c.w+x] == 1 || inEllipse(x, y, 100, 48, 4, 4) })
	if d := diff(keep.Mask, withTrachea, c.w); d != "" {
		t.Errorf("KeepAirways: %s", d)
	}
}

// With three clusters, air and lung may split; both are below −400 and
// together make the candidate region.
func TestLungsUnionOfClusters(t *testing.T) {
	c := newCanvas(100, 100, -1000, 0)
	c.ellipse(50, 50, 45, 40, 30, 2)
	c.ellipse(30, 50, 10, 20, -700, 1)
	c.ellipse(70, 50, 10, 20, -950, 0)
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lung})
	if err != nil {
		t.Fatal(err)
	}
	want := c.want(func(x, y int) bool { return inEllipse(x, y, 30, 50, 10, 20) || inEllipse(x, y, 70, 50, 10, 20) })
	if d := diff(res.Mask, want, c.w); d != "" {
		t.Errorf("mask: %s", d)
	}
	if len(res.Clusters) != 2 {
		t.Errorf("clusters %v, want 0 and 1", res.Clusters)
	}
}

func TestLargest(t *testing.T) {
	c := newCanvas(80, 60, 0, 0)
	c.ellipse(25, 30, 12, 10, 1, 1)
	c.ellipse(55, 30, 15, 12, 2, 2)
	c.ellipse(55, 30, 3, 3, 0, 0) // a hole
	for x := range 80 {
		c.label[x] = 3 // a border stripe, larger but touching the border
	}
	res, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Largest})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(res.Mask, c.want(func(x, y int) bool { return inEllipse(x, y, 55, 30, 15, 12) }), c.w); d != "" {
		t.Errorf("mask: %s", d)
	}
	if len(res.Clusters) != 1 || res.Clusters[0] != 2 {
		t.Errorf("clusters %v", res.Clusters)
	}
}

func TestEmptyResults(t *testing.T) {
	uniform := make([]uint8, 50*40)
	vals := make([]float32, 50*40)
	for i := range vals {
		vals[i] = 100
	}
	for _, r := range []Rule{Lesion, Lung, Largest} {
		res, err := Select(uniform, vals, 50, 40, Options{Rule: r})
		if err != nil {
			t.Fatal(err)
		}
		if res.Area != 0 || res.Reason == "" {
			t.Errorf("%v on a uniform image: area %d, reason %q", r, res.Area, res.Reason)
		}
	}
	// 1×1 images are legal input.
	for _, r := range []Rule{Lesion, Lung, Largest} {
		res, err := Select([]int{0}, []float32{5}, 1, 1, Options{Rule: r})
		if err != nil || len(res.Mask) != 1 {
			t.Errorf("%v on 1×1: %+v, %v", r, res, err)
		}
	}
}

func TestRuleNames(t *testing.T) {
	for _, name := range RuleNames() {
		r, err := ParseRule(name)
		if err != nil || r.String() != name {
			t.Errorf("%q: %v, %v", name, r, err)
		}
	}
	if r, err := ParseRule("auto"); err != nil || r != 0 {
		t.Errorf("auto: %v, %v", r, err)
	}
	if _, err := ParseRule("dark"); !errors.Is(err, ErrInput) {
		t.Errorf("unknown rule: %v", err)
	}
	if RuleFor(prep.CT) != Lung || RuleFor(prep.Colour) != Lesion || RuleFor(prep.Grey) != Lesion {
		t.Error("RuleFor")
	}
}

// The distance transform against brute force on random masks, and the
// opening of a bar and a line.
func TestDistanceTransform(t *testing.T) {
	rng := uint32(7)
	for trial := range 20 {
		w, h := 1+trial%9*3, 1+trial%7*4
		im := &image{w: w, h: h}
		mask := make([]uint8, w*h)
		for i := range mask {
			rng = rng*1664525 + 1013904223
			if rng>>28 < uint32(trial%5) {
				mask[i] = 1
			}
		}
		got := im.sqDist(mask, 1)
		for p := range mask {
			want := farAway
			for q := range mask {
				if mask[q] == 1 {
					dx, dy := float64(p%w-q%w), float64(p/w-q/w)
					want = math.Min(want, dx*dx+dy*dy)
				}
			}
			if got[p] != want {
				t.Fatalf("%d×%d trial %d pixel %d: %g, want %g", w, h, trial, p, got[p], want)
			}
		}
	}
	c := newCanvas(60, 40, 0, 0)
	c.ellipse(20, 20, 10, 10, 1, 1)
	c.line(30, 20, 58, 20, 3, 1, 1) // a hair 3 wide
	im := &image{w: c.w, h: c.h}
	opened := im.open(c.label, 3)
	want := c.want(func(x, y int) bool { return inEllipse(x, y, 20, 20, 10, 10) })
	if d := dice(opened, want); d < 0.97 {
		t.Errorf("opening by 3: Dice %.3f against the disk without the hair", d)
	}
	for x := 34; x < 60; x++ {
		if opened[20*c.w+x] == 1 {
			t.Fatalf("the hair survives the opening at x %d", x)
		}
	}
}

func TestLabelTypesAgree(t *testing.T) {
	c := newCanvas(60, 50, 200, 1)
	c.ellipse(30, 25, 12, 9, 50, 0)
	ref, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lesion})
	if err != nil {
		t.Fatal(err)
	}
	wide := make([]uint16, len(c.label))
	ints := make([]int, len(c.label))
	for i, l := range c.label {
		wide[i] = uint16(l) * 300 // labels need not be small
		ints[i] = int(l) + 7
	}
	r16, err := Select(wide, c.val, c.w, c.h, Options{Rule: Lesion})
	if err != nil {
		t.Fatal(err)
	}
	rInt, err := Select(ints, c.val, c.w, c.h, Options{Rule: Lesion})
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
		{[]int{0, 1}, []float32{0, 1}, 3, 1, Options{Rule: Lesion}, "2 labels and 2 intensities for a 3×1 image"},
		{[]int{0, 1}, []float32{0}, 2, 1, Options{Rule: Lesion}, "1 intensities"},
		{[]int{0, 1}, []float32{0, 1}, 2, 1, Options{}, "unknown rule"},
		{[]int{0, -1}, []float32{0, 1}, 2, 1, Options{Rule: Lung}, "label -1 at pixel 1"},
		{[]int{0, 1 << 16}, []float32{0, 1}, 2, 1, Options{Rule: Lung}, "label 65536"},
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
		rule := Lesion
		if lowDensity {
			rule = Lung
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

// BenchmarkLung512: the lung rule on a 512×512 CT slice.
func BenchmarkLung512(b *testing.B) {
	c := newCanvas(512, 512, -800, 0)
	c.ellipse(256, 256, 200, 150, 40, 1)
	c.ellipse(180, 250, 60, 100, -750, 0)
	c.ellipse(330, 250, 60, 100, -750, 0)
	for b.Loop() {
		if _, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lung}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLesionPH2: the lesion rule on a PH2-sized (768×576) image with
// a vignette, the field-of-view search included.
func BenchmarkLesionPH2(b *testing.B) {
	c := newCanvas(768, 576, 190, 2)
	c.corners(420, 40, 0)
	c.ellipse(400, 280, 150, 110, 90, 0)
	c.ellipse(380, 300, 60, 40, 130, 1)
	for b.Loop() {
		if _, err := Select(c.label, c.val, c.w, c.h, Options{Rule: Lesion}); err != nil {
			b.Fatal(err)
		}
	}
}
