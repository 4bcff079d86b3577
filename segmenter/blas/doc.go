// Package blas is mmcseg's one small interface to dense matrix products:
// row-major single- and double-precision GEMM.
//
// Two implementations exist. The default, built with cgo, calls OpenBLAS
// (cblas_sgemm/cblas_dgemm; Debian's libopenblas-dev), except for the
// float32 products that dominate the model (many rows of tokens times a
// small weight matrix, and the weight gradients summed over the tokens),
// which on x86-64 CPUs with AVX-512 run on kernels of our own
// (internal/avx512): on those shapes OpenBLAS spends a third of its time
// copying the token matrix into its own layout and zeroing C before
// writing it. BenchmarkSgemmKernels compares the two. A pure-Go blocked
// GEMM is always compiled and becomes the default when cgo is off or the
// build tag purego is set (go test -tags purego ./segmenter/...).
//
// Every call is single-threaded. Callers parallelise by splitting their
// products into independent parts, which keeps the work partition (and so
// the floating-point results) fixed for a given thread count and lets
// several models share the cores without oversubscribing them. OpenBLAS's
// own thread count is process-global; this package owns it and pins it to 1
// when it is loaded, and nothing else in mmcseg touches it.
//
// Products read subnormal operands as zero (and OpenBLAS flushes subnormal
// results to zero), so that the tiny gradients late training produces do
// not send x86 arithmetic down its ~100× slower microcode path (see Impl).
package blas
