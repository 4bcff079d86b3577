package segmenter

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Every backward pass is checked against central finite differences of the
// forward pass, in float64, on small shapes, through a random projection:
// L = Σ r⊙forward(inputs), dL/dinputs from the backward pass with dy = r.
// The Engine uses 3 threads so that uneven partitions and the reduction of
// per-worker partial sums are exercised.

func randVec(r *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = (r.Float64()*2 - 1) * scale
	}
	return x
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// checkGrad perturbs every element of every input in turn and compares the
// central difference of loss with the analytic gradient.
func checkGrad(t *testing.T, name string, loss func() float64, inputs, grads [][]float64) {
	t.Helper()
	const h = 1e-5
	for k, x := range inputs {
		for i := range x {
			old := x[i]
			x[i] = old + h
			lp := loss()
			x[i] = old - h
			lm := loss()
			x[i] = old
			num := (lp - lm) / (2 * h)
			if d := math.Abs(num - grads[k][i]); d > 1e-6*(1+math.Abs(num)) {
				t.Fatalf("%s: input %d element %d: analytic %.10g, numeric %.10g", name, k, i, grads[k][i], num)
			}
		}
	}
}

func TestGradLinear(t *testing.T) {
	e := NewEngine(3, nil)
	r := rand.New(rand.NewPCG(1, 1))
	const n, in, out = 300, 7, 5
	x, w, b := randVec(r, n*in, 1), randVec(r, out*in, 1), randVec(r, out, 1)
	proj := randVec(r, n*out, 1)
	y := make([]float64, n*out)
	loss := func() float64 {
		Linear(e, n, in, out, x, in, w, b, y, out, false)
		return dot(y, proj)
	}
	dx, dw, db := make([]float64, n*in), make([]float64, out*in), make([]float64, out)
	LinearBackward(e, n, in, out, x, in, w, proj, out, dw, db, dx, in, false)
	checkGrad(t, "Linear", loss, [][]float64{x, w, b}, [][]float64{dx, dw, db})
}

func TestGradConv3x3(t *testing.T) {
	for _, g := range []Conv3x3{{H: 7, W: 6, Cin: 3, Cout: 4, Stride: 1}, {H: 7, W: 8, Cin: 2, Cout: 3, Stride: 2}} {
		e := NewEngine(3, nil)
		r := rand.New(rand.NewPCG(2, uint64(g.Stride)))
		n := g.OutH() * g.OutW()
		x, w, b := randVec(r, g.H*g.W*g.Cin, 1), randVec(r, g.Cout*9*g.Cin, 1), randVec(r, g.Cout, 1)
		proj := randVec(r, n*g.Cout, 1)
		col, y := make([]float64, g.ColSize()), make([]float64, n*g.Cout)
		loss := func() float64 {
			Conv3x3Forward(e, g, x, w, b, col, y)
			return dot(y, proj)
		}
		loss()
		dx, dw, db, dcol := make([]float64, len(x)), make([]float64, len(w)), make([]float64, len(b)), make([]float64, g.ColSize())
		Conv3x3Backward(e, g, col, w, proj, dw, db, dx, dcol)
		checkGrad(t, fmt.Sprintf("Conv3x3 stride %d", g.Stride), loss, [][]float64{x, w, b}, [][]float64{dx, dw, db})
	}
}

func TestConv3x3AgainstDirect(t *testing.T) {
	// The im2col formulation against the convolution sum written out.
	g := Conv3x3{H: 9, W: 8, Cin: 3, Cout: 5, Stride: 2}
	e := NewEngine(2, nil)
	r := rand.New(rand.NewPCG(3, 3))
	x, w, b := randVec(r, g.H*g.W*g.Cin, 1), randVec(r, g.Cout*9*g.Cin, 1), randVec(r, g.Cout, 1)
	y := make([]float64, g.OutH()*g.OutW()*g.Cout)
	Conv3x3Forward(e, g, x, w, b, make([]float64, g.ColSize()), y)
	if g.OutH() != 5 || g.OutW() != 4 {
		t.Fatalf("output %d×%d, want 5×4", g.OutH(), g.OutW())
	}
	for oy := range g.OutH() {
		for ox := range g.OutW() {
			for co := range g.Cout {
				s := b[co]
				for ky := range 3 {
					for kx := range 3 {
						iy, ix := oy*2+ky-1, ox*2+kx-1
						if iy < 0 || ix < 0 || iy >= g.H || ix >= g.W {
							continue
						}
						for ci := range g.Cin {
							s += w[co*9*g.Cin+(ky*3+kx)*g.Cin+ci] * x[(iy*g.W+ix)*g.Cin+ci]
						}
					}
				}
				if got := y[(oy*g.OutW()+ox)*g.Cout+co]; math.Abs(got-s) > 1e-12 {
					t.Fatalf("y[%d,%d,%d] = %g, want %g", oy, ox, co, got, s)
				}
			}
		}
	}
}

func TestGradDWConv3x3(t *testing.T) {
	for _, skip := range []bool{false, true} {
		e := NewEngine(3, nil)
		r := rand.New(rand.NewPCG(4, 4))
		const h, w, c = 6, 5, 3
		x, wt, b := randVec(r, h*w*c, 1), randVec(r, 9*c, 1), randVec(r, c, 1)
		proj := randVec(r, h*w*c, 1)
		y := make([]float64, h*w*c)
		loss := func() float64 {
			DWConv3x3(e, h, w, c, x, wt, b, y, skip)
			return dot(y, proj)
		}
		dx, dw, db := make([]float64, len(x)), make([]float64, len(wt)), make([]float64, len(b))
		DWConv3x3Backward(e, h, w, c, x, wt, proj, dx, false, skip, dw, db)
		checkGrad(t, fmt.Sprintf("DWConv3x3 skip=%v", skip), loss, [][]float64{x, wt, b}, [][]float64{dx, dw, db})
	}
}

func TestGradLayerNorm(t *testing.T) {
	e := NewEngine(3, nil)
	r := rand.New(rand.NewPCG(5, 5))
	const rows, f = 200, 6
	x, g, b := randVec(r, rows*f, 2), randVec(r, f, 1), randVec(r, f, 1)
	proj := randVec(r, rows*f, 1)
	y, mean, rstd := make([]float64, rows*f), make([]float64, rows), make([]float64, rows)
	loss := func() float64 {
		LayerNorm(e, rows, f, x, g, b, 1e-5, y, mean, rstd)
		return dot(y, proj)
	}
	loss()
	dx, dg, db := make([]float64, len(x)), make([]float64, f), make([]float64, f)
	LayerNormBackward(e, rows, f, x, g, mean, rstd, proj, dx, false, dg, db)
	checkGrad(t, "LayerNorm", loss, [][]float64{x, g, b}, [][]float64{dx, dg, db})
}

func TestGradBatchNorm(t *testing.T) {
	e := NewEngine(3, nil)
	r := rand.New(rand.NewPCG(6, 6))
	const rows, c = 200, 4
	x, g, b := randVec(r, rows*c, 2), randVec(r, c, 1), randVec(r, c, 1)
	proj := randVec(r, rows*c, 1)
	xhat, y, rstd := make([]float64, rows*c), make([]float64, rows*c), make([]float64, c)
	loss := func() float64 {
		BatchNorm(e, rows, c, x, g, b, 1e-5, xhat, y, rstd)
		return dot(y, proj)
	}
	loss()
	dx, dg, db := make([]float64, len(x)), make([]float64, c), make([]float64, c)
	BatchNormBackward(e, rows, c, xhat, g, rstd, proj, dx, dg, db)
	checkGrad(t, "BatchNorm", loss, [][]float64{x, g, b}, [][]float64{dx, dg, db})
	// The affine recomputation from xhat matches the forward output.
	loss()
	y2 := make([]float64, rows*c)
	BatchNormAffine(e, rows, c, xhat, g, b, y2)
	for i := range y {
		if y[i] != y2[i] {
			t.Fatalf("BatchNormAffine differs at %d", i)
		}
	}
}

func TestGradGELU(t *testing.T) {
	e := NewEngine(3, nil)
	r := rand.New(rand.NewPCG(7, 7))
	x := randVec(r, 9000, 7) // well into both tails
	proj := randVec(r, len(x), 1)
	y := make([]float64, len(x))
	loss := func() float64 {
		GELU(e, x, y)
		return dot(y, proj)
	}
	dx := make([]float64, len(x))
	GELUBackward(e, x, proj, dx)
	checkGrad(t, "GELU", loss, [][]float64{x[:500]}, [][]float64{dx[:500]})
}

func TestGradSoftmax(t *testing.T) {
	e := NewEngine(3, nil)
	r := rand.New(rand.NewPCG(8, 8))
	const rows, cols, ld = 150, 5, 7 // strided views, as in the attention's [N, 3D] buffer
	x := randVec(r, rows*ld, 3)
	proj := randVec(r, rows*ld, 1)
	y := make([]float64, rows*ld)
	mx, sum := make([]float64, cols), make([]float64, cols)
	for _, byCol := range []bool{false, true} {
		loss := func() float64 {
			if byCol {
				SoftmaxCols(e, rows, cols, x, ld, y, ld, mx, sum)
			} else {
				SoftmaxRows(e, rows, cols, x, ld, y, ld)
			}
			var s float64
			for i := range rows {
				s += dot(y[i*ld:i*ld+cols], proj[i*ld:i*ld+cols])
			}
			return s
		}
		loss()
		dx := make([]float64, rows*ld)
		if byCol {
			SoftmaxColsBackward(e, rows, cols, y, ld, proj, ld, dx, ld, mx)
		} else {
			SoftmaxRowsBackward(e, rows, cols, y, ld, proj, ld, dx, ld)
		}
		// Only the view's columns are inputs.
		checkGrad(t, fmt.Sprintf("Softmax byCol=%v", byCol), loss, [][]float64{x[:cols], x[3*ld : 3*ld+cols], x[(rows-1)*ld : (rows-1)*ld+cols]},
			[][]float64{dx[:cols], dx[3*ld : 3*ld+cols], dx[(rows-1)*ld : (rows-1)*ld+cols]})
	}
}

func TestSubPixel2x2(t *testing.T) {
	e := NewEngine(3, nil)
	const h, w, c = 3, 4, 2
	x := make([]float64, h*w*4*c)
	for i := range x {
		x[i] = float64(i)
	}
	outH, outW := 2*h-1, 2*w-1
	y := make([]float64, outH*outW*c)
	SubPixel2x2(e, h, w, c, x, outH, outW, y)
	// Pixel (Y, X) channel ch comes from low-res pixel (Y/2, X/2), feature
	// (p1·2 + p2)·c + ch: channel fastest.
	for Y := range outH {
		for X := range outW {
			for ch := range c {
				want := float64(((Y/2)*w+X/2)*4*c + ((Y%2)*2+X%2)*c + ch)
				if got := y[(Y*outW+X)*c+ch]; got != want {
					t.Fatalf("y[%d,%d,%d] = %g, want %g", Y, X, ch, got, want)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	proj := randVec(r, len(y), 1)
	loss := func() float64 {
		SubPixel2x2(e, h, w, c, x, outH, outW, y)
		return dot(y, proj)
	}
	dx := make([]float64, len(x))
	SubPixel2x2Backward(e, h, w, c, proj, outH, outW, dx)
	checkGrad(t, "SubPixel2x2", loss, [][]float64{x}, [][]float64{dx})
}

func TestGradLosses(t *testing.T) {
	e := NewEngine(3, nil)
	r := rand.New(rand.NewPCG(10, 10))
	const rows, cols = 2500, 6
	x := randVec(r, rows*cols, 3)
	labels := make([]int32, rows)
	if n := ArgmaxRows(e, rows, cols, x, cols, labels); n != cols {
		t.Fatalf("ArgmaxRows found %d labels, want %d", n, cols)
	}
	dx := make([]float64, len(x))
	ce := CrossEntropy(e, rows, cols, x, cols, labels, 1.7, dx)
	var want float64
	for i := range rows {
		row := x[i*cols : (i+1)*cols]
		var z float64
		for _, v := range row {
			z += math.Exp(v)
		}
		want -= math.Log(math.Exp(row[labels[i]]) / z)
	}
	want /= rows
	if math.Abs(ce-want) > 1e-12 {
		t.Fatalf("CrossEntropy = %.15g, want %.15g", ce, want)
	}
	// The labels are constants (the arg-max of the forward pass).
	checkGrad(t, "CrossEntropy", func() float64 { return 1.7 * CrossEntropy(e, rows, cols, x, cols, labels, 1, nil) },
		[][]float64{x[:40], x[len(x)-40:]}, [][]float64{dx[:40], dx[len(x)-40:]})

	a, tg := randVec(r, 64, 1), randVec(r, 64, 1)
	da := make([]float64, 64)
	L1(a, tg, 1.3, da)
	checkGrad(t, "L1", func() float64 { return 1.3 * L1(a, tg, 1, nil) }, [][]float64{a}, [][]float64{da})

	const n, d = 7, 5
	p, q := randVec(r, n*d, 1), randVec(r, n*d, 1)
	dp, dq := make([]float64, n*d), make([]float64, n*d)
	CosineEmbedding(n, d, p, q, 1.5, dp, dq)
	checkGrad(t, "CosineEmbedding", func() float64 { return 1.5 * CosineEmbedding(n, d, p, q, 1, nil, nil) },
		[][]float64{p, q}, [][]float64{dp, dq})
	if l := CosineEmbedding(n, d, p, p, 1, nil, nil); math.Abs(l) > 1e-12 {
		t.Fatalf("CosineEmbedding(a, a) = %g, want 0", l)
	}
}

func TestGemmPartitions(t *testing.T) {
	// Each way Gemm splits its work (rows, inner dimension, columns, serial)
	// against the unsplit product, for both transposes of A ({300, 20,
	// 5000} splits by rows, or by k when A is transposed).
	r := rand.New(rand.NewPCG(11, 11))
	for _, s := range [][3]int{{4096, 8, 40}, {40, 30, 5000}, {300, 20, 5000}, {20, 500, 300}, {5, 5, 5}} {
		m, n, k := s[0], s[1], s[2]
		for _, ta := range []bool{false, true} {
			a, b := randVec(r, m*k, 1), randVec(r, k*n, 1)
			lda := k
			if ta {
				lda = m
			}
			want := make([]float64, m*n)
			NewEngine(1, nil).impl.Dgemm(ta, false, m, n, k, 1, a, lda, b, n, 0, want, n)
			for _, th := range []int{2, 3} {
				got := randVec(r, m*n, 1)
				want2 := make([]float64, m*n)
				for i := range want2 {
					want2[i] = want[i] + 0.5*got[i]
				}
				Gemm(NewEngine(th, nil), ta, false, m, n, k, 1, a, lda, b, n, 0.5, got, n)
				for i := range got {
					if math.Abs(got[i]-want2[i]) > 1e-10*float64(k) {
						t.Fatalf("%v ta=%v threads=%d: C[%d] = %g, want %g", s, ta, th, i, got[i], want2[i])
					}
				}
			}
		}
	}
}

// TestLinearT: LinearT on Transpose(W) is Linear on W, with and without
// bias and accumulation, in float32 through the default BLAS.
func TestLinearT(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	e := NewEngine(2, nil)
	const n, in, out = 300, 37, 70
	x, w, b := to32(randVec(r, n*in, 1)), to32(randVec(r, out*in, 1)), to32(randVec(r, out, 1))
	wt := make([]float32, in*out)
	Transpose(out, in, w, wt)
	for i := range out {
		for j := range in {
			if wt[j*out+i] != w[i*in+j] {
				t.Fatalf("Transpose: wt[%d][%d] = %g, want %g", j, i, wt[j*out+i], w[i*in+j])
			}
		}
	}
	for _, bias := range [][]float32{nil, b} {
		for _, acc := range []bool{false, true} {
			y0 := to32(randVec(r, n*out, 1))
			want, got := append([]float32(nil), y0...), append([]float32(nil), y0...)
			Linear(e, n, in, out, x, in, w, bias, want, out, acc)
			LinearT(e, n, in, out, x, in, wt, bias, got, out, acc)
			for i := range got {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-5 {
					t.Fatalf("bias=%v acc=%v: y[%d] = %g, Linear gives %g", bias != nil, acc, i, got[i], want[i])
				}
			}
		}
	}
}
