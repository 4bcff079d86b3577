package mmcformer

import "math"

// tap is one output coordinate's two source neighbours and the weight of
// the second, in OpenCV's INTER_LINEAR geometry: source coordinate
// (dst + 0.5)·src/dst − 0.5, clamped to the edge pixels.
type tap struct {
	i0, i1 int
	f      float32
}

func linearTaps(src, dst int) []tap {
	taps := make([]tap, dst)
	scale := float64(src) / float64(dst)
	for d := range taps {
		f := (float64(d)+0.5)*scale - 0.5
		i := int(math.Floor(f))
		frac := f - float64(i)
		if i < 0 {
			i, frac = 0, 0
		}
		if i >= src-1 {
			i, frac = src-1, 0
		}
		taps[d] = tap{i0: i, i1: min(i+1, src-1), f: float32(frac)}
	}
	return taps
}

// resizeBilinear resamples the sw×sh plane src into the dw×dh plane dst
// (OpenCV INTER_LINEAR: no antialiasing when shrinking).
func resizeBilinear(src []float32, sw, sh int, dst []float32, dw, dh int) {
	if sw == dw && sh == dh {
		copy(dst, src[:sw*sh])
		return
	}
	tx, ty := linearTaps(sw, dw), linearTaps(sh, dh)
	for y, vt := range ty {
		r0, r1 := src[vt.i0*sw:(vt.i0+1)*sw], src[vt.i1*sw:(vt.i1+1)*sw]
		out := dst[y*dw : (y+1)*dw]
		for x, ht := range tx {
			a := r0[ht.i0] + ht.f*(r0[ht.i1]-r0[ht.i0])
			b := r1[ht.i0] + ht.f*(r1[ht.i1]-r1[ht.i0])
			out[x] = a + vt.f*(b-a)
		}
	}
}
