package foreground

// Morphology with Euclidean disks, through the exact squared Euclidean
// distance transform of Felzenszwalb and Huttenlocher ("Distance
// Transforms of Sampled Functions", Theory of Computing 8, 2012): one pass
// of the 1-D lower envelope of parabolas along the rows, then along the
// columns. Pixels beyond the image edge are neither foreground nor
// background: a region touching the edge is not eroded from it.

const farAway = 1e20

// sqDist returns each pixel's squared distance to the nearest pixel whose
// mask value is on (farAway when there is none).
func (im *image) sqDist(mask []uint8, on uint8) []float64 {
	w, h := im.w, im.h
	d := make([]float64, w*h)
	for i, v := range mask {
		if v != on {
			d[i] = farAway
		}
	}
	n := max(w, h)
	f, g := make([]float64, n), make([]float64, n)
	v, z := make([]int, n), make([]float64, n+1)
	for y := range h {
		row := d[y*w : (y+1)*w]
		copy(f, row)
		envelope(f[:w], g[:w], v, z)
		copy(row, g[:w])
	}
	for x := range w {
		for y := range h {
			f[y] = d[y*w+x]
		}
		envelope(f[:h], g[:h], v, z)
		for y := range h {
			d[y*w+x] = g[y]
		}
	}
	return d
}

// envelope computes g[q] = min_p (q − p)² + f[p], the 1-D transform.
func envelope(f, g []float64, v []int, z []float64) {
	n := len(f)
	k := -1
	for q := range n {
		if f[q] >= farAway {
			continue
		}
		for k >= 0 {
			p := v[k]
			s := ((f[q] + float64(q*q)) - (f[p] + float64(p*p))) / float64(2*(q-p))
			if s > z[k] {
				z[k+1] = s
				break
			}
			k--
		}
		k++
		v[k] = q
		if k == 0 {
			z[0] = -farAway
		}
		z[k+1] = farAway
	}
	if k < 0 {
		for q := range g {
			g[q] = farAway
		}
		return
	}
	j := 0
	for q := range n {
		for z[j+1] < float64(q) {
			j++
		}
		dq := float64(q - v[j])
		g[q] = dq*dq + f[v[j]]
	}
}

// erode keeps the foreground pixels farther than r from the background.
func (im *image) erode(mask []uint8, r float64) []uint8 {
	d := im.sqDist(mask, 0)
	out := make([]uint8, len(mask))
	for i, v := range d {
		if mask[i] == 1 && v > r*r {
			out[i] = 1
		}
	}
	return out
}

// dilate sets the pixels within r of the foreground.
func (im *image) dilate(mask []uint8, r float64) []uint8 {
	d := im.sqDist(mask, 1)
	out := make([]uint8, len(mask))
	for i, v := range d {
		if v <= r*r {
			out[i] = 1
		}
	}
	return out
}

// open removes the parts of mask narrower than a disk of radius r (hairs,
// thin bridges), keeping the rest's shape.
func (im *image) open(mask []uint8, r float64) []uint8 {
	if r <= 0 {
		return mask
	}
	return im.dilate(im.erode(mask, r), r)
}

// close fills the gaps of mask narrower than a disk of radius r.
func (im *image) close(mask []uint8, r float64) []uint8 {
	if r <= 0 {
		return mask
	}
	return im.erode(im.dilate(mask, r), r)
}
