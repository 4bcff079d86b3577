package mmcformer

import (
	"github.com/mmcseg/mmcseg/segmenter"
)

// intraScale multiplies the intra module's patch scores: the reference's
// constant 64^(−1/2) (method doc §3.5), not 1/√C.
const intraScale = 0.125

// loss computes the pseudo-labels (the logits' arg-max, unless fixed is set
// and nt.labels already holds them), the three loss terms and their
// gradients with respect to the logits (nt.dLogits), the context matrices
// (nt.dgInter) and the intra attention (nt.dAttn). It returns the number of
// distinct labels. It overwrites the logits with their BatchNorm x̂ when the
// intra term is on.
func (nt *net[T]) loss(fixed bool) int {
	e, cfg := nt.e, nt.cfg
	var nLabels int
	if fixed {
		nLabels = segmenter.CountLabels(nt.labels, nt.c)
	} else {
		nLabels = segmenter.ArgmaxRows(e, nt.n, nt.c, nt.logits, nt.c, nt.labels)
	}
	var l Losses
	l.CE = segmenter.CrossEntropy(e, nt.n, nt.c, nt.logits, nt.c, nt.labels, 1, nt.dLogits)
	if cfg.WInter > 0 {
		cs := nt.small.blocks[len(nt.small.blocks)-1].g
		cl := nt.large.blocks[len(nt.large.blocks)-1].g
		l.Inter = segmenter.CosineEmbedding(nt.d, nt.d, cs, cl, cfg.WInter, nt.dgInter[0], nt.dgInter[1])
	}
	if cfg.WIntra > 0 {
		l.Intra = nt.intraForward()
	}
	l.Total = l.CE + cfg.WIntra*l.Intra + cfg.WInter*l.Inter
	nt.losses = l
	return nLabels
}

// intraForward runs the spatial-stability module on the logits and returns
// the unweighted L1 loss of its attention against the identity.
func (nt *net[T]) intraForward() float64 {
	e, c, g2, pc := nt.e, nt.c, nt.g*nt.g, nt.p*nt.p*nt.c
	segmenter.BatchNorm(e, nt.n, c, nt.logits, nt.ps.intraBNG, nt.ps.intraBNB, normEps, nt.logits, nil, nt.intraR)
	nt.gatherPatches(0, 1)  // Q window: rows and columns 1..S−1
	nt.gatherPatches(g2, 0) // K window: rows and columns 0..S−2
	segmenter.Linear(e, 2*g2, pc, c, nt.patches, pc, nt.ps.intraW, nt.ps.intraB, nt.qk, c, false)
	segmenter.Gemm(e, false, true, g2, g2, c, intraScale, nt.qk, c, nt.qk[g2*c:], c, 0, nt.attn, g2)
	segmenter.SoftmaxRows(e, g2, g2, nt.attn, g2, nt.attn, g2)
	return segmenter.L1(nt.attn, nt.eye, nt.cfg.WIntra, nt.dAttn)
}

// gatherPatches writes the patches of the window at offset o of the intra
// BatchNorm's output (gamma·x̂ + beta, x̂ in nt.logits) into rows row0 …
// row0+G²−1 of nt.patches, each flattened channel fastest: index (p1·P +
// p2)·C + c. For a patch row p1, the G patches of a patch-grid row are one
// contiguous run of the source image row.
func (nt *net[T]) gatherPatches(row0, o int) {
	c, p, g, pc := nt.c, nt.p, nt.g, nt.p*nt.p*nt.c
	gm, bt := nt.ps.intraBNG[:c], nt.ps.intraBNB[:c]
	nt.e.For(g*p, 4, func(_, lo, hi int) {
		for idx := lo; idx < hi; idx++ {
			h, p1 := idx/p, idx%p
			src0 := ((p*h+p1+o)*nt.s + o) * c
			for w := range g {
				src := nt.logits[src0+p*w*c : src0+(p*w+p)*c]
				dst := nt.patches[(row0+h*g+w)*pc+p1*p*c : (row0+h*g+w)*pc+(p1+1)*p*c]
				for px := range p {
					sv, dv := src[px*c:(px+1)*c], dst[px*c:(px+1)*c]
					for ch, v := range sv {
						dv[ch] = gm[ch]*v + bt[ch]
					}
				}
			}
		}
	})
}

// scatterPatches sets dst ([S²][C]) to the sum of both windows' patch
// gradients (held in nt.patches) at the pixels they came from, one image
// row per part so that no two goroutines write the same pixel.
func (nt *net[T]) scatterPatches(dst []T) {
	c, p, g, s, g2, pc := nt.c, nt.p, nt.g, nt.s, nt.g*nt.g, nt.p*nt.p*nt.c
	nt.e.For(s, 4, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			row := dst[r*s*c : (r+1)*s*c]
			clear(row)
			for win, o := range [2]int{1, 0} {
				rr := r - o
				if rr < 0 || rr >= g*p {
					continue
				}
				h, p1 := rr/p, rr%p
				for w := range g {
					src := nt.patches[(win*g2+h*g+w)*pc+p1*p*c : (win*g2+h*g+w)*pc+(p1+1)*p*c]
					d := row[(o+p*w)*c : (o+p*w+p)*c]
					for i, v := range src {
						d[i] += v
					}
				}
			}
		}
	})
}

// backward computes every parameter's gradient into nt.grad from the
// gradients loss left.
func (nt *net[T]) backward() {
	e, d, c, n := nt.e, nt.d, nt.c, nt.n
	grad := nt.grad
	e.For(len(grad), 1<<16, func(_, lo, hi int) { clear(grad[lo:hi]) })
	if nt.cfg.WIntra > 0 {
		nt.intraBackward()
	}
	dO := nt.dLogits

	// The classifier's small half, then the combined large-branch head of
	// forward (Wcomb[q] = Wc_L·W_up[q]), whose input gradient is parked in
	// nt.dFl while the small branch uses the scratch. From dWcomb[q]:
	// dWc_L = Σ_q dWcomb[q]·W_up[q]ᵀ and dW_up[q] = Wc_Lᵀ·dWcomb[q].
	fs := nt.sd[1]
	lastS := nt.small.blocks[len(nt.small.blocks)-1]
	bps := nt.ps.small.blocks[len(nt.ps.small.blocks)-1]
	segmenter.BatchNormAffine(e, n, d, lastS.xhat, bps.bnG, bps.bnB, fs)
	segmenter.Gemm(e, true, false, c, d, n, 1, dO, c, fs, d, 1, nt.gs.cls[d:], 2*d)
	dFs := nt.sd[0]
	segmenter.Gemm(e, false, false, n, d, c, 1, dO, c, nt.ps.cls[d:], 2*d, 0, dFs, d)

	sl := nt.large.side
	dup, fl := nt.sh[0], nt.sd[3]
	segmenter.SubPixel2x2Backward(e, sl, sl, c, dO, nt.s, nt.s, dup)
	lastL := nt.large.blocks[len(nt.large.blocks)-1]
	bpl := nt.ps.large.blocks[len(nt.ps.large.blocks)-1]
	segmenter.BatchNormAffine(e, nt.nl, d, lastL.xhat, bpl.bnG, bpl.bnB, fl)
	clear(nt.dwcomb)
	segmenter.LinearBackward(e, nt.nl, d, 4*c, fl, d, nt.wcomb, dup, 4*c, nt.dwcomb, nil, nt.dFl, d, false)
	for q := range 4 {
		dwq := nt.dwcomb[q*c*d:]
		segmenter.Gemm(e, false, true, c, d, d, 1, dwq, d, nt.ps.up[q*d*d:], d, 1, nt.gs.cls, 2*d)
		segmenter.Gemm(e, true, false, d, d, c, 1, nt.ps.cls, 2*d, dwq, d, 1, nt.gs.up[q*d*d:], d)
	}

	var dgS, dgL []T
	if nt.cfg.WInter > 0 {
		dgS, dgL = nt.dgInter[0], nt.dgInter[1]
	}
	nt.backwardBranch(&nt.small, &nt.ps.small, &nt.gs.small, dgS)
	copy(nt.sd[0], nt.dFl)
	nt.backwardBranch(&nt.large, &nt.ps.large, &nt.gs.large, dgL)
}

// intraBackward adds the intra term's gradient with respect to the logits
// to nt.dLogits.
func (nt *net[T]) intraBackward() {
	e, c, g2, pc := nt.e, nt.c, nt.g*nt.g, nt.p*nt.p*nt.c
	segmenter.SoftmaxRowsBackward(e, g2, g2, nt.attn, g2, nt.dAttn, g2, nt.dAttn, g2)
	q, k := nt.qk, nt.qk[g2*c:]
	dq, dk := nt.dqk, nt.dqk[g2*c:]
	segmenter.Gemm(e, false, false, g2, c, g2, intraScale, nt.dAttn, g2, k, c, 0, dq, c)
	segmenter.Gemm(e, true, false, g2, c, g2, intraScale, nt.dAttn, g2, q, c, 0, dk, c)
	// Weight gradient before the patch gradient overwrites the patches.
	segmenter.Gemm(e, true, false, c, pc, 2*g2, 1, nt.dqk, c, nt.patches, pc, 1, nt.gs.intraW, pc)
	segmenter.ColSums(e, 2*g2, c, nt.dqk, c, nt.gs.intraB)
	segmenter.Gemm(e, false, false, 2*g2, pc, c, 1, nt.dqk, c, nt.ps.intraW, pc, 0, nt.patches, pc)
	dOp := nt.sh[0]
	nt.scatterPatches(dOp)
	segmenter.BatchNormBackward(e, nt.n, c, nt.logits, nt.ps.intraBNG, nt.intraR, dOp, dOp, nt.gs.intraBNG, nt.gs.intraBNB)
	dO := nt.dLogits
	e.For(nt.n*c, 1<<14, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			dO[i] += dOp[i]
		}
	})
}

// backwardBranch back-propagates the gradient with respect to the
// branch's output (in nt.sd[0]) through its blocks and patch embedding.
// dgLast, when not nil, is the inter loss's gradient with respect to the
// last block's context matrix.
func (nt *net[T]) backwardBranch(b *branchBufs[T], p, gp *branchParams[T], dgLast []T) {
	e, d := nt.e, nt.d
	for i := len(b.blocks) - 1; i >= 0; i-- {
		xhatIn, inG, inB := b.embXhat, p.bnG, p.bnB
		if i > 0 {
			xhatIn, inG, inB = b.blocks[i-1].xhat, p.blocks[i-1].bnG, p.blocks[i-1].bnB
		}
		var dg []T
		if i == len(b.blocks)-1 {
			dg = dgLast
		}
		nt.backwardBlock(b, &b.blocks[i], &p.blocks[i], &gp.blocks[i], xhatIn, inG, inB, dg)
	}
	ga := nt.sd[0]
	segmenter.BatchNormBackward(e, b.n, d, b.embXhat, p.bnG, b.embRstd, ga, ga, gp.bnG, gp.bnB)
	segmenter.LinearBackward(e, b.n, 27, d, b.col, 27, p.convW, ga, d, gp.convW, gp.convB, nil, 0, false)
}

// backwardBlock turns the gradient with respect to the block's BatchNorm
// output (nt.sd[0]) into the gradient with respect to its input X (again in
// nt.sd[0]), adding the parameter gradients to gp. X itself is recomputed
// from the previous BatchNorm's x̂ (xhatIn, inG, inB).
func (nt *net[T]) backwardBlock(b *branchBufs[T], bl *blockBufs[T], p, gp *blockParams[T], xhatIn, inG, inB, dgExtra []T) {
	e, d, n, side, hid := nt.e, nt.d, b.n, b.side, nt.hid
	ga, gb, gc := nt.sd[0], nt.sd[1], nt.sd[2]
	s0, s1 := nt.sh[0], nt.sh[1]

	segmenter.BatchNormBackward(e, n, d, bl.xhat, p.bnG, bl.bnRstd, ga, ga, gp.bnG, gp.bnB) // ga = dM (= dT so far)

	// MixFFN_skip: recompute U; dA = dM·W2 first (it needs no A), then one
	// fused pass recomputes S and A and turns dA into dS; then the weight
	// gradient of fc2, the depth-wise conv with its skip, fc1 and LN.
	segmenter.LayerNorm(e, n, d, bl.t, p.ln2G, p.ln2B, normEps, gc, bl.ln2Mean, bl.ln2Rstd)
	segmenter.Gemm(e, false, false, n, hid, d, 1, ga, d, p.w2, hid, 0, s1, hid)
	segmenter.MixFFNHiddenBackward(e, side, side, hid, bl.h1, p.wdw, p.bdw, p.ln4G, p.ln4B, bl.ln4Mean, bl.ln4Rstd, s1, s0, s1, gp.ln4G, gp.ln4B)
	segmenter.LinearBackward(e, n, hid, d, s0, hid, p.w2, ga, d, gp.w2, gp.b2, nil, 0, false)
	segmenter.DWConv3x3Backward(e, side, side, hid, bl.h1, p.wdw, s1, s0, false, true, gp.wdw, gp.bdw) // s0 = dH1
	segmenter.LinearBackward(e, n, d, hid, gc, d, p.w1, s0, hid, gp.w1, gp.b1, gb, d, false)
	segmenter.LayerNormBackward(e, n, d, bl.t, p.ln2G, bl.ln2Mean, bl.ln2Rstd, gb, ga, true, gp.ln2G, gp.ln2B) // ga = dT

	// Attention, reassociated as in forwardBlock (Z = Q̂·G is not stored):
	// with P = dTᵀ·Q̂, dWo = P·G, dG = Pᵀ·Wo and dQ̂ = dT·(Wo·Gᵀ).
	q, k, y := bl.qkv, bl.qkv[d:], bl.qkv[2*d:]
	pm, wg := nt.dd[0], nt.dd[1]
	segmenter.Gemm(e, true, false, d, d, n, 1, ga, d, q, 3*d, 0, pm, d)
	segmenter.Gemm(e, false, false, d, d, d, 1, pm, d, bl.g, d, 1, gp.wo, d)
	segmenter.ColSums(e, n, d, ga, d, gp.bo)
	var beta T
	if dgExtra != nil {
		copy(nt.dg, dgExtra)
		beta = 1
	}
	segmenter.Gemm(e, true, false, d, d, d, 1, pm, d, p.wo, d, beta, nt.dg, d) // dG (+ the inter loss's)
	segmenter.Gemm(e, false, true, d, d, d, 1, p.wo, d, bl.g, d, 0, wg, d)
	dq, dk := s0, s0[d:]
	segmenter.Gemm(e, false, false, n, d, d, 1, ga, d, wg, d, 0, dq, 2*d) // dQ̂ = dT·Wo·Gᵀ

	// G = R·Wvᵀ + 1·bvᵀ with R = K̂ᵀY (see blockBufs): dWv = dGᵀ·R, dbv =
	// the column sums of dG, dR = dG·Wv, then dK̂ = Y·dRᵀ and dY gets K̂·dR.
	wv, dr := p.wqkv[2*d*d:], pm
	segmenter.Gemm(e, true, false, d, d, d, 1, nt.dg, d, bl.r, d, 1, gp.wqkv[2*d*d:], d)
	segmenter.ColSums(e, d, d, nt.dg, d, gp.bqkv[2*d:])
	segmenter.Gemm(e, false, false, d, d, d, 1, nt.dg, d, wv, d, 0, dr, d)
	segmenter.Gemm(e, false, true, n, d, d, 1, y, 3*d, dr, d, 0, dk, 2*d) // dK̂ = Y·dRᵀ
	segmenter.SoftmaxRowsBackward(e, n, d, q, 3*d, dq, 2*d, dq, 2*d)
	segmenter.SoftmaxColsBackward(e, n, d, k, 3*d, dk, 2*d, dk, 2*d, nt.colS[:d])

	// q/k projections and the first LayerNorm, on the kept Y and the
	// recomputed X.
	segmenter.BatchNormAffine(e, n, d, xhatIn, inG, inB, gc)
	segmenter.LinearBackward(e, n, d, 2*d, y, 3*d, p.wqkv[:2*d*d], s0, 2*d, gp.wqkv[:2*d*d], gp.bqkv[:2*d], gb, d, false)
	segmenter.Gemm(e, false, false, n, d, d, 1, k, 3*d, dr, d, 1, gb, d)                                     // dY += K̂·dR
	segmenter.LayerNormBackward(e, n, d, gc, p.ln1G, bl.ln1Mean, bl.ln1Rstd, gb, ga, true, gp.ln1G, gp.ln1B) // ga = dX
}

// sgdStep applies PyTorch's SGD with momentum: b ← μ·b + g (b starts at
// 0, so the first step sets b = g exactly), θ ← θ − lr·b.
func (nt *net[T]) sgdStep() {
	lr, mu := T(nt.cfg.LR), T(nt.cfg.Momentum)
	th, g, m := nt.flat, nt.grad, nt.mom
	nt.e.For(len(th), 1<<16, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			b := mu*m[i] + g[i]
			m[i] = b
			th[i] -= lr * b
		}
	})
}
