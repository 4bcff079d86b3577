package segmenter

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestNoAllocations: once an Engine has seen a shape, its kernels allocate
// nothing (buffers are reused from step to step).
func TestNoAllocations(t *testing.T) {
	e := NewEngine(2, nil)
	r := rand.New(rand.NewPCG(16, 16))
	const h, w, c = 9, 11, 16
	x, dy := to32(randVec(r, h*w*c, 1)), to32(randVec(r, h*w*c, 1))
	wt, b, g := to32(randVec(r, 9*c, 1)), to32(randVec(r, c, 1)), to32(randVec(r, c, 1))
	y, dx, dw, db := make([]float32, h*w*c), make([]float32, h*w*c), make([]float32, 9*c), make([]float32, c)
	mean, rstd, rs := make([]float32, h*w), make([]float32, h*w), make([]float32, c)
	run := func() {
		DWConv3x3(e, h, w, c, x, wt, b, y, true)
		DWConv3x3Backward(e, h, w, c, x, wt, dy, dx, false, true, dw, db)
		MixFFNHidden(e, h, w, c, x, wt, b, g, b, 1e-5, y, mean, rstd)
		MixFFNHiddenBackward(e, h, w, c, x, wt, b, g, b, mean, rstd, dy, y, dx, dw, db)
		LayerNorm(e, h*w, c, x, g, b, 1e-5, y, mean, rstd)
		LayerNormBackward(e, h*w, c, x, g, mean, rstd, dy, dx, true, dw[:c], db)
		BatchNorm(e, h*w, c, x, g, b, 1e-5, y, dx, rs)
		BatchNormBackward(e, h*w, c, y, g, rs, dy, dx, dw[:c], db)
		SoftmaxCols(e, h*w, c, x, c, y, c, mean[:c], rstd[:c])
		ColSums(e, h*w, c, dy, c, db)
	}
	run()
	// The parallel parts allocate their goroutines' closures (a few dozen
	// bytes each); nothing proportional to the data may be allocated.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 5 {
		run()
	}
	runtime.ReadMemStats(&after)
	if b := (after.TotalAlloc - before.TotalAlloc) / 5; b > 4096 {
		t.Errorf("%d bytes allocated per run (data %d bytes), want only the goroutines' closures", b, 4*h*w*c)
	}
}
