package mmcformer

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func smallModel(t *testing.T, threads int) *Model {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Size, cfg.Dim, cfg.Clusters, cfg.Threads = 65, 8, 8, threads
	cfg.MaxIter, cfg.MinLabels, cfg.Seed = 4, 0, 3
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomImage(seed uint64, w, h int) Image {
	r := rand.New(rand.NewPCG(seed, 9))
	img := Image{Width: w, Height: h}
	for ch := range img.Planes {
		img.Planes[ch] = make([]float32, w*h)
		for i := range img.Planes[ch] {
			// Smooth structure plus noise, so that clusters form.
			x, y := float64(i%w)/float64(w), float64(i/w)/float64(h)
			img.Planes[ch][i] = float32(0.5+0.3*math.Sin(6*x+float64(ch))*math.Cos(4*y)) + 0.05*r.Float32()
		}
	}
	return img
}

// TestDeterministic: the same seed and thread count give the same labels
// and losses, bit for bit, whether the model is fresh or has already
// segmented another image (buffers are reused, no state leaks).
func TestDeterministic(t *testing.T) {
	img, other := randomImage(1, 90, 70), randomImage(2, 50, 80)
	for _, threads := range []int{1, 2} {
		a, b := smallModel(t, threads), smallModel(t, threads)
		if _, err := b.Segment(context.Background(), other, nil); err != nil {
			t.Fatal(err)
		}
		ra, err := a.Segment(context.Background(), img, nil)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Segment(context.Background(), img, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ra.Labels, rb.Labels) || !slices.Equal(ra.InputLabels, rb.InputLabels) {
			t.Fatalf("threads %d: label maps differ between runs", threads)
		}
		for i := range ra.Steps {
			if math.Float64bits(ra.Steps[i].Total) != math.Float64bits(rb.Steps[i].Total) || ra.Steps[i].Labels != rb.Steps[i].Labels {
				t.Fatalf("threads %d: step %d differs: %+v vs %+v", threads, i, ra.Steps[i], rb.Steps[i])
			}
		}
		if len(ra.Steps) != 4 || ra.Steps[3].Total >= ra.Steps[0].Total {
			t.Errorf("threads %d: steps %+v: want 4 with a falling loss", threads, ra.Steps)
		}
	}
}

func TestSegmentShapes(t *testing.T) {
	m := smallModel(t, 2)
	img := randomImage(3, 90, 70)
	res, err := m.Segment(context.Background(), img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Size != 65 || len(res.Labels) != 65*65 || res.Width != 90 || res.Height != 70 || len(res.InputLabels) != 90*70 {
		t.Fatalf("result shapes: size %d, %d labels, %d×%d, %d input labels", res.Size, len(res.Labels), res.Width, res.Height, len(res.InputLabels))
	}
	seen := map[uint8]bool{}
	for _, l := range res.Labels {
		if int(l) >= 8 {
			t.Fatalf("label %d out of range", l)
		}
		seen[l] = true
	}
	if len(seen) != res.NumLabels {
		t.Fatalf("NumLabels %d, map has %d", res.NumLabels, len(seen))
	}
	// An input already at S×S gives the same map at both sizes.
	sq := randomImage(4, 65, 65)
	res, err = m.Segment(context.Background(), sq, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Labels, res.InputLabels) {
		t.Fatal("an S×S input's two label maps differ")
	}
}

func TestStoppingRule(t *testing.T) {
	m := smallModel(t, 2)
	m.cfg.MinLabels = 8 // the initial map has at most 8 labels: stop after the first step
	var seen []Step
	res, err := m.Segment(context.Background(), randomImage(5, 65, 65), func(s Step) { seen = append(seen, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Steps) != 1 || len(seen) != 1 || seen[0].Iter != 0 {
		t.Fatalf("steps %+v (progress %+v), want exactly one", res.Steps, seen)
	}
	m.cfg.MinLabels, m.cfg.MaxIter = 0, 0
	res, err = m.Segment(context.Background(), randomImage(5, 65, 65), nil)
	if err != nil || len(res.Steps) != 0 || len(res.Labels) != 65*65 {
		t.Fatalf("MaxIter 0: %v, %d steps", err, len(res.Steps))
	}
}

func TestCancel(t *testing.T) {
	m := smallModel(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := m.Segment(ctx, randomImage(6, 65, 65), func(Step) {
		n++
		cancel()
	})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("err %v after %d steps, want context.Canceled after 1", err, n)
	}
}

func TestBadImages(t *testing.T) {
	m := smallModel(t, 1)
	good := randomImage(7, 10, 10)
	nan := randomImage(7, 10, 10)
	nan.Planes[1][5] = float32(math.NaN())
	short := randomImage(7, 10, 10)
	short.Planes[2] = short.Planes[2][:99]
	for name, img := range map[string]Image{
		"empty":   {},
		"nan":     nan,
		"short":   short,
		"no data": {Width: 10, Height: 10},
		"huge":    {Width: 1 << 20, Height: 1, Planes: good.Planes},
	} {
		if _, err := m.Segment(context.Background(), img, nil); !errors.Is(err, ErrImage) {
			t.Errorf("%s: err %v, want ErrImage", name, err)
		}
	}
}

// TestWarmStart: with WarmStart the second image starts from the first
// one's final weights, so it differs from a fresh start; Reset restores the
// fresh start.
func TestWarmStart(t *testing.T) {
	img, next := randomImage(8, 65, 65), randomImage(9, 65, 65)
	fresh := smallModel(t, 1)
	want, err := fresh.Segment(context.Background(), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	warm := smallModel(t, 1)
	warm.cfg.WarmStart = true
	if _, err := warm.Segment(context.Background(), img, nil); err != nil {
		t.Fatal(err)
	}
	got, err := warm.Segment(context.Background(), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Steps[0].Total == want.Steps[0].Total {
		t.Fatal("warm start gave the fresh start's first loss")
	}
	warm.Reset(warm.cfg.Seed)
	got, err = warm.Segment(context.Background(), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Steps[0].Total != want.Steps[0].Total || !slices.Equal(got.Labels, want.Labels) {
		t.Fatal("after Reset the result differs from a fresh model's")
	}
}

// TestWarmStartContinues: on the next slice of a "volume" (the same
// structure, fresh noise) a warm start begins where the previous slice's
// optimisation ended — its first loss near that slice's last one, far
// below a fresh initialisation's — and runs at most WarmIterations steps.
func TestWarmStartContinues(t *testing.T) {
	first, next := randomImage(8, 65, 65), randomImage(9, 65, 65)
	m := smallModel(t, 1)
	m.cfg.MaxIter, m.cfg.WarmStart, m.cfg.WarmIterations = 12, true, 3
	cold, err := m.Segment(context.Background(), first, nil)
	if err != nil {
		t.Fatal(err)
	}
	warm, err := m.Segment(context.Background(), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := smallModel(t, 1).Segment(context.Background(), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := cold.Steps[len(cold.Steps)-1].Total
	w0, f0 := warm.Steps[0].Total, fresh.Steps[0].Total
	t.Logf("first slice: loss %.4f → %.4f in %d steps; next slice warm: first loss %.4f, fresh: %.4f", cold.Steps[0].Total, last, len(cold.Steps), w0, f0)
	if cold.Warm || !warm.Warm {
		t.Errorf("Warm flags: first %v, next %v", cold.Warm, warm.Warm)
	}
	if len(cold.Steps) != 12 || len(warm.Steps) != 3 {
		t.Errorf("steps: first %d (want MaxIter 12), next %d (want WarmIterations 3)", len(cold.Steps), len(warm.Steps))
	}
	if math.Abs(w0-last) > 0.25*last || w0 > 0.5*f0 {
		t.Errorf("warm first loss %.4f: want within 25%% of the previous slice's last loss %.4f and far below a fresh start's %.4f", w0, last, f0)
	}
}
