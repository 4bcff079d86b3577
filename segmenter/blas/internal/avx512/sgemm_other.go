//go:build !amd64 || purego

package avx512

// Suits is always false without the amd64 kernels.
func Suits(transA, transB bool, m, n, k int) bool { return false }

// Sgemm is never called where Suits is false.
func Sgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int) {
	panic("avx512: Sgemm called where Suits is false")
}

// Available is always false without the amd64 kernels.
func Available() bool { return false }
