package mmcformer

// StepFLOPs returns the floating-point operations of one optimisation step
// of cfg's model, counted as method doc §8 does: the forward pass's matrix
// products and convolutions (a multiply–add is 2 FLOP; fc1 once), plus its
// rough element-wise estimate, times 3 for forward + backward. At the
// defaults it is ≈ 169 GFLOP (forward 56.4).
func StepFLOPs(cfg Config) float64 {
	s := float64(cfg.Size)
	sl := float64(cfg.Size/2 + 1)
	d, c := float64(cfg.Dim), float64(cfg.Clusters)
	ns, nl := s*s, sl*sl
	p := float64(cfg.patchSize())
	g := float64((cfg.Size - 1) / cfg.patchSize())
	tokens := ns*float64(cfg.SmallBlocks) + nl*float64(cfg.LargeBlocks) // token-blocks
	fwd := tokens * (2*d*4*d +                                          // fc1 (once)
		2*4*d*d + // fc2
		3*2*d*d + // q, k, v
		3*2*d*d + // context, attended, output conv
		2*9*4*d) // depth-wise conv
	fwd += 2 * 2 * d * c * ns            // classifier 2D→C
	fwd += 2 * 2 * g * g * p * p * c * c // intra Linear, both windows
	fwd += 2 * d * 4 * d * nl            // Linear-up
	fwd += 2 * 27 * d * (ns + nl)        // patch embeddings
	fwd += 2*g*g*g*g*c + 6*ns*c          // intra QKᵀ, cross-entropy (rough)
	// §8's element-wise estimate (LN, soft-max, GELU, adds, BN): 1.9 GFLOP
	// at the defaults, scaled with the activation volume.
	fwd += 1.9e9 * (tokens * 9 * d) / ((257*257*2 + 129*129*2) * 9 * 100)
	return 3 * fwd
}
