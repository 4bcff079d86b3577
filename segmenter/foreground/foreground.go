package foreground

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Rule chooses how the foreground is picked.
type Rule int

const (
	// DarkLesion: the darkest cluster not dominated by the image border.
	DarkLesion Rule = iota + 1
	// LowDensity: low-density clusters inside the body (CT lungs).
	LowDensity
)

func (r Rule) String() string {
	switch r {
	case DarkLesion:
		return "dark-lesion"
	case LowDensity:
		return "low-density"
	}
	return fmt.Sprintf("Rule(%d)", int(r))
}

// Options tune a rule. Zero values mean the documented defaults.
type Options struct {
	Rule Rule
	// BorderBand is the width of the border band of DarkLesion, as a
	// fraction of the shorter image side; default 0.1.
	BorderBand float64
	// MinArea drops components smaller than this fraction of the image;
	// default 0.001.
	MinArea float64
	// MaxComponents is how many of the largest components are kept;
	// default 1 for DarkLesion, 2 for LowDensity.
	MaxComponents int
	// LowDensityMax is the mean intensity (HU) below which a cluster is a
	// LowDensity candidate; 0 means the default, −400.
	LowDensityMax float64
}

func (o Options) withDefaults() Options {
	if o.BorderBand <= 0 {
		o.BorderBand = 0.1
	}
	if o.MinArea <= 0 {
		o.MinArea = 0.001
	}
	if o.MaxComponents <= 0 {
		o.MaxComponents = 1
		if o.Rule == LowDensity {
			o.MaxComponents = 2
		}
	}
	if o.LowDensityMax == 0 {
		o.LowDensityMax = -400
	}
	return o
}

// Result is the chosen foreground.
type Result struct {
	// Mask holds 1 for foreground, 0 for background, row-major.
	Mask []uint8
	// Clusters are the cluster labels the foreground was taken from.
	Clusters []int
	// Area is the number of foreground pixels.
	Area int
	// Reason says why the mask is empty; "" when it is not.
	Reason string
}

// Label is any integer type a label map may use.
type Label interface {
	~uint8 | ~uint16 | ~int32 | ~int
}

// MaxLabel bounds label values.
const MaxLabel = 1 << 16

// ErrInput reports inconsistent arguments.
var ErrInput = errors.New("foreground: bad input")

// Select picks the foreground of a width×height label map. intensity holds
// each pixel's brightness (grey value, HU, or luminance for colour), used
// to rank clusters; NaN pixels are ignored in the ranking.
func Select[L Label](labels []L, intensity []float32, width, height int, opts Options) (Result, error) {
	n := width * height
	if width <= 0 || height <= 0 || len(labels) != n || len(intensity) != n {
		return Result{}, fmt.Errorf("%w: %d labels and %d intensities for a %d×%d image", ErrInput, len(labels), len(intensity), width, height)
	}
	if opts.Rule != DarkLesion && opts.Rule != LowDensity {
		return Result{}, fmt.Errorf("%w: unknown rule %v", ErrInput, opts.Rule)
	}
	opts = opts.withDefaults()
	img := &image{w: width, h: height, band: bandWidth(width, height, opts.BorderBand)}
	stats, err := clusterStats(labels, intensity, img)
	if err != nil {
		return Result{}, err
	}
	minArea := int(math.Ceil(opts.MinArea * float64(n)))
	mask := make([]uint8, n)
	res := Result{Mask: mask}
	switch opts.Rule {
	case DarkLesion:
		// The brightest cluster is the background by definition.
		cand := stats
		if len(cand) > 0 {
			cand = cand[:len(cand)-1]
		}
		for _, c := range cand {
			clear(mask)
			for i, l := range labels {
				if int(l) == c.label {
					mask[i] = 1
				}
			}
			comps := img.components(mask)
			kept := comps[:0]
			for _, cp := range comps {
				if 2*cp.inBand <= cp.area && cp.area >= minArea {
					kept = append(kept, cp)
				}
			}
			if len(kept) == 0 {
				continue
			}
			img.keep(mask, kept, opts.MaxComponents)
			res.Clusters = []int{c.label}
			break
		}
		if res.Clusters == nil {
			clear(mask)
			res.Reason = "no cluster darker than the background has a component of at least the minimum area that is not mostly in the border band"
			if len(cand) == 0 {
				res.Reason = "the image has a single cluster: nothing stands out"
			}
		}
	case LowDensity:
		var cand []int
		for _, c := range stats {
			if c.mean < opts.LowDensityMax {
				cand = append(cand, c.label)
			}
		}
		in := make([]bool, MaxLabel)
		for _, l := range cand {
			in[l] = true
		}
		for i, l := range labels {
			if in[int(l)] {
				mask[i] = 1
			}
		}
		comps := img.components(mask)
		kept := comps[:0]
		for _, cp := range comps {
			if !cp.touchesBorder && cp.area >= minArea {
				kept = append(kept, cp)
			}
		}
		img.keep(mask, kept, opts.MaxComponents)
		res.Clusters = cand
		switch {
		case len(cand) == 0:
			res.Reason = fmt.Sprintf("no cluster has a mean below %g HU", opts.LowDensityMax)
		case len(kept) == 0:
			res.Reason = "no low-density region of at least the minimum area lies inside the body"
		}
	}
	img.fillHoles(mask)
	for _, v := range mask {
		res.Area += int(v)
	}
	return res, nil
}

func bandWidth(w, h int, frac float64) int {
	return max(1, int(math.Round(frac*float64(min(w, h)))))
}

type cluster struct {
	label int
	count int
	mean  float64
}

// clusterStats returns the clusters present, darkest first (ties by label).
func clusterStats[L Label](labels []L, intensity []float32, img *image) ([]cluster, error) {
	maxL := 0
	for i, l := range labels {
		if l < 0 || int(l) >= MaxLabel {
			return nil, fmt.Errorf("%w: label %d at pixel %d outside 0..%d", ErrInput, int(l), i, MaxLabel-1)
		}
		maxL = max(maxL, int(l))
	}
	count := make([]int, maxL+1)
	valid := make([]int, maxL+1)
	sum := make([]float64, maxL+1)
	for i, l := range labels {
		count[l]++
		if v := float64(intensity[i]); !math.IsNaN(v) {
			valid[l]++
			sum[l] += v
		}
	}
	var out []cluster
	for l, c := range count {
		if c == 0 {
			continue
		}
		mean := math.Inf(1) // all-NaN clusters rank last
		if valid[l] > 0 {
			mean = sum[l] / float64(valid[l])
		}
		out = append(out, cluster{label: l, count: c, mean: mean})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].mean < out[b].mean })
	return out, nil
}

// image holds the geometry shared by the component operations.
type image struct {
	w, h int
	band int // border band width in pixels
	// lastIDs are the component ids of the last components call.
	lastIDs []int32
}

type component struct {
	id            int32
	area          int
	inBand        int
	touchesBorder bool
}

// label assigns component ids (1, 2, …) to the pixels where mask == on,
// with 4- or 8-connectivity, and returns the id map and the count.
func (im *image) label(mask []uint8, on uint8, eight bool) ([]int32, int32) {
	w, h := im.w, im.h
	ids := make([]int32, len(mask))
	var next int32
	stack := make([]int, 0, 1024)
	for start := range mask {
		if mask[start] != on || ids[start] != 0 {
			continue
		}
		next++
		ids[start] = next
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			y := p / w
			x := p - y*w
			left, right, up, down := x > 0, x < w-1, y > 0, y < h-1
			var nb [8]int
			k := 0
			if left {
				nb[k] = p - 1
				k++
			}
			if right {
				nb[k] = p + 1
				k++
			}
			if up {
				nb[k] = p - w
				k++
			}
			if down {
				nb[k] = p + w
				k++
			}
			if eight {
				if up && left {
					nb[k] = p - w - 1
					k++
				}
				if up && right {
					nb[k] = p - w + 1
					k++
				}
				if down && left {
					nb[k] = p + w - 1
					k++
				}
				if down && right {
					nb[k] = p + w + 1
					k++
				}
			}
			for _, q := range nb[:k] {
				if mask[q] == on && ids[q] == 0 {
					ids[q] = next
					stack = append(stack, q)
				}
			}
		}
	}
	return ids, next
}

// components returns the 4-connected foreground components of mask, with
// their ids written into im for keep.
func (im *image) components(mask []uint8) []component {
	ids, n := im.label(mask, 1, false)
	comps := make([]component, n)
	for i := range comps {
		comps[i].id = int32(i + 1)
	}
	for y := 0; y < im.h; y++ {
		row := ids[y*im.w : (y+1)*im.w]
		edgeRow := y == 0 || y == im.h-1
		bandRow := y < im.band || y >= im.h-im.band
		for x, id := range row {
			if id == 0 {
				continue
			}
			c := &comps[id-1]
			c.area++
			if bandRow || x < im.band || x >= im.w-im.band {
				c.inBand++
			}
			if edgeRow || x == 0 || x == im.w-1 {
				c.touchesBorder = true
			}
		}
	}
	im.lastIDs = ids
	return comps
}

// keep clears mask except the largest max of the given components (ties
// by id, i.e. raster order of their first pixel).
func (im *image) keep(mask []uint8, comps []component, max int) {
	sort.SliceStable(comps, func(a, b int) bool { return comps[a].area > comps[b].area })
	if len(comps) > max {
		comps = comps[:max]
	}
	want := make([]bool, len(im.lastIDs)+1)
	for _, c := range comps {
		want[c.id] = true
	}
	for p, id := range im.lastIDs {
		if !want[id] {
			mask[p] = 0
		}
	}
}

// fillHoles sets background regions (8-connected) that do not reach the
// border to foreground.
func (im *image) fillHoles(mask []uint8) {
	ids, n := im.label(mask, 0, true)
	open := make([]bool, n+1)
	for x := 0; x < im.w; x++ {
		open[ids[x]] = true
		open[ids[(im.h-1)*im.w+x]] = true
	}
	for y := 0; y < im.h; y++ {
		open[ids[y*im.w]] = true
		open[ids[y*im.w+im.w-1]] = true
	}
	for p, id := range ids {
		if id != 0 && !open[id] {
			mask[p] = 1
		}
	}
}
