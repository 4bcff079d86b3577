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

// Coefficients fitted by least squares on Chebyshev nodes against double-
// precision erf/erfc (relative error weights):
// erf(t) = t·P(t²) on |t| ≤ 0.9375 (max relative error 2.1e-8), and
// erfc(a) = e^(−a²)·Q(1/a)/a on 0.9375 ≤ a ≤ 6 (max relative error 1.9e-8);
// beyond 6, the asymptotic series.
var (
	erfP = [...]float64{1.1283791573283790e+00, -3.7612503470071346e-01, 1.1281799200103443e-01,
		-2.6763807417975689e-02, 4.9870864208640866e-03, -5.9530224103474872e-04}
	erfcQ = [...]float64{5.6424506881557168e-01, -1.5977316631861846e-03, -2.6212162005011302e-01,
		-1.4203033483293290e-01, 1.0508587421686877e+00, -1.7344810805104189e+00, 1.6171243320066129e+00,
		-9.2263318663544502e-01, 3.0175705874735875e-01, -4.3537678726633493e-02}
)

const (
	invSqrt2   = 0.7071067811865476
	invSqrt2Pi = 0.3989422804014327
	invSqrtPi  = 0.5641895835477563
)

// phi32 returns Φ(x), the standard normal CDF, and the density φ(x), both
// for float32 use. Φ(x) = ½·erfc(−x/√2).
func phi32(x float64) (cdf, pdf float64) {
	t := x * invSqrt2
	a := math.Abs(t)
	if a <= 0.9375 {
		s := t * t
		e := t * (erfP[0] + s*(erfP[1]+s*(erfP[2]+s*(erfP[3]+s*(erfP[4]+s*erfP[5])))))
		return 0.5 + 0.5*e, invSqrt2Pi * expd(-0.5*x*x)
	}
	if a*a > 87 {
		// Beyond float32's normal range.
		if t > 0 {
			return 1, 0
		}
		return 0, 0
	}
	g := expd(-a * a)
	u := 1 / a
	var q float64
	if a < 6 {
		q = erfcQ[0] + u*(erfcQ[1]+u*(erfcQ[2]+u*(erfcQ[3]+u*(erfcQ[4]+u*(erfcQ[5]+u*(erfcQ[6]+u*(erfcQ[7]+u*(erfcQ[8]+u*erfcQ[9]))))))))
	} else {
		// Asymptotic series of a·e^(a²)·erfc(a)·√π; the first omitted term
		// is below 5e-7 for a ≥ 6.
		v := u * u
		q = invSqrtPi * (1 + v*(-0.5+v*(0.75+v*(-1.875+v*6.5625))))
	}
	erfc := g * q * u
	pdf = invSqrt2Pi * g
	if t > 0 {
		return 1 - 0.5*erfc, pdf
	}
	return 0.5 * erfc, pdf
}

// phi64 is phi32's exact float64 counterpart.
func phi64(x float64) (cdf, pdf float64) {
	return 0.5 * math.Erfc(-x*invSqrt2), invSqrt2Pi * math.Exp(-0.5*x*x)
}

// expShifted sets x[i] = e^(x[i] − m[i]) (m nil: e^x[i]) and returns the
// float64 sum of the results.
func expShifted[T Float](x, m []T) float64 {
	var s float64
	switch v := any(x).(type) {
	case []float32:
		if m == nil {
			for i, xi := range v {
				y := exp32(xi)
				v[i] = y
				s += float64(y)
			}
			return s
		}
		mm := any(m).([]float32)[:len(v)]
		for i, xi := range v {
			y := exp32(xi - mm[i])
			v[i] = y
			s += float64(y)
		}
	case []float64:
		if m == nil {
			for i, xi := range v {
				y := math.Exp(xi)
				v[i] = y
				s += y
			}
			return s
		}
		mm := any(m).([]float64)[:len(v)]
		for i, xi := range v {
			y := math.Exp(xi - mm[i])
			v[i] = y
			s += y
		}
	}
	return s
}

// expScalar returns e^x for one value.
func expScalar[T Float](x T) T {
	switch v := any(x).(type) {
	case float32:
		return T(exp32(v))
	default:
		return T(math.Exp(float64(x)))
	}
}

// geluRow sets y[i] = GELU(x[i]) = x·Φ(x) (y may alias x).
func geluRow[T Float](x, y []T) {
	y = y[:len(x)]
	switch xv := any(x).(type) {
	case []float32:
		yv := any(y).([]float32)
		for i, xi := range xv {
			c, _ := phi32(float64(xi))
			yv[i] = float32(float64(xi) * c)
		}
	case []float64:
		yv := any(y).([]float64)
		for i, xi := range xv {
			c, _ := phi64(xi)
			yv[i] = xi * c
		}
	}
}

// geluGradRow sets dx[i] = dy[i]·GELU'(x[i]) = dy·(Φ(x) + x·φ(x)) and, when
// y is not nil, y[i] = GELU(x[i]). dx may alias dy.
func geluGradRow[T Float](x, dy, dx, y []T) {
	n := len(x)
	dy, dx = dy[:n], dx[:n]
	switch xv := any(x).(type) {
	case []float32:
		dyv, dxv := any(dy).([]float32), any(dx).([]float32)
		yv, _ := any(y).([]float32)
		for i, xi := range xv {
			x := float64(xi)
			c, p := phi32(x)
			dxv[i] = float32(float64(dyv[i]) * (c + x*p))
			if yv != nil {
				yv[i] = float32(x * c)
			}
		}
	case []float64:
		dyv, dxv := any(dy).([]float64), any(dx).([]float64)
		yv, _ := any(y).([]float64)
		for i, x := range xv {
			c, p := phi64(x)
			dxv[i] = dyv[i] * (c + x*p)
			if yv != nil {
				yv[i] = x * c
			}
		}
	}
}
