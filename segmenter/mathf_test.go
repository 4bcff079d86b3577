package segmenter

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMathAccuracy(t *testing.T) {
	// exp32 against math.Exp, relative error in float32 ulps.
	var worstExp float64
	for x := -87.0; x <= 88.5; x += 0.000731 {
		got := float64(exp32(float32(x)))
		want := math.Exp(float64(float32(x)))
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
		worstExp = max(worstExp, math.Abs(got-want)/ulp)
	}
	if worstExp > 1 {
		t.Errorf("exp32: worst error %.2f ulp, want ≤ 1", worstExp)
	}
	if exp32(-100) != 0 || !math.IsInf(float64(exp32(100)), 1) || exp32(0) != 1 {
		t.Errorf("exp32 limits: e^-100 = %g, e^100 = %g, e^0 = %g", exp32(-100), exp32(100), exp32(0))
	}
	// phi32 against the erfc-based float64 Φ and the density.
	var worstAbs, worstRelTail, worstPdf float64
	for x := -12.0; x <= 12; x += 0.0001237 {
		c, p := phi32(x)
		wc, wp := phi64(x)
		worstAbs = max(worstAbs, math.Abs(c-wc))
		if x < -1 && wc > 1e-37 { // float32's normal range
			worstRelTail = max(worstRelTail, math.Abs(c-wc)/wc)
		}
		if wp > 1e-37 {
			worstPdf = max(worstPdf, math.Abs(p-wp)/wp)
		}
	}
	t.Logf("exp32 %.2f ulp; Φ abs %.2g, lower-tail rel %.2g; φ rel %.2g", worstExp, worstAbs, worstRelTail, worstPdf)
	if worstAbs > 3e-8 || worstRelTail > 1e-6 || worstPdf > 1e-8 {
		t.Errorf("phi32: abs %g, tail rel %g, pdf rel %g", worstAbs, worstRelTail, worstPdf)
	}
	// Known values of GELU (x·Φ(x)), in float32.
	for _, c := range []struct{ x, want float64 }{
		{0, 0}, {1, 0.8413447460685429}, {-1, -0.15865525393145707}, {3, 2.9959502}, {-3, -0.0040496},
	} {
		y := []float32{float32(c.x)}
		vGELU(y, y)
		if math.Abs(float64(y[0])-c.want) > 1e-6*max(1, math.Abs(c.want)) {
			t.Errorf("GELU(%g) = %g, want %g", c.x, y[0], c.want)
		}
	}
}

// TestFloat32MatchesFloat64 runs the float32 instantiation of each kernel on
// the same inputs as the float64 one (the gradient-checked code) and bounds
// the difference: the float32 path is the same code plus rounding.
func TestFloat32MatchesFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	e := NewEngine(2, nil)
	const rows, f = 500, 40
	x64 := randVec(r, rows*f, 3)
	g64, b64 := randVec(r, f, 1), randVec(r, f, 1)
	dy64 := randVec(r, rows*f, 1)
	x32, g32, b32, dy32 := to32(x64), to32(g64), to32(b64), to32(dy64)
	cmp := func(name string, got []float32, want []float64, tol float64) {
		t.Helper()
		var worst float64
		for i := range want {
			worst = max(worst, math.Abs(float64(got[i])-want[i])/(1+math.Abs(want[i])))
		}
		if worst > tol {
			t.Errorf("%s: float32 and float64 differ by %g (relative), want ≤ %g", name, worst, tol)
		}
	}
	{
		y64, m64, s64 := make([]float64, rows*f), make([]float64, rows), make([]float64, rows)
		y32, m32, s32 := make([]float32, rows*f), make([]float32, rows), make([]float32, rows)
		LayerNorm(e, rows, f, x64, g64, b64, 1e-5, y64, m64, s64)
		LayerNorm(e, rows, f, x32, g32, b32, 1e-5, y32, m32, s32)
		cmp("LayerNorm", y32, y64, 1e-6)
		dx64, dg64, db64 := make([]float64, rows*f), make([]float64, f), make([]float64, f)
		dx32, dg32, db32 := make([]float32, rows*f), make([]float32, f), make([]float32, f)
		LayerNormBackward(e, rows, f, x64, g64, m64, s64, dy64, dx64, false, dg64, db64)
		LayerNormBackward(e, rows, f, x32, g32, m32, s32, dy32, dx32, false, dg32, db32)
		cmp("LayerNormBackward dx", dx32, dx64, 2e-6)
		cmp("LayerNormBackward dgamma", dg32, dg64, 2e-6)
	}
	{
		h64, y64, s64 := make([]float64, rows*f), make([]float64, rows*f), make([]float64, f)
		h32, y32, s32 := make([]float32, rows*f), make([]float32, rows*f), make([]float32, f)
		BatchNorm(e, rows, f, x64, g64, b64, 1e-5, h64, y64, s64)
		BatchNorm(e, rows, f, x32, g32, b32, 1e-5, h32, y32, s32)
		cmp("BatchNorm", y32, y64, 1e-6)
		dx64, dg64, db64 := make([]float64, rows*f), make([]float64, f), make([]float64, f)
		dx32, dg32, db32 := make([]float32, rows*f), make([]float32, f), make([]float32, f)
		BatchNormBackward(e, rows, f, h64, g64, s64, dy64, dx64, dg64, db64)
		BatchNormBackward(e, rows, f, h32, g32, s32, dy32, dx32, dg32, db32)
		cmp("BatchNormBackward", dx32, dx64, 2e-6)
	}
	{
		y64, y32 := make([]float64, rows*f), make([]float32, rows*f)
		GELU(e, x64, y64)
		GELU(e, x32, y32)
		cmp("GELU", y32, y64, 2e-7)
		GELUBackward(e, x64, dy64, y64)
		GELUBackward(e, x32, dy32, y32)
		cmp("GELUBackward", y32, y64, 3e-7)
	}
	{
		y64, y32 := make([]float64, rows*f), make([]float32, rows*f)
		SoftmaxRows(e, rows, f, x64, f, y64, f)
		SoftmaxRows(e, rows, f, x32, f, y32, f)
		cmp("SoftmaxRows", y32, y64, 3e-7)
		mx64, sm64, mx32, sm32 := make([]float64, f), make([]float64, f), make([]float32, f), make([]float32, f)
		SoftmaxCols(e, rows, f, x64, f, y64, f, mx64, sm64)
		SoftmaxCols(e, rows, f, x32, f, y32, f, mx32, sm32)
		cmp("SoftmaxCols", y32, y64, 3e-7)
	}
	{
		const h, w, c = 20, 25, 40
		wt64, bb64 := randVec(r, 9*c, 0.3), randVec(r, c, 0.3)
		y64, y32 := make([]float64, h*w*c), make([]float32, h*w*c)
		DWConv3x3(e, h, w, c, x64, wt64, bb64, y64, true)
		DWConv3x3(e, h, w, c, x32, to32(wt64), to32(bb64), y32, true)
		cmp("DWConv3x3", y32, y64, 1e-6)
		for _, skip := range []bool{false, true} {
			dx64, dw64, db64 := make([]float64, h*w*c), make([]float64, 9*c), make([]float64, c)
			dx32, dw32, db32 := make([]float32, h*w*c), make([]float32, 9*c), make([]float32, c)
			DWConv3x3Backward(e, h, w, c, x64, wt64, dy64, dx64, false, skip, dw64, db64)
			DWConv3x3Backward(e, h, w, c, x32, to32(wt64), dy32, dx32, false, skip, dw32, db32)
			cmp("DWConv3x3Backward dx", dx32, dx64, 1e-6)
			for i := range dw64 { // sums over 500 pixels
				dw64[i] /= 30
				dw32[i] /= 30
			}
			cmp("DWConv3x3Backward dw", dw32, dw64, 1e-6)
			cmp("DWConv3x3Backward db", db32, db64, 1e-5)
		}
		// The fused MixFFN kernels, forward and backward.
		g64, b64 := randVec(r, c, 1), randVec(r, c, 1)
		a64, m64, s64 := make([]float64, h*w*c), make([]float64, h*w), make([]float64, h*w)
		a32, m32, s32 := make([]float32, h*w*c), make([]float32, h*w), make([]float32, h*w)
		MixFFNHidden(e, h, w, c, x64, wt64, bb64, g64, b64, 1e-5, a64, m64, s64)
		MixFFNHidden(e, h, w, c, x32, to32(wt64), to32(bb64), to32(g64), to32(b64), 1e-5, a32, m32, s32)
		cmp("MixFFNHidden", a32, a64, 2e-6)
		ds64, dg64, dbb64 := make([]float64, h*w*c), make([]float64, c), make([]float64, c)
		ds32, dg32, dbb32 := make([]float32, h*w*c), make([]float32, c), make([]float32, c)
		MixFFNHiddenBackward(e, h, w, c, x64, wt64, bb64, g64, b64, m64, s64, dy64, nil, ds64, dg64, dbb64)
		MixFFNHiddenBackward(e, h, w, c, x32, to32(wt64), to32(bb64), to32(g64), to32(b64), m32, s32, dy32, nil, ds32, dg32, dbb32)
		cmp("MixFFNHiddenBackward", ds32, ds64, 1e-5)
		for i := range dg64 {
			dg64[i] /= 30
			dg32[i] /= 30
		}
		cmp("MixFFNHiddenBackward dgamma", dg32, dg64, 1e-5)
	}
	{
		l64, l32 := make([]int32, rows), make([]int32, rows)
		ArgmaxRows(e, rows, f, x64, f, l64)
		ArgmaxRows(e, rows, f, x32, f, l32)
		d64, d32 := make([]float64, rows*f), make([]float32, rows*f)
		ce64 := CrossEntropy(e, rows, f, x64, f, l64, 1, d64)
		ce32 := CrossEntropy(e, rows, f, x32, f, l32, 1, d32)
		if math.Abs(ce32-ce64) > 1e-6 {
			t.Errorf("CrossEntropy: float32 %g, float64 %g", ce32, ce64)
		}
		cmp("CrossEntropy grad", d32, d64, 1e-7)
	}
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// TestDeterministic runs the reducing kernels twice and demands identical
// bits.
func TestDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	const rows, c = 3000, 50
	x := to32(randVec(r, rows*c, 2))
	dy := to32(randVec(r, rows*c, 1))
	g, b := to32(randVec(r, c, 1)), to32(randVec(r, c, 1))
	run := func() []float32 {
		e := NewEngine(2, nil)
		xh, y, rs := make([]float32, rows*c), make([]float32, rows*c), make([]float32, c)
		BatchNorm(e, rows, c, x, g, b, 1e-5, xh, y, rs)
		dx, dg, db := make([]float32, rows*c), make([]float32, c), make([]float32, c)
		BatchNormBackward(e, rows, c, xh, g, rs, dy, dx, dg, db)
		dw := make([]float32, c*c)
		Gemm(e, true, false, c, c, rows, 1, dx, c, y, c, 0, dw, c)
		return append(append(dx, dg...), dw...)
	}
	a, bb := run(), run()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(bb[i]) {
			t.Fatalf("element %d differs between runs: %g, %g", i, a[i], bb[i])
		}
	}
}
