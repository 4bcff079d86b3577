package segmenter

// MixFFNHidden is the fused middle of MixFFN_skip: from H1, an h×w map of c
// channels, it computes S = DWConv3x3(H1) + H1 (depth-wise conv with bias,
// plus the skip), then A = GELU(LayerNorm_c(S)), one image row at a time so
// that S never leaves the cache and is never stored. It stores the
// LayerNorm's per-token mean and rstd for the backward pass.
func MixFFNHidden[T Float](e *Engine, h, w, c int, h1, wdw, bdw, gamma, beta []T, eps float64, a, mean, rstd []T) {
	pk := dwPack(e, c, wdw, bdw, true)
	e.For(h, 2, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			out := a[r*w*c : (r+1)*w*c]
			dwconvRow(h, w, c, r, h1, wdw, bdw, out, true, pk)
			for x := range w {
				t := r*w + x
				v := out[x*c : (x+1)*c]
				mean[t], rstd[t] = layerNormRow(v, gamma, beta, eps, v)
				vGELU(v, v)
			}
		}
	})
}

// MixFFNHiddenBackward is MixFFNHidden's backward pass up to S: from H1, the
// saved LayerNorm statistics and dA it recomputes S, one image row at a
// time, and sets dS, the gradient with respect to S = DWConv3x3(H1) + H1,
// which the caller passes on to DWConv3x3Backward with skip. On the way it
// recomputes A = GELU(LayerNorm(S)) into a (unless a is nil), which the
// backward pass of the next layer's weight needs. ds may alias da. It adds
// the LayerNorm's parameter gradients to dgamma and dbeta.
func MixFFNHiddenBackward[T Float](e *Engine, h, w, c int, h1, wdw, bdw, gamma, beta, mean, rstd, da, a, ds, dgamma, dbeta []T) {
	pk := dwPack(e, c, wdw, bdw, true)
	acc := e.accumulators(2 * c)
	tmp := workerRows[T](e, w*c+3*c)
	p := e.For(h, 2, func(wk, lo, hi int) {
		srow, z, pacc := tmp[wk][:w*c], tmp[wk][w*c:w*c+c], tmp[wk][w*c+c:]
		clear(pacc)
		dg, db := pacc[:c], pacc[c:]
		for r := lo; r < hi; r++ {
			dwconvRow(h, w, c, r, h1, wdw, bdw, srow, true, pk)
			for x := range w {
				t := r*w + x
				s := srow[x*c : (x+1)*c]
				m, rs := mean[t], rstd[t]
				vLNApply(s, z, gamma, beta, m, rs)
				var at []T
				if a != nil {
					at = a[t*c : (t+1)*c]
				}
				vGELUGrad(z, da[t*c:(t+1)*c], z, at)
				layerNormRowBackward(s, gamma, m, rs, z, ds[t*c:(t+1)*c], false, dg, db)
			}
			flush(acc[wk], pacc)
		}
	})
	reduceInto(dgamma[:c], acc, p)
	reduceIntoAt(dbeta[:c], acc, p, c)
}
