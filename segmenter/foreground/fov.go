package foreground

import (
	"math"
	"slices"
)

// Circle is a circular field of view in pixel coordinates: centre (X, Y)
// (pixel centres at integers) and radius R.
type Circle struct {
	X, Y, R float64
}

// Inside reports whether pixel (x, y) lies within the circle.
func (c Circle) Inside(x, y int) bool {
	dx, dy := float64(x)-c.X, float64(y)-c.Y
	return dx*dx+dy*dy <= c.R*c.R
}

// Field-of-view search settings. The vignette of a dermatoscope is near
// black: its corners measure about a quarter of the skin's luminance on
// PH2 (median 0.24, 95 % below 0.33), lesions half to three quarters of
// it; "dark" is below half the skin level (the 90th percentile of the
// image). The region outside the circle must be at least 80 % dark
// (weight 4 against bright pixels), cover all four corners (a lens centred
// on the sensor cuts every corner) and at least 0.5 % of the image; the
// centre lies within 10 % of the sides from the image centre and the
// radius is at least 0.45 times the shorter side (a field of view about
// as large as the inscribed circle or larger: PH2's measure 0.7 of it).
const (
	fovDark        = 0.5
	fovSkinPct     = 0.9
	fovBrightCost  = 4
	fovMinOutside  = 0.005
	fovCentreRange = 0.1
	fovMinRadius   = 0.45
	fovGrid        = 256 // the search runs on blocks, at most this many a side
	// fovMargin shrinks the circle Lesion keeps: the vignette darkens
	// gradually, and its first few per cent are still darker than skin.
	fovMargin = 0.03
)

// FieldOfView finds the dark circular border that a dermatoscope (or any
// circular lens or CT reconstruction circle) leaves around its field of
// view, from each pixel's brightness: the circle outside which the image
// is (almost) all dark. ok is false when the image has no such border.
// NaN pixels are ignored.
func FieldOfView(intensity []float32, width, height int) (c Circle, ok bool) {
	if width < 8 || height < 8 || len(intensity) != width*height {
		return Circle{}, false
	}
	// Average blocks of f×f pixels so that the search costs the same for
	// every image size.
	f := (max(width, height) + fovGrid - 1) / fovGrid
	gw, gh := (width+f-1)/f, (height+f-1)/f
	mean := make([]float64, gw*gh)
	cnt := make([]int, gw*gh)
	for y := range height {
		for x := range width {
			v := intensity[y*width+x]
			if math.IsNaN(float64(v)) {
				continue
			}
			b := (y/f)*gw + x/f
			mean[b] += float64(v)
			cnt[b]++
		}
	}
	var vals []float64
	for b := range mean {
		if cnt[b] > 0 {
			mean[b] /= float64(cnt[b])
			vals = append(vals, mean[b])
		}
	}
	if len(vals) == 0 {
		return Circle{}, false
	}
	slices.Sort(vals)
	skin := vals[int(fovSkinPct*float64(len(vals)-1))]
	if !(skin > 0) {
		return Circle{}, false
	}
	type block struct {
		x, y   float64 // centre, in pixels
		weight float64 // pixels in the block, times −fovBrightCost for bright ones
		n      float64 // pixels in the block
	}
	blocks := make([]block, 0, len(vals))
	for by := range gh {
		for bx := range gw {
			b := by*gw + bx
			if cnt[b] == 0 {
				continue
			}
			x0, y0 := bx*f, by*f
			x1, y1 := min(x0+f, width), min(y0+f, height)
			n := float64((x1 - x0) * (y1 - y0))
			wt := n
			if mean[b] >= fovDark*skin {
				wt = -fovBrightCost * n
			}
			blocks = append(blocks, block{float64(x0+x1-1) / 2, float64(y0+y1-1) / 2, wt, n})
		}
	}
	W, H := float64(width), float64(height)
	cx0, cy0 := (W-1)/2, (H-1)/2
	minR := fovMinRadius * math.Min(W, H)
	// Score of the best radius for one centre: the dark pixels outside the
	// circle minus fovBrightCost times the bright ones, over radii that
	// leave all four corners outside.
	nb := int(math.Hypot(W, H)) + 2
	hist := make([]float64, nb)
	area := make([]float64, nb)
	try := func(x, y float64) (score, r, outside float64) {
		clear(hist)
		clear(area)
		for _, b := range blocks {
			dx, dy := b.x-x, b.y-y
			d := math.Sqrt(dx*dx + dy*dy)
			i := min(int(d), nb-1)
			hist[i] += b.weight
			area[i] += b.n
		}
		maxR := math.Inf(1)
		for _, c := range [4][2]float64{{0, 0}, {W - 1, 0}, {0, H - 1}, {W - 1, H - 1}} {
			maxR = math.Min(maxR, math.Hypot(c[0]-x, c[1]-y))
		}
		score = math.Inf(-1)
		acc, out := 0.0, 0.0
		for i := nb - 1; i >= 0; i-- {
			// Blocks at distance in [i, i+1) lie outside a circle of
			// radius i.
			acc += hist[i]
			out += area[i]
			rad := float64(i)
			if rad < minR {
				break
			}
			if rad >= maxR {
				continue
			}
			if acc > score {
				score, r, outside = acc, rad, out
			}
		}
		return score, r, outside
	}
	best := math.Inf(-1)
	var bestC Circle
	var bestOut float64
	search := func(x, y float64) {
		s, r, out := try(x, y)
		if s > best {
			best, bestC, bestOut = s, Circle{X: x, Y: y, R: r}, out
		}
	}
	// Coarse grid of centres, 2 % of the sides apart, nearest the image
	// centre first (ties keep the more central circle); then refine around
	// the best by 0.5 %.
	type off struct{ i, j int }
	var offs []off
	const steps = 5
	for i := -steps; i <= steps; i++ {
		for j := -steps; j <= steps; j++ {
			offs = append(offs, off{i, j})
		}
	}
	slices.SortStableFunc(offs, func(a, b off) int { return (a.i*a.i + a.j*a.j) - (b.i*b.i + b.j*b.j) })
	step := fovCentreRange / steps
	for _, o := range offs {
		search(cx0+float64(o.i)*step*W, cy0+float64(o.j)*step*H)
	}
	bx, by := bestC.X, bestC.Y
	for _, o := range offs {
		if o.i*o.i > 4 || o.j*o.j > 4 || (o.i == 0 && o.j == 0) {
			continue
		}
		x, y := bx+float64(o.i)*step/4*W, by+float64(o.j)*step/4*H
		if math.Abs(x-cx0) <= fovCentreRange*W && math.Abs(y-cy0) <= fovCentreRange*H {
			search(x, y)
		}
	}
	if !(best > 0) || bestOut < fovMinOutside*W*H {
		return Circle{}, false
	}
	return bestC, true
}
