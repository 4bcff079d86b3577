package segmenter

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestColSoftmaxChunked: the soft-max over rows computed from chunked,
// merged statistics (ColSoftmax, SoftmaxColsApply) equals SoftmaxCols, the
// gradient-checked kernel, in float64, whatever the chunking and the order
// in which the maxima grow; and the float32 path stays within rounding of
// it.
func TestColSoftmaxChunked(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 21))
	const rows, cols, ld = 700, 13, 20
	x := randVec(r, rows*ld, 6)
	for i := range rows { // a drifting mean makes the maxima grow late
		for j := range cols {
			x[i*ld+j] += float64(i) / 50
		}
	}
	e := NewEngine(3, nil)
	want := make([]float64, rows*ld)
	SoftmaxCols(e, rows, cols, x, ld, want, ld, make([]float64, cols), make([]float64, cols))
	for _, split := range [][]int{{0, rows}, {0, 1, 300, rows}, {0, 64, 65, 129, 500, 699, rows}} {
		var total ColSoftmax[float64]
		total.Reset(cols)
		for k := len(split) - 2; k >= 0; k-- { // merge in reverse: the later rows hold the larger maxima
			var s ColSoftmax[float64]
			s.Reset(cols)
			lo, hi := split[k], split[k+1]
			for c0 := lo; c0 < hi; c0 += 37 {
				s.Add(min(37, hi-c0), x[c0*ld:], ld)
			}
			total.Merge(&s)
		}
		inv := make([]float64, cols)
		total.Inverse(inv)
		got := make([]float64, rows*ld)
		SoftmaxColsApply(e, rows, cols, x, ld, got, ld, total.Max, inv)
		for i := range rows {
			for j := range cols {
				if d := math.Abs(got[i*ld+j] - want[i*ld+j]); d > 1e-14*(1+want[i*ld+j]) {
					t.Fatalf("split %v: y[%d,%d] = %g, SoftmaxCols gives %g", split, i, j, got[i*ld+j], want[i*ld+j])
				}
			}
		}
	}
	var s ColSoftmax[float32]
	s.Reset(cols)
	x32 := to32(x)
	for c0 := 0; c0 < rows; c0 += 100 {
		s.Add(min(100, rows-c0), x32[c0*ld:], ld)
	}
	inv := make([]float32, cols)
	s.Inverse(inv)
	got := make([]float32, rows*ld)
	SoftmaxColsApply(e, rows, cols, x32, ld, got, ld, s.Max, inv)
	for i := range rows {
		for j := range cols {
			w := want[i*ld+j]
			if d := math.Abs(float64(got[i*ld+j]) - w); d > 4e-6*w+1e-12 { // x up to ~20, rounded to float32
				t.Fatalf("float32: y[%d,%d] = %g, float64 %g", i, j, got[i*ld+j], w)
			}
		}
	}
}
