package mmcformer

import (
	"math"
	"math/rand/v2"

	"github.com/mmcseg/mmcseg/segmenter"
)

// Parameters live in one flat slice (and the gradients and momentum in two
// more of the same layout), so that zeroing, the SGD update and
// re-initialisation are single passes and nothing is allocated per image.

type blockParams[T segmenter.Float] struct {
	ln1G, ln1B []T // LayerNorm D
	wqkv, bqkv []T // q, k, v 1×1 convs stacked: [3D][D], [3D]
	wo, bo     []T // output 1×1 conv [D][D], [D]
	ln2G, ln2B []T // LayerNorm D
	w1, b1     []T // fc1 [4D][D], [4D]
	wdw, bdw   []T // depth-wise 3×3 conv, tap-major [9][4D], [4D]
	ln4G, ln4B []T // LayerNorm 4D
	w2, b2     []T // fc2 [D][4D], [D]
	bnG, bnB   []T // BatchNorm2d after the block
}

type branchParams[T segmenter.Float] struct {
	convW, convB []T // patch embedding 3×3 conv [D][27], [D]
	bnG, bnB     []T
	blocks       []blockParams[T]
}

type params[T segmenter.Float] struct {
	small, large branchParams[T]
	up           []T // Linear D→4D, no bias: [4D][D]
	cls          []T // Linear 2D→C, no bias: [C][2D] (large features first)
	intraBNG     []T // BatchNorm of the logits [C]
	intraBNB     []T
	intraW       []T // Linear P²C→C: [C][P²C], input index (p1·P + p2)·C + c
	intraB       []T
}

// initKind says how reset fills a parameter.
type initKind int

const (
	initUniform initKind = iota // U(−1/√fan_in, 1/√fan_in), PyTorch's Conv/Linear default
	initOnes                    // norm scales
	initZeros                   // norm shifts
)

type initRule struct {
	off, n int
	kind   initKind
	bound  float64
}

// carver hands out consecutive views of a flat slice (or, with a nil
// slice, only counts) and records how each piece is initialised.
type carver[T segmenter.Float] struct {
	flat  []T
	n     int
	rules []initRule
}

func (c *carver[T]) take(n int, kind initKind, fanIn int) []T {
	r := initRule{off: c.n, n: n, kind: kind}
	if kind == initUniform {
		r.bound = 1 / math.Sqrt(float64(fanIn))
	}
	c.rules = append(c.rules, r)
	c.n += n
	if c.flat == nil {
		return nil
	}
	return c.flat[r.off : r.off+n : r.off+n]
}

// carve lays out every parameter of cfg's model over flat in a fixed order
// (flat nil: only count). Weights and their biases share the weight's
// fan_in, as in PyTorch.
func carve[T segmenter.Float](cfg Config, flat []T) (params[T], *carver[T]) {
	c := &carver[T]{flat: flat}
	d, k, p := cfg.Dim, cfg.Clusters, cfg.patchSize()
	var ps params[T]
	branch := func(blocks int) branchParams[T] {
		var b branchParams[T]
		b.convW = c.take(d*27, initUniform, 27)
		b.convB = c.take(d, initUniform, 27)
		b.bnG = c.take(d, initOnes, 0)
		b.bnB = c.take(d, initZeros, 0)
		b.blocks = make([]blockParams[T], blocks)
		for i := range b.blocks {
			bl := &b.blocks[i]
			bl.ln1G, bl.ln1B = c.take(d, initOnes, 0), c.take(d, initZeros, 0)
			bl.wqkv, bl.bqkv = c.take(3*d*d, initUniform, d), c.take(3*d, initUniform, d)
			bl.wo, bl.bo = c.take(d*d, initUniform, d), c.take(d, initUniform, d)
			bl.ln2G, bl.ln2B = c.take(d, initOnes, 0), c.take(d, initZeros, 0)
			bl.w1, bl.b1 = c.take(4*d*d, initUniform, d), c.take(4*d, initUniform, d)
			bl.wdw, bl.bdw = c.take(9*4*d, initUniform, 9), c.take(4*d, initUniform, 9)
			bl.ln4G, bl.ln4B = c.take(4*d, initOnes, 0), c.take(4*d, initZeros, 0)
			bl.w2, bl.b2 = c.take(d*4*d, initUniform, 4*d), c.take(d, initUniform, 4*d)
			bl.bnG, bl.bnB = c.take(d, initOnes, 0), c.take(d, initZeros, 0)
		}
		return b
	}
	ps.small = branch(cfg.SmallBlocks)
	ps.large = branch(cfg.LargeBlocks)
	ps.up = c.take(4*d*d, initUniform, d)
	ps.cls = c.take(k*2*d, initUniform, 2*d)
	ps.intraBNG, ps.intraBNB = c.take(k, initOnes, 0), c.take(k, initZeros, 0)
	ps.intraW = c.take(k*p*p*k, initUniform, p*p*k)
	ps.intraB = c.take(k, initUniform, p*p*k)
	return ps, c
}

// NumParams returns the number of trainable parameters of cfg's model
// (10 811 500 for DefaultConfig).
func NumParams(cfg Config) int {
	_, c := carve[float32](cfg, nil)
	return c.n
}

// initialise draws every parameter from seed: uniform weights and biases
// in PyTorch's default bounds, norm scales 1 and shifts 0. The stream
// depends only on the seed and the layout, not on T or the thread count.
func initialise[T segmenter.Float](flat []T, rules []initRule, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x6d6d63666f726d72)) // "mmcformr"
	for _, ru := range rules {
		dst := flat[ru.off : ru.off+ru.n]
		switch ru.kind {
		case initOnes:
			for i := range dst {
				dst[i] = 1
			}
		case initZeros:
			clear(dst)
		case initUniform:
			for i := range dst {
				dst[i] = T(float32((2*r.Float64() - 1) * ru.bound))
			}
		}
	}
}
