package segmenter

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// TestDWConvThreePixelKernels: the depth-wise row kernels take three pixels
// at a time away from the image's left and right edges; their results
// must equal the one-pixel kernels', bit for bit, in the forward pass, the
// transposed convolution and the weight gradients.
func TestDWConvThreePixelKernels(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX2 kernels on this CPU or in this build")
	}
	for _, w := range []int{1, 2, 4, 5, 6, 7, 12, 13, 14} {
		testDWConvThreePixelKernels(t, 5, w, 24)
	}
}

func testDWConvThreePixelKernels(t *testing.T, h, w, c int) {
	r := rand.New(rand.NewPCG(3, uint64(w)))
	x, dy, wt, b := normals32(r, h*w*c), normals32(r, h*w*c), normals32(r, 9*c), normals32(r, c)
	e := NewEngine(1, nil)
	// taps returns, for pixel xx, the nine pointers the one-pixel kernels
	// read: rows[ky] at column xx+sign·(kx−1), zero outside the image.
	taps := func(rows [3][]float32, xx, sign int, zero *float32, flip bool) *[9]*float32 {
		var tp [9]*float32
		for ky := range 3 {
			row := rows[ky]
			if flip {
				row = rows[2-ky]
			}
			for kx := range 3 {
				ix := xx + sign*(kx-1)
				if row == nil || ix < 0 || ix >= w {
					tp[ky*3+kx] = zero
				} else {
					tp[ky*3+kx] = &row[ix*c]
				}
			}
		}
		return &tp
	}
	for row := range h {
		xr, dyr := imageRows(h, w, c, row, x), imageRows(h, w, c, row, dy)

		pk := dwPack(e, c, wt, b, true)
		got := make([]float32, w*c)
		dwconvRow(w, c, xr, wt, b, got, true, pk)
		for xx := range w {
			want := make([]float32, c)
			dwPixelAVX(&want[0], taps(xr, xx, 1, &pk[10*c], false), &pk[0], c)
			for ch, v := range want {
				if got[xx*c+ch] != v {
					t.Fatalf("width %d: forward, row %d pixel %d channel %d: %g, one-pixel kernel %g", w, row, xx, ch, got[xx*c+ch], v)
				}
			}
		}

		pk = dwPack(e, c, wt, nil, true)
		gotDx, gotAcc := make([]float32, w*c), make([]float32, 10*c)
		dwconvRowBackward(w, c, xr, dyr, wt, gotDx, false, true, gotAcc, pk)
		wantAcc := make([]float32, 10*c)
		for xx := range w {
			want := make([]float32, c)
			dwPixelAVX(&want[0], taps(dyr, xx, -1, &pk[10*c], true), &pk[0], c)
			for ch, v := range want {
				if gotDx[xx*c+ch] != v {
					t.Fatalf("width %d: transposed, row %d pixel %d channel %d: %g, one-pixel kernel %g", w, row, xx, ch, gotDx[xx*c+ch], v)
				}
			}
			dwGradPixelAVX(&wantAcc[0], &dyr[1][xx*c], taps(xr, xx, 1, &pk[10*c], false), c)
		}
		for i, v := range wantAcc {
			if gotAcc[i] != v {
				t.Fatalf("width %d: weight gradients, row %d, element %d: %g, one-pixel kernel %g", w, row, i, gotAcc[i], v)
			}
		}
	}
}

// BenchmarkDWConv times the depth-wise convolution's forward pass and its
// backward pass (transposed convolution and weight gradients) at the small
// branch's MixFFN size, 257×257 pixels of 400 channels, with the one- and
// three-pixel AVX kernels alternating within each iteration, and reports
// nanoseconds per element of each.
func BenchmarkDWConv(b *testing.B) {
	if !useAVX {
		b.Skip("no AVX2 kernels on this CPU or in this build")
	}
	const side, c = 257, 400
	e := NewEngine(runtime.GOMAXPROCS(0), nil)
	r := rand.New(rand.NewPCG(5, 5))
	x, dy, wt, bias := normals32(r, side*side*c), normals32(r, side*side*c), normals32(r, 9*c), normals32(r, c)
	y, dx, dw, db := make([]float32, side*side*c), make([]float32, side*side*c), make([]float32, 9*c), make([]float32, c)
	defer func(v bool) { dwThree = v }(dwThree)
	var fwd, bwd [2]time.Duration
	for b.Loop() {
		for k, three := range []bool{false, true} {
			dwThree = three
			t0 := time.Now()
			DWConv3x3(e, side, side, c, x, wt, bias, y, true)
			t1 := time.Now()
			DWConv3x3Backward(e, side, side, c, x, wt, dy, dx, false, true, dw, db)
			fwd[k] += t1.Sub(t0)
			bwd[k] += time.Since(t1)
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*side*side*c) }
	b.ReportMetric(per(fwd[0]), "fwd-1px-ns/elem")
	b.ReportMetric(per(fwd[1]), "fwd-3px-ns/elem")
	b.ReportMetric(per(bwd[0]), "bwd-1px-ns/elem")
	b.ReportMetric(per(bwd[1]), "bwd-3px-ns/elem")
}

// normals32 returns n standard normal float32 values.
func normals32(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}
