package segmenter

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestNoAllocations: once an Engine has seen a shape, its kernels allocate
// nothing that grows with the data (buffers are reused from step to step);
// only the parallel parts' goroutine closures remain.
func TestNoAllocations(t *testing.T) {
	perRun := func(h, w int) uint64 {
		const c = 16
		e := NewEngine(2, nil)
		r := rand.New(rand.NewPCG(16, 16))
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
			CrossEntropy(e, h*w, c, x, c, make([]int32, h*w), 1, dx)
		}
		run()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 5 {
			run()
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / 5
	}
	small, big := perRun(9, 11), perRun(36, 44)
	// The labels slice the loop itself makes is 4·h·w bytes.
	small -= 4 * 9 * 11
	big -= 4 * 36 * 44
	t.Logf("bytes allocated per run: %d for 99 pixels, %d for 1584", small, big)
	// A buffer allocated per call would cost at least one map, 4·1584·16 =
	// 101 376 bytes, at the larger size; the closures cost a few hundred
	// bytes per kernel at any size.
	if big > 16<<10 {
		t.Errorf("%d bytes allocated per run for 1584 pixels (%d for 99): a buffer is allocated per call", big, small)
	}
}
