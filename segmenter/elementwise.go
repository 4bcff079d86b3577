package segmenter

import "math"

// rowGrain is the smallest number of rows (tokens) worth a goroutine in the
// row-wise kernels.
const rowGrain = 64

// GELU sets y = GELU(x) = x·Φ(x) element-wise, PyTorch's default exact (erf)
// form. y may alias x.
func GELU[T Float](e *Engine, x, y []T) {
	y = y[:len(x)]
	e.For(len(x), 4096, func(_, lo, hi int) { vGELU(x[lo:hi], y[lo:hi]) })
}

// GELUBackward sets dx = dy·GELU'(x), GELU'(x) = Φ(x) + x·φ(x). dx may alias
// dy.
func GELUBackward[T Float](e *Engine, x, dy, dx []T) {
	e.For(len(x), 4096, func(_, lo, hi int) { vGELUGrad(x[lo:hi], dy[lo:hi], dx[lo:hi], nil) })
}

// SoftmaxRows sets each of the rows of y (stride ldy) to the soft-max of the
// same row of x (stride ldx) over its cols entries. y may alias x.
func SoftmaxRows[T Float](e *Engine, rows, cols int, x []T, ldx int, y []T, ldy int) {
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			softmaxRow(x[i*ldx:i*ldx+cols], y[i*ldy:i*ldy+cols])
		}
	})
}

func softmaxRow[T Float](x, y []T) {
	y = y[:len(x)]
	m := vMax(x)
	copy(y, x)
	z := vExpShift(y, m)
	vScale(y, T(1/z))
}

// SoftmaxRowsBackward sets dx = y⊙(dy − Σ_row y⊙dy) for y = SoftmaxRows(x).
// dx may alias dy.
func SoftmaxRowsBackward[T Float](e *Engine, rows, cols int, y []T, ldy int, dy []T, lddy int, dx []T, lddx int) {
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			yr, gr, dr := y[i*ldy:i*ldy+cols], dy[i*lddy:i*lddy+cols], dx[i*lddx:i*lddx+cols]
			vSoftmaxBack(yr, gr, dr, T(vDot(yr, gr)), nil)
		}
	})
}

// SoftmaxCols sets y to the soft-max of x over its rows, for each of the
// cols columns (x stride ldx, y stride ldy). y may alias x. mx and sum are
// scratch of cols elements each.
func SoftmaxCols[T Float](e *Engine, rows, cols int, x []T, ldx int, y []T, ldy int, mx, sum []T) {
	mx, sum = mx[:cols], sum[:cols]
	// Column maxima: per-worker partials, combined in worker order.
	part := workerRows[T](e, cols)
	p := e.For(rows, rowGrain, func(w, lo, hi int) {
		a := part[w]
		copy(a, x[lo*ldx:lo*ldx+cols])
		for i := lo + 1; i < hi; i++ {
			vMaxAcc(a, x[i*ldx:i*ldx+cols])
		}
	})
	copy(mx, part[0])
	for w := 1; w < p; w++ {
		vMaxAcc(mx, part[w])
	}
	// Same rows and grain, so the same p parts as the maxima.
	acc, _ := rowPartials(e, rows, cols, rowGrain, func(a []T, i int) {
		vExpSubVec(y[i*ldy:i*ldy+cols], x[i*ldx:i*ldx+cols], mx, a)
	})
	clear(sum)
	reduceInto(sum, acc, p)
	for j := range sum {
		sum[j] = 1 / sum[j]
	}
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			vMul(y[i*ldy:i*ldy+cols], sum)
		}
	})
}

// SoftmaxColsBackward sets dx = y⊙(dy − Σ_col y⊙dy) for y = SoftmaxCols(x).
// dx may alias dy. dot is scratch of cols elements.
func SoftmaxColsBackward[T Float](e *Engine, rows, cols int, y []T, ldy int, dy []T, lddy int, dx []T, lddx int, dot []T) {
	dot = dot[:cols]
	acc, p := rowPartials(e, rows, cols, rowGrain, func(a []T, i int) {
		vFMA(a, y[i*ldy:i*ldy+cols], dy[i*lddy:i*lddy+cols])
	})
	clear(dot)
	reduceInto(dot, acc, p)
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			vSoftmaxBack(y[i*ldy:i*ldy+cols], dy[i*lddy:i*lddy+cols], dx[i*lddx:i*lddx+cols], 0, dot)
		}
	})
}

// SubPixel2x2 rearranges x, an h×w map of 4c channels (channel-last), into
// a 2h×2w map of c channels cropped to outH×outW: low-resolution pixel
// (i, j), feature (p1·2 + p2)·c + ch goes to pixel (2i+p1, 2j+p2), channel
// ch (channel fastest; not PyTorch's PixelShuffle order ch·4 + p1·2 + p2).
func SubPixel2x2[T Float](e *Engine, h, w, c int, x []T, outH, outW int, y []T) {
	e.For(outH, 8, func(_, lo, hi int) {
		for Y := lo; Y < hi; Y++ {
			for X := range outW {
				src := ((Y/2)*w+X/2)*4*c + ((Y%2)*2+X%2)*c
				copy(y[(Y*outW+X)*c:(Y*outW+X+1)*c], x[src:src+c])
			}
		}
	})
}

// SubPixel2x2Backward is SubPixel2x2's backward pass: it sets dx (h×w×4c)
// from dy (outH×outW×c); features of cropped pixels get zero.
func SubPixel2x2Backward[T Float](e *Engine, h, w, c int, dy []T, outH, outW int, dx []T) {
	e.For(h, 4, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			for j := range w {
				for q := range 4 {
					Y, X := 2*i+q/2, 2*j+q%2
					d := dx[(i*w+j)*4*c+q*c : (i*w+j)*4*c+(q+1)*c]
					if Y >= outH || X >= outW {
						clear(d)
						continue
					}
					copy(d, dy[(Y*outW+X)*c:(Y*outW+X+1)*c])
				}
			}
		}
	})
}

// ColSoftmax accumulates what a soft-max over rows needs, per column,
// from rows seen chunk by chunk: the running maximum and the sum of
// exp(x − maximum), rescaled (in float64) whenever the maximum grows. Two
// ColSoftmax of disjoint rows merge exactly; Inverse then gives the
// normalisers for SoftmaxColsApply. Together they compute SoftmaxCols in
// one pass over x for the statistics and one for the result, with the
// first pass fused into whatever produces x.
type ColSoftmax[T Float] struct {
	Max []T
	Sum []float64
	tmp []T // scratch: 3 rows of cols
}

// Reset starts over for cols columns (allocating only the first time).
func (s *ColSoftmax[T]) Reset(cols int) {
	if cap(s.Max) < cols {
		s.Max, s.Sum, s.tmp = make([]T, cols), make([]float64, cols), make([]T, 3*cols)
	}
	s.Max, s.Sum = s.Max[:cols], s.Sum[:cols]
	for j := range s.Max {
		s.Max[j] = T(math.Inf(-1))
	}
	clear(s.Sum)
}

// Add folds rows more rows of x (stride ldx) into the statistics,
// single-threaded.
func (s *ColSoftmax[T]) Add(rows int, x []T, ldx int) {
	cols := len(s.Max)
	if rows == 0 {
		return
	}
	cm, y, part := s.tmp[:cols], s.tmp[cols:2*cols], s.tmp[2*cols:3*cols]
	copy(cm, x[:cols])
	for i := 1; i < rows; i++ {
		vMaxAcc(cm, x[i*ldx:i*ldx+cols])
	}
	for j, m := range cm {
		if m > s.Max[j] {
			if s.Sum[j] != 0 {
				s.Sum[j] *= math.Exp(float64(s.Max[j]) - float64(m))
			}
			s.Max[j] = m
		}
	}
	clear(part)
	for i := range rows {
		vExpSubVec(y, x[i*ldx:i*ldx+cols], s.Max, part)
		if i%flushEvery == flushEvery-1 {
			flush(s.Sum, part)
		}
	}
	flush(s.Sum, part)
}

// Merge folds o's statistics (of other rows) into s.
func (s *ColSoftmax[T]) Merge(o *ColSoftmax[T]) {
	for j, m := range o.Max {
		switch {
		case o.Sum[j] == 0:
		case m > s.Max[j]:
			s.Sum[j] = s.Sum[j]*math.Exp(float64(s.Max[j])-float64(m)) + o.Sum[j]
			s.Max[j] = m
		default:
			s.Sum[j] += o.Sum[j] * math.Exp(float64(m)-float64(s.Max[j]))
		}
	}
}

// Inverse sets inv[j] = 1/Sum[j].
func (s *ColSoftmax[T]) Inverse(inv []T) {
	for j, v := range s.Sum {
		inv[j] = T(1 / v)
	}
}

// SoftmaxColsApply sets y = exp(x − mx)⊙inv row by row (x stride ldx, y
// stride ldy; y may alias x): the soft-max over rows from a ColSoftmax's
// maximum and inverse sums.
func SoftmaxColsApply[T Float](e *Engine, rows, cols int, x []T, ldx int, y []T, ldy int, mx, inv []T) {
	mx, inv = mx[:cols], inv[:cols]
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			vExpSubMul(y[i*ldy:i*ldy+cols], x[i*ldx:i*ldx+cols], mx, inv)
		}
	})
}
