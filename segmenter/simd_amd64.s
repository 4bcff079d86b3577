//go:build amd64 && !purego

#include "textflag.h"

// AVX2+FMA float32 kernels. Each processes n elements, n a multiple of 8
// (the Go wrappers in vec.go do the remainder), reads its constants from
// the table simdConst (simd_amd64.go; one 32-byte row per constant, offsets
// in simd_amd64.h), and clobbers Y0–Y14.

#include "simd_amd64.h"

// EXP8 sets X = e^X (X clamped to [−87, 88]); N, A, B, C and D are
// scratch. Range reduction X = n·ln2 + r, |r| ≤ ln2/2, then the degree-7
// Taylor polynomial of e^r by Estrin's scheme (short dependency chains) and
// a 2^n built in the exponent bits. R8 = constants.
#define EXP8(X, N, A, B, C, D) \
	VMAXPS       kExpLo(R8), X, X; \
	VMINPS       kExpHi(R8), X, X; \
	VMULPS       kLog2e(R8), X, N; \
	VROUNDPS     $0, N, N; \
	VFNMADD231PS kLn2Hi(R8), N, X; \
	VFNMADD231PS kLn2Lo(R8), N, X; \
	VADDPS       kOne(R8), X, A; \
	VMOVUPS      kE3(R8), B; \
	VFMADD213PS  kE2(R8), X, B; \
	VMOVUPS      kE5(R8), C; \
	VFMADD213PS  kE4(R8), X, C; \
	VMOVUPS      kE7(R8), D; \
	VFMADD213PS  kE6(R8), X, D; \
	VMULPS       X, X, X; \
	VFMADD231PS  B, X, A; \
	VFMADD231PS  D, X, C; \
	VMULPS       X, X, X; \
	VFMADD231PS  C, X, A; \
	VCVTPS2DQ    N, N; \
	VPADDD       kI127(R8), N, N; \
	VPSLLD       $23, N, N; \
	VMULPS       N, A, X

// PHI8 computes, for x in Y0: Y6 = Φ(x), Y4 = e^(−x²/2), using
// erfc(z) = e^(−z²)·t·R(t), z = |x|/√2, t = 1/(1 + z/2), R by Estrin's
// scheme. Scratch Y1–Y3, Y5, Y7–Y10.
#define PHI8 \
	VANDPS       kAbs(R8), Y0, Y1; \
	VMULPS       kISqrt2(R8), Y1, Y1; \
	VMOVUPS      kOne(R8), Y2; \
	VFMADD231PS  kHalf(R8), Y1, Y2; \
	VMOVUPS      kOne(R8), Y3; \
	VDIVPS       Y2, Y3, Y2; \
	VMOVUPS      kR1(R8), Y3; \
	VFMADD213PS  kR0(R8), Y2, Y3; \
	VMOVUPS      kR3(R8), Y5; \
	VFMADD213PS  kR2(R8), Y2, Y5; \
	VMOVUPS      kR5(R8), Y6; \
	VFMADD213PS  kR4(R8), Y2, Y6; \
	VMOVUPS      kR7(R8), Y7; \
	VFMADD213PS  kR6(R8), Y2, Y7; \
	VMOVUPS      kR9(R8), Y8; \
	VFMADD213PS  kR8(R8), Y2, Y8; \
	VMULPS       Y2, Y2, Y9; \
	VFMADD231PS  Y5, Y9, Y3; \
	VFMADD231PS  Y7, Y9, Y6; \
	VMOVUPS      kR10(R8), Y5; \
	VFMADD213PS  Y8, Y9, Y5; \
	VMULPS       Y9, Y9, Y10; \
	VFMADD231PS  Y6, Y10, Y3; \
	VMULPS       Y10, Y10, Y10; \
	VFMADD231PS  Y5, Y10, Y3; \
	VMULPS       Y1, Y1, Y4; \
	VXORPS       Y5, Y5, Y5; \
	VSUBPS       Y4, Y5, Y4; \
	EXP8(Y4, Y5, Y6, Y7, Y8, Y9); \
	VMULPS       Y2, Y3, Y3; \
	VMULPS       Y4, Y3, Y3; \
	VMULPS       kHalf(R8), Y3, Y3; \
	VMOVUPS      kOne(R8), Y6; \
	VSUBPS       Y3, Y6, Y6; \
	VBLENDVPS    Y0, Y3, Y6, Y6

// HSUM reduces the 8 lanes of Y into the low float of X (X is Y's low
// half); S is scratch.
#define HSUM(Y, X, S) \
	VEXTRACTF128 $1, Y, S; \
	VADDPS       S, X, X; \
	VMOVHLPS     X, X, S; \
	VADDPS       S, X, X; \
	VMOVSHDUP    X, S; \
	VADDSS       S, X, X

// func geluAVX(x, y *float32, n int, c *[nConst][8]uint32)
TEXT ·geluAVX(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ c+24(FP), R8
	SHRQ $3, CX
	JZ   gdone
gloop:
	VMOVUPS (SI), Y0
	PHI8
	VMULPS  Y6, Y0, Y7
	VMOVUPS Y7, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     gloop
gdone:
	VZEROUPPER
	RET

// func geluGradAVX(x, dy, dx, y *float32, n int, c *[nConst][8]uint32)
// dx = dy·(Φ(x) + x·φ(x)); y = x·Φ(x) unless y is nil.
TEXT ·geluGradAVX(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), DX
	MOVQ dx+16(FP), DI
	MOVQ y+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), R8
	SHRQ $3, CX
	JZ   ggdone
ggloop:
	VMOVUPS     (SI), Y0
	PHI8
	TESTQ       R9, R9
	JZ          ggnoy
	VMULPS      Y6, Y0, Y7
	VMOVUPS     Y7, (R9)
	ADDQ        $32, R9
ggnoy:
	VMULPS      kISqrt2Pi(R8), Y4, Y4
	VFMADD231PS Y4, Y0, Y6
	VMULPS      (DX), Y6, Y6
	VMOVUPS     Y6, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, DI
	DECQ        CX
	JNZ         ggloop
ggdone:
	VZEROUPPER
	RET

// func expShiftAVX(x *float32, n int, m float32, c *[nConst][8]uint32) float32
// x = e^(x − m) in place; returns the sum.
TEXT ·expShiftAVX(SB), NOSPLIT, $0-36
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y9
	MOVQ         c+24(FP), R8
	VXORPS       Y10, Y10, Y10
	SHRQ         $3, CX
	JZ           esdone
esloop:
	VMOVUPS (SI), Y4
	VSUBPS  Y9, Y4, Y4
	EXP8(Y4, Y5, Y6, Y7, Y8, Y11)
	VMOVUPS Y4, (SI)
	VADDPS  Y4, Y10, Y10
	ADDQ    $32, SI
	DECQ    CX
	JNZ     esloop
esdone:
	HSUM(Y10, X10, X11)
	VMOVSS X10, ret+32(FP)
	VZEROUPPER
	RET

// func expSubVecAVX(y, x, m, acc *float32, n int, c *[nConst][8]uint32)
// y = e^(x − m) element-wise; acc += y.
TEXT ·expSubVecAVX(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ acc+24(FP), BX
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), R8
	SHRQ $3, CX
	JZ   evdone
evloop:
	VMOVUPS (SI), Y4
	VSUBPS  (DX), Y4, Y4
	EXP8(Y4, Y5, Y6, Y7, Y8, Y9)
	VMOVUPS Y4, (DI)
	VADDPS  (BX), Y4, Y4
	VMOVUPS Y4, (BX)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	ADDQ    $32, BX
	DECQ    CX
	JNZ     evloop
evdone:
	VZEROUPPER
	RET

// func expSubMulAVX(y, x, m, s *float32, n int, c *[nConst][8]uint32)
// y = e^(x − m)·s element-wise.
TEXT ·expSubMulAVX(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ s+24(FP), BX
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), R8
	SHRQ $3, CX
	JZ   emdone
emloop:
	VMOVUPS (SI), Y4
	VSUBPS  (DX), Y4, Y4
	EXP8(Y4, Y5, Y6, Y7, Y8, Y9)
	VMULPS  (BX), Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	ADDQ    $32, BX
	DECQ    CX
	JNZ     emloop
emdone:
	VZEROUPPER
	RET

// func fmaAVX(o, a, b *float32, n int)
// o += a·b.
TEXT ·fmaAVX(SB), NOSPLIT, $0-32
	MOVQ o+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   fdone
	MOVQ CX, AX
	SHRQ $2, AX
	JZ   ftail
floop4:
	VMOVUPS     (DI), Y0
	VMOVUPS     32(DI), Y1
	VMOVUPS     64(DI), Y2
	VMOVUPS     96(DI), Y3
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DX), Y4, Y0
	VFMADD231PS 32(DX), Y5, Y1
	VFMADD231PS 64(DX), Y6, Y2
	VFMADD231PS 96(DX), Y7, Y3
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, 32(DI)
	VMOVUPS     Y2, 64(DI)
	VMOVUPS     Y3, 96(DI)
	ADDQ        $128, DI
	ADDQ        $128, SI
	ADDQ        $128, DX
	DECQ        AX
	JNZ         floop4
ftail:
	ANDQ $3, CX
	JZ   fdone
floop:
	VMOVUPS     (DI), Y0
	VMOVUPS     (SI), Y4
	VFMADD231PS (DX), Y4, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, DI
	ADDQ        $32, SI
	ADDQ        $32, DX
	DECQ        CX
	JNZ         floop
fdone:
	VZEROUPPER
	RET

// func addAVX(o, a *float32, n int)
// o += a.
TEXT ·addAVX(SB), NOSPLIT, $0-24
	MOVQ o+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   adone
aloop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     aloop
adone:
	VZEROUPPER
	RET

// func sumAVX(x *float32, n int) float32
TEXT ·sumAVX(SB), NOSPLIT, $0-20
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	SHRQ   $3, CX
	JZ     sdone
sloop:
	VADDPS (SI), Y0, Y0
	ADDQ   $32, SI
	DECQ   CX
	JNZ    sloop
sdone:
	HSUM(Y0, X0, X1)
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func maxAVX(x *float32, n int) float32
// n ≥ 8.
TEXT ·maxAVX(SB), NOSPLIT, $0-20
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	VMOVUPS (SI), Y0
	SHRQ    $3, CX
mloop:
	VMAXPS (SI), Y0, Y0
	ADDQ   $32, SI
	DECQ   CX
	JNZ    mloop
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXSS       X1, X0, X0
	VMOVSS       X0, ret+16(FP)
	VZEROUPPER
	RET

// func sqDevSumAVX(x *float32, n int, m float32) float32
// Σ (x − m)².
TEXT ·sqDevSumAVX(SB), NOSPLIT, $0-28
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y9
	VXORPS       Y0, Y0, Y0
	SHRQ         $3, CX
	JZ           qdone
qloop:
	VMOVUPS     (SI), Y1
	VSUBPS      Y9, Y1, Y1
	VFMADD231PS Y1, Y1, Y0
	ADDQ        $32, SI
	DECQ        CX
	JNZ         qloop
qdone:
	HSUM(Y0, X0, X1)
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func lnApplyAVX(x, y, gm, b *float32, n int, m, rs float32)
// y = (x − m)·rs·g + b.
TEXT ·lnApplyAVX(SB), NOSPLIT, $0-48
	MOVQ         x+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         gm+16(FP), DX
	MOVQ         b+24(FP), BX
	MOVQ         n+32(FP), CX
	VBROADCASTSS m+40(FP), Y9
	VBROADCASTSS rs+44(FP), Y10
	SHRQ         $3, CX
	JZ           ladone
laloop:
	VMOVUPS     (SI), Y0
	VSUBPS      Y9, Y0, Y0
	VMULPS      Y10, Y0, Y0
	VMOVUPS     (BX), Y1
	VFMADD231PS (DX), Y0, Y1
	VMOVUPS     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	ADDQ        $32, BX
	DECQ        CX
	JNZ         laloop
ladone:
	VZEROUPPER
	RET

// func lnBack1AVX(x, dy, gm, dg, db *float32, n int, m, rs float32) (sg, sgx float32)
// With x̂ = (x − m)·rs and q = dy·g: returns Σ q and Σ q·x̂; dg += dy·x̂,
// db += dy.
TEXT ·lnBack1AVX(SB), NOSPLIT, $0-64
	MOVQ         x+0(FP), SI
	MOVQ         dy+8(FP), DX
	MOVQ         gm+16(FP), BX
	MOVQ         dg+24(FP), DI
	MOVQ         db+32(FP), R9
	MOVQ         n+40(FP), CX
	VBROADCASTSS m+48(FP), Y9
	VBROADCASTSS rs+52(FP), Y10
	VXORPS       Y11, Y11, Y11
	VXORPS       Y12, Y12, Y12
	SHRQ         $3, CX
	JZ           l1done
l1loop:
	VMOVUPS     (SI), Y0
	VSUBPS      Y9, Y0, Y0
	VMULPS      Y10, Y0, Y0
	VMOVUPS     (DX), Y1
	VMULPS      (BX), Y1, Y2
	VADDPS      Y2, Y11, Y11
	VFMADD231PS Y2, Y0, Y12
	VMOVUPS     (DI), Y3
	VFMADD231PS Y1, Y0, Y3
	VMOVUPS     Y3, (DI)
	VADDPS      (R9), Y1, Y1
	VMOVUPS     Y1, (R9)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, BX
	ADDQ        $32, DI
	ADDQ        $32, R9
	DECQ        CX
	JNZ         l1loop
l1done:
	HSUM(Y11, X11, X13)
	HSUM(Y12, X12, X13)
	VMOVSS X11, sg+56(FP)
	VMOVSS X12, sgx+60(FP)
	VZEROUPPER
	RET

// func lnBack2AVX(x, dy, gm, dx *float32, n int, m, rs, mg, mgx float32, acc bool)
// d = rs·(dy·g − mg − x̂·mgx); dx = d, or dx += d with acc.
TEXT ·lnBack2AVX(SB), NOSPLIT, $0-57
	MOVQ         x+0(FP), SI
	MOVQ         dy+8(FP), DX
	MOVQ         gm+16(FP), BX
	MOVQ         dx+24(FP), DI
	MOVQ         n+32(FP), CX
	VBROADCASTSS m+40(FP), Y9
	VBROADCASTSS rs+44(FP), Y10
	VBROADCASTSS mg+48(FP), Y11
	VBROADCASTSS mgx+52(FP), Y12
	MOVBLZX      acc+56(FP), AX
	SHRQ         $3, CX
	JZ           l2done
l2loop:
	VMOVUPS      (SI), Y0
	VSUBPS       Y9, Y0, Y0
	VMULPS       Y10, Y0, Y0
	VMOVUPS      (DX), Y1
	VMULPS       (BX), Y1, Y1
	VSUBPS       Y11, Y1, Y1
	VFNMADD231PS Y12, Y0, Y1
	VMULPS       Y10, Y1, Y1
	TESTQ        AX, AX
	JZ           l2store
	VADDPS       (DI), Y1, Y1
l2store:
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, BX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     l2loop
l2done:
	VZEROUPPER
	RET

// func scaleAVX(x *float32, n int, s float32)
TEXT ·scaleAVX(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS s+16(FP), Y9
	SHRQ         $3, CX
	JZ           scdone
scloop:
	VMULPS  (SI), Y9, Y0
	VMOVUPS Y0, (SI)
	ADDQ    $32, SI
	DECQ    CX
	JNZ     scloop
scdone:
	VZEROUPPER
	RET

// func dotAVX(a, b *float32, n int) float32
TEXT ·dotAVX(SB), NOSPLIT, $0-28
	MOVQ   a+0(FP), SI
	MOVQ   b+8(FP), DX
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	SHRQ   $3, CX
	JZ     ddone
dloop:
	VMOVUPS     (SI), Y1
	VFMADD231PS (DX), Y1, Y0
	ADDQ        $32, SI
	ADDQ        $32, DX
	DECQ        CX
	JNZ         dloop
ddone:
	HSUM(Y0, X0, X1)
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func softmaxBackAVX(y, dy, dx, s *float32, n int, vec bool)
// dx = y·(dy − s), s one value broadcast (vec false) or a vector.
TEXT ·softmaxBackAVX(SB), NOSPLIT, $0-41
	MOVQ    y+0(FP), SI
	MOVQ    dy+8(FP), DX
	MOVQ    dx+16(FP), DI
	MOVQ    s+24(FP), BX
	MOVQ    n+32(FP), CX
	MOVBLZX vec+40(FP), AX
	VBROADCASTSS (BX), Y9
	SHRQ    $3, CX
	JZ      sbdone
sbloop:
	VMOVUPS (DX), Y0
	TESTQ   AX, AX
	JZ      sbscalar
	VSUBPS  (BX), Y0, Y0
	ADDQ    $32, BX
	JMP     sbmul
sbscalar:
	VSUBPS  Y9, Y0, Y0
sbmul:
	VMULPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     sbloop
sbdone:
	VZEROUPPER
	RET

// func bnApplyAVX(x, xh, y, m, rs, gm, b *float32, n int)
// xh = (x − m)·rs; y = g·xh + b unless y is nil.
TEXT ·bnApplyAVX(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), SI
	MOVQ xh+8(FP), DI
	MOVQ y+16(FP), R9
	MOVQ m+24(FP), DX
	MOVQ rs+32(FP), BX
	MOVQ gm+40(FP), R10
	MOVQ b+48(FP), R11
	MOVQ n+56(FP), CX
	SHRQ $3, CX
	JZ   bndone
bnloop:
	VMOVUPS (SI), Y0
	VSUBPS  (DX), Y0, Y0
	VMULPS  (BX), Y0, Y0
	VMOVUPS Y0, (DI)
	TESTQ   R9, R9
	JZ      bnnext
	VMOVUPS     (R11), Y1
	VFMADD231PS (R10), Y0, Y1
	VMOVUPS     Y1, (R9)
	ADDQ        $32, R9
bnnext:
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	ADDQ $32, BX
	ADDQ $32, R10
	ADDQ $32, R11
	DECQ CX
	JNZ  bnloop
bndone:
	VZEROUPPER
	RET

// func sqDevAccAVX(acc, x, m *float32, n int)
// acc += (x − m)².
TEXT ·sqDevAccAVX(SB), NOSPLIT, $0-32
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   sqdone
sqloop:
	VMOVUPS     (SI), Y0
	VSUBPS      (DX), Y0, Y0
	VMOVUPS     (DI), Y1
	VFMADD231PS Y0, Y0, Y1
	VMOVUPS     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	DECQ        CX
	JNZ         sqloop
sqdone:
	VZEROUPPER
	RET

// func bnBackApplyAVX(xh, dy, dx, k0, k1, k2 *float32, n int)
// dx = k0·(dy − k1 − xh·k2).
TEXT ·bnBackApplyAVX(SB), NOSPLIT, $0-56
	MOVQ xh+0(FP), SI
	MOVQ dy+8(FP), DX
	MOVQ dx+16(FP), DI
	MOVQ k0+24(FP), R9
	MOVQ k1+32(FP), R10
	MOVQ k2+40(FP), R11
	MOVQ n+48(FP), CX
	SHRQ $3, CX
	JZ   bbdone
bbloop:
	VMOVUPS      (DX), Y0
	VSUBPS       (R10), Y0, Y0
	VMOVUPS      (SI), Y1
	VFNMADD231PS (R11), Y1, Y0
	VMULPS       (R9), Y0, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $32, DI
	ADDQ         $32, R9
	ADDQ         $32, R10
	ADDQ         $32, R11
	DECQ         CX
	JNZ          bbloop
bbdone:
	VZEROUPPER
	RET

// func maxAccAVX(acc, x *float32, n int)
// acc = max(acc, x).
TEXT ·maxAccAVX(SB), NOSPLIT, $0-24
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   mxdone
mxloop:
	VMOVUPS (DI), Y0
	VMAXPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     mxloop
mxdone:
	VZEROUPPER
	RET

// func mulAVX(o, a *float32, n int)
// o *= a.
TEXT ·mulAVX(SB), NOSPLIT, $0-24
	MOVQ o+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   mudone
muloop:
	VMOVUPS (DI), Y0
	VMULPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     muloop
mudone:
	VZEROUPPER
	RET

// The depth-wise kernels below keep the nine tap pointers in R8 … R13,
// BX, DX and SI, the packed weights (or accumulators) in CX and the output
// (or gradient) in DI, and step them all by one 8-channel chunk.

// DWTAPS loads the nine tap pointers from the array at AX.
#define DWTAPS \
	MOVQ 0(AX), R8; \
	MOVQ 8(AX), R9; \
	MOVQ 16(AX), R10; \
	MOVQ 24(AX), R11; \
	MOVQ 32(AX), R12; \
	MOVQ 40(AX), R13; \
	MOVQ 48(AX), BX; \
	MOVQ 56(AX), DX; \
	MOVQ 64(AX), SI

// DWNEXT moves every pointer on by one chunk.
#define DWNEXT \
	ADDQ $320, CX; \
	ADDQ $32, DI; \
	ADDQ $32, R8; \
	ADDQ $32, R9; \
	ADDQ $32, R10; \
	ADDQ $32, R11; \
	ADDQ $32, R12; \
	ADDQ $32, R13; \
	ADDQ $32, BX; \
	ADDQ $32, DX; \
	ADDQ $32, SI

// TAP3 adds the packed weight at OFF(CX) times the taps at R, R+c
// and R+2c (AX = 4c) to the three pixels' accumulators A, B and C.
#define TAP3(OFF, R, A, B, C) \
	VMOVUPS     OFF(CX), Y14; \
	VFMADD231PS (R), Y14, A; \
	VFMADD231PS (R)(AX*1), Y14, B; \
	VFMADD231PS (R)(AX*2), Y14, C

// GTAP1 adds the gradient Y0 times the tap at R to the accumulator at
// OFF(CX), through T.
#define GTAP1(OFF, R, T) \
	VMOVUPS     OFF(CX), T; \
	VFMADD231PS (R), Y0, T; \
	VMOVUPS     T, OFF(CX)

// GTAP3 is GTAP1 for three pixels: gradients Y0, Y1, Y2 and the taps at
// R, R+c and R+2c (AX = 4c).
#define GTAP3(OFF, R, T) \
	VMOVUPS     OFF(CX), T; \
	VFMADD231PS (R), Y0, T; \
	VFMADD231PS (R)(AX*1), Y1, T; \
	VFMADD231PS (R)(AX*2), Y2, T; \
	VMOVUPS     T, OFF(CX)

// func dwPixelAVX(o *float32, taps *[9]*float32, wp *float32, c int)
// One pixel of a depth-wise 3×3 convolution over c channels (c a multiple
// of 8): o = wp.bias + Σ_t wp.w[t]⊙taps[t], with the weights packed per
// 8-channel chunk as [bias, w0 … w8] (10 rows of 8). Three accumulators
// keep the FMA chains short.
TEXT ·dwPixelAVX(SB), NOSPLIT, $0-32
	MOVQ o+0(FP), DI
	MOVQ taps+8(FP), AX
	DWTAPS
	MOVQ wp+16(FP), CX
	MOVQ c+24(FP), AX
	SHRQ $3, AX
	JZ   dpdone
dploop:
	VMOVUPS     (CX), Y0
	VMOVUPS     32(CX), Y5
	VMULPS      (R8), Y5, Y1
	VMOVUPS     64(CX), Y6
	VMULPS      (R9), Y6, Y2
	VMOVUPS     96(CX), Y7
	VFMADD231PS (R10), Y7, Y0
	VMOVUPS     128(CX), Y8
	VFMADD231PS (R11), Y8, Y1
	VMOVUPS     160(CX), Y9
	VFMADD231PS (R12), Y9, Y2
	VMOVUPS     192(CX), Y10
	VFMADD231PS (R13), Y10, Y0
	VMOVUPS     224(CX), Y11
	VFMADD231PS (BX), Y11, Y1
	VMOVUPS     256(CX), Y12
	VFMADD231PS (DX), Y12, Y2
	VMOVUPS     288(CX), Y13
	VFMADD231PS (SI), Y13, Y0
	VADDPS      Y1, Y0, Y0
	VADDPS      Y2, Y0, Y0
	VMOVUPS     Y0, (DI)
	DWNEXT
	DECQ        AX
	JNZ         dploop
dpdone:
	VZEROUPPER
	RET

// func dwPixel3AVX(o *float32, taps *[9]*float32, wp *float32, c int)
// dwPixelAVX on three consecutive pixels, c floats apart in the output and
// in every tap, with each packed weight loaded once for the three: the
// same operations per pixel in the same order, so the results equal
// dwPixelAVX's bit for bit.
TEXT ·dwPixel3AVX(SB), NOSPLIT, $8-32
	MOVQ o+0(FP), DI
	MOVQ taps+8(FP), AX
	DWTAPS
	MOVQ wp+16(FP), CX
	MOVQ c+24(FP), AX
	SHRQ $3, AX
	JZ   dp3done
	MOVQ AX, cnt-8(SP)
	MOVQ c+24(FP), AX
	SHLQ $2, AX
dp3loop:
	VMOVUPS     (CX), Y9
	VMOVUPS     32(CX), Y14
	VMULPS      (R8), Y14, Y1
	VMULPS      (R8)(AX*1), Y14, Y4
	VMULPS      (R8)(AX*2), Y14, Y7
	VMOVUPS     64(CX), Y14
	VMULPS      (R9), Y14, Y2
	VMULPS      (R9)(AX*1), Y14, Y5
	VMULPS      (R9)(AX*2), Y14, Y8
	VMOVUPS     96(CX), Y14
	VMOVAPS     Y9, Y0
	VFMADD231PS (R10), Y14, Y0
	VMOVAPS     Y9, Y3
	VFMADD231PS (R10)(AX*1), Y14, Y3
	VMOVAPS     Y9, Y6
	VFMADD231PS (R10)(AX*2), Y14, Y6
	TAP3(128, R11, Y1, Y4, Y7)
	TAP3(160, R12, Y2, Y5, Y8)
	TAP3(192, R13, Y0, Y3, Y6)
	TAP3(224, BX, Y1, Y4, Y7)
	TAP3(256, DX, Y2, Y5, Y8)
	TAP3(288, SI, Y0, Y3, Y6)
	VADDPS      Y1, Y0, Y0
	VADDPS      Y2, Y0, Y0
	VADDPS      Y4, Y3, Y3
	VADDPS      Y5, Y3, Y3
	VADDPS      Y7, Y6, Y6
	VADDPS      Y8, Y6, Y6
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y3, (DI)(AX*1)
	VMOVUPS     Y6, (DI)(AX*2)
	DWNEXT
	DECQ        cnt-8(SP)
	JNZ         dp3loop
dp3done:
	VZEROUPPER
	RET

// func dwGradPixelAVX(acc, gr *float32, taps *[9]*float32, c int)
// Adds one output pixel's share of the depth-wise weight and bias
// gradients: acc.bias += g, acc.w[t] += g⊙taps[t], acc packed per chunk
// like dwPixelAVX's weights.
TEXT ·dwGradPixelAVX(SB), NOSPLIT, $0-32
	MOVQ acc+0(FP), CX
	MOVQ gr+8(FP), DI
	MOVQ taps+16(FP), AX
	DWTAPS
	MOVQ c+24(FP), AX
	SHRQ $3, AX
	JZ   dgdone
dgloop:
	VMOVUPS     (DI), Y0
	VADDPS      (CX), Y0, Y1
	VMOVUPS     Y1, (CX)
	GTAP1(32, R8, Y2)
	GTAP1(64, R9, Y3)
	GTAP1(96, R10, Y4)
	GTAP1(128, R11, Y5)
	GTAP1(160, R12, Y6)
	GTAP1(192, R13, Y7)
	GTAP1(224, BX, Y8)
	GTAP1(256, DX, Y9)
	GTAP1(288, SI, Y10)
	DWNEXT
	DECQ        AX
	JNZ         dgloop
dgdone:
	VZEROUPPER
	RET

// func dwGradPixel3AVX(acc, gr *float32, taps *[9]*float32, c int)
// dwGradPixelAVX for three consecutive output pixels (gr and every tap
// step by c floats), loading and storing acc once for the three; the
// additions happen in dwGradPixelAVX's order, pixel by pixel, so the
// results are the same bit for bit.
TEXT ·dwGradPixel3AVX(SB), NOSPLIT, $8-32
	MOVQ acc+0(FP), CX
	MOVQ gr+8(FP), DI
	MOVQ taps+16(FP), AX
	DWTAPS
	MOVQ c+24(FP), AX
	SHRQ $3, AX
	JZ   dg3done
	MOVQ AX, cnt-8(SP)
	MOVQ c+24(FP), AX
	SHLQ $2, AX
dg3loop:
	VMOVUPS     (DI), Y0
	VMOVUPS     (DI)(AX*1), Y1
	VMOVUPS     (DI)(AX*2), Y2
	VADDPS      (CX), Y0, Y3
	VADDPS      Y1, Y3, Y3
	VADDPS      Y2, Y3, Y3
	VMOVUPS     Y3, (CX)
	GTAP3(32, R8, Y4)
	GTAP3(64, R9, Y5)
	GTAP3(96, R10, Y4)
	GTAP3(128, R11, Y5)
	GTAP3(160, R12, Y4)
	GTAP3(192, R13, Y5)
	GTAP3(224, BX, Y4)
	GTAP3(256, DX, Y5)
	GTAP3(288, SI, Y4)
	DWNEXT
	DECQ        cnt-8(SP)
	JNZ         dg3loop
dg3done:
	VZEROUPPER
	RET
