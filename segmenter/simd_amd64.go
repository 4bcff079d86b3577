//go:build amd64 && !purego

package segmenter

import (
	"math"

	"golang.org/x/sys/cpu"
)

// useAVX selects the AVX2+FMA float32 kernels of simd_amd64.s.
var useAVX = cpu.X86.HasAVX2 && cpu.X86.HasFMA

const nConst = 30

// simdConst is the constant table of simd_amd64.s, one 8-lane row per
// constant, in the order of the offsets defined there.
var simdConst = func() *[nConst][8]uint32 {
	f := func(v float64) uint32 { return math.Float32bits(float32(v)) }
	rows := []uint32{
		0x7fffffff,                                                                             // kAbs
		f(invSqrt2),                                                                            // kISqrt2
		f(0.5),                                                                                 // kHalf
		f(1),                                                                                   // kOne
		f(-87),                                                                                 // kExpLo
		f(88),                                                                                  // kExpHi
		f(log2e),                                                                               // kLog2e
		f(0.693359375),                                                                         // kLn2Hi: few mantissa bits, so n·kLn2Hi is exact
		f(-2.12194440e-4),                                                                      // kLn2Lo = ln 2 − kLn2Hi
		f(1.0 / 5040), f(1.0 / 720), f(1.0 / 120), f(1.0 / 24), f(1.0 / 6), f(0.5), f(1), f(1), // kE7..kE0
	}
	for i := len(erfcR) - 1; i >= 0; i-- { // kR10..kR0
		rows = append(rows, f(erfcR[i]))
	}
	rows = append(rows, f(invSqrt2Pi), 127) // kISqrt2Pi, kI127
	if len(rows) != nConst {
		panic("segmenter: simd constant table out of step with simd_amd64.s")
	}
	var c [nConst][8]uint32
	for i, v := range rows {
		for j := range c[i] {
			c[i][j] = v
		}
	}
	return &c
}()

//go:noescape
func geluAVX(x, y *float32, n int, c *[nConst][8]uint32)

//go:noescape
func geluGradAVX(x, dy, dx, y *float32, n int, c *[nConst][8]uint32)

//go:noescape
func expShiftAVX(x *float32, n int, m float32, c *[nConst][8]uint32) float32

//go:noescape
func expSubVecAVX(y, x, m, acc *float32, n int, c *[nConst][8]uint32)

//go:noescape
func expSubMulAVX(y, x, m, s *float32, n int, c *[nConst][8]uint32)

//go:noescape
func fmaAVX(o, a, b *float32, n int)

//go:noescape
func addAVX(o, a *float32, n int)

//go:noescape
func sumAVX(x *float32, n int) float32

//go:noescape
func maxAVX(x *float32, n int) float32

//go:noescape
func sqDevSumAVX(x *float32, n int, m float32) float32

//go:noescape
func lnApplyAVX(x, y, gm, b *float32, n int, m, rs float32)

//go:noescape
func lnBack1AVX(x, dy, gm, dg, db *float32, n int, m, rs float32) (sg, sgx float32)

//go:noescape
func lnBack2AVX(x, dy, gm, dx *float32, n int, m, rs, mg, mgx float32, acc bool)

//go:noescape
func scaleAVX(x *float32, n int, s float32)

//go:noescape
func dotAVX(a, b *float32, n int) float32

//go:noescape
func softmaxBackAVX(y, dy, dx, s *float32, n int, vec bool)

//go:noescape
func bnApplyAVX(x, xh, y, m, rs, gm, b *float32, n int)

//go:noescape
func sqDevAccAVX(acc, x, m *float32, n int)

//go:noescape
func bnBackApplyAVX(xh, dy, dx, k0, k1, k2 *float32, n int)

//go:noescape
func maxAccAVX(acc, x *float32, n int)

//go:noescape
func mulAVX(o, a *float32, n int)

//go:noescape
func dwPixelAVX(o *float32, taps *[9]*float32, wp *float32, c int)

//go:noescape
func dwPixel3AVX(o *float32, taps *[9]*float32, wp *float32, c int)

//go:noescape
func dwGradPixelAVX(acc, gr *float32, taps *[9]*float32, c int)

//go:noescape
func dwGradPixel3AVX(acc, gr *float32, taps *[9]*float32, c int)

// useAVX512 selects the AVX-512 forms of the GELU kernels, whose results
// equal the AVX2 kernels' bit for bit.
var useAVX512 = useAVX && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ

//go:noescape
func geluAVX512(x, y *float32, n int, c *[nConst][8]uint32)

//go:noescape
func geluGradAVX512(x, dy, dx, y *float32, n int, c *[nConst][8]uint32)
