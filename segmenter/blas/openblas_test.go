//go:build cgo && !purego

package blas

import "testing"

// TestFPModeRestored: the DAZ/FTZ modes a product sets are the caller's
// again afterwards, so Go code on the same thread keeps IEEE subnormals.
func TestFPModeRestored(t *testing.T) {
	before := fpMode()
	a, b, c := []float32{1, 2, 3, 4}, []float32{5, 6, 7, 8}, make([]float32, 4)
	Default().Sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	Default().Dgemm(false, false, 2, 2, 2, 1, []float64{1, 2, 3, 4}, 2, []float64{5, 6, 7, 8}, 2, 0, make([]float64, 4), 2)
	if after := fpMode(); after != before {
		t.Fatalf("floating-point mode %#x before a product, %#x after", before, after)
	}
	if before&0x8040 != 0 {
		t.Fatalf("the calling thread already flushes subnormals (mode %#x)", before)
	}
}
