package segmenter

import (
	"math"
	"unsafe"
)

// Row primitives: the inner loops of every kernel. For float32 with AVX2
// and FMA they run simd_amd64.s on the largest multiple of 8 elements and
// this file's Go loop on the rest; otherwise the Go loop does everything.
// The float64 instantiation (the gradient-checked one) always runs Go.

// is32 reports whether T is float32 (a constant per instantiation).
func is32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// p32 returns x's first element as *float32 (T must be float32).
func p32[T Float](x []T) *float32 { return (*float32)(unsafe.Pointer(unsafe.SliceData(x))) }

// s32 returns x as a []float32 (T must be float32).
func s32[T Float](x []T) []float32 { return unsafe.Slice(p32(x), len(x)) }

// simd returns how many leading elements of an n-element row the AVX2
// kernels take.
func simd[T Float](n int) int {
	if is32[T]() && useAVX {
		return n &^ 7
	}
	return 0
}

// simd512 is simd for the AVX-512 kernels, which take 16 elements at a time.
func simd512[T Float](n int) int {
	if is32[T]() && useAVX512 {
		return n &^ 15
	}
	return 0
}

// vFMA sets o += a⊙b.
func vFMA[T Float](o, a, b []T) {
	n := len(o)
	a, b = a[:n], b[:n]
	if k := simd[T](n); k > 0 {
		fmaAVX(p32(o), p32(a), p32(b), k)
		o, a, b = o[k:], a[k:], b[k:]
	}
	for i := range o {
		o[i] += a[i] * b[i]
	}
}

// vAdd sets o += a.
func vAdd[T Float](o, a []T) {
	n := len(o)
	a = a[:n]
	if k := simd[T](n); k > 0 {
		addAVX(p32(o), p32(a), k)
		o, a = o[k:], a[k:]
	}
	for i := range o {
		o[i] += a[i]
	}
}

// vMul sets o *= a.
func vMul[T Float](o, a []T) {
	n := len(o)
	a = a[:n]
	if k := simd[T](n); k > 0 {
		mulAVX(p32(o), p32(a), k)
		o, a = o[k:], a[k:]
	}
	for i := range o {
		o[i] *= a[i]
	}
}

// vMaxAcc sets acc = max(acc, x).
func vMaxAcc[T Float](acc, x []T) {
	n := len(acc)
	x = x[:n]
	if k := simd[T](n); k > 0 {
		maxAccAVX(p32(acc), p32(x), k)
		acc, x = acc[k:], x[k:]
	}
	for i := range acc {
		acc[i] = max(acc[i], x[i])
	}
}

// vScale sets x *= s.
func vScale[T Float](x []T, s T) {
	if k := simd[T](len(x)); k > 0 {
		scaleAVX(p32(x), k, float32(s))
		x = x[k:]
	}
	for i := range x {
		x[i] *= s
	}
}

// vSum returns Σ x.
func vSum[T Float](x []T) float64 {
	var s float64
	if k := simd[T](len(x)); k > 0 {
		s = float64(sumAVX(p32(x), k))
		x = x[k:]
	}
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// vDot returns Σ a⊙b.
func vDot[T Float](a, b []T) float64 {
	b = b[:len(a)]
	var s float64
	if k := simd[T](len(a)); k > 0 {
		s = float64(dotAVX(p32(a), p32(b), k))
		a, b = a[k:], b[k:]
	}
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}

// vMax returns the largest element of x (len(x) ≥ 1).
func vMax[T Float](x []T) T {
	m := x[0]
	if k := simd[T](len(x)); k > 0 {
		m = T(maxAVX(p32(x), k))
		x = x[k:]
	}
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

// vSqDevSum returns Σ (x − m)².
func vSqDevSum[T Float](x []T, m T) float64 {
	var s float64
	if k := simd[T](len(x)); k > 0 {
		s = float64(sqDevSumAVX(p32(x), k, float32(m)))
		x = x[k:]
	}
	for _, v := range x {
		d := float64(v - m)
		s += d * d
	}
	return s
}

// vLNApply sets y = (x − m)·rs⊙g + b.
func vLNApply[T Float](x, y, g, b []T, m, rs T) {
	n := len(x)
	y, g, b = y[:n], g[:n], b[:n]
	if k := simd[T](n); k > 0 {
		lnApplyAVX(p32(x), p32(y), p32(g), p32(b), k, float32(m), float32(rs))
		x, y, g, b = x[k:], y[k:], g[k:], b[k:]
	}
	for j, v := range x {
		y[j] = (v-m)*rs*g[j] + b[j]
	}
}

// vLNBack1 returns Σ q and Σ q·x̂ for q = dy⊙g, x̂ = (x − m)·rs, and adds
// dy⊙x̂ to dg and dy to db.
func vLNBack1[T Float](x, dy, g, dg, db []T, m, rs T) (sg, sgx float64) {
	n := len(x)
	dy, g, dg, db = dy[:n], g[:n], dg[:n], db[:n]
	if k := simd[T](n); k > 0 {
		a, b := lnBack1AVX(p32(x), p32(dy), p32(g), p32(dg), p32(db), k, float32(m), float32(rs))
		sg, sgx = float64(a), float64(b)
		x, dy, g, dg, db = x[k:], dy[k:], g[k:], dg[k:], db[k:]
	}
	for j, v := range x {
		xh := (v - m) * rs
		q := dy[j] * g[j]
		sg += float64(q)
		sgx += float64(q) * float64(xh)
		dg[j] += dy[j] * xh
		db[j] += dy[j]
	}
	return sg, sgx
}

// vLNBack2 sets dx = rs·(dy⊙g − mg − x̂·mgx) (dx += with acc).
func vLNBack2[T Float](x, dy, g, dx []T, m, rs, mg, mgx T, acc bool) {
	n := len(x)
	dy, g, dx = dy[:n], g[:n], dx[:n]
	if k := simd[T](n); k > 0 {
		lnBack2AVX(p32(x), p32(dy), p32(g), p32(dx), k, float32(m), float32(rs), float32(mg), float32(mgx), acc)
		x, dy, g, dx = x[k:], dy[k:], g[k:], dx[k:]
	}
	for j, v := range x {
		xh := (v - m) * rs
		d := rs * (dy[j]*g[j] - mg - xh*mgx)
		if acc {
			dx[j] += d
		} else {
			dx[j] = d
		}
	}
}

// vSoftmaxBack sets dx = y⊙(dy − s) for one s (vec nil) or s⊙ per
// element (vec).
func vSoftmaxBack[T Float](y, dy, dx []T, s T, vec []T) {
	n := len(y)
	dy, dx = dy[:n], dx[:n]
	if k := simd[T](n); k > 0 {
		if vec != nil {
			softmaxBackAVX(p32(y), p32(dy), p32(dx), p32(vec), k, true)
			vec = vec[k:]
		} else {
			sv := []T{s}
			softmaxBackAVX(p32(y), p32(dy), p32(dx), p32(sv), k, false)
		}
		y, dy, dx = y[k:], dy[k:], dx[k:]
	}
	for j, v := range y {
		t := s
		if vec != nil {
			t = vec[j]
		}
		dx[j] = v * (dy[j] - t)
	}
}

// vBNApply sets xh = (x − m)⊙rs and, unless y is nil, y = g⊙xh + b.
func vBNApply[T Float](x, xh, y, m, rs, g, b []T) {
	n := len(x)
	xh, m, rs, g, b = xh[:n], m[:n], rs[:n], g[:n], b[:n]
	if k := simd[T](n); k > 0 {
		var yp *float32
		if y != nil {
			yp = p32(y)
			y = y[k:]
		}
		bnApplyAVX(p32(x), p32(xh), yp, p32(m), p32(rs), p32(g), p32(b), k)
		x, xh, m, rs, g, b = x[k:], xh[k:], m[k:], rs[k:], g[k:], b[k:]
	}
	for j, v := range x {
		h := (v - m[j]) * rs[j]
		xh[j] = h
		if y != nil {
			y[j] = g[j]*h + b[j]
		}
	}
}

// vSqDevAcc sets acc += (x − m)².
func vSqDevAcc[T Float](acc, x, m []T) {
	n := len(acc)
	x, m = x[:n], m[:n]
	if k := simd[T](n); k > 0 {
		sqDevAccAVX(p32(acc), p32(x), p32(m), k)
		acc, x, m = acc[k:], x[k:], m[k:]
	}
	for j, v := range x {
		d := v - m[j]
		acc[j] += d * d
	}
}

// vBNBackApply sets dx = k0⊙(dy − k1 − xh⊙k2).
func vBNBackApply[T Float](xh, dy, dx, k0, k1, k2 []T) {
	n := len(xh)
	dy, dx, k0, k1, k2 = dy[:n], dx[:n], k0[:n], k1[:n], k2[:n]
	if k := simd[T](n); k > 0 {
		bnBackApplyAVX(p32(xh), p32(dy), p32(dx), p32(k0), p32(k1), p32(k2), k)
		xh, dy, dx, k0, k1, k2 = xh[k:], dy[k:], dx[k:], k0[k:], k1[k:], k2[k:]
	}
	for j, h := range xh {
		dx[j] = k0[j] * (dy[j] - k1[j] - h*k2[j])
	}
}

// vGELU sets y = x·Φ(x) (y may alias x).
func vGELU[T Float](x, y []T) {
	y = y[:len(x)]
	if k := simd512[T](len(x)); k > 0 {
		geluAVX512(p32(x), p32(y), k, simdConst)
		x, y = x[k:], y[k:]
	}
	if k := simd[T](len(x)); k > 0 {
		geluAVX(p32(x), p32(y), k, simdConst)
		x, y = x[k:], y[k:]
	}
	for i, v := range x {
		c, _ := phiT(v)
		y[i] = T(float64(v) * c)
	}
}

// vGELUGrad sets dx = dy·(Φ(x) + x·φ(x)) and, unless y is nil, y =
// x·Φ(x). dx may alias x or dy.
func vGELUGrad[T Float](x, dy, dx, y []T) {
	n := len(x)
	dy, dx = dy[:n], dx[:n]
	kernel := func(k int, f func(x, dy, dx, y *float32, n int, c *[nConst][8]uint32)) {
		if k == 0 {
			return
		}
		var yp *float32
		if y != nil {
			yp = p32(y)
			y = y[k:]
		}
		f(p32(x), p32(dy), p32(dx), yp, k, simdConst)
		x, dy, dx = x[k:], dy[k:], dx[k:]
	}
	kernel(simd512[T](len(x)), geluGradAVX512)
	kernel(simd[T](len(x)), geluGradAVX)
	for i, v := range x {
		xv := float64(v)
		c, p := phiT(v)
		if y != nil {
			y[i] = T(xv * c)
		}
		dx[i] = T(float64(dy[i]) * (c + xv*p))
	}
}

// phiT is Φ and φ for one element of T: math for float64, phi32 for
// float32.
func phiT[T Float](v T) (cdf, pdf float64) {
	if is32[T]() {
		return phi32(float64(v))
	}
	return phi64(float64(v))
}

// expT is e^x for one element of T.
func expT[T Float](x T) T {
	if is32[T]() {
		return T(exp32(float32(x)))
	}
	return T(math.Exp(float64(x)))
}

// expTail reports whether the last n elements (fewer than 8) after the
// AVX kernels' share go through those kernels too, by way of 8-element
// buffers filled with pad (tail8) whose results are dropped: a scalar exp
// costs as much as a vector one.
func expTail[T Float](n int) bool { return n > 0 && is32[T]() && useAVX }

// tail8 returns an 8-element buffer holding x (fewer than 8 elements of
// float32) followed by pad.
func tail8[T Float](x []T, pad float32) [8]float32 {
	var b [8]float32
	for i := range b {
		b[i] = pad
	}
	copy(b[:], s32(x))
	return b
}

// vExpShift sets x = e^(x − m) and returns Σ x.
func vExpShift[T Float](x []T, m T) float64 {
	var s float64
	if k := simd[T](len(x)); k > 0 {
		s = float64(expShiftAVX(p32(x), k, float32(m), simdConst))
		x = x[k:]
	}
	if expTail[T](len(x)) {
		// Padding m − 100 adds 8·e^−87 at most (the kernel's floor) to a
		// sum that is at least 1 wherever m is x's maximum.
		b := tail8(x, float32(m)-100)
		s += float64(expShiftAVX(&b[0], 8, float32(m), simdConst))
		copy(s32(x), b[:])
		return s
	}
	for i, v := range x {
		e := expT(v - m)
		x[i] = e
		s += float64(e)
	}
	return s
}

// vExpSubVec sets y = e^(x − m) element-wise and adds y to acc.
func vExpSubVec[T Float](y, x, m, acc []T) {
	n := len(y)
	x, m, acc = x[:n], m[:n], acc[:n]
	if k := simd[T](n); k > 0 {
		expSubVecAVX(p32(y), p32(x), p32(m), p32(acc), k, simdConst)
		y, x, m, acc = y[k:], x[k:], m[k:], acc[k:]
	}
	if expTail[T](len(y)) {
		var yb [8]float32
		xb, mb, ab := tail8(x, 0), tail8(m, 0), tail8(acc, 0)
		expSubVecAVX(&yb[0], &xb[0], &mb[0], &ab[0], 8, simdConst)
		copy(s32(y), yb[:])
		copy(s32(acc), ab[:])
		return
	}
	for j, v := range x {
		e := expT(v - m[j])
		y[j] = e
		acc[j] += e
	}
}

// vExpSubMul sets y = e^(x − m)⊙s element-wise (y may alias x).
func vExpSubMul[T Float](y, x, m, s []T) {
	n := len(y)
	x, m, s = x[:n], m[:n], s[:n]
	if k := simd[T](n); k > 0 {
		expSubMulAVX(p32(y), p32(x), p32(m), p32(s), k, simdConst)
		y, x, m, s = y[k:], x[k:], m[k:], s[k:]
	}
	if expTail[T](len(y)) {
		var yb [8]float32
		xb, mb, sb := tail8(x, 0), tail8(m, 0), tail8(s, 0)
		expSubMulAVX(&yb[0], &xb[0], &mb[0], &sb[0], 8, simdConst)
		copy(s32(y), yb[:])
		return
	}
	for j, v := range x {
		y[j] = expT(v-m[j]) * s[j]
	}
}

// flush adds the row accumulator a to a64 and zeroes a. Column sums are
// accumulated in T over a bounded number of rows (flushEvery), then in
// float64.
func flush[T Float](a64 []float64, a []T) {
	a64 = a64[:len(a)]
	for i, v := range a {
		a64[i] += float64(v)
	}
	clear(a)
}

const flushEvery = 64
