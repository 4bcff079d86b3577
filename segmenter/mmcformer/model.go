package mmcformer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/mmcseg/mmcseg/segmenter"
	"github.com/mmcseg/mmcseg/segmenter/blas"
)

// Image is one 2-D image to segment.
type Image struct {
	Width, Height int
	// Planes holds three Height×Width row-major planes with values in
	// [0, 1], in the reference's B, G, R order (OpenCV reads colour files
	// as BGR). A grey image passes the same plane three times.
	Planes [3][]float32
}

// Step reports one optimisation step.
type Step struct {
	Iter   int // 0-based
	Labels int // distinct arg-max labels of this step's forward pass, before the update
	Losses
	Elapsed time.Duration // the step's wall time
}

// Result is the outcome of Segment.
type Result struct {
	// Size is the working side S; Labels is the S×S arg-max label map of
	// the final read-out pass, row-major, values 0..Clusters−1.
	Size   int
	Labels []uint8
	// NumLabels is the number of distinct values in Labels.
	NumLabels int
	// Width, Height and InputLabels are the label map at the input's size:
	// the read-out's scores resampled bilinearly to Width×Height, then
	// arg-max per pixel.
	Width, Height int
	InputLabels   []uint8
	// Steps holds every optimisation step taken, in order.
	Steps []Step
	// Warm says the optimisation continued from the previous call's
	// weights (Config.WarmStart) rather than a fresh initialisation.
	Warm bool
}

// Model is an MMCFormer network with every buffer it needs for one working
// size. A Model is not safe for concurrent use; run one per goroutine (each
// with Threads goroutines of its own).
type Model struct {
	cfg     Config
	nt      *net[float32]
	planes  [3][]float32 // the image at S×S
	trained bool
}

// New validates cfg and builds a Model, allocating all its buffers (about
// 1.3 GB at the default size).
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{cfg: cfg, nt: newNet[float32](cfg)}
	for ch := range m.planes {
		m.planes[ch] = make([]float32, cfg.Size*cfg.Size)
	}
	m.nt.reset(cfg.Seed)
	return m, nil
}

// Config returns the Model's configuration.
func (m *Model) Config() Config { return m.cfg }

// NumParams returns the number of trainable parameters.
func (m *Model) NumParams() int { return len(m.nt.flat) }

// Reset re-draws the weights from seed and clears the optimiser state,
// reusing the buffers. Segment does this itself (from Config.Seed) unless
// Config.WarmStart is set.
func (m *Model) Reset(seed uint64) {
	m.nt.reset(seed)
	m.trained = false
}

// SetWarmStart changes Config.WarmStart and Config.WarmIterations (a
// negative count counts as 0), so that one Model serves series with and
// without warm start.
func (m *Model) SetWarmStart(on bool, iterations int) {
	m.cfg.WarmStart, m.cfg.WarmIterations = on, max(iterations, 0)
}

// ErrImage is wrapped by the errors Segment returns for unusable images.
var ErrImage = errors.New("mmcformer: bad image")

// maxSide bounds an input image's sides.
const maxSide = 1 << 15

func (img *Image) validate() error {
	if img.Width < 1 || img.Height < 1 || img.Width > maxSide || img.Height > maxSide {
		return fmt.Errorf("%w: size %d×%d", ErrImage, img.Width, img.Height)
	}
	for ch, p := range img.Planes {
		if len(p) != img.Width*img.Height {
			return fmt.Errorf("%w: plane %d has %d values, want %d×%d", ErrImage, ch, len(p), img.Width, img.Height)
		}
		for i, v := range p {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("%w: plane %d value %d is %g", ErrImage, ch, i, v)
			}
		}
	}
	return nil
}

// Segment optimises the network on img and returns its label maps: a fresh
// initialisation from Config.Seed (or, with Config.WarmStart, the weights
// the previous call ended with), then up to MaxIter SGD steps (a warm
// start: WarmIterations, when set) — each step
// is taken, and the loop stops after the first step whose forward pass had
// at most MinLabels labels — then one more forward pass for the read-out.
// progress, when not nil, is called after every step. The context is
// checked between steps.
func (m *Model) Segment(ctx context.Context, img Image, progress func(Step)) (*Result, error) {
	if err := img.validate(); err != nil {
		return nil, err
	}
	s, nt := m.cfg.Size, m.nt
	for ch := range m.planes {
		resizeBilinear(img.Planes[ch], img.Width, img.Height, m.planes[ch], s, s)
	}
	nt.setInput(m.planes)
	warm := m.cfg.WarmStart && m.trained
	steps := m.cfg.MaxIter
	if warm {
		clear(nt.mom)
		if m.cfg.WarmIterations > 0 {
			steps = m.cfg.WarmIterations
		}
	} else {
		nt.reset(m.cfg.Seed)
	}
	m.trained = false

	res := &Result{Size: s, Width: img.Width, Height: img.Height, Warm: warm}
	for it := range steps {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("mmcformer: stopped before step %d: %w", it, err)
		}
		st := m.step()
		st.Iter = it
		res.Steps = append(res.Steps, st)
		if progress != nil {
			progress(st)
		}
		if st.Labels <= m.cfg.MinLabels {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("mmcformer: stopped before the read-out: %w", err)
	}
	m.trained = true

	nt.forward()
	res.NumLabels = segmenter.ArgmaxRows(nt.e, nt.n, nt.c, nt.logits, nt.c, nt.labels)
	res.Labels = make([]uint8, nt.n)
	for i, l := range nt.labels {
		res.Labels[i] = uint8(l)
	}
	res.InputLabels = make([]uint8, img.Width*img.Height)
	m.upsampleArgmax(img.Width, img.Height, res.InputLabels)
	return res, nil
}

// step runs one optimisation step: forward, losses, backward, SGD update.
func (m *Model) step() Step {
	t0 := time.Now()
	nt := m.nt
	nt.forward()
	labels := nt.loss(false)
	nt.backward()
	nt.sgdStep()
	return Step{Labels: labels, Losses: nt.losses, Elapsed: time.Since(t0)}
}

// upsampleArgmax resamples the logits (S×S×C) bilinearly to w×h (OpenCV
// INTER_LINEAR geometry) and stores each pixel's arg-max in out, without
// materialising the resampled scores: each output row blends its two source
// rows once, then each pixel blends two columns.
func (m *Model) upsampleArgmax(w, h int, out []uint8) {
	nt := m.nt
	s, c := nt.s, nt.c
	tx, ty := linearTaps(s, w), linearTaps(s, h)
	rows := nt.sh[0] // scratch: one blended S×C row per worker
	nt.e.For(h, 8, func(wk, lo, hi int) {
		tmp := rows[wk*s*c : (wk+1)*s*c]
		for y := lo; y < hi; y++ {
			vt := ty[y]
			r0, r1 := nt.logits[vt.i0*s*c:(vt.i0+1)*s*c], nt.logits[vt.i1*s*c:(vt.i1+1)*s*c]
			for i := range tmp {
				tmp[i] = r0[i] + vt.f*(r1[i]-r0[i])
			}
			for x, ht := range tx {
				a, b := tmp[ht.i0*c:(ht.i0+1)*c], tmp[ht.i1*c:(ht.i1+1)*c]
				best, bv := 0, a[0]+ht.f*(b[0]-a[0])
				for k := 1; k < c; k++ {
					if v := a[k] + ht.f*(b[k]-a[k]); v > bv {
						best, bv = k, v
					}
				}
				out[y*w+x] = uint8(best)
			}
		}
	})
}

// UseSpareP gives the Go runtime one P more than it has where a process
// that runs Models on all its Ps gains from it (see the package doc), and
// returns the function that restores the previous GOMAXPROCS.
func UseSpareP() (restore func()) {
	if !blas.TokenProductsInCgo() {
		return func() {}
	}
	old := runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	return func() { runtime.GOMAXPROCS(old) }
}
