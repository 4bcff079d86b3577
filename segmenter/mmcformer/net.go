package mmcformer

import (
	"fmt"

	"github.com/mmcseg/mmcseg/segmenter"
)

const normEps = 1e-5

// The network's buffers. Everything is allocated once in newNet and reused
// for every step and image. Per block only what its backward pass cannot
// cheaply recompute is kept (about 10 D-wide token maps' worth); the
// block's input X, the second LayerNorm's output and the 4D-wide S and GELU
// output are recomputed in the backward pass from the saved normalised
// inputs, H1 and the normalisation statistics.
//
// The values V = Y·Wvᵀ + bv are never formed: the soft-max of K over the
// tokens makes every column of K̂ sum to one, so the context is
// G = K̂ᵀV = (K̂ᵀY)·Wvᵀ + 1·bvᵀ, and the backward pass needs only R = K̂ᵀY
// and Y itself, which is kept where V would be. Of the twelve token-sized
// D×D products that the q, k and v projections and the context cost a
// block per step (forward and backward), that saves three.

type blockBufs[T segmenter.Float] struct {
	ln1Mean, ln1Rstd []T // [n]
	qkv              []T // [n][3D]: Q̂ (soft-max over channels) | K̂ (soft-max over tokens) | Y = LN(X)
	r                []T // K̂ᵀY [D][D]
	g                []T // context K̂ᵀV = R·Wvᵀ + 1·bvᵀ [D][D]
	t                []T // X + attention [n][D]
	ln2Mean, ln2Rstd []T
	h1               []T // fc1 output [n][4D]
	ln4Mean, ln4Rstd []T
	xhat             []T // the post-block BatchNorm's normalised output [n][D]
	bnRstd           []T // [D]
}

type branchBufs[T segmenter.Float] struct {
	side, n int // side × side tokens
	conv    segmenter.Conv3x3
	col     []T // im2col of the input image [n][27]; fixed per image
	embXhat []T // patch-embedding BatchNorm's normalised output [n][D]
	embRstd []T
	blocks  []blockBufs[T]
}

type net[T segmenter.Float] struct {
	cfg                Config
	s, d, c, p, g, hid int // S, D, C, patch, patch grid G, 4D
	n, nl              int // tokens: S², (S/2+1)²
	e                  *segmenter.Engine
	flat, grad, mom    []T
	ps, gs             params[T]
	rules              []initRule

	input        []T // resized image [n][3], B, G, R
	small, large branchBufs[T]

	wcomb   []T // the classifier's large half times the up-sampling, per sub-pixel [4][C][D]
	dwcomb  []T // its gradient
	wqkT    []T // the block being run's [Wq|Wk]ᵀ [D][2D], W1ᵀ [D][4D] and W2ᵀ [4D][D],
	w1T     []T // for the fused passes' many row-sized products (segmenter.LinearT)
	w2T     []T
	logits  []T // O [n][C]; after the loss, the intra BatchNorm's x̂ of O
	dLogits []T // [n][C]
	labels  []int32
	intraR  []T // intra BatchNorm rstd [C]
	patches []T // [2G²][P²C]: the Q window's patches, then the K window's
	qk      []T // [2G²][C]
	dqk     []T
	attn    []T // A [G²][G²]
	dAttn   []T
	eye     []T    // the L1 target, I [G²][G²]
	dgInter [2][]T // inter loss gradient w.r.t. Cs, Cl [D][D]
	dg      []T    // context gradient scratch [D][D]
	dd      [2][]T // two more [D][D] scratch matrices
	dFl     []T    // gradient w.r.t. the large branch output [nl][D]

	// Scratch shared by both branches and the heads, sized for the small
	// branch: four D-wide maps and two 4D-wide ones.
	sd   [4][]T
	sh   [2][]T
	colS []T // soft-max scratch [2][D]
	ws   []workerBufs[T]

	losses Losses
}

// chunkRows is the number of tokens a fused pass takes at a time: small
// enough that a chunk's activations stay in a core's L2 cache between the
// kernels that the pass runs on them.
const chunkRows = 256

// workerBufs is one worker's scratch for the fused passes of forwardBlock,
// sized for the small branch.
type workerBufs[T segmenter.Float] struct {
	y      []T    // LayerNorm output of a chunk [chunkRows][D]
	u      []T    // LayerNorm output of an image row [side][D]
	tHalo  []T    // T of a neighbour's image row [side][D]
	stHalo []T    // its LayerNorm statistics [2][side]
	h1Halo [2][]T // fc1 output of the neighbours' rows above and below [side][4D]
	a      []T    // MixFFN hidden activation of an image row [side][4D]
	g      []T    // partial context K̂ᵀV [D][D]
	kStats segmenter.ColSoftmax[T]
	sum    []float64 // column sums of M [D]
}

// Losses are one step's loss terms, unweighted, and the total
// CE + WIntra·Intra + WInter·Inter.
type Losses struct {
	Total, CE, Intra, Inter float64
}

func newNet[T segmenter.Float](cfg Config) *net[T] {
	nt := &net[T]{cfg: cfg, s: cfg.Size, d: cfg.Dim, c: cfg.Clusters, p: cfg.patchSize()}
	nt.g = (nt.s - 1) / nt.p
	nt.hid = 4 * nt.d
	nt.n = nt.s * nt.s
	sl := nt.s/2 + 1
	nt.nl = sl * sl
	nt.e = segmenter.NewEngine(cfg.Threads, nil)

	_, cv := carve[T](cfg, nil)
	nt.flat, nt.grad, nt.mom = make([]T, cv.n), make([]T, cv.n), make([]T, cv.n)
	nt.ps, cv = carve(cfg, nt.flat)
	nt.rules = cv.rules
	nt.gs, _ = carve(cfg, nt.grad)

	d, n := nt.d, nt.n
	nt.input = make([]T, n*3)
	nt.small = nt.newBranch(nt.s, 1, cfg.SmallBlocks)
	nt.large = nt.newBranch(sl, 2, cfg.LargeBlocks)
	nt.wcomb, nt.dwcomb = make([]T, 4*nt.c*d), make([]T, 4*nt.c*d)
	nt.wqkT, nt.w1T, nt.w2T = make([]T, 2*d*d), make([]T, d*nt.hid), make([]T, nt.hid*d)
	nt.logits = make([]T, n*nt.c)
	nt.dLogits = make([]T, n*nt.c)
	nt.labels = make([]int32, n)
	nt.intraR = make([]T, nt.c)
	g2 := nt.g * nt.g
	nt.patches = make([]T, 2*g2*nt.p*nt.p*nt.c)
	nt.qk, nt.dqk = make([]T, 2*g2*nt.c), make([]T, 2*g2*nt.c)
	nt.attn, nt.dAttn = make([]T, g2*g2), make([]T, g2*g2)
	nt.eye = make([]T, g2*g2)
	for i := range g2 {
		nt.eye[i*g2+i] = 1
	}
	nt.dgInter = [2][]T{make([]T, d*d), make([]T, d*d)}
	nt.dg = make([]T, d*d)
	nt.dd = [2][]T{make([]T, d*d), make([]T, d*d)}
	nt.dFl = make([]T, nt.nl*d)
	wide := max(nt.hid, 3*d, nt.c)
	for i := range nt.sd {
		nt.sd[i] = make([]T, n*max(d, nt.c))
	}
	for i := range nt.sh {
		nt.sh[i] = make([]T, max(n*wide, 4*nt.nl*nt.c))
	}
	nt.colS = make([]T, 2*d)
	// The large buffers, before their first use (advice only: an error
	// changes nothing but the speed).
	big := [][]T{nt.logits, nt.dLogits, nt.patches, nt.dFl, nt.sd[0], nt.sd[1], nt.sd[2], nt.sd[3],
		nt.sh[0], nt.sh[1], nt.grad, nt.flat, nt.mom}
	for _, b := range []*branchBufs[T]{&nt.small, &nt.large} {
		big = append(big, b.col, b.embXhat)
		for _, bl := range b.blocks {
			big = append(big, bl.qkv, bl.t, bl.h1, bl.xhat)
		}
	}
	for _, x := range big {
		_ = hugePages(x)
	}
	nt.ws = make([]workerBufs[T], nt.e.Threads())
	for w := range nt.ws {
		ws := &nt.ws[w]
		ws.y = make([]T, chunkRows*d)
		ws.u, ws.tHalo, ws.stHalo = make([]T, nt.s*d), make([]T, nt.s*d), make([]T, 2*nt.s)
		ws.h1Halo = [2][]T{make([]T, nt.s*nt.hid), make([]T, nt.s*nt.hid)}
		ws.a = make([]T, nt.s*nt.hid)
		ws.g = make([]T, d*d)
		ws.kStats.Reset(d)
		ws.sum = make([]float64, d)
	}
	return nt
}

func (nt *net[T]) newBranch(side, stride, blocks int) branchBufs[T] {
	d, n := nt.d, side*side
	b := branchBufs[T]{side: side, n: n,
		conv: segmenter.Conv3x3{H: nt.s, W: nt.s, Cin: 3, Cout: d, Stride: stride}}
	b.col = make([]T, b.conv.ColSize())
	b.embXhat, b.embRstd = make([]T, n*d), make([]T, d)
	b.blocks = make([]blockBufs[T], blocks)
	for i := range b.blocks {
		bl := &b.blocks[i]
		bl.ln1Mean, bl.ln1Rstd = make([]T, n), make([]T, n)
		bl.qkv = make([]T, n*3*d)
		bl.r, bl.g = make([]T, d*d), make([]T, d*d)
		bl.t = make([]T, n*d)
		bl.ln2Mean, bl.ln2Rstd = make([]T, n), make([]T, n)
		bl.h1 = make([]T, n*nt.hid)
		bl.ln4Mean, bl.ln4Rstd = make([]T, n), make([]T, n)
		bl.xhat, bl.bnRstd = make([]T, n*d), make([]T, d)
	}
	return b
}

// reset re-draws the weights from seed and clears the momentum.
func (nt *net[T]) reset(seed uint64) {
	initialise(nt.flat, nt.rules, seed)
	clear(nt.mom)
}

// setInput stores the S×S image (three planes, B, G, R) token-major and
// fills both branches' im2col buffers, which stay fixed for the image.
func (nt *net[T]) setInput(planes [3][]T) {
	for i := range nt.n {
		for ch := range 3 {
			nt.input[i*3+ch] = planes[ch][i]
		}
	}
	segmenter.Im2Col(nt.e, nt.small.conv, nt.input, nt.small.col)
	segmenter.Im2Col(nt.e, nt.large.conv, nt.input, nt.large.col)
}

// forward runs both branches and the fusion, leaving the logits in
// nt.logits and each branch's last context matrix in its last block's g.
func (nt *net[T]) forward() {
	e, d := nt.e, nt.d
	nt.forwardBranch(&nt.small, &nt.ps.small)
	nt.forwardBranch(&nt.large, &nt.ps.large)

	// The large branch goes through Linear D→4D per token, the 2×2
	// sub-pixel rearrangement (channel fastest) and the crop, then the
	// classifier's first D inputs. Nothing non-linear lies between the two
	// products, so they are applied as one, Wcomb = Wc_L·W_up per sub-pixel
	// position, directly on the low-resolution tokens, and its 4C outputs
	// are rearranged straight into the logits: one token-sized product of
	// three fewer per step.
	nt.combineHead()
	fl, up := nt.sd[0], nt.sh[0]
	last := nt.large.blocks[len(nt.large.blocks)-1]
	bpl := nt.ps.large.blocks[len(nt.ps.large.blocks)-1]
	segmenter.BatchNormAffine(e, nt.nl, d, last.xhat, bpl.bnG, bpl.bnB, fl)
	segmenter.Linear(e, nt.nl, d, 4*nt.c, fl, d, nt.wcomb, nil, up, 4*nt.c, false)
	sl := nt.large.side
	segmenter.SubPixel2x2(e, sl, sl, nt.c, up, nt.s, nt.s, nt.logits)

	// Then the small branch's share of the classifier.
	fs := nt.sd[1]
	lastS := nt.small.blocks[len(nt.small.blocks)-1]
	bps := nt.ps.small.blocks[len(nt.ps.small.blocks)-1]
	segmenter.BatchNormAffine(e, nt.n, d, lastS.xhat, bps.bnG, bps.bnB, fs)
	segmenter.Gemm(e, false, true, nt.n, nt.c, d, 1, fs, d, nt.ps.cls[d:], 2*d, 1, nt.logits, nt.c)
}

// combineHead sets Wcomb[q] = Wc_L·W_up[q] ([C][D] each) for the four
// sub-pixel positions q, where Wc_L is the classifier's large-branch half
// (columns 0…D−1 of [C][2D]) and W_up[q] rows q·D…q·D+D−1 of the
// up-sampling Linear.
func (nt *net[T]) combineHead() {
	c, d := nt.c, nt.d
	for q := range 4 {
		segmenter.Gemm(nt.e, false, false, c, d, d, 1, nt.ps.cls, 2*d, nt.ps.up[q*d*d:], d, 0, nt.wcomb[q*c*d:], d)
	}
}

func (nt *net[T]) forwardBranch(b *branchBufs[T], p *branchParams[T]) {
	e, d := nt.e, nt.d
	emb, x := nt.sd[0], nt.sd[1]
	segmenter.Linear(e, b.n, 27, d, b.col, 27, p.convW, p.convB, emb, d, false)
	segmenter.BatchNorm(e, b.n, d, emb, p.bnG, p.bnB, normEps, b.embXhat, x, b.embRstd)
	for i := range b.blocks {
		nt.forwardBlock(b, &b.blocks[i], &p.blocks[i], x)
	}
}

// forwardBlock runs one efficient transformer block and its BatchNorm on X
// (held in x, nt.sd[1]) and leaves the BatchNorm's output in x. Its work is
// three fused passes over the tokens, each a single parallel section whose
// parts run every kernel of the pass on a few rows at a time while they
// are in cache, so that only what the backward pass keeps is written to
// memory: (1) LayerNorm, q/k/v, Q̂ and K's column statistics; (2) K̂ and
// the context G = K̂ᵀV; (3) per image row, T, LayerNorm, fc1, the
// depth-wise conv, LayerNorm, GELU and fc2 (with H1 of the rows above and
// below); then the BatchNorm.
func (nt *net[T]) forwardBlock(b *branchBufs[T], bl *blockBufs[T], p *blockParams[T], x []T) {
	e, d, n, side, hid := nt.e, nt.d, b.n, b.side, nt.hid
	m := nt.sd[3]
	segmenter.Transpose(2*d, d, p.wqkv[:2*d*d], nt.wqkT)
	segmenter.Transpose(hid, d, p.w1, nt.w1T)
	segmenter.Transpose(d, hid, p.w2, nt.w2T)

	// (1) Y = LN(X), kept; [Q|K] = Y·[Wq|Wk]ᵀ + b; Q̂ = soft-max of Q over
	// channels, in place; K's per-column maximum and exp-sum.
	parts := e.For(n, chunkRows, func(w, lo, hi int) {
		ew, ws := e.Serial(w), &nt.ws[w]
		ws.kStats.Reset(d)
		for c0 := lo; c0 < hi; c0 += chunkRows {
			c1 := min(c0+chunkRows, hi)
			r, qkv := c1-c0, bl.qkv[c0*3*d:c1*3*d]
			segmenter.LayerNorm(ew, r, d, x[c0*d:c1*d], p.ln1G, p.ln1B, normEps, ws.y, bl.ln1Mean[c0:c1], bl.ln1Rstd[c0:c1])
			for i := range r {
				copy(qkv[i*3*d+2*d:(i+1)*3*d], ws.y[i*d:(i+1)*d])
			}
			segmenter.LinearT(ew, r, d, 2*d, ws.y, d, nt.wqkT, p.bqkv[:2*d], qkv, 3*d, false)
			segmenter.SoftmaxRows(ew, r, d, qkv, 3*d, qkv, 3*d)
			ws.kStats.Add(r, qkv[d:], 3*d)
		}
	})
	ks := &nt.ws[0].kStats
	for w := 1; w < parts; w++ {
		ks.Merge(&nt.ws[w].kStats)
	}
	kMax, kInv := nt.colS[:d], nt.colS[d:]
	copy(kMax, ks.Max)
	ks.Inverse(kInv)

	// (2) K̂ = soft-max of K over tokens, in place, and R = K̂ᵀY, summed
	// over the parts in worker order; then G = R·Wvᵀ + 1·bvᵀ.
	e.For(n, chunkRows, func(w, lo, hi int) {
		ew, ws := e.Serial(w), &nt.ws[w]
		var beta T
		for c0 := lo; c0 < hi; c0 += chunkRows {
			c1 := min(c0+chunkRows, hi)
			k, y := bl.qkv[c0*3*d+d:c1*3*d], bl.qkv[c0*3*d+2*d:c1*3*d]
			segmenter.SoftmaxColsApply(ew, c1-c0, d, k, 3*d, k, 3*d, kMax, kInv)
			segmenter.Gemm(ew, true, false, d, d, c1-c0, 1, k, 3*d, y, 3*d, beta, ws.g, d)
			beta = 1
		}
	})
	copy(bl.r, nt.ws[0].g)
	for w := 1; w < parts; w++ {
		for i, v := range nt.ws[w].g {
			bl.r[i] += v
		}
	}
	segmenter.FillRows(e, d, d, bl.g, d, p.bqkv[2*d:])
	segmenter.Gemm(e, false, true, d, d, d, 1, bl.r, d, p.wqkv[2*d*d:], d, 1, bl.g, d)
	// The output conv of Z = Q̂·G is Z·Woᵀ = Q̂·(G·Woᵀ): one token-sized
	// product instead of two, and Z is never stored (backwardBlock
	// reassociates the same way).
	gw := nt.dd[0]
	segmenter.Gemm(e, false, true, d, d, d, 1, bl.g, d, p.wo, d, 0, gw, d)

	// (3) Per image row: T = X + bo + Q̂·G·Woᵀ; U = LN(T); H1 = U·W1ᵀ + b1;
	// A = GELU(LN(DWConv(H1) + H1)); M = T + A·W2ᵀ + b2, and M's column
	// sums. A part computes H1 one row ahead, and H1 of the rows just
	// outside it privately, so that parts share nothing but their inputs.
	dwk := segmenter.NewDWKernel(e, hid, p.wdw, p.bdw, true)
	prep := func(ew *segmenter.Engine, ws *workerBufs[T], r int, t, mean, rstd, h1 []T) {
		tok := r * side
		segmenter.AddRows(ew, side, d, t, x[tok*d:(tok+side)*d], p.bo)
		segmenter.Gemm(ew, false, false, side, d, d, 1, bl.qkv[tok*3*d:], 3*d, gw, d, 1, t, d)
		segmenter.LayerNorm(ew, side, d, t, p.ln2G, p.ln2B, normEps, ws.u, mean, rstd)
		segmenter.LinearT(ew, side, d, hid, ws.u, d, nt.w1T, p.b1, h1, hid, false)
	}
	own := func(r int) (t, mean, rstd, h1 []T) {
		tok := r * side
		return bl.t[tok*d : (tok+side)*d], bl.ln2Mean[tok : tok+side], bl.ln2Rstd[tok : tok+side], bl.h1[tok*hid : (tok+side)*hid]
	}
	parts = e.For(side, 1, func(w, lo, hi int) {
		ew, ws := e.Serial(w), &nt.ws[w]
		halo := func(r, k int) []T {
			prep(ew, ws, r, ws.tHalo, ws.stHalo[:side], ws.stHalo[side:], ws.h1Halo[k])
			return ws.h1Halo[k]
		}
		clear(ws.sum)
		var above []T
		if lo > 0 {
			above = halo(lo-1, 0)
		}
		t, mean, rstd, cur := own(lo)
		prep(ew, ws, lo, t, mean, rstd, cur)
		for r := lo; r < hi; r++ {
			var below []T
			switch {
			case r+1 < hi:
				t, mean, rstd, below = own(r + 1)
				prep(ew, ws, r+1, t, mean, rstd, below)
			case r+1 < side:
				below = halo(r+1, 1)
			}
			tok := r * side
			segmenter.MixFFNHiddenRow(dwk, side, [3][]T{above, cur, below}, p.ln4G, p.ln4B, normEps, ws.a, bl.ln4Mean[tok:tok+side], bl.ln4Rstd[tok:tok+side])
			mr := m[tok*d : (tok+side)*d]
			segmenter.AddRows(ew, side, d, mr, bl.t[tok*d:(tok+side)*d], p.b2)
			segmenter.LinearT(ew, side, hid, d, ws.a, hid, nt.w2T, nil, mr, d, true)
			segmenter.ColSums64(ew, side, d, mr, d, ws.sum)
			above, cur = cur, below
		}
	})
	sum := nt.ws[0].sum
	for w := 1; w < parts; w++ {
		for j, v := range nt.ws[w].sum {
			sum[j] += v
		}
	}
	segmenter.BatchNormSums(e, n, d, m, sum, p.bnG, p.bnB, normEps, bl.xhat, x, bl.bnRstd)
}

// paramName names the parameter tensor holding flat index i (for test
// messages).
func (nt *net[T]) paramName(i int) string {
	for k, r := range nt.rules {
		if i >= r.off && i < r.off+r.n {
			return fmt.Sprintf("tensor %d (offset %d of %d)", k, i-r.off, r.n)
		}
	}
	return "?"
}
