package segmenter

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMixFFNHidden checks the fused kernel against the composition of the
// separately gradient-checked kernels, and its backward pass against finite
// differences.
func TestMixFFNHidden(t *testing.T) {
	e := NewEngine(3, nil)
	r := rand.New(rand.NewPCG(14, 14))
	const h, w, c = 7, 5, 6
	h1, wdw, bdw := randVec(r, h*w*c, 1), randVec(r, 9*c, 0.5), randVec(r, c, 0.5)
	g, b := randVec(r, c, 1), randVec(r, c, 1)
	a, mean, rstd := make([]float64, h*w*c), make([]float64, h*w), make([]float64, h*w)
	MixFFNHidden(e, h, w, c, h1, wdw, bdw, g, b, 1e-5, a, mean, rstd)

	s, want := make([]float64, h*w*c), make([]float64, h*w*c)
	DWConv3x3(e, h, w, c, h1, wdw, bdw, s, true)
	LayerNorm(e, h*w, c, s, g, b, 1e-5, want, make([]float64, h*w), make([]float64, h*w))
	GELU(e, want, want)
	for i := range a {
		if math.Abs(a[i]-want[i]) > 1e-14 {
			t.Fatalf("A[%d] = %g, composition gives %g", i, a[i], want[i])
		}
	}

	proj := randVec(r, h*w*c, 1)
	loss := func() float64 {
		MixFFNHidden(e, h, w, c, h1, wdw, bdw, g, b, 1e-5, a, mean, rstd)
		return dot(a, proj)
	}
	loss()
	ds, dg, db := make([]float64, h*w*c), make([]float64, c), make([]float64, c)
	a2 := make([]float64, h*w*c)
	MixFFNHiddenBackward(e, h, w, c, h1, wdw, bdw, g, b, mean, rstd, proj, a2, ds, dg, db)
	for i := range a {
		if a2[i] != a[i] {
			t.Fatalf("recomputed A[%d] = %g, forward gave %g", i, a2[i], a[i])
		}
	}
	dh1, dw, dbdw := make([]float64, h*w*c), make([]float64, 9*c), make([]float64, c)
	DWConv3x3Backward(e, h, w, c, h1, wdw, ds, dh1, false, true, dw, dbdw)
	checkGrad(t, "MixFFNHidden", loss, [][]float64{h1, wdw, bdw, g, b}, [][]float64{dh1, dw, dbdw, dg, db})
}
