package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naive is the textbook triple loop in float64: the reference both
// implementations are checked against.
func naive(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				var av, bv float64
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

type gemmCase struct {
	ta, tb      bool
	m, n, k     int
	pad         int // extra stride on every matrix
	alpha, beta float64
}

func gemmCases() []gemmCase {
	var cs []gemmCase
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 9, 300}, {70, 130, 33}, {129, 4, 513}, {5, 600, 2}, {4, 0, 3}, {6, 2, 0}} {
				cs = append(cs, gemmCase{ta, tb, s[0], s[1], s[2], (s[0] + s[2]) % 3, 1.5, 0})
				cs = append(cs, gemmCase{ta, tb, s[0], s[1], s[2], 0, -0.5, 0.75})
				cs = append(cs, gemmCase{ta, tb, s[0], s[1], s[2], 1, 1, 1})
				cs = append(cs, gemmCase{ta, tb, s[0], s[1], s[2], 2, 1, 0})
			}
		}
	}
	return cs
}

func (g gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,pad=%d,alpha=%g,beta=%g", g.ta, g.tb, g.m, g.n, g.k, g.pad, g.alpha, g.beta)
}

// operands returns random A, B, C (float64) with the case's strides; C is
// filled with NaN when beta is 0 to prove it is not read.
func (g gemmCase) operands(r *rand.Rand) (a, b, c []float64, lda, ldb, ldc int) {
	ar, ac := g.m, g.k
	if g.ta {
		ar, ac = g.k, g.m
	}
	br, bc := g.k, g.n
	if g.tb {
		br, bc = g.n, g.k
	}
	lda, ldb, ldc = max(ac, 1)+g.pad, max(bc, 1)+g.pad, max(g.n, 1)+g.pad
	fill := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = r.Float64()*2 - 1
		}
		return x
	}
	a, b, c = fill(max(ar, 1)*lda), fill(max(br, 1)*ldb), fill(max(g.m, 1)*ldc)
	if g.beta == 0 {
		for i := range c {
			c[i] = math.NaN()
		}
	}
	return a, b, c, lda, ldb, ldc
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func TestGemmAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, impl := range []Impl{Default(), PureGo()} {
		for _, g := range gemmCases() {
			a, b, c, lda, ldb, ldc := g.operands(r)
			want := append([]float64(nil), c...)
			naive(g.ta, g.tb, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, want, ldc)

			got := append([]float64(nil), c...)
			impl.Dgemm(g.ta, g.tb, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, got, ldc)
			got32 := to32(c)
			impl.Sgemm(g.ta, g.tb, g.m, g.n, g.k, float32(g.alpha), to32(a), lda, to32(b), ldb, float32(g.beta), got32, ldc)
			for i := range g.m {
				for j := range g.n {
					w := want[i*ldc+j]
					tol := 1e-12 * float64(g.k+1)
					if d := math.Abs(got[i*ldc+j] - w); d > tol {
						t.Fatalf("%s Dgemm %v: C[%d,%d] = %g, want %g", impl.Name(), g, i, j, got[i*ldc+j], w)
					}
					tol32 := 2e-6 * float64(g.k+1)
					if d := math.Abs(float64(got32[i*ldc+j]) - w); d > tol32 {
						t.Fatalf("%s Sgemm %v: C[%d,%d] = %g, want %g", impl.Name(), g, i, j, got32[i*ldc+j], w)
					}
				}
			}
			// Padding between rows of C must be left alone.
			for i := range g.m {
				for j := g.n; j < ldc && i*ldc+j < len(c); j++ {
					if got[i*ldc+j] != c[i*ldc+j] && !(math.IsNaN(got[i*ldc+j]) && math.IsNaN(c[i*ldc+j])) {
						t.Fatalf("%s %v: wrote the padding at C[%d,%d]", impl.Name(), g, i, j)
					}
				}
			}
		}
	}
}

// TestImplementationsAgree checks the default (OpenBLAS and the AVX-512
// kernels under cgo), OpenBLAS alone and the pure-Go GEMM against each
// other on the model's shapes, scaled down.
func TestImplementationsAgree(t *testing.T) {
	for _, d := range []Impl{Default(), OpenBLAS()} {
		if d != nil {
			checkAgree(t, d, PureGo())
		}
	}
}

// checkAgree compares two implementations on the model's shapes, scaled
// down.
func checkAgree(t *testing.T, d, p Impl) {
	if d.Name() == p.Name() {
		t.Logf("default is %s: comparing it with itself and the naive loop only", d.Name())
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range []gemmCase{
		{false, false, 513, 400, 100, 0, 1, 0},
		{false, true, 513, 100, 400, 200, 1, 1},
		{true, false, 400, 100, 1025, 0, 1, 0},
		{true, false, 100, 1000, 128, 0, 1, 0.9},
		{true, false, 100, 400, 2049, 1, 1, 1},
		{false, true, 1031, 100, 100, 0, 1, 0},
	} {
		a, b, c, lda, ldb, ldc := g.operands(r)
		a32, b32 := to32(a), to32(b)
		c1, c2 := to32(c), to32(c)
		d.Sgemm(g.ta, g.tb, g.m, g.n, g.k, float32(g.alpha), a32, lda, b32, ldb, float32(g.beta), c1, ldc)
		p.Sgemm(g.ta, g.tb, g.m, g.n, g.k, float32(g.alpha), a32, lda, b32, ldb, float32(g.beta), c2, ldc)
		// Both must lie within the classical float32 error bound of the
		// exact product, k·ε·Σ|a||b| per element, so they lie within twice
		// that of each other.
		absA, absB := make([]float64, len(a)), make([]float64, len(b))
		for i, v := range a {
			absA[i] = math.Abs(v)
		}
		for i, v := range b {
			absB[i] = math.Abs(v)
		}
		bound := make([]float64, len(c))
		naive(g.ta, g.tb, g.m, g.n, g.k, math.Abs(g.alpha), absA, lda, absB, ldb, 0, bound, ldc)
		const eps32 = 0x1p-24
		for i := range g.m {
			for j := range g.n {
				x, y := float64(c1[i*ldc+j]), float64(c2[i*ldc+j])
				tol := 2 * float64(g.k+2) * eps32 * (bound[i*ldc+j] + math.Abs(g.beta*c[i*ldc+j]))
				if math.Abs(x-y) > tol {
					t.Fatalf("%v: C[%d,%d]: %s %g, %s %g, beyond %g", g, i, j, d.Name(), x, p.Name(), y, tol)
				}
			}
		}
	}
}

func TestBadShapesPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"short A": func() {
			PureGo().Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		"stride": func() {
			Default().Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 1, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		"negative": func() { Default().Dgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func benchGemm(b *testing.B, impl Impl, m, n, k int) {
	benchGemmShape(b, impl, false, false, m, n, k)
}

// benchGemmShape times C = op(A)·op(B) with beta 0 and dense operands.
func benchGemmShape(b *testing.B, impl Impl, transA, transB bool, m, n, k int) {
	r := rand.New(rand.NewPCG(5, 6))
	a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for _, x := range [][]float32{a, bb} {
		for i := range x {
			x[i] = r.Float32() - 0.5 // never zero-filled: some GEMMs skip zeros
		}
	}
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	b.ResetTimer()
	for b.Loop() {
		impl.Sgemm(transA, transB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
	}
	b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemm measures one single-threaded call on the model's dominant
// shape, cut to a tenth of the rows.
func BenchmarkSgemm(b *testing.B) {
	b.Run("default", func(b *testing.B) { benchGemm(b, Default(), 6605, 400, 100) })
	b.Run("purego", func(b *testing.B) { benchGemm(b, PureGo(), 6605, 400, 100) })
}

// TestSubnormalOperandsReadAsZero: an operand below the smallest normal
// value counts as zero (see Impl), even where its exact product with the
// other operand would be a normal number.
func TestSubnormalOperandsReadAsZero(t *testing.T) {
	for _, impl := range []Impl{Default(), PureGo()} {
		// 4×3 · 3×2 with A's middle column subnormal and B's middle row
		// huge: the exact product would add ±1e-10 (float32) to elements
		// of the order of 1e-11.
		a32 := []float32{1, 1e-40, 2, 3, -1e-40, 4, 5, 1e-39, 6, 7, 0, 8}
		b32 := []float32{1e-12, 2e-12, 1e30, 1e30, 3e-12, 4e-12}
		c32 := make([]float32, 8)
		impl.Sgemm(false, false, 4, 2, 3, 1, a32, 3, b32, 2, 0, c32, 2)
		for i := range 4 {
			for j := range 2 {
				want := a32[i*3]*b32[j] + a32[i*3+2]*b32[4+j]
				if math.Abs(float64(c32[i*2+j]-want)) > 1e-6*math.Abs(float64(want)) {
					t.Errorf("%s Sgemm: C[%d,%d] = %g, want %g (subnormal terms dropped)", impl.Name(), i, j, c32[i*2+j], want)
				}
			}
		}
		a64 := []float64{1, 1e-310, 2, 3, -1e-310, 4}
		b64 := []float64{1e-12, 2e-12, 1e300, 1e300, 3e-12, 4e-12}
		c64 := make([]float64, 4)
		impl.Dgemm(false, false, 2, 2, 3, 1, a64, 3, b64, 2, 0, c64, 2)
		for i := range 2 {
			for j := range 2 {
				want := a64[i*3]*b64[j] + a64[i*3+2]*b64[4+j]
				if math.Abs(c64[i*2+j]-want) > 1e-14*math.Abs(want) {
					t.Errorf("%s Dgemm: C[%d,%d] = %g, want %g (subnormal terms dropped)", impl.Name(), i, j, c64[i*2+j], want)
				}
			}
		}
	}
}

// BenchmarkSgemmSubnormal runs the dominant shape of the intra module's
// backward pass (patch gradient, S = 129) with one operand made mostly of
// subnormal values, as training produces once the intra attention
// saturates. Without DAZ/FTZ it ran ~40× slower than on normal values.
func BenchmarkSgemmSubnormal(b *testing.B) {
	const m, n, k = 32, 102400, 100
	r := rand.New(rand.NewPCG(7, 8))
	a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = (r.Float32() - 0.5) * 1e-38
	}
	for i := range bb {
		bb[i] = r.Float32() - 0.5
	}
	for _, impl := range []Impl{Default(), PureGo()} {
		b.Run(impl.Name(), func(b *testing.B) {
			for b.Loop() {
				impl.Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
