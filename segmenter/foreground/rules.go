package foreground

import (
	"fmt"
	"math"
	"sort"
)

// lesion: the darker clusters inside the field of view, opened, largest
// region, holes filled (package doc).
func (s *selection) lesion() Result {
	im := s.im
	var within []uint8
	var fov *Circle
	if !s.opts.NoFieldOfView {
		if c, ok := FieldOfView(s.intensity, im.w, im.h); ok {
			fov = &c
			within = make([]uint8, im.w*im.h)
			for y := range im.h {
				for x := range im.w {
					if (Circle{c.X, c.Y, c.R * (1 - fovMargin)}).Inside(x, y) {
						within[y*im.w+x] = 1
					}
				}
			}
		}
	}
	var st []cluster
	for _, c := range s.stats(within) {
		if !math.IsInf(c.mean, 1) {
			st = append(st, c)
		}
	}
	if len(st) < 2 {
		return Result{FieldOfView: fov, Reason: "the field of view holds a single cluster: nothing is darker than the rest"}
	}
	split := otsuSplit(st)
	r := s.opts.Smooth * float64(min(im.w, im.h))
	set := make([]bool, s.k)
	// The darker class first; should nothing of it survive the clean-up
	// (hairs alone, say), the next brighter cluster joins, but never the
	// brightest, the skin.
	for last := split; last < len(st); last++ {
		for _, c := range st[:last] {
			set[c.label] = true
		}
		raw := s.maskOf(set, within)
		m := im.open(im.close(raw, r), r)
		var kept []component
		for _, cp := range im.components(m) {
			if cp.area >= s.minArea {
				kept = append(kept, cp)
			}
		}
		if len(kept) == 0 {
			continue
		}
		im.keep(m, kept, s.opts.MaxComponents)
		im.fillHoles(m)
		res := s.result(m, set)
		res.FieldOfView = fov
		return res
	}
	return Result{FieldOfView: fov, Reason: fmt.Sprintf("no cluster darker than the brightest leaves a region of at least %g of the image after smoothing", s.opts.MinArea)}
}

// otsuSplit returns k such that st[:k] (darkest first) against st[k:] has
// the largest between-class variance of the intensity, each pixel taking
// its cluster's mean: Otsu's threshold over the cluster means. len(st) ≥ 2.
func otsuSplit(st []cluster) int {
	var total, sum float64
	for _, c := range st {
		total += float64(c.count)
		sum += float64(c.count) * c.mean
	}
	best, bestK := -1.0, 1
	var w0, s0 float64
	for k := 1; k < len(st); k++ {
		w0 += float64(st[k-1].count)
		s0 += float64(st[k-1].count) * st[k-1].mean
		w1 := total - w0
		d := s0/w0 - (sum-s0)/w1
		if v := w0 * w1 * d * d; v > best {
			best, bestK = v, k
		}
	}
	return bestK
}

// Airway settings for Lung: an air region smaller than this fraction of
// the body whose centroid lies within this fraction of the body's width of
// its middle is the trachea, a main bronchus or the oesophagus, not lung.
// The trachea is about 2 cm across (3 cm²) in a chest of 500 cm² or more;
// each lung, even near the apex, is larger, and lies off the midline.
const (
	airwayMaxArea = 0.02
	airwayMidline = 0.1
)

// lung: the low-density clusters inside the body, without the airways,
// the two largest regions, holes filled (package doc).
func (s *selection) lung() Result {
	im := s.im
	n := im.w * im.h
	tissue := make([]uint8, n)
	for i, v := range s.intensity {
		if float64(v) > s.opts.BodyMin {
			tissue[i] = 1
		}
	}
	body, bodyArea := im.largest(tissue)
	if bodyArea == 0 {
		return Result{Reason: fmt.Sprintf("no body: no pixel is above %g HU", s.opts.BodyMin)}
	}
	im.fillHoles(body)
	bodyArea = 0
	xmin, xmax := im.w, -1
	for i, v := range body {
		if v == 1 {
			bodyArea++
			x := i % im.w
			xmin, xmax = min(xmin, x), max(xmax, x)
		}
	}
	midX, bodyW := float64(xmin+xmax)/2, float64(xmax-xmin+1)
	set := make([]bool, s.k)
	any := false
	for _, c := range s.stats(body) {
		if c.mean < s.opts.LowDensityMax {
			set[c.label] = true
			any = true
		}
	}
	if !any {
		return Result{Reason: fmt.Sprintf("no cluster inside the body has a mean below %g HU", s.opts.LowDensityMax)}
	}
	m := s.maskOf(set, body)
	var kept []component
	airways := 0
	for _, cp := range im.components(m) {
		if cp.touchesBorder || cp.area < s.minArea {
			continue
		}
		cx, _ := cp.centroid()
		if !s.opts.KeepAirways && float64(cp.area) < airwayMaxArea*float64(bodyArea) && math.Abs(cx-midX) < airwayMidline*bodyW {
			airways++
			continue
		}
		kept = append(kept, cp)
	}
	im.keep(m, kept, s.opts.MaxComponents)
	im.fillHoles(m)
	res := s.result(m, set)
	if len(kept) == 0 {
		res.Reason = "no low-density region of at least the minimum area lies inside the body"
		if airways > 0 {
			res.Reason += fmt.Sprintf(" (%d small midline air regions were taken for airways)", airways)
		}
	}
	return res
}

// largest: the largest region of one cluster not touching the border.
func (s *selection) largest() Result {
	im := s.im
	var bestMask []uint8
	bestArea, bestLabel := 0, -1
	set := make([]bool, s.k)
	for l := range s.k {
		set[l] = true
		m := s.maskOf(set, nil)
		set[l] = false
		var kept []component
		for _, cp := range im.components(m) {
			if !cp.touchesBorder && cp.area >= s.minArea {
				kept = append(kept, cp)
			}
		}
		if len(kept) == 0 {
			continue
		}
		sort.SliceStable(kept, func(a, b int) bool { return kept[a].area > kept[b].area })
		if kept[0].area > bestArea {
			im.keep(m, kept, s.opts.MaxComponents)
			bestMask, bestArea, bestLabel = m, kept[0].area, l
		}
	}
	if bestLabel < 0 {
		return Result{Reason: "no cluster has a region of at least the minimum area away from the image border"}
	}
	im.fillHoles(bestMask)
	set[bestLabel] = true
	return s.result(bestMask, set)
}
