package blas

import "fmt"

// Impl computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, where
// op(X) is X or its transpose, op(A) is m×k, op(B) is k×n and C is m×n.
// lda, ldb and ldc are row strides. When beta is 0, C is overwritten and its
// previous contents (even NaNs) are ignored. Calls are single-threaded and
// may run concurrently on disjoint outputs.
//
// Subnormal operands are read as zero, and the default implementation also
// flushes subnormal results to zero (x86's DAZ and FTZ modes, set for the
// duration of each call and then restored): training drives some gradients
// (the intra module's, once its attention saturates) below float32's
// normal range, where x86 arithmetic takes a microcode assist per
// operation and whole products ran ~40× slower. What is dropped is below
// 1.2e-38 (float32) or 2.2e-308 (float64) per term.
//
// Inconsistent dimensions or slices too short for them are programming
// errors and panic.
type Impl interface {
	Name() string
	Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
}

// Default returns the implementation mmcseg uses: OpenBLAS when built with
// cgo and without the purego tag, otherwise the pure-Go GEMM.
func Default() Impl { return defaultImpl }

// TokenProductsInCgo reports whether the default implementation computes
// the model's token-sized float32 products in cgo calls: true with OpenBLAS
// alone, false where the AVX-512 kernels take them (Go assembly) or in the
// pure-Go build. Callers that tune the Go scheduler for long cgo calls (see
// package mmcformer) ask this.
func TokenProductsInCgo() bool { return tokenProductsInCgo() }

// OpenBLAS returns OpenBLAS on its own, without the AVX-512 kernels that
// the default adds, for comparisons; nil in builds without cgo.
func OpenBLAS() Impl { return openBLASAlone }

// PureGo returns the pure-Go implementation, available in every build.
func PureGo() Impl { return pureGo{} }

// checkGemm panics with a descriptive message when the dimensions or the
// slice lengths of a GEMM call are inconsistent.
func checkGemm(transA, transB bool, m, n, k, lda, ldb, ldc, la, lb, lc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("blas: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	check := func(name string, rows, cols, ld, have int) {
		if ld < max(cols, 1) {
			panic(fmt.Sprintf("blas: %s stride %d < %d columns", name, ld, cols))
		}
		if rows > 0 && cols > 0 && have < (rows-1)*ld+cols {
			panic(fmt.Sprintf("blas: %s has %d elements, needs %d (%d×%d, stride %d)", name, have, (rows-1)*ld+cols, rows, cols, ld))
		}
	}
	check("A", ar, ac, lda, la)
	check("B", br, bc, ldb, lb)
	check("C", m, n, ldc, lc)
}
