// Package mmcformer implements MMCFormer (MS-Former, Karimijafarbigloo et
// al., MIDL 2023) as the authors' public code computes it
// (docs/mmcformer-method.md): a dual-scale efficient transformer that is
// optimised afresh on each image with self-supervised losses — cross-entropy
// against its own arg-max, an intra-scale spatial-stability L1 term and an
// inter-scale cosine term — until its arg-max map has at most MinLabels
// labels, then read out as a label map.
//
// New builds a Model for one working size and allocates every activation,
// gradient and optimiser buffer once; Segment reuses them for each image.
// The network is written once, generic over float32 and float64: the Model
// runs float32, and the tests run the same code in float64 to check the
// whole model's gradient against finite differences.
//
// Faithfulness notes (method doc §7): fc1 of MixFFN_skip is computed once
// (the reference evaluates it twice; same value, same gradient); weights
// are drawn from an explicit seed with PyTorch's default bounds; BatchNorm
// always uses the current image's statistics, as the reference never leaves
// train mode. The input is resized to S×S bilinearly in float32 (OpenCV's
// INTER_LINEAR geometry, half-pixel centres, no antialiasing); OpenCV
// resizes the 8-bit image with 11-bit fixed-point weights and rounds to 8
// bits, which can differ from ours by at most half a grey level.
//
// Three products are reassociated; each computes the same function, up to
// float32 rounding, with fewer token-sized products (the gradient check
// covers all three):
//   - the attention's output projection is Q̂·(G·Woᵀ), not (Q̂·G)·Woᵀ;
//   - the values V = Y·Wvᵀ + bv are never formed: K̂'s columns sum to one
//     over the tokens, so the context K̂ᵀV is (K̂ᵀY)·Wvᵀ + 1·bvᵀ;
//   - the large branch's up-sampling Linear and the classifier's large half
//     act as one D→4C product on the low-resolution tokens, whose outputs
//     are rearranged straight into the logits.
//
// Cost: one step is ≈ 169 GFLOP at the defaults as method doc §8 counts it
// for the reference with fc1 once (StepFLOPs; the benchmark's GFLOP/s uses
// that count); with the reassociations this port does ≈ 145. Almost all of
// it is matrix products (segmenter.Gemm: on CPUs with AVX-512 the
// token-sized ones run on mmcseg's own kernels, the rest on OpenBLAS; see
// package blas). Memory is about 1.3 GB at S = 257, allocated by New: per
// transformer block only the soft-maxed Q̂ and K̂, the LayerNorm output Y,
// the residual T, fc1's output H1 and the post-block BatchNorm's x̂ are kept
// for the backward pass; the block input, the second LayerNorm's output,
// S = DWConv(H1) + H1 and the GELU output are recomputed there from them,
// and the gradient buffers are shared by all blocks of both branches. On
// Linux the large buffers ask for transparent huge pages, which made steps
// 3–6 % faster here.
//
// Without AVX-512 a Model's threads spend most of a step inside OpenBLAS,
// that is in cgo calls, during which the Go runtime's monitor takes their
// Ps back every 20 µs when no P is idle. A process that runs a Model on all
// its Ps should then give the runtime one more (GOMAXPROCS = Threads + 1):
// the model still computes on Threads goroutines, and the thousands of
// preemptions a step stop (steps 1–5 % faster). With the AVX-512 kernels,
// which are Go assembly, the spare P only spins looking for work next to
// the model's threads (steps 3.5 % slower). UseSpareP does what applies;
// the plugin and the benchmarks call it.
package mmcformer
