package blas

import (
	"math"
	"sync"
	"unsafe"
)

type pureGo struct{}

func (pureGo) Name() string { return "purego" }

func (pureGo) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (pureGo) Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkGemm(transA, transB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

type float interface{ float32 | float64 }

// minNormal returns the smallest positive normal value of T.
func minNormal[T float]() T {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return T(math.SmallestNonzeroFloat32 * (1 << 23))
	}
	return T(math.SmallestNonzeroFloat64 * (1 << 52))
}

// daz returns v, or 0 when v is subnormal (|v| < tiny, the smallest normal
// value): packing reads subnormal operands as zero, as OpenBLAS does under
// the DAZ mode this package sets (see Impl), because arithmetic on them
// takes a slow microcode path on x86 that made whole products ~40× slower.
func daz[T float](v, tiny T) T {
	if v < tiny && v > -tiny {
		return 0
	}
	return v
}

// scaleC sets C = beta·C (C = 0 when beta is 0, whatever C held).
func scaleC[T float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// Blocking of the pure-Go GEMM: op(A) is packed in mc×kc blocks of mr-row
// panels, op(B) in kc×nc blocks of nr-column panels, so the micro-kernel
// streams two small contiguous panels from L1/L2 whatever the transposes.
const (
	mr = 4
	nr = 4
	kc = 256
	mc = 64
	nc = 512
)

var pools = [2]sync.Pool{
	{New: func() any { s := make([]float32, mc*kc+kc*nc); return &s }},
	{New: func() any { s := make([]float64, mc*kc+kc*nc); return &s }},
}

func getBuf[T float]() (*[]T, int) {
	var zero T
	i := 0
	if any(zero) != any(float32(0)) {
		i = 1
	}
	return pools[i].Get().(*[]T), i
}

func gemm[T float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	buf, pi := getBuf[T]()
	defer pools[pi].Put(buf)
	pa := (*buf)[:mc*kc]
	pb := (*buf)[mc*kc:]
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		for j0 := 0; j0 < n; j0 += nc {
			nb := min(nc, n-j0)
			packB(transB, b, ldb, p0, kb, j0, nb, pb)
			for i0 := 0; i0 < m; i0 += mc {
				mb := min(mc, m-i0)
				packA(transA, a, lda, i0, mb, p0, kb, alpha, pa)
				for jp := 0; jp < nb; jp += nr {
					bp := pb[(jp/nr)*kb*nr : (jp/nr+1)*kb*nr]
					for ip := 0; ip < mb; ip += mr {
						ap := pa[(ip/mr)*kb*mr : (ip/mr+1)*kb*mr]
						micro(ap, bp, c[(i0+ip)*ldc+j0+jp:], ldc, min(mr, mb-ip), min(nr, nb-jp))
					}
				}
			}
		}
	}
}

// packA copies alpha·op(A)[i0:i0+mb, p0:p0+kb] into mr-row panels, each
// stored k-major: dst[(panel·kb + kk)·mr + r]. Rows past mb are zero.
// Subnormal values are stored as zero (see daz).
func packA[T float](trans bool, a []T, lda, i0, mb, p0, kb int, alpha T, dst []T) {
	tiny := minNormal[T]()
	for ip := 0; ip < mb; ip += mr {
		panel := dst[(ip/mr)*kb*mr : (ip/mr+1)*kb*mr]
		for r := range mr {
			i := i0 + ip + r
			if ip+r >= mb {
				for kk := range kb {
					panel[kk*mr+r] = 0
				}
				continue
			}
			if trans {
				for kk := range kb {
					panel[kk*mr+r] = daz(alpha*a[(p0+kk)*lda+i], tiny)
				}
			} else {
				row := a[i*lda+p0 : i*lda+p0+kb]
				for kk, v := range row {
					panel[kk*mr+r] = daz(alpha*v, tiny)
				}
			}
		}
	}
}

// packB copies op(B)[p0:p0+kb, j0:j0+nb] into nr-column panels, each stored
// k-major: dst[(panel·kb + kk)·nr + s]. Columns past nb are zero, subnormal
// values zero (see daz).
func packB[T float](trans bool, b []T, ldb, p0, kb, j0, nb int, dst []T) {
	tiny := minNormal[T]()
	for jp := 0; jp < nb; jp += nr {
		panel := dst[(jp/nr)*kb*nr : (jp/nr+1)*kb*nr]
		w := min(nr, nb-jp)
		for kk := range kb {
			out := panel[kk*nr : kk*nr+nr]
			for s := range nr {
				switch {
				case s >= w:
					out[s] = 0
				case trans:
					out[s] = daz(b[(j0+jp+s)*ldb+p0+kk], tiny)
				default:
					out[s] = daz(b[(p0+kk)*ldb+j0+jp+s], tiny)
				}
			}
		}
	}
}

// micro adds the product of one packed A panel and one packed B panel to
// the rows×cols corner of the 4×4 tile of C at c (row stride ldc).
func micro[T float](ap, bp []T, c []T, ldc, rows, cols int) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 T
	kb := len(ap) / mr
	ap = ap[:kb*mr]
	bp = bp[:kb*nr]
	for kk := 0; kk < kb; kk++ {
		a := ap[kk*mr : kk*mr+4 : kk*mr+4]
		b := bp[kk*nr : kk*nr+4 : kk*nr+4]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	t := [4][4]T{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	for r := range rows {
		row := c[r*ldc : r*ldc+cols]
		for s := range row {
			row[s] += t[r][s]
		}
	}
}
