package segmenter

// Gemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices (see
// blas.Impl), split across the Engine's threads: by rows of C when C is
// tall, otherwise by the inner dimension k with the partial products summed
// in worker order, otherwise by columns. The weight gradients (A
// transposed, k = tokens) are split by k even when C has many rows: each
// part then reads half of both operands instead of all of B.
func Gemm[T Float](e *Engine, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	const minRows = 64          // rows of C per part
	const minInner = 1024       // k per part when splitting k
	const serialFLOPs = 1 << 20 // below this one call is cheaper than a fork
	p := e.threads
	switch {
	case p == 1 || m*n*k < serialFLOPs:
		gemm1(e, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	case m >= p*minRows && !(transA && k >= p*minInner):
		e.For(m, minRows, func(_, lo, hi int) {
			ao := lo * lda
			if transA {
				ao = lo
			}
			gemm1(e, transA, transB, hi-lo, n, k, alpha, a[ao:], lda, b, ldb, beta, c[lo*ldc:], ldc)
		})
	case k >= p*minInner:
		parts := e.parts(k, minInner)
		scratch := partials[T](e, (parts-1)*m*n)
		e.For(k, minInner, func(w, lo, hi int) {
			ao, bo := lo, lo*ldb
			if transA {
				ao = lo * lda
			}
			if transB {
				bo = lo
			}
			if w == 0 {
				gemm1(e, transA, transB, m, n, hi-lo, alpha, a[ao:], lda, b[bo:], ldb, beta, c, ldc)
				return
			}
			gemm1(e, transA, transB, m, n, hi-lo, alpha, a[ao:], lda, b[bo:], ldb, 0, scratch[(w-1)*m*n:w*m*n], n)
		})
		e.For(m, 1, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				row := c[i*ldc : i*ldc+n]
				for w := 1; w < parts; w++ {
					pr := scratch[(w-1)*m*n+i*n : (w-1)*m*n+i*n+n]
					for j := range row {
						row[j] += pr[j]
					}
				}
			}
		})
	default:
		e.For(n, 16, func(_, lo, hi int) {
			bo := lo
			if transB {
				bo = lo * ldb
			}
			gemm1(e, transA, transB, m, hi-lo, k, alpha, a, lda, b[bo:], ldb, beta, c[lo:], ldc)
		})
	}
}

// gemm1 is one single-threaded call into the Engine's BLAS.
func gemm1[T Float](e *Engine, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch a := any(a).(type) {
	case []float32:
		e.impl.Sgemm(transA, transB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		e.impl.Dgemm(transA, transB, m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// Linear computes Y = X·Wᵀ + b for X [n×in] (row stride ldx), W [out×in]
// and Y [n×out] (row stride ldy); b may be nil. With accumulate, Y += X·Wᵀ
// + b instead.
func Linear[T Float](e *Engine, n, in, out int, x []T, ldx int, w, b []T, y []T, ldy int, accumulate bool) {
	linear(e, n, in, out, x, ldx, w, true, b, y, ldy, accumulate)
}

// LinearT is Linear with W given as its transpose wt [in×out]. A caller
// that applies one W to many small row blocks transposes it once
// (Transpose) and calls LinearT: the product then reads the weights in
// place instead of rearranging them at every call.
func LinearT[T Float](e *Engine, n, in, out int, x []T, ldx int, wt, b []T, y []T, ldy int, accumulate bool) {
	linear(e, n, in, out, x, ldx, wt, false, b, y, ldy, accumulate)
}

func linear[T Float](e *Engine, n, in, out int, x []T, ldx int, w []T, transW bool, b []T, y []T, ldy int, accumulate bool) {
	var beta T
	switch {
	case accumulate:
		beta = 1
		if b != nil {
			AddRowVector(e, n, out, y, ldy, b)
		}
	case b != nil:
		// Start from the bias and accumulate: one pass instead of
		// zeroing, multiplying and adding the bias in another.
		FillRows(e, n, out, y, ldy, b)
		beta = 1
	}
	ldw := out
	if transW {
		ldw = in
	}
	Gemm(e, false, transW, n, out, in, 1, x, ldx, w, ldw, beta, y, ldy)
}

// Transpose sets dst [cols×rows] to the transpose of src [rows×cols].
func Transpose[T Float](rows, cols int, src, dst []T) {
	const tile = 16
	for i0 := 0; i0 < rows; i0 += tile {
		for j0 := 0; j0 < cols; j0 += tile {
			for i := i0; i < min(i0+tile, rows); i++ {
				row := src[i*cols : (i+1)*cols]
				for j := j0; j < min(j0+tile, cols); j++ {
					dst[j*rows+i] = row[j]
				}
			}
		}
	}
}

// LinearBackward is the backward pass of Linear: dW += dYᵀ·X, db += the
// column sums of dY (db may be nil), and dX = dY·W (dX += dY·W with
// accumulate; dX nil skips it).
func LinearBackward[T Float](e *Engine, n, in, out int, x []T, ldx int, w []T, dy []T, lddy int, dw, db []T, dx []T, lddx int, accumulate bool) {
	Gemm(e, true, false, out, in, n, 1, dy, lddy, x, ldx, 1, dw, in)
	if db != nil {
		ColSums(e, n, out, dy, lddy, db)
	}
	if dx != nil {
		var beta T
		if accumulate {
			beta = 1
		}
		Gemm(e, false, false, n, in, out, 1, dy, lddy, w, in, beta, dx, lddx)
	}
}

// AddRowVector adds v to every row of the rows×cols matrix x (stride ld).
func AddRowVector[T Float](e *Engine, rows, cols int, x []T, ld int, v []T) {
	v = v[:cols]
	e.For(rows, 256, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			vAdd(x[i*ld:i*ld+cols], v)
		}
	})
}

// FillRows sets every row of the rows×cols matrix x (stride ld) to v.
func FillRows[T Float](e *Engine, rows, cols int, x []T, ld int, v []T) {
	v = v[:cols]
	e.For(rows, 256, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			copy(x[i*ld:i*ld+cols], v)
		}
	})
}

// AddRows sets dst = src + v for every row of the rows×cols matrices dst
// and src (contiguous).
func AddRows[T Float](e *Engine, rows, cols int, dst, src, v []T) {
	v = v[:cols]
	e.For(rows, 256, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			d := dst[i*cols : (i+1)*cols]
			copy(d, src[i*cols:(i+1)*cols])
			vAdd(d, v)
		}
	})
}

// ColSums adds the column sums of the rows×cols matrix x (stride ld) to
// dst, accumulating in T over at most flushEvery rows, then in float64.
func ColSums[T Float](e *Engine, rows, cols int, x []T, ld int, dst []T) {
	acc, p := rowPartials(e, rows, cols, 256, func(a []T, i int) { vAdd(a, x[i*ld:i*ld+cols]) })
	reduceInto(dst[:cols], acc, p)
}

// ColSums64 adds the column sums of the rows×cols matrix x (stride ld) to
// dst in float64 (accumulating as ColSums does), for sums that go on
// accumulating over further calls.
func ColSums64[T Float](e *Engine, rows, cols int, x []T, ld int, dst []float64) {
	acc, p := rowPartials(e, rows, cols, 256, func(a []T, i int) { vAdd(a, x[i*ld:i*ld+cols]) })
	reduceInto(dst[:cols], acc, p)
}
