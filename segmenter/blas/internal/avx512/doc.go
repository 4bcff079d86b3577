// Package avx512 multiplies float32 matrices with AVX-512 kernels of its
// own, for the two kinds of product the model spends most of its time in:
// many rows of tokens times a small weight matrix (C = A·B or A·Bᵀ, with
// thousands of rows and at most a few hundred columns), and the weight
// gradients, products summed over the tokens (C = Aᵀ·B).
//
// OpenBLAS is slower on these shapes than its kernel's speed suggests: at
// every call it copies the token matrix into its own layout, and when C is
// to be overwritten it first zeroes it, so both cost a pass over memory as
// large as the product's operands. Here the tokens are read where they
// lie, six rows at a time, against B (copied into panels of 64 columns
// when that pays); C is written once. blas's default implementation calls
// Sgemm where Suits says it applies and OpenBLAS elsewhere.
//
// The kernels exist for amd64 only, and only run on CPUs with AVX-512F;
// elsewhere (and under the purego tag) Suits is always false.
package avx512
