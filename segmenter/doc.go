// Package segmenter holds the numeric kernels of mmcseg's models: dense
// matrix products, 3×3 and depth-wise convolutions, layer and batch
// normalisation, exact GELU, soft-max, the 2×2 sub-pixel rearrangement and
// the losses, each with its backward pass.
//
// Kernels work on flat row-major buffers: a feature map of H×W pixels and C
// channels is stored channel-last as [H·W][C] (token-major), the layout the
// matrix products want. They are generic over float32 and float64: models
// run in float32, and the tests run the very same code in float64 to check
// every backward pass against central finite differences. What differs
// between the two is below the kernels, in their row primitives (vec.go):
// float64 runs plain Go loops and package math; float32 runs this package's
// own exp and erf and, on amd64 with AVX2 and FMA (unless built with the
// purego tag), the assembly kernels of simd_amd64.s; where the CPU has
// AVX-512, the GELU kernels (the costliest element-wise ones) run 16 lanes
// at a time with the same operations in the same order, so results do not
// depend on it. The tests bound the float32 path against the float64 one
// and the assembly against the Go loops, kernel by kernel.
//
// An Engine carries the thread count and the BLAS implementation. Every
// kernel splits its work into the same fixed, contiguous parts for a given
// thread count and combines partial sums in a fixed order, so results are
// identical bit for bit from run to run at a given thread count. Kernels
// allocate nothing on their hot paths: callers own all buffers, and the
// Engine keeps its small scratch (split-K partial products, per-worker
// reduction accumulators) from call to call. An Engine is not safe for
// concurrent use.
//
// Mismatched shapes are programming errors and panic, as slice indexing
// does; the models validate their configuration before calling in.
package segmenter
