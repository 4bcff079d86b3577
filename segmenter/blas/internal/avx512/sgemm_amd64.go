//go:build amd64 && !purego

package avx512

import (
	"sync"

	"golang.org/x/sys/cpu"
)

//go:generate go run gen.go

// The kernels of sgemm_amd64.s, one per panel width (N vectors of 16).
//
//go:noescape
func sgemm6x1(k, blocks int, a *float32, ars, aks, abs int, b *float32, ldb int, c *float32, ldc int, mask uint64, acc bool)

//go:noescape
func sgemm6x2(k, blocks int, a *float32, ars, aks, abs int, b *float32, ldb int, c *float32, ldc int, mask uint64, acc bool)

//go:noescape
func sgemm6x3(k, blocks int, a *float32, ars, aks, abs int, b *float32, ldb int, c *float32, ldc int, mask uint64, acc bool)

//go:noescape
func sgemm6x4(k, blocks int, a *float32, ars, aks, abs int, b *float32, ldb int, c *float32, ldc int, mask uint64, acc bool)

var hasAVX512 = cpu.X86.HasAVX512F

const (
	// blockRows is how many rows of C one kernel call covers per panel:
	// its rows of A stay in the L1 cache across the panels.
	blockRows = 48
	// packRows is the least number of rows for which a B that is not
	// transposed is also copied into panels; below it the copy costs
	// more than reading B in place.
	packRows = 1024
	// chunkK is how many k a transposed-A product takes at a time: B's
	// chunk stays in the L1 cache (25 KiB for 100 columns) while the
	// kernel passes over A's chunk. 32 to 256 ran alike.
	chunkK = 64
)

// packs holds the scratch buffers (B's panels, the strips and tiles of the
// last rows, transposed results), one set per concurrent call.
var packs = sync.Pool{New: func() any { return new([]float32) }}

// scratch returns the first n floats of the pooled buffer *p (not zeroed),
// growing it first if it is shorter.
func scratch(p *[]float32, n int) []float32 {
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	return (*p)[:n]
}

// tileIn starts the six-row tile [6][n] in which the rows row0 … row0+rows−1
// of C (rows < 6) are summed: their contents with acc, else zero.
func tileIn(tile, c []float32, ldc, row0, rows, n int, acc bool) {
	clear(tile)
	if !acc {
		return
	}
	for i := range rows {
		copy(tile[i*n:(i+1)*n], c[(row0+i)*ldc:])
	}
}

// tileOut copies the tile's first rows back into C from row0.
func tileOut(tile, c []float32, ldc, row0, rows, n int) {
	for i := range rows {
		copy(c[(row0+i)*ldc:(row0+i)*ldc+n], tile[i*n:(i+1)*n])
	}
}

// Suits reports whether Sgemm runs on this CPU and pays for a product of
// this shape (op(A) m×k, op(B) k×n).
func Suits(transA, transB bool, m, n, k int) bool {
	if !hasAVX512 || m < 6 || n < 8 || n > 1024 || k == 0 {
		return false
	}
	switch {
	case transA:
		return !transB && m <= 1024 && k >= 256
	case transB:
		// B is transposed into panels at each call, which only pays
		// when many rows share it.
		return m >= packRows
	}
	return true
}

// Sgemm sets C = op(A)·op(B), or adds it to C with acc, for row-major
// matrices as blas.Impl describes them. transA and transB must not both be
// set, and the slices must hold the shapes (blas checks them before
// calling).
func Sgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int) {
	if transA {
		sgemmTN(m, n, k, a, lda, b, ldb, acc, c, ldc)
		return
	}
	pool := packs.Get().(*[]float32)
	defer packs.Put(pool)
	packed := transB || m >= packRows
	if packed {
		b = pack(pool, transB, n, k, b, ldb)
	}
	panel := func(p0 int) (*float32, int) {
		if packed {
			return &b[p0*k], 64
		}
		return &b[p0], ldb
	}
	m6, rest := m/6*6, m%6
	for r0 := 0; r0 < m6; r0 += blockRows {
		blocks := min(blockRows, m6-r0) / 6
		for p0 := 0; p0 < n; p0 += 64 {
			bp, ld := panel(p0)
			kernel(min(64, n-p0), k, blocks, &a[r0*lda], lda, 1, 6*lda, bp, ld, &c[r0*ldc+p0], ldc, acc)
		}
	}
	if rest > 0 {
		// The last rows through a zero-padded six-row strip and tile (a
		// call into OpenBLAS for them would copy all of B again).
		tp := packs.Get().(*[]float32)
		defer packs.Put(tp)
		buf := scratch(tp, 6*k+6*n)
		strip, tile := buf[:6*k], buf[6*k:]
		clear(strip[rest*k:])
		for i := range rest {
			copy(strip[i*k:(i+1)*k], a[(m6+i)*lda:])
		}
		tileIn(tile, c, ldc, m6, rest, n, acc)
		for p0 := 0; p0 < n; p0 += 64 {
			bp, ld := panel(p0)
			kernel(min(64, n-p0), k, 1, &strip[0], k, 1, 0, bp, ld, &tile[p0], n, true)
		}
		tileOut(tile, c, ldc, m6, rest, n)
	}
}

// sgemmTN sets or adds C = Aᵀ·B for A [k×m], chunkK rows of A and B at a
// time, so that B's chunk stays in the L1 cache while the kernel passes
// over A's chunk six columns at a time. Both are read in place: copying
// A's chunk into strips of six, or B's into panels, made the kernel's
// reads contiguous but cost more than it saved (B's panels paid off only
// for m ≥ 400, by 4 %). The last m mod 6 columns of A are copied into a
// zero-padded strip and summed in a six-row tile. A product with more rows
// than columns is computed transposed.
func sgemmTN(m, n, k int, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int) {
	if m > n {
		// Cᵀ = Bᵀ·A instead, into a scratch matrix added to C after:
		// the kernel's panels then run along A's columns, more of them
		// full vectors (m = 400, n = 100: 97 GFLOP/s instead of 74 on
		// two threads).
		pool := packs.Get().(*[]float32)
		defer packs.Put(pool)
		ct := scratch(pool, m*n)
		sgemmTN(n, m, k, b, ldb, a, lda, false, ct, m)
		for i := range m {
			row := c[i*ldc : i*ldc+n]
			if acc {
				for j := range row {
					row[j] += ct[j*m+i]
				}
			} else {
				for j := range row {
					row[j] = ct[j*m+i]
				}
			}
		}
		return
	}
	m6, rest := m/6*6, m%6
	var tile, strip []float32
	if rest > 0 {
		pool := packs.Get().(*[]float32)
		defer packs.Put(pool)
		buf := scratch(pool, 6*n+6*chunkK)
		tile, strip = buf[:6*n], buf[6*n:]
		tileIn(tile, c, ldc, m6, rest, n, acc)
	}
	for k0 := 0; k0 < k; k0 += chunkK {
		kc := min(chunkK, k-k0)
		if rest > 0 {
			for kk := range kc {
				s := strip[kk*6 : kk*6+6]
				copy(s, a[(k0+kk)*lda+m6:(k0+kk)*lda+m])
				clear(s[rest:])
			}
		}
		for p0 := 0; p0 < n; p0 += 64 {
			w, bp := min(64, n-p0), &b[k0*ldb+p0]
			if m6 > 0 {
				kernel(w, kc, m6/6, &a[k0*lda], 1, lda, 6, bp, ldb, &c[p0], ldc, acc || k0 > 0)
			}
			if rest > 0 {
				kernel(w, kc, 1, &strip[0], 1, 6, 0, bp, ldb, &tile[p0], n, true)
			}
		}
	}
	tileOut(tile, c, ldc, m6, rest, n)
}

// pack copies op(B) (k×n) into panels of 64 columns, each k rows of 64
// floats (the columns past n are left as they are: the kernels mask them).
func pack(pool *[]float32, transB bool, n, k int, b []float32, ldb int) []float32 {
	pk := scratch(pool, (n+63)/64*64*k)
	for p0 := 0; p0 < n; p0 += 64 {
		w := min(64, n-p0)
		panel := pk[p0*k : (p0+64)*k]
		if !transB {
			for kk := range k {
				copy(panel[kk*64:kk*64+w], b[kk*ldb+p0:])
			}
			continue
		}
		for j := range w {
			for kk, v := range b[(p0+j)*ldb:][:k] {
				panel[kk*64+j] = v
			}
		}
	}
	return pk
}

// kernel runs the kernel for a panel w ≤ 64 columns wide.
func kernel(w, k, blocks int, a *float32, ars, aks, abs int, b *float32, ldb int, c *float32, ldc int, acc bool) {
	nv := (w + 15) / 16
	mask := uint64(1)<<(w-16*(nv-1)) - 1
	switch nv {
	case 1:
		sgemm6x1(k, blocks, a, ars, aks, abs, b, ldb, c, ldc, mask, acc)
	case 2:
		sgemm6x2(k, blocks, a, ars, aks, abs, b, ldb, c, ldc, mask, acc)
	case 3:
		sgemm6x3(k, blocks, a, ars, aks, abs, b, ldb, c, ldc, mask, acc)
	default:
		sgemm6x4(k, blocks, a, ars, aks, abs, b, ldb, c, ldc, mask, acc)
	}
}

// Available reports whether the kernels run on this CPU.
func Available() bool { return hasAVX512 }
