package mmcformer

import (
	"errors"
	"testing"
)

func TestNumParamsDefault(t *testing.T) {
	// Method doc §3.7: 10 811 500, measured on the reference.
	if n := NumParams(DefaultConfig()); n != 10_811_500 {
		t.Fatalf("NumParams(DefaultConfig()) = %d, want 10811500", n)
	}
	// Per-part counts of §3.7.
	cfg := DefaultConfig()
	ps, _ := carve[float32](cfg, make([]float32, NumParams(cfg)))
	b := ps.small.blocks[0]
	block := 0
	for _, p := range [][]float32{b.ln1G, b.ln1B, b.wqkv, b.bqkv, b.wo, b.bo, b.ln2G, b.ln2B, b.w1, b.b1, b.wdw, b.bdw, b.ln4G, b.ln4B, b.w2, b.b2} {
		block += len(p)
	}
	if block != 126_100 {
		t.Errorf("block parameters = %d, want 126100", block)
	}
	if n := len(ps.intraW) + len(ps.intraB); n != 10_240_100 {
		t.Errorf("intra Linear parameters = %d, want 10240100", n)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	for _, s := range []int{129, 161, 193, 225, 289} {
		c := ok
		c.Size = s
		if err := c.Validate(); err != nil {
			t.Errorf("size %d: %v", s, err)
		}
	}
	for name, mod := range map[string]func(*Config){
		"even size": func(c *Config) { c.Size = 256 },
		"not 32k+1": func(c *Config) { c.Size = 255 },
		"1×1 grid":  func(c *Config) { c.Size = 33 },
		"huge":      func(c *Config) { c.Size = 2049 },
		"clusters":  func(c *Config) { c.Clusters = 300 },
		"dim":       func(c *Config) { c.Dim = 0 },
		"lr":        func(c *Config) { c.LR = 0 },
		"momentum":  func(c *Config) { c.Momentum = 1 },
		"weights":   func(c *Config) { c.WIntra = -1 },
		"threads":   func(c *Config) { c.Threads = 0 },
		"blocks":    func(c *Config) { c.LargeBlocks = 0 },
		"maxiter":   func(c *Config) { c.MaxIter = -1 },
	} {
		c := ok
		mod(&c)
		err := c.Validate()
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate() = %v, want ErrConfig", name, err)
		}
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: New() = %v, want ErrConfig", name, err)
		}
	}
}

func TestStepFLOPs(t *testing.T) {
	// Method doc §8: ≈ 56.4 GFLOP forward with fc1 once, ≈ 169 per step.
	f := StepFLOPs(DefaultConfig()) / 1e9
	if f < 168 || f > 170.5 {
		t.Fatalf("StepFLOPs(default) = %.2f GFLOP, want ≈ 169", f)
	}
}
