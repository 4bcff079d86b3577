package host

import (
	"math"
)

// The authors' evaluation (method doc §6, MS-Former utils.create_mask and
// notebook cell 12), step by step: the ground truth is read as 8-bit grey,
// resized to the working size S×S with OpenCV's default bilinear
// interpolation and binarised (non-zero → 1); the predicted cluster is the
// most frequent non-zero label of the cluster map inside it; the mask is
// that cluster, cut to the ground truth dilated by a 7×7 square twice.

// Bit-exact emulation of OpenCV 4.x cv::resize(INTER_LINEAR) on 8-bit
// single-channel images (imgproc/src/resize.cpp, the generic path without
// IPP or OpenCL, as Debian's python3-opencv 4.6 runs it): weights in 11-bit
// fixed point, a horizontal pass into integers, then a vertical pass with
// the rounding of the SIMD kernel (VResizeLinearVec_32s8u). Checked bit for
// bit against cv2.resize in the tests, on random images and masks of many
// sizes, shrinking and enlarging.
const (
	cvCoefBits  = 11
	cvCoefScale = 1 << cvCoefBits
)

// cvTaps are one axis' source indices and fixed-point weights.
type cvTaps struct {
	i0, i1 []int
	a0, a1 []int32
}

// cvRound rounds half to even, as cvRound (lrint) does.
func cvRound(v float32) int32 { return int32(math.RoundToEven(float64(v))) }

// cvLinearTaps computes the taps of one axis as cv::resize does: source
// coordinate (d + ½)·scale − ½ in double, cut to float, its floor and
// fraction in float, weights 1 − f and f rounded to 11-bit fixed point.
// Along x an index off the left edge gets fraction 0 and one at or past the
// right edge reads the last pixel twice with fraction 0; along y OpenCV
// keeps the fraction and clamps the two row indices.
func cvLinearTaps(src, dst int, isY bool) cvTaps {
	t := cvTaps{i0: make([]int, dst), i1: make([]int, dst), a0: make([]int32, dst), a1: make([]int32, dst)}
	scale := 1 / (float64(dst) / float64(src))
	for d := range dst {
		f := float32((float64(d)+0.5)*scale - 0.5)
		s := int(math.Floor(float64(f)))
		f -= float32(s)
		if isY {
			t.i0[d] = min(max(s, 0), src-1)
			t.i1[d] = min(max(s+1, 0), src-1)
		} else {
			if s < 0 {
				f, s = 0, 0
			}
			if s >= src-1 {
				f, s = 0, src-1
			}
			t.i0[d], t.i1[d] = s, min(s+1, src-1)
		}
		t.a0[d] = cvRound((1 - f) * cvCoefScale)
		t.a1[d] = cvRound(f * cvCoefScale)
	}
	return t
}

// ResizeLinear8 resizes the sw×sh 8-bit grey image src to dw×dh as OpenCV's
// cv2.resize(src, (dw, dh)) does with its default INTER_LINEAR, bit for bit
// (an exact halving on both axes becomes OpenCV's 2×2 area average, as it
// does there).
func ResizeLinear8(src []uint8, sw, sh, dw, dh int) []uint8 {
	dst := make([]uint8, dw*dh)
	if sw == dw && sh == dh {
		copy(dst, src)
		return dst
	}
	if sw == 2*dw && sh == 2*dh {
		for y := range dh {
			r0, r1 := src[2*y*sw:], src[(2*y+1)*sw:]
			for x := range dw {
				s := int(r0[2*x]) + int(r0[2*x+1]) + int(r1[2*x]) + int(r1[2*x+1])
				dst[y*dw+x] = uint8((s + 2) >> 2)
			}
		}
		return dst
	}
	tx, ty := cvLinearTaps(sw, dw, false), cvLinearTaps(sh, dh, true)
	// Horizontal pass of every source row a destination row needs.
	rows := make(map[int][]int32)
	hrow := func(sy int) []int32 {
		if r, ok := rows[sy]; ok {
			return r
		}
		r := make([]int32, dw)
		s := src[sy*sw : (sy+1)*sw]
		for x := range dw {
			r[x] = int32(s[tx.i0[x]])*tx.a0[x] + int32(s[tx.i1[x]])*tx.a1[x]
		}
		rows[sy] = r
		return r
	}
	for y := range dh {
		s0, s1 := hrow(ty.i0[y]), hrow(ty.i1[y])
		b0, b1 := ty.a0[y], ty.a1[y]
		out := dst[y*dw : (y+1)*dw]
		for x := range dw {
			// v_mul_hi of the 16-bit (value >> 4) and the weight, summed
			// with saturation, then a rounding shift by 2.
			h0 := (evalSat16(s0[x]>>4) * b0) >> 16
			h1 := (evalSat16(s1[x]>>4) * b1) >> 16
			out[x] = uint8(min(max((evalSat16(h0+h1)+2)>>2, 0), 255))
		}
		if y > 0 && ty.i0[y] != ty.i0[y-1] {
			delete(rows, ty.i0[y-1])
		}
	}
	return dst
}

func evalSat16(v int32) int32 { return min(max(v, math.MinInt16), math.MaxInt16) }

// Binarize returns 1 where v is non-zero, 0 elsewhere (the authors'
// GT[GT > 0] = 1).
func Binarize(v []uint8) []uint8 {
	out := make([]uint8, len(v))
	for i, x := range v {
		if x != 0 {
			out[i] = 1
		}
	}
	return out
}

// DilateSquare dilates the binary w×h mask by a (2r+1)×(2r+1) square,
// pixels beyond the edge ignored. cv2.dilate with a 7×7 ones kernel and
// iterations=2 is r = 6 (OpenCV merges the iterations of a rectangular
// kernel into one 13×13 pass; two 7×7 passes give the same set).
func DilateSquare(mask []uint8, w, h, r int) []uint8 {
	// Separable: a running maximum along rows, then along columns.
	tmp := make([]uint8, w*h)
	for y := range h {
		row := mask[y*w : (y+1)*w]
		for x := range w {
			var m uint8
			for i := max(0, x-r); i <= min(w-1, x+r); i++ {
				if row[i] > m {
					m = row[i]
				}
			}
			tmp[y*w+x] = m
		}
	}
	out := make([]uint8, w*h)
	for y := range h {
		for x := range w {
			var m uint8
			for j := max(0, y-r); j <= min(h-1, y+r); j++ {
				if v := tmp[j*w+x]; v > m {
					m = v
				}
			}
			out[y*w+x] = m
		}
	}
	return out
}

// PaperCluster returns the cluster the authors' protocol picks: the most
// frequent label of clusters among the pixels where ref is non-zero, ties
// going to the lowest label (numpy.unique then argmax). With includeZero
// false, as in the authors' code (which counts the non-zero values of
// pred × GT), label 0 is never picked; true is our corrected variant. ok is
// false when no label qualifies (the authors' code then fails on an empty
// argmax).
func PaperCluster(clusters, ref []uint8, includeZero bool) (cls int, ok bool) {
	var count [256]int
	for i, c := range clusters {
		if ref[i] != 0 {
			count[c]++
		}
	}
	first := 1
	if includeZero {
		first = 0
	}
	best := 0
	for l := first; l < 256; l++ {
		if count[l] > best {
			cls, best = l, count[l]
		}
	}
	return cls, best > 0
}

// paperDilation is the radius of the authors' crop: a 7×7 kernel applied
// twice.
const paperDilation = 6

// PaperMask is the authors' create_mask: the pixels of cluster cls within
// the reference dilated by a 13×13 square (Chebyshev distance ≤ 6).
func PaperMask(clusters, ref []uint8, w, h, cls int) []uint8 {
	dil := DilateSquare(ref, w, h, paperDilation)
	out := make([]uint8, w*h)
	for i, c := range clusters {
		if int(c) == cls && dil[i] != 0 {
			out[i] = 1
		}
	}
	return out
}
