package segmenter

// MixFFNHidden is the fused middle of MixFFN_skip: from H1, an h×w map of c
// channels, it computes S = DWConv3x3(H1) + H1 (depth-wise conv with bias,
// plus the skip), then A = GELU(LayerNorm_c(S)), one image row at a time so
// that S never leaves the cache and is never stored. It stores the
// LayerNorm's per-token mean and rstd for the backward pass.
func MixFFNHidden[T Float](e *Engine, h, w, c int, h1, wdw, bdw, gamma, beta []T, eps float64, a, mean, rstd []T) {
	e.For(h, 2, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			out := a[r*w*c : (r+1)*w*c]
			dwconvRow(h, w, c, r, h1, wdw, bdw, out, true)
			for x := range w {
				t := r*w + x
				v := out[x*c : (x+1)*c]
				mean[t], rstd[t] = layerNormRow(v, gamma, beta, eps, v)
				geluRow(v, v)
			}
		}
	})
}

// MixFFNHiddenBackward is MixFFNHidden's backward pass up to S: from H1, the
// saved LayerNorm statistics and dA it recomputes S row by row and sets dS
// (the gradient with respect to S = DWConv3x3(H1) + H1, which the caller
// passes on to DWConv3x3Backward and the skip). It adds the LayerNorm's
// parameter gradients to dgamma and dbeta.
func MixFFNHiddenBackward[T Float](e *Engine, h, w, c int, h1, wdw, bdw, gamma, beta, mean, rstd, da, ds, dgamma, dbeta []T) {
	acc := e.accumulators(2 * c)
	tmp := workerRows[T](e, c)
	p := e.For(h, 2, func(wk, lo, hi int) {
		z := tmp[wk]
		dg, db := acc[wk][:c], acc[wk][c:2*c]
		for r := lo; r < hi; r++ {
			srow := ds[r*w*c : (r+1)*w*c]
			dwconvRow(h, w, c, r, h1, wdw, bdw, srow, true)
			for x := range w {
				t := r*w + x
				s := srow[x*c : (x+1)*c]
				m, rs := mean[t], rstd[t]
				for j, v := range s {
					z[j] = (v-m)*rs*gamma[j] + beta[j]
				}
				geluGradRow(z, da[t*c:(t+1)*c], z, nil)
				layerNormRowBackward(s, gamma, m, rs, z, s, false, dg, db)
			}
		}
	})
	reduceInto(dgamma[:c], acc, p)
	for wk := range p {
		acc[wk] = acc[wk][c:]
	}
	reduceInto(dbeta[:c], acc, p)
}
