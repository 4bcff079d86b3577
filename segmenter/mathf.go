package segmenter

import "math"

// Transcendental functions. float64 kernels use package math; float32
// kernels use the functions below, which evaluate in float64 arithmetic
// (as cheap as float32 in scalar code) with polynomials fitted for float32
// accuracy: exp32 within 1 ulp, phi32 (the normal CDF) within 1e-7
// absolute and 1e-6 relative in its lower tail (TestMathAccuracy).

const (
	log2e = 1.4426950408889634
	ln2hi = 0.6931471803691238     // ln 2 with its last 32 bits zero
	ln2lo = 1.9082149292705877e-10 // ln 2 − ln2hi
)

// expd approximates e^x for |x| ≤ 87.3 to about 1e-9 relative: x = k·ln 2
// + r with |r| ≤ ln2/2, e^r by its degree-8 Taylor polynomial.
func expd(x float64) float64 {
	k := math.Floor(x*log2e + 0.5)
	r := (x - k*ln2hi) - k*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040+r*(1.0/40320))))))))
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// exp32 returns e^x in float32. Results below the smallest normal float32
// are flushed to zero.
func exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	}
	return float32(expd(float64(x)))
}

// erfcR are the coefficients (constant term first) of R(t) in
// erfc(z) = e^(−z²)·t·R(t), t = 1/(1 + z/2), valid for all z ≥ 0 (t in
// (0, 1]). Fitted here by weighted least squares on Chebyshev nodes
// against scipy.special.erfcx; maximum relative error 1.2e-8 in exact
// arithmetic, about 2e-7 when evaluated in float32.
var erfcR = [...]float64{0.28209479524008396, 0.282093749677169, 0.2468846715954527,
	0.175314945419473, 0.09346840389155014, -0.05923198954313481, 0.1322214553323927,
	-0.4550340281260375, 0.4937444710902009, -0.23475638065640914, 0.04319991067718851}

const (
	invSqrt2   = 0.7071067811865476
	invSqrt2Pi = 0.3989422804014327
)

// phi32 returns Φ(x), the standard normal CDF, and the density φ(x), for
// float32 use: Φ(x) = ½·erfc(−x/√2), by erfcR's formula, which needs one
// exponential for both. simd_amd64.s evaluates the same formula in float32.
func phi32(x float64) (cdf, pdf float64) {
	z := math.Abs(x) * invSqrt2
	if z*z > 87 { // beyond float32's normal range
		if x > 0 {
			return 1, 0
		}
		return 0, 0
	}
	t := 1 / (1 + 0.5*z)
	r := erfcR[10]
	for i := 9; i >= 0; i-- {
		r = r*t + erfcR[i]
	}
	g := expd(-z * z)
	h := 0.5 * g * t * r
	pdf = invSqrt2Pi * g
	if x >= 0 {
		return 1 - h, pdf
	}
	return h, pdf
}

// phi64 is phi32's exact float64 counterpart.
func phi64(x float64) (cdf, pdf float64) {
	return 0.5 * math.Erfc(-x*invSqrt2), invSqrt2Pi * math.Exp(-0.5*x*x)
}
