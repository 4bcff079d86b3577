package segmenter

// rowGrain is the smallest number of rows (tokens) worth a goroutine in the
// row-wise kernels.
const rowGrain = 64

// GELU sets y = GELU(x) = x·Φ(x) element-wise, PyTorch's default exact (erf)
// form. y may alias x.
func GELU[T Float](e *Engine, x, y []T) {
	y = y[:len(x)]
	e.For(len(x), 4096, func(_, lo, hi int) { geluRow(x[lo:hi], y[lo:hi]) })
}

// GELUBackward sets dx = dy·GELU'(x), GELU'(x) = Φ(x) + x·φ(x). dx may alias
// dy.
func GELUBackward[T Float](e *Engine, x, dy, dx []T) {
	e.For(len(x), 4096, func(_, lo, hi int) { geluGradRow(x[lo:hi], dy[lo:hi], dx[lo:hi], nil) })
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
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	for i, v := range x {
		y[i] = v - m
	}
	s := expShifted(y, nil)
	r := T(1 / s)
	for i := range y {
		y[i] *= r
	}
}

// SoftmaxRowsBackward sets dx = y⊙(dy − Σ_row y⊙dy) for y = SoftmaxRows(x).
// dx may alias dy.
func SoftmaxRowsBackward[T Float](e *Engine, rows, cols int, y []T, ldy int, dy []T, lddy int, dx []T, lddx int) {
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			yr, gr, dr := y[i*ldy:i*ldy+cols], dy[i*lddy:i*lddy+cols], dx[i*lddx:i*lddx+cols]
			var s float64
			for j, v := range yr {
				s += float64(v) * float64(gr[j])
			}
			st := T(s)
			for j, v := range yr {
				dr[j] = v * (gr[j] - st)
			}
		}
	})
}

// SoftmaxCols sets y to the soft-max of x over its rows, for each of the
// cols columns (x stride ldx, y stride ldy). y may alias x. mx and sum are
// scratch of cols elements each.
func SoftmaxCols[T Float](e *Engine, rows, cols int, x []T, ldx int, y []T, ldy int, mx, sum []T) {
	mx, sum = mx[:cols], sum[:cols]
	// Column maxima: per-worker partials, combined in worker order.
	acc := e.accumulators(cols)
	p := e.For(rows, rowGrain, func(w, lo, hi int) {
		a := acc[w][:cols]
		for j := range a {
			a[j] = float64(x[lo*ldx+j])
		}
		for i := lo; i < hi; i++ {
			for j, v := range x[i*ldx : i*ldx+cols] {
				a[j] = max(a[j], float64(v))
			}
		}
	})
	for j := range mx {
		m := acc[0][j]
		for w := 1; w < p; w++ {
			m = max(m, acc[w][j])
		}
		mx[j] = T(m)
	}
	acc = e.accumulators(cols)
	e.For(rows, rowGrain, func(w, lo, hi int) {
		a := acc[w][:cols]
		for i := lo; i < hi; i++ {
			yr := y[i*ldy : i*ldy+cols]
			copy(yr, x[i*ldx:i*ldx+cols])
			for j, v := range yr {
				yr[j] = expScalar(v - mx[j])
				a[j] += float64(yr[j])
			}
		}
	})
	clear(sum)
	reduceInto(sum, acc, p)
	for j := range sum {
		sum[j] = 1 / sum[j]
	}
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			yr := y[i*ldy : i*ldy+cols]
			for j := range yr {
				yr[j] *= sum[j]
			}
		}
	})
}

// SoftmaxColsBackward sets dx = y⊙(dy − Σ_col y⊙dy) for y = SoftmaxCols(x).
// dx may alias dy. dot is scratch of cols elements.
func SoftmaxColsBackward[T Float](e *Engine, rows, cols int, y []T, ldy int, dy []T, lddy int, dx []T, lddx int, dot []T) {
	dot = dot[:cols]
	acc := e.accumulators(cols)
	p := e.For(rows, rowGrain, func(w, lo, hi int) {
		a := acc[w][:cols]
		for i := lo; i < hi; i++ {
			yr, gr := y[i*ldy:i*ldy+cols], dy[i*lddy:i*lddy+cols]
			for j, v := range yr {
				a[j] += float64(v) * float64(gr[j])
			}
		}
	})
	clear(dot)
	reduceInto(dot, acc, p)
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			yr, gr, dr := y[i*ldy:i*ldy+cols], dy[i*lddy:i*lddy+cols], dx[i*lddx:i*lddx+cols]
			for j, v := range yr {
				dr[j] = v * (gr[j] - dot[j])
			}
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
