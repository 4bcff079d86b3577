//go:build cgo && !purego

package blas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
// FTZ (bit 15) and DAZ (bit 6) of MXCSR.
#define MMCSEG_FTZ_DAZ 0x8040u
static unsigned int mmcseg_flush_on(void) {
	unsigned int csr = _mm_getcsr();
	_mm_setcsr(csr | MMCSEG_FTZ_DAZ);
	return csr;
}
static void mmcseg_flush_off(unsigned int csr) { _mm_setcsr(csr); }
static unsigned int mmcseg_csr(void) { return _mm_getcsr(); }
#else
static unsigned int mmcseg_flush_on(void) { return 0; }
static void mmcseg_flush_off(unsigned int csr) { (void)csr; }
static unsigned int mmcseg_csr(void) { return 0; }
#endif

// The products run with subnormal inputs read as zero and subnormal results
// flushed to zero, and the caller's floating-point mode is restored after.
// One cgo call per product, as before.
static void mmcseg_sgemm(int ta, int tb, blasint m, blasint n, blasint k, float alpha,
		const float *a, blasint lda, const float *b, blasint ldb, float beta, float *c, blasint ldc) {
	unsigned int csr = mmcseg_flush_on();
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
		m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
	mmcseg_flush_off(csr);
}

static void mmcseg_dgemm(int ta, int tb, blasint m, blasint n, blasint k, double alpha,
		const double *a, blasint lda, const double *b, blasint ldb, double beta, double *c, blasint ldc) {
	unsigned int csr = mmcseg_flush_on();
	cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
		m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
	mmcseg_flush_off(csr);
}
*/
import "C"

import (
	"unsafe"

	"github.com/mmcseg/mmcseg/segmenter/blas/internal/avx512"
)

var (
	defaultImpl   Impl = openBLAS{}
	openBLASAlone Impl = openBLASOnly{}
)

func init() {
	// Callers own the parallelism (see the package comment): OpenBLAS must
	// never start threads of its own next to theirs.
	C.openblas_set_num_threads(1)
}

type openBLAS struct{}

func (openBLAS) Name() string {
	if avx512.Available() {
		return "openblas+avx512"
	}
	return "openblas"
}

func cbool(t bool) C.int {
	if t {
		return 1
	}
	return 0
}

func (openBLAS) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func tokenProductsInCgo() bool { return !avx512.Available() }

// openBLASOnly is the default implementation without the AVX-512 kernels,
// for the tests and benchmarks that compare the two.
type openBLASOnly struct{ openBLAS }

func (openBLASOnly) Name() string { return "openblas" }

func (openBLASOnly) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemm is Sgemm on OpenBLAS, with the AVX-512 kernels taking the
// products they suit when kernels is set.
func sgemm(kernels, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if kernels && alpha == 1 && (beta == 0 || beta == 1) && avx512.Suits(transA, transB, m, n, k) {
		avx512.Sgemm(transA, transB, m, n, k, a, lda, b, ldb, beta == 1, c, ldc)
		return
	}
	C.mmcseg_sgemm(cbool(transA), cbool(transB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}

func (openBLAS) Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkGemm(transA, transB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	C.mmcseg_dgemm(cbool(transA), cbool(transB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.double(alpha), (*C.double)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.double)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.double(beta), (*C.double)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}

// fpMode returns the calling thread's MXCSR on x86 (0 elsewhere), for the
// test that a product leaves the caller's floating-point mode alone.
func fpMode() uint32 { return uint32(C.mmcseg_csr()) }
