package segmenter

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
	acc := e.accumulators(cols)
	e.For(rows, rowGrain, func(w, lo, hi int) {
		a := part[w]
		clear(a)
		for i := lo; i < hi; i++ {
			vExpSubVec(y[i*ldy:i*ldy+cols], x[i*ldx:i*ldx+cols], mx, a)
			if (i-lo)%flushEvery == flushEvery-1 {
				flush(acc[w], a)
			}
		}
		flush(acc[w], a)
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
	acc := e.accumulators(cols)
	part := workerRows[T](e, cols)
	p := e.For(rows, rowGrain, func(w, lo, hi int) {
		a := part[w]
		clear(a)
		for i := lo; i < hi; i++ {
			vFMA(a, y[i*ldy:i*ldy+cols], dy[i*lddy:i*lddy+cols])
			if (i-lo)%flushEvery == flushEvery-1 {
				flush(acc[w], a)
			}
		}
		flush(acc[w], a)
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
