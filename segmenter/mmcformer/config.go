package mmcformer

import (
	"errors"
	"fmt"
	"runtime"
)

// Config holds the model's size, optimiser and stopping rule. Start from
// DefaultConfig: its values are the reference's (method doc §1 and §4,
// evaluation cell).
type Config struct {
	// Size is the working side S: images are resized to S×S. It must be odd
	// with S−1 a multiple of 32 and at least 65 (129, 161, …, 257, 289, …).
	Size int
	// Dim is the embedding width D of both branches.
	Dim int
	// Clusters is the number of output channels C, the possible labels
	// (at most 256). The reference ties it to Dim (both 100).
	Clusters int
	// SmallBlocks and LargeBlocks are the transformer blocks of the
	// full-resolution and half-resolution branches.
	SmallBlocks, LargeBlocks int
	// LR and Momentum configure SGD (dampening 0, no weight decay, not
	// Nesterov).
	LR, Momentum float64
	// MaxIter bounds the optimisation steps per image; MinLabels stops it
	// once the arg-max map has at most that many labels.
	MaxIter, MinLabels int
	// WInter and WIntra weight the inter-scale (cosine) and intra-scale
	// (L1) losses; the cross-entropy has weight 1. A weight of 0 switches
	// its term off and skips computing it (the paper's ablations).
	WInter, WIntra float64
	// Seed draws the initial weights.
	Seed uint64
	// Threads is the number of goroutines the model computes on.
	Threads int
	// WarmStart makes Segment continue from the weights the previous call
	// ended with (resetting the optimiser's momentum) instead of re-drawing
	// them from Seed.
	WarmStart bool
	// WarmIterations bounds the steps of a warm-started Segment instead of
	// MaxIter (0: MaxIter): the network arrives nearly trained, as the
	// next slice of a volume resembles the last. MinLabels still stops it
	// earlier.
	WarmIterations int

	patch int // intra-module patch side; 0 means 32 (smaller only in tests)
}

// DefaultConfig returns the reference configuration: S 257, D = C = 100,
// 2 + 2 blocks, SGD lr 0.1 momentum 0.9, at most 50 steps, stop at ≤ 3
// labels, loss weights inter 1.5 and intra 1.3, seed 0, one thread per CPU.
func DefaultConfig() Config {
	return Config{
		Size: 257, Dim: 100, Clusters: 100, SmallBlocks: 2, LargeBlocks: 2,
		LR: 0.1, Momentum: 0.9, MaxIter: 50, MinLabels: 3,
		WInter: 1.5, WIntra: 1.3, Threads: runtime.NumCPU(),
	}
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("mmcformer: invalid configuration")

// MaxSize bounds Size: memory grows as S² (about 1.3 GB at 257).
const MaxSize = 1025

func (c Config) patchSize() int {
	if c.patch == 0 {
		return 32
	}
	return c.patch
}

// Validate reports whether c describes a model New can build.
func (c Config) Validate() error {
	p := c.patchSize()
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
	}
	switch {
	case c.Size%2 == 0 || (c.Size-1)%p != 0 || c.Size < 2*p+1 || c.Size > MaxSize:
		return bad("size %d: must be odd, with size−1 a multiple of %d, between %d and %d (e.g. 129, 257, 289)", c.Size, p, 2*p+1, MaxSize)
	case c.Dim < 1 || c.Dim > 4096:
		return bad("dim %d: must be 1..4096", c.Dim)
	case c.Clusters < 2 || c.Clusters > 256:
		return bad("clusters %d: must be 2..256", c.Clusters)
	case c.SmallBlocks < 1 || c.LargeBlocks < 1 || c.SmallBlocks > 16 || c.LargeBlocks > 16:
		return bad("blocks %d+%d: each must be 1..16", c.SmallBlocks, c.LargeBlocks)
	case !(c.LR > 0) || !(c.Momentum >= 0 && c.Momentum < 1):
		return bad("lr %g, momentum %g: need lr > 0 and 0 ≤ momentum < 1", c.LR, c.Momentum)
	case c.MaxIter < 0 || c.MinLabels < 0 || c.WarmIterations < 0:
		return bad("max iterations %d, warm iterations %d, min labels %d: must not be negative", c.MaxIter, c.WarmIterations, c.MinLabels)
	case !(c.WInter >= 0) || !(c.WIntra >= 0):
		return bad("loss weights inter %g, intra %g: must be ≥ 0", c.WInter, c.WIntra)
	case c.Threads < 1 || c.Threads > 256:
		return bad("threads %d: must be 1..256", c.Threads)
	}
	return nil
}
