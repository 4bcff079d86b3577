package segmenter

import (
	"sync"

	"github.com/mmcseg/mmcseg/segmenter/blas"
)

// Float is the element type of every kernel: float32 for models, float64
// for gradient checks.
type Float interface{ float32 | float64 }

// Engine runs kernels on a fixed number of goroutines with one BLAS
// implementation. The zero value is not usable; call NewEngine.
type Engine struct {
	threads int
	impl    blas.Impl

	part32 []float32 // split-K partial products, (threads−1)·m·n
	part64 []float64
	acc    [][]float64 // per-worker float64 accumulators for column reductions
	vec32  []float32   // per-channel constants of the normalisation kernels
	vec64  []float64
	row32  [][]float32 // per-worker row scratch of the fused kernels
	row64  [][]float64
	dwPk   []float32 // depth-wise weights packed for the AVX kernels, then a zero row
	serial []*Engine // per-worker single-threaded Engines (Serial)
	sum64  []float64 // column sums of the normalisation kernels
}

// NewEngine returns an Engine running on threads goroutines (at least 1)
// with impl (blas.Default() when nil).
func NewEngine(threads int, impl blas.Impl) *Engine {
	if impl == nil {
		impl = blas.Default()
	}
	e := newEngine(max(threads, 1), impl)
	e.serial = make([]*Engine, e.threads)
	for w := range e.serial {
		s := newEngine(1, impl)
		s.serial = []*Engine{s}
		e.serial[w] = s
	}
	return e
}

func newEngine(threads int, impl blas.Impl) *Engine {
	return &Engine{threads: threads, impl: impl, acc: make([][]float64, threads),
		row32: make([][]float32, threads), row64: make([][]float64, threads)}
}

// Serial returns worker w's single-threaded Engine: the same BLAS, its own
// scratch, reused from call to call. Model code composes fused passes from
// the kernels by calling them, on Serial(w), on the rows of part w of a For,
// so that each part runs several kernels over its rows while they are in
// cache, with one parallel section for the whole pass.
func (e *Engine) Serial(w int) *Engine { return e.serial[w] }

// Threads returns the number of goroutines the Engine's kernels use.
func (e *Engine) Threads() int { return e.threads }

// BLAS returns the Engine's matrix-product implementation.
func (e *Engine) BLAS() blas.Impl { return e.impl }

// parts returns how many contiguous parts n items split into when no part
// should hold fewer than grain items. It depends only on n, grain and the
// thread count, which keeps every partition (and so every result) fixed.
func (e *Engine) parts(n, grain int) int {
	grain = max(grain, 1)
	return max(min(e.threads, (n+grain-1)/grain), 1)
}

// For splits [0, n) into contiguous parts of at least grain items (at most
// one per thread) and runs fn(w, lo, hi) for part w on its own goroutine,
// the last on the caller's. It returns the number of parts.
func (e *Engine) For(n, grain int, fn func(w, lo, hi int)) int {
	p := e.parts(n, grain)
	if p == 1 {
		fn(0, 0, n)
		return 1
	}
	var wg sync.WaitGroup
	for w := range p - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, n*w/p, n*(w+1)/p)
		}()
	}
	fn(p-1, n*(p-1)/p, n)
	wg.Wait()
	return p
}

// accumulators returns one zeroed float64 slice of length size per thread,
// reused from call to call.
func (e *Engine) accumulators(size int) [][]float64 {
	for w := range e.acc {
		if cap(e.acc[w]) < size {
			e.acc[w] = make([]float64, size)
		}
		e.acc[w] = e.acc[w][:size]
		clear(e.acc[w])
	}
	return e.acc
}

// reduceInto adds the first p accumulators, in worker order, to dst.
func reduceInto[T Float](dst []T, acc [][]float64, p int) { reduceIntoAt(dst, acc, p, 0) }

// reduceIntoAt adds elements off … off+len(dst)−1 of the first p
// accumulators, in worker order, to dst.
func reduceIntoAt[T Float](dst []T, acc [][]float64, p, off int) {
	for i := range dst {
		var s float64
		for w := range p {
			s += acc[w][off+i]
		}
		dst[i] += T(s)
	}
}

// sums returns the Engine's zeroed float64 scratch of n elements.
func (e *Engine) sums(n int) []float64 {
	if cap(e.sum64) < n {
		e.sum64 = make([]float64, n)
	}
	e.sum64 = e.sum64[:n]
	clear(e.sum64)
	return e.sum64
}

// partials returns the Engine's split-K scratch with room for n elements.
func partials[T Float](e *Engine, n int) []T {
	var z T
	switch any(z).(type) {
	case float32:
		if cap(e.part32) < n {
			e.part32 = make([]float32, n)
		}
		return any(e.part32[:n]).([]T)
	default:
		if cap(e.part64) < n {
			e.part64 = make([]float64, n)
		}
		return any(e.part64[:n]).([]T)
	}
}

// vector returns the Engine's small per-channel scratch with room for n
// elements (not zeroed). Kernels use it between parallel regions only.
func vector[T Float](e *Engine, n int) []T {
	var z T
	switch any(z).(type) {
	case float32:
		if cap(e.vec32) < n {
			e.vec32 = make([]float32, n)
		}
		return any(e.vec32[:n]).([]T)
	default:
		if cap(e.vec64) < n {
			e.vec64 = make([]float64, n)
		}
		return any(e.vec64[:n]).([]T)
	}
}

// rowPartials calls row(a, i) for rows 0 … rows−1 in parallel parts of at
// least grain rows; each part adds into its worker's accumulator a of n
// elements in T, flushed into float64 every flushEvery rows so that long
// sums keep their precision. It returns the workers' float64 partials and
// the number of parts, for reduceInto and friends.
func rowPartials[T Float](e *Engine, rows, n, grain int, row func(a []T, i int)) ([][]float64, int) {
	acc := e.accumulators(n)
	part := workerRows[T](e, n)
	p := e.For(rows, grain, func(w, lo, hi int) {
		a := part[w]
		clear(a)
		for i := lo; i < hi; i++ {
			row(a, i)
			if (i-lo)%flushEvery == flushEvery-1 {
				flush(acc[w], a)
			}
		}
		flush(acc[w], a)
	})
	return acc, p
}

// workerRows returns one scratch slice of n elements (not zeroed) per
// thread, reused from call to call.
func workerRows[T Float](e *Engine, n int) [][]T {
	var z T
	switch any(z).(type) {
	case float32:
		for w := range e.row32 {
			if cap(e.row32[w]) < n {
				e.row32[w] = make([]float32, n)
			}
			e.row32[w] = e.row32[w][:n]
		}
		return any(e.row32).([][]T)
	default:
		for w := range e.row64 {
			if cap(e.row64[w]) < n {
				e.row64[w] = make([]float64, n)
			}
			e.row64[w] = e.row64[w][:n]
		}
		return any(e.row64).([][]T)
	}
}
