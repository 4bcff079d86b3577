package kmeans

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
)

// MaxK is the largest number of clusters: labels are bytes.
const MaxK = 255

// chunk is the number of points per unit of parallel work. It is fixed so
// that floating-point sums, combined chunk by chunk in order, do not depend
// on the number of workers.
const chunk = 8192

// Config sets up a clustering. The zero value of every field but K has a
// default.
type Config struct {
	// K is the number of clusters, 1..MaxK. If the points have fewer
	// distinct values, fewer clusters come back.
	K int
	// MaxIter bounds Lloyd iterations; 0 means 100.
	MaxIter int
	// Tol stops the iterations once the centres together move by no more
	// than Tol times the mean variance of the features (Σ‖Δc‖², as
	// scikit-learn's tol); 0 means 1e-4, the scikit-learn default. They
	// also stop when no point changes cluster.
	Tol float64
	// Seed drives the k-means++ seeding.
	Seed uint64
	// Workers is the number of goroutines; 0 means GOMAXPROCS. It does not
	// change the result.
	Workers int
}

// Result is a clustering of n points into K clusters.
type Result struct {
	// K is the number of clusters found (≤ Config.K).
	K int
	// Labels holds each point's cluster, 0..K-1.
	Labels []uint8
	// Centers holds the K centres, row-major (K × dim).
	Centers []float64
	// Sizes holds the number of points in each cluster.
	Sizes []int
	// Iterations is the number of Lloyd iterations run.
	Iterations int
	// Converged says the stopping rule was met before MaxIter.
	Converged bool
	// Inertia is the sum of squared distances of points to their centres.
	Inertia float64
}

// ErrInput reports unusable points or settings.
var ErrInput = errors.New("kmeans: bad input")

// Cluster clusters the n = len(points)/dim points stored row-major in
// points. Non-finite values are an error: callers map them first (a CT
// padding value, say, to the lowest in-range value).
func Cluster(ctx context.Context, points []float32, dim int, cfg Config) (*Result, error) {
	if dim < 1 || len(points) == 0 || len(points)%dim != 0 {
		return nil, fmt.Errorf("%w: %d values are not a whole number of %d-dimensional points", ErrInput, len(points), dim)
	}
	if cfg.K < 1 || cfg.K > MaxK {
		return nil, fmt.Errorf("%w: k = %d, want 1..%d", ErrInput, cfg.K, MaxK)
	}
	if !(cfg.Tol >= 0) || math.IsInf(cfg.Tol, 0) {
		return nil, fmt.Errorf("%w: tolerance %g", ErrInput, cfg.Tol)
	}
	for i, v := range points {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w: value %d (point %d) is %g", ErrInput, i, i/dim, v)
		}
	}
	if cfg.MaxIter <= 0 {
		cfg.MaxIter = 100
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-4
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	c := &clusterer{pts: points, dim: dim, n: len(points) / dim, workers: cfg.Workers}
	c.labels = make([]uint8, c.n)
	c.centers = c.seed(cfg.K, cfg.Seed)
	tol := cfg.Tol * c.meanVariance()
	res := &Result{}
	for res.Iterations < cfg.MaxIter {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res.Iterations++
		st := c.step(res.Iterations == 1)
		shift := c.update(st)
		if st.changed == 0 || shift <= tol {
			res.Converged = true
			break
		}
	}
	// Final assignment to the final centres, and the canonical numbering.
	st := c.step(true)
	c.relabel(st)
	res.K = len(c.centers) / dim
	res.Labels = c.labels
	res.Centers = c.centers
	res.Sizes = c.sizes()
	res.Inertia = st.inertia
	return res, nil
}

type clusterer struct {
	pts     []float32
	dim, n  int
	workers int
	labels  []uint8
	centers []float64 // k × dim
}

func (c *clusterer) point(i int) []float32 { return c.pts[i*c.dim : (i+1)*c.dim] }

func (c *clusterer) dist2(p []float32, centre []float64) float64 {
	var d float64
	for j, v := range p {
		x := float64(v) - centre[j]
		d += x * x
	}
	return d
}

// seed picks k centres by k-means++ (Arthur & Vassilvitskii 2007): the
// first uniformly, each next one with probability proportional to the
// squared distance to the nearest centre chosen so far. It stops early if
// every point already coincides with a centre.
func (c *clusterer) seed(k int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	centres := make([]float64, 0, k*c.dim)
	add := func(i int) {
		for _, v := range c.point(i) {
			centres = append(centres, float64(v))
		}
	}
	add(rng.IntN(c.n))
	d2 := make([]float64, c.n)
	for i := range d2 {
		d2[i] = math.Inf(1)
	}
	for len(centres) < k*c.dim {
		last := centres[len(centres)-c.dim:]
		// Update the nearest-centre distances in fixed chunks and sum
		// them in chunk order, for a worker-independent total.
		nch := (c.n + chunk - 1) / chunk
		partial := make([]float64, nch)
		c.parallel(nch, func(ch int) {
			lo, hi := ch*chunk, min((ch+1)*chunk, c.n)
			var s float64
			for i := lo; i < hi; i++ {
				if d := c.dist2(c.point(i), last); d < d2[i] {
					d2[i] = d
				}
				s += d2[i]
			}
			partial[ch] = s
		})
		var total float64
		for _, s := range partial {
			total += s
		}
		if total == 0 {
			break // fewer distinct points than k
		}
		target := rng.Float64() * total
		ch := 0
		for ch < nch-1 && target >= partial[ch] {
			target -= partial[ch]
			ch++
		}
		pick := -1
		for i := ch * chunk; i < min((ch+1)*chunk, c.n); i++ {
			if d2[i] > 0 {
				pick = i
				if target < d2[i] {
					break
				}
				target -= d2[i]
			}
		}
		if pick < 0 {
			break
		}
		add(pick)
	}
	return centres
}

// nearest returns the nearest of the k centres to p (ties to the lower
// number) and the squared distance. Dimensions 1 and 3 (grey, colour) have
// their own loops: they are nearly all the work.
func (c *clusterer) nearest(p []float32, k int) (int, float64) {
	best, bestD := 0, math.Inf(1)
	cs := c.centers[:k*c.dim]
	switch c.dim {
	case 1:
		v := float64(p[0])
		for j, cv := range cs {
			x := v - cv
			if d := x * x; d < bestD {
				best, bestD = j, d
			}
		}
	case 3:
		r, g, b := float64(p[0]), float64(p[1]), float64(p[2])
		for j := 0; j+2 < len(cs); j += 3 {
			x, y, z := r-cs[j], g-cs[j+1], b-cs[j+2]
			if d := x*x + y*y + z*z; d < bestD {
				best, bestD = j/3, d
			}
		}
	default:
		for j := 0; j < k; j++ {
			if d := c.dist2(p, cs[j*c.dim:(j+1)*c.dim]); d < bestD {
				best, bestD = j, d
			}
		}
	}
	return best, bestD
}

// meanVariance returns the mean over features of their variance.
func (c *clusterer) meanVariance() float64 {
	nch := (c.n + chunk - 1) / chunk
	sums := make([][2][]float64, nch)
	c.parallel(nch, func(ch int) {
		s, s2 := make([]float64, c.dim), make([]float64, c.dim)
		for i := ch * chunk; i < min((ch+1)*chunk, c.n); i++ {
			for d, v := range c.point(i) {
				s[d] += float64(v)
				s2[d] += float64(v) * float64(v)
			}
		}
		sums[ch] = [2][]float64{s, s2}
	})
	var total float64
	for d := 0; d < c.dim; d++ {
		var s, s2 float64
		for _, p := range sums {
			s += p[0][d]
			s2 += p[1][d]
		}
		mean := s / float64(c.n)
		total += max(0, s2/float64(c.n)-mean*mean)
	}
	return total / float64(c.dim)
}

// stats are the sums of one assignment pass.
type stats struct {
	sums    []float64 // k × dim
	counts  []int
	changed int
	inertia float64
	// far is the point farthest from its centre: it re-seeds a cluster
	// that lost all its points.
	far     int
	farDist float64
}

// step assigns every point to its nearest centre (ties to the lower
// number) and returns the per-cluster sums. first marks a pass whose
// previous labels are meaningless.
func (c *clusterer) step(first bool) stats {
	k := len(c.centers) / c.dim
	nch := (c.n + chunk - 1) / chunk
	parts := make([]stats, nch)
	c.parallel(nch, func(ch int) {
		st := stats{sums: make([]float64, k*c.dim), counts: make([]int, k), far: -1}
		lo, hi := ch*chunk, min((ch+1)*chunk, c.n)
		for i := lo; i < hi; i++ {
			p := c.point(i)
			best, bestD := c.nearest(p, k)
			if first || c.labels[i] != uint8(best) {
				st.changed++
				c.labels[i] = uint8(best)
			}
			st.counts[best]++
			for j, v := range p {
				st.sums[best*c.dim+j] += float64(v)
			}
			st.inertia += bestD
			if bestD > st.farDist {
				st.far, st.farDist = i, bestD
			}
		}
		parts[ch] = st
	})
	total := stats{sums: make([]float64, k*c.dim), counts: make([]int, k), far: -1}
	for _, st := range parts {
		for j := range total.sums {
			total.sums[j] += st.sums[j]
		}
		for j := range total.counts {
			total.counts[j] += st.counts[j]
		}
		total.changed += st.changed
		total.inertia += st.inertia
		if st.farDist > total.farDist {
			total.far, total.farDist = st.far, st.farDist
		}
	}
	return total
}

// update moves each centre to the mean of its points and returns the sum
// of the squared moves. An emptied cluster takes over the farthest point.
func (c *clusterer) update(st stats) float64 {
	k := len(c.centers) / c.dim
	var shift float64
	for j := 0; j < k; j++ {
		centre := c.centers[j*c.dim : (j+1)*c.dim]
		next := make([]float64, c.dim)
		if st.counts[j] > 0 {
			for d := range next {
				next[d] = st.sums[j*c.dim+d] / float64(st.counts[j])
			}
		} else if st.far >= 0 {
			for d, v := range c.point(st.far) {
				next[d] = float64(v)
			}
			st.farDist = 0
		} else {
			copy(next, centre)
		}
		for d := range next {
			x := next[d] - centre[d]
			shift += x * x
		}
		copy(centre, next)
	}
	return shift
}

// relabel numbers the clusters by increasing coordinate sum, dropping
// clusters left without points.
func (c *clusterer) relabel(st stats) {
	k := len(c.centers) / c.dim
	type cl struct {
		old int
		key float64
	}
	var keep []cl
	for j := 0; j < k; j++ {
		if st.counts[j] == 0 {
			continue
		}
		var s float64
		for _, v := range c.centers[j*c.dim : (j+1)*c.dim] {
			s += v
		}
		keep = append(keep, cl{j, s})
	}
	sort.SliceStable(keep, func(a, b int) bool { return keep[a].key < keep[b].key })
	var newOf [MaxK + 1]uint8
	centres := make([]float64, 0, len(keep)*c.dim)
	for n, x := range keep {
		newOf[x.old] = uint8(n)
		centres = append(centres, c.centers[x.old*c.dim:(x.old+1)*c.dim]...)
	}
	c.parallel((c.n+chunk-1)/chunk, func(ch int) {
		for i := ch * chunk; i < min((ch+1)*chunk, c.n); i++ {
			c.labels[i] = newOf[c.labels[i]]
		}
	})
	c.centers = centres
}

func (c *clusterer) sizes() []int {
	out := make([]int, len(c.centers)/c.dim)
	for _, l := range c.labels {
		out[l]++
	}
	return out
}

// parallel runs f(0..n-1) on the configured number of goroutines.
func (c *clusterer) parallel(n int, f func(i int)) {
	w := min(c.workers, n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
