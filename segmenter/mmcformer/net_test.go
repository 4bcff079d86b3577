package mmcformer

import (
	"math"

	"github.com/mmcseg/mmcseg/segmenter"
	"math/rand/v2"
	"testing"
)

func tinyConfig(size, patch, dim, clusters int) Config {
	c := DefaultConfig()
	c.Size, c.patch, c.Dim, c.Clusters = size, patch, dim, clusters
	c.Threads = 2
	return c
}

func randomPlanes[T float32 | float64](r *rand.Rand, n int) [3][]T {
	var p [3][]T
	for ch := range p {
		p[ch] = make([]T, n)
		for i := range p[ch] {
			p[ch][i] = T(r.Float64())
		}
	}
	return p
}

// TestWholeModelGradient checks the gradient of the total loss with respect
// to the parameters against central finite differences, in float64, on
// tiny configurations with both loss terms on: S = 17 with a test-only intra
// patch of 8 and S = 33 with a patch of 16 (2×2 patch grids, D = 4, 2 + 2
// blocks), and S = 65 with the real patch of 32. Every parameter tensor's
// first and last element is checked, plus a random sample of the rest. The
// analytic gradient runs on 2 threads (exercising the partitioned kernels),
// the finite differences on 1.
func TestWholeModelGradient(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    Config
		sample int // parameters checked: 0 means all
	}{
		{"S17-patch8", tinyConfig(17, 8, 4, 5), 500},
		{"S33-patch16", tinyConfig(33, 16, 4, 3), 120},
		{"S65-patch32", tinyConfig(65, 32, 3, 3), 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.cfg.Size > 33 {
				t.Skip("short")
			}
			cfg := tc.cfg
			cfg.WInter, cfg.WIntra = 1.5, 1.3
			nt := newNet[float64](cfg)
			nt.reset(7)
			r := rand.New(rand.NewPCG(1, 2))
			nt.setInput(randomPlanes[float64](r, nt.n))
			nt.forward()
			nt.loss(false) // fixes the pseudo-labels
			nt.backward()
			grad := append([]float64(nil), nt.grad...)
			l := nt.losses
			if l.Intra == 0 || l.Inter == 0 || l.CE == 0 {
				t.Fatalf("a loss term is zero: %+v", l)
			}
			nt.e = segmenter.NewEngine(1, nil)
			f := func() float64 {
				nt.forward()
				nt.loss(true)
				return nt.losses.Total
			}
			idx := make([]int, len(nt.flat))
			for i := range idx {
				idx[i] = i
			}
			{
				r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
				idx = idx[:min(tc.sample, len(idx))]
				for _, ru := range nt.rules {
					idx = append(idx, ru.off, ru.off+ru.n-1)
				}
			}
			const h = 1e-5
			var worst float64
			for _, i := range idx {
				old := nt.flat[i]
				nt.flat[i] = old + h
				lp := f()
				nt.flat[i] = old - h
				lm := f()
				nt.flat[i] = old
				num := (lp - lm) / (2 * h)
				err := math.Abs(num-grad[i]) / (1e-6 + math.Abs(num) + math.Abs(grad[i]))
				worst = max(worst, err)
				if math.Abs(num-grad[i]) > 1e-6+1e-5*math.Abs(num) {
					t.Errorf("parameter %d (%s): analytic %.10g, numeric %.10g", i, nt.paramName(i), grad[i], num)
				}
			}
			t.Logf("%d parameters of %d checked; losses %+v; worst relative error %.2g", len(idx), len(nt.flat), l, worst)
		})
	}
}
