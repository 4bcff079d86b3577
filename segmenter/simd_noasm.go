//go:build !amd64 || purego

package segmenter

// Without the amd64 kernels every float32 primitive runs its Go loop:
// useAVX stays false and these stand-ins are never called.

var useAVX = false

var useAVX512 = false

const nConst = 1

var simdConst *[nConst][8]uint32

func geluAVX(x, y *float32, n int, c *[nConst][8]uint32)                            {}
func geluGradAVX(x, dy, dx, y *float32, n int, c *[nConst][8]uint32)                {}
func expShiftAVX(x *float32, n int, m float32, c *[nConst][8]uint32) float32        { return 0 }
func expSubVecAVX(y, x, m, acc *float32, n int, c *[nConst][8]uint32)               {}
func expSubMulAVX(y, x, m, s *float32, n int, c *[nConst][8]uint32)                 {}
func fmaAVX(o, a, b *float32, n int)                                                {}
func addAVX(o, a *float32, n int)                                                   {}
func sumAVX(x *float32, n int) float32                                              { return 0 }
func maxAVX(x *float32, n int) float32                                              { return 0 }
func sqDevSumAVX(x *float32, n int, m float32) float32                              { return 0 }
func lnApplyAVX(x, y, gm, b *float32, n int, m, rs float32)                         {}
func lnBack1AVX(x, dy, gm, dg, db *float32, n int, m, rs float32) (sg, sgx float32) { return 0, 0 }
func lnBack2AVX(x, dy, gm, dx *float32, n int, m, rs, mg, mgx float32, acc bool)    {}
func scaleAVX(x *float32, n int, s float32)                                         {}
func dotAVX(a, b *float32, n int) float32                                           { return 0 }
func softmaxBackAVX(y, dy, dx, s *float32, n int, vec bool)                         {}
func bnApplyAVX(x, xh, y, m, rs, gm, b *float32, n int)                             {}
func sqDevAccAVX(acc, x, m *float32, n int)                                         {}
func bnBackApplyAVX(xh, dy, dx, k0, k1, k2 *float32, n int)                         {}
func maxAccAVX(acc, x *float32, n int)                                              {}
func mulAVX(o, a *float32, n int)                                                   {}
func dwPixelAVX(o *float32, taps *[9]*float32, wp *float32, c int)                  {}
func dwPixel3AVX(o *float32, taps *[9]*float32, wp *float32, c int)                 {}
func dwGradPixelAVX(acc, gr *float32, taps *[9]*float32, c int)                     {}
func dwGradPixel3AVX(acc, gr *float32, taps *[9]*float32, c int)                    {}
func geluAVX512(x, y *float32, n int, c *[nConst][8]uint32)                         {}
func geluGradAVX512(x, dy, dx, y *float32, n int, c *[nConst][8]uint32)             {}
