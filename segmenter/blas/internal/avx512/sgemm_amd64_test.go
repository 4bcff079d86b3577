//go:build amd64 && !purego

package avx512

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

type shape struct {
	transA, transB bool
	m, n, k, pad   int
}

func (s shape) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,pad=%d", s.transA, s.transB, s.m, s.n, s.k, s.pad)
}

// TestSgemmAgainstFloat64 checks every path (B read in place, B packed,
// B transposed, A transposed; leftover rows or columns of A; panels of one
// to four vectors, full and masked) against a float64 triple loop, with and
// without acc, and that nothing between C's rows is written.
func TestSgemmAgainstFloat64(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512F on this CPU")
	}
	var shapes []shape
	for _, mnk := range [][3]int{{6, 8, 1}, {13, 17, 7}, {48, 64, 64}, {97, 100, 65}, {30, 130, 300}, {12, 200, 3}} {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
			shapes = append(shapes, shape{tr[0], tr[1], mnk[0], mnk[1], mnk[2], mnk[0] % 3})
		}
	}
	// Long enough for B to be packed, and for A's chunks to repeat.
	shapes = append(shapes, shape{false, false, 1030, 100, 20, 1}, shape{false, true, 1030, 36, 20, 0},
		shape{true, false, 100, 100, 1000, 2}, shape{true, false, 400, 70, 300, 0}, shape{true, false, 17, 9, 257, 1})
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range shapes {
		for _, acc := range []bool{false, true} {
			ar, ac := s.m, s.k
			if s.transA {
				ar, ac = s.k, s.m
			}
			br, bc := s.k, s.n
			if s.transB {
				br, bc = s.n, s.k
			}
			lda, ldb, ldc := ac+s.pad, bc+s.pad, s.n+s.pad
			a, b := make([]float32, ar*lda), make([]float32, br*ldb)
			for i := range a {
				a[i] = r.Float32()*2 - 1
			}
			for i := range b {
				b[i] = r.Float32()*2 - 1
			}
			c := make([]float32, s.m*ldc)
			for i := range c {
				c[i] = r.Float32()*2 - 1
				if !acc {
					c[i] = float32(math.NaN())
				}
			}
			before := append([]float32(nil), c...)
			Sgemm(s.transA, s.transB, s.m, s.n, s.k, a, lda, b, ldb, acc, c, ldc)
			for i := range s.m {
				for j := range ldc {
					got := c[i*ldc+j]
					if j >= s.n {
						if math.Float32bits(got) != math.Float32bits(before[i*ldc+j]) {
							t.Fatalf("%v acc=%v: wrote C[%d,%d] outside the product", s, acc, i, j)
						}
						continue
					}
					var want float64
					for kk := range s.k {
						ai, bi := i*lda+kk, kk*ldb+j
						if s.transA {
							ai = kk*lda + i
						}
						if s.transB {
							bi = j*ldb + kk
						}
						av, bv := a[ai], b[bi]
						want += float64(av) * float64(bv)
					}
					if acc {
						want += float64(before[i*ldc+j])
					}
					if d := math.Abs(float64(got) - want); !(d <= 2e-6*float64(s.k+1)) {
						t.Fatalf("%v acc=%v: C[%d,%d] = %g, want %g", s, acc, i, j, got, want)
					}
				}
			}
		}
	}
}

// TestSubnormalsReadAsZero: a subnormal operand counts as zero, as in
// blas.Impl, even where its product with a huge one would be normal.
func TestSubnormalsReadAsZero(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512F on this CPU")
	}
	const m, n, k = 6, 16, 2
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	for i := range m {
		a[i*k], a[i*k+1] = 1, 1e-40
	}
	for j := range n {
		b[j], b[n+j] = 2, 1e30
	}
	c := make([]float32, m*n)
	Sgemm(false, false, m, n, k, a, k, b, n, false, c, n)
	for i, v := range c {
		if v != 2 {
			t.Fatalf("C[%d] = %g, want 2 (the subnormal term dropped)", i, v)
		}
	}
}

// TestSuits: the shapes the model sends here, and some it must not.
func TestSuits(t *testing.T) {
	for _, tc := range []struct {
		s    shape
		want bool
	}{
		{shape{false, false, 66049, 400, 100, 0}, true},
		{shape{false, false, 257, 100, 400, 0}, true},
		{shape{false, true, 66049, 100, 100, 0}, true},
		{shape{false, true, 257, 400, 100, 0}, false}, // B would be transposed for every 257 rows
		{shape{true, false, 100, 400, 33024, 0}, true},
		{shape{true, false, 100, 100, 100, 0}, false}, // too short a sum to pay for the copies
		{shape{false, false, 64, 102400, 100, 0}, false},
		{shape{true, true, 100, 100, 1000, 0}, false},
		{shape{false, false, 5, 100, 100, 0}, false},
	} {
		if got := Suits(tc.s.transA, tc.s.transB, tc.s.m, tc.s.n, tc.s.k); got != tc.want && hasAVX512 {
			t.Errorf("Suits(%v) = %v, want %v", tc.s, got, tc.want)
		}
	}
}
