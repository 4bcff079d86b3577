package segmenter

// DWKernel is a depth-wise 3×3 convolution (stride 1, zero padding 1, over
// c channels, weights tap-major [9][c], bias [c]) prepared for the row
// kernels, optionally with MixFFN's skip (the input added to the output).
// Its packed weights live in the scratch of the Engine that made it and
// stay valid until that Engine's next NewDWKernel or depth-wise kernel; the
// row kernels only read them, so the parts of one For may share it.
type DWKernel[T Float] struct {
	c    int
	w, b []T
	skip bool
	pk   []float32
}

// NewDWKernel prepares the depth-wise weights w and bias b (nil: none) for
// the row kernels.
func NewDWKernel[T Float](e *Engine, c int, w, b []T, skip bool) DWKernel[T] {
	return DWKernel[T]{c: c, w: w[:9*c], b: b, skip: skip, pk: dwPack(e, c, w, b, skip)}
}

// MixFFNHidden is the fused middle of MixFFN_skip: from H1, an h×w map of c
// channels, it computes S = DWConv3x3(H1) + H1 (depth-wise conv with bias,
// plus the skip), then A = GELU(LayerNorm_c(S)), one image row at a time so
// that S never leaves the cache and is never stored. It stores the
// LayerNorm's per-token mean and rstd for the backward pass.
func MixFFNHidden[T Float](e *Engine, h, w, c int, h1, wdw, bdw, gamma, beta []T, eps float64, a, mean, rstd []T) {
	k := NewDWKernel(e, c, wdw, bdw, true)
	e.For(h, 2, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			MixFFNHiddenRow(k, w, imageRows(h, w, c, r, h1), gamma, beta, eps, a[r*w*c:(r+1)*w*c], mean[r*w:(r+1)*w], rstd[r*w:(r+1)*w])
		}
	})
}

// MixFFNHiddenRow is one image row of MixFFNHidden, single-threaded: from
// rows[0..2], the rows of H1 above, at and below it (each w·c; nil outside
// the image), it sets a (w·c) to GELU(LayerNorm(S)) and mean and rstd (w)
// to the LayerNorm's statistics. k must carry the skip.
func MixFFNHiddenRow[T Float](k DWKernel[T], w int, rows [3][]T, gamma, beta []T, eps float64, a, mean, rstd []T) {
	c := k.c
	dwconvRow(w, c, rows, k.w, k.b, a, k.skip, k.pk)
	for x := range w {
		v := a[x*c : (x+1)*c]
		mean[x], rstd[x] = layerNormRow(v, gamma, beta, eps, v)
		vGELU(v, v)
	}
}

// MixFFNHiddenBackward is MixFFNHidden's backward pass up to S: from H1, the
// saved LayerNorm statistics and dA it recomputes S, one image row at a
// time, and sets dS, the gradient with respect to S = DWConv3x3(H1) + H1,
// which the caller passes on to DWConv3x3Backward with skip. On the way it
// recomputes A = GELU(LayerNorm(S)) into a (unless a is nil), which the
// backward pass of the next layer's weight needs. ds may alias da. It adds
// the LayerNorm's parameter gradients to dgamma and dbeta.
func MixFFNHiddenBackward[T Float](e *Engine, h, w, c int, h1, wdw, bdw, gamma, beta, mean, rstd, da, a, ds, dgamma, dbeta []T) {
	k := NewDWKernel(e, c, wdw, bdw, true)
	acc := e.accumulators(2 * c)
	tmp := workerRows[T](e, w*c+3*c)
	p := e.For(h, 2, func(wk, lo, hi int) {
		srow, z, pacc := tmp[wk][:w*c], tmp[wk][w*c:w*c+c], tmp[wk][w*c+c:]
		clear(pacc)
		dg, db := pacc[:c], pacc[c:]
		for r := lo; r < hi; r++ {
			var ar []T
			if a != nil {
				ar = a[r*w*c : (r+1)*w*c]
			}
			mixFFNHiddenBackwardRow(k, w, imageRows(h, w, c, r, h1), gamma, beta, mean[r*w:(r+1)*w], rstd[r*w:(r+1)*w],
				da[r*w*c:(r+1)*w*c], ar, ds[r*w*c:(r+1)*w*c], dg, db, srow, z)
			flush(acc[wk], pacc)
		}
	})
	reduceInto(dgamma[:c], acc, p)
	reduceIntoAt(dbeta[:c], acc, p, c)
}

// mixFFNHiddenBackwardRow is one image row of MixFFNHiddenBackward, adding
// the LayerNorm's parameter gradients to dg and db; srow (w·c) and z (c)
// are scratch.
func mixFFNHiddenBackwardRow[T Float](k DWKernel[T], w int, rows [3][]T, gamma, beta, mean, rstd, da, a, ds, dg, db, srow, z []T) {
	c := k.c
	dwconvRow(w, c, rows, k.w, k.b, srow, k.skip, k.pk)
	for x := range w {
		s := srow[x*c : (x+1)*c]
		m, rs := mean[x], rstd[x]
		vLNApply(s, z, gamma, beta, m, rs)
		var at []T
		if a != nil {
			at = a[x*c : (x+1)*c]
		}
		vGELUGrad(z, da[x*c:(x+1)*c], z, at)
		layerNormRowBackward(s, gamma, m, rs, z, ds[x*c:(x+1)*c], false, dg, db)
	}
}
