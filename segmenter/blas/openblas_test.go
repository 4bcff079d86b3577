//go:build cgo && !purego

package blas

import (
	"fmt"
	"testing"
)

// TestFPModeRestored: the DAZ/FTZ modes a product sets are the caller's
// again afterwards, so Go code on the same thread keeps IEEE subnormals.
func TestFPModeRestored(t *testing.T) {
	before := fpMode()
	a, b, c := []float32{1, 2, 3, 4}, []float32{5, 6, 7, 8}, make([]float32, 4)
	Default().Sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	// A shape the AVX-512 kernels take, where the CPU has them.
	Default().Sgemm(false, false, 12, 16, 4, 1, make([]float32, 48), 4, make([]float32, 64), 16, 0, make([]float32, 192), 16)
	Default().Dgemm(false, false, 2, 2, 2, 1, []float64{1, 2, 3, 4}, 2, []float64{5, 6, 7, 8}, 2, 0, make([]float64, 4), 2)
	if after := fpMode(); after != before {
		t.Fatalf("floating-point mode %#x before a product, %#x after", before, after)
	}
	if before&0x8040 != 0 {
		t.Fatalf("the calling thread already flushes subnormals (mode %#x)", before)
	}
}

// BenchmarkSgemmKernels compares the default implementation with OpenBLAS
// alone, one thread each, on the model's products (S = 257: 66 049
// tokens, D = 100, 4D = 400), the untransposed ones cut to a tenth of the
// rows: "tokens" is C = A·B, "tokensT" C = A·Bᵀ, "grad" C = Aᵀ·B over half
// the tokens (Gemm gives each of two threads half).
func BenchmarkSgemmKernels(b *testing.B) {
	for _, s := range []struct {
		name           string
		transA, transB bool
		m, n, k        int
	}{
		{"tokens", false, false, 6605, 400, 100},
		{"tokens", false, false, 6605, 100, 400},
		{"tokens", false, false, 6605, 100, 100},
		{"tokensT", false, true, 6605, 100, 100},
		{"grad", true, false, 100, 400, 33024},
		{"grad", true, false, 400, 100, 33024},
		{"grad", true, false, 100, 100, 33024},
	} {
		for _, impl := range []Impl{openBLASOnly{}, Default()} {
			name := fmt.Sprintf("%s/%dx%dx%d/%s", s.name, s.m, s.n, s.k, impl.Name())
			b.Run(name, func(b *testing.B) { benchGemmShape(b, impl, s.transA, s.transB, s.m, s.n, s.k) })
		}
	}
}

// TestTokenProductsInCgo: the answer follows the default implementation's
// kernels, as its name reports them.
func TestTokenProductsInCgo(t *testing.T) {
	switch name := Default().Name(); name {
	case "openblas+avx512":
		if TokenProductsInCgo() {
			t.Errorf("%s: TokenProductsInCgo() = true, want false", name)
		}
	case "openblas":
		if !TokenProductsInCgo() {
			t.Errorf("%s: TokenProductsInCgo() = false, want true", name)
		}
	default:
		t.Fatalf("unexpected default implementation %q in a cgo build", name)
	}
}
