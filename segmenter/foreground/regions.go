package foreground

import "sort"

// image holds the geometry shared by the region operations.
type image struct {
	w, h int
	// lastIDs are the component ids of the last components call.
	lastIDs []int32
}

type component struct {
	id            int32
	area          int
	sumX, sumY    float64 // for the centroid
	touchesBorder bool
}

func (c component) centroid() (x, y float64) {
	return c.sumX / float64(c.area), c.sumY / float64(c.area)
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
		for x, id := range row {
			if id == 0 {
				continue
			}
			c := &comps[id-1]
			c.area++
			c.sumX += float64(x)
			c.sumY += float64(y)
			if edgeRow || x == 0 || x == im.w-1 {
				c.touchesBorder = true
			}
		}
	}
	im.lastIDs = ids
	return comps
}

// keep clears mask except the largest max of the given components (ties
// by id, i.e. raster order of their first pixel), which must come from the
// last components call.
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

// largest returns the largest component of mask (4-connected) as a new
// mask, and its area; 0 when mask is empty.
func (im *image) largest(mask []uint8) ([]uint8, int) {
	comps := im.components(mask)
	out := make([]uint8, len(mask))
	best := -1
	for i, c := range comps {
		if best < 0 || c.area > comps[best].area {
			best = i
		}
	}
	if best < 0 {
		return out, 0
	}
	id := comps[best].id
	for p, v := range im.lastIDs {
		if v == id {
			out[p] = 1
		}
	}
	return out, comps[best].area
}
