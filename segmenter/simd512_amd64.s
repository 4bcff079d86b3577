//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 forms of some kernels of simd_amd64.s: the same operations in the
// same order on 16 lanes, so that their results equal the AVX2 kernels' bit
// for bit. Constants come from simdConst (lane 0 of each row, broadcast);
// the offsets repeat those of simd_amd64.s.

#define kAbs 0
#define kISqrt2 32
#define kHalf 64
#define kOne 96
#define kExpLo 128
#define kExpHi 160
#define kLog2e 192
#define kLn2Hi 224
#define kLn2Lo 256
#define kE7 288
#define kE6 320
#define kE5 352
#define kE4 384
#define kE3 416
#define kE2 448
#define kE1 480
#define kE0 512
#define kR10 544
#define kR9 576
#define kR8 608
#define kR7 640
#define kR6 672
#define kR5 704
#define kR4 736
#define kR3 768
#define kR2 800
#define kR1 832
#define kR0 864
#define kISqrt2Pi 896
#define kI127 928

// EXP16 is EXP8 of simd_amd64.s on 16 lanes.
#define EXP16(X, N, A, B, C, D) \
	VMAXPS.BCST       kExpLo(R8), X, X; \
	VMINPS.BCST       kExpHi(R8), X, X; \
	VMULPS.BCST       kLog2e(R8), X, N; \
	VRNDSCALEPS       $0, N, N; \
	VFNMADD231PS.BCST kLn2Hi(R8), N, X; \
	VFNMADD231PS.BCST kLn2Lo(R8), N, X; \
	VADDPS.BCST       kOne(R8), X, A; \
	VBROADCASTSS      kE3(R8), B; \
	VFMADD213PS.BCST  kE2(R8), X, B; \
	VBROADCASTSS      kE5(R8), C; \
	VFMADD213PS.BCST  kE4(R8), X, C; \
	VBROADCASTSS      kE7(R8), D; \
	VFMADD213PS.BCST  kE6(R8), X, D; \
	VMULPS            X, X, X; \
	VFMADD231PS       B, X, A; \
	VFMADD231PS       D, X, C; \
	VMULPS            X, X, X; \
	VFMADD231PS       C, X, A; \
	VCVTPS2DQ         N, N; \
	VPADDD.BCST       kI127(R8), N, N; \
	VPSLLD            $23, N, N; \
	VMULPS            N, A, X

// PHI16 is PHI8 on 16 lanes: for x in Z0, Z6 = Φ(x), Z4 = e^(−x²/2).
// Scratch Z1–Z3, Z5, Z7–Z10, K1.
#define PHI16 \
	VPANDD.BCST       kAbs(R8), Z0, Z1; \
	VMULPS.BCST       kISqrt2(R8), Z1, Z1; \
	VBROADCASTSS      kOne(R8), Z2; \
	VFMADD231PS.BCST  kHalf(R8), Z1, Z2; \
	VBROADCASTSS      kOne(R8), Z3; \
	VDIVPS            Z2, Z3, Z2; \
	VBROADCASTSS      kR1(R8), Z3; \
	VFMADD213PS.BCST  kR0(R8), Z2, Z3; \
	VBROADCASTSS      kR3(R8), Z5; \
	VFMADD213PS.BCST  kR2(R8), Z2, Z5; \
	VBROADCASTSS      kR5(R8), Z6; \
	VFMADD213PS.BCST  kR4(R8), Z2, Z6; \
	VBROADCASTSS      kR7(R8), Z7; \
	VFMADD213PS.BCST  kR6(R8), Z2, Z7; \
	VBROADCASTSS      kR9(R8), Z8; \
	VFMADD213PS.BCST  kR8(R8), Z2, Z8; \
	VMULPS            Z2, Z2, Z9; \
	VFMADD231PS       Z5, Z9, Z3; \
	VFMADD231PS       Z7, Z9, Z6; \
	VBROADCASTSS      kR10(R8), Z5; \
	VFMADD213PS       Z8, Z9, Z5; \
	VMULPS            Z9, Z9, Z10; \
	VFMADD231PS       Z6, Z10, Z3; \
	VMULPS            Z10, Z10, Z10; \
	VFMADD231PS       Z5, Z10, Z3; \
	VMULPS            Z1, Z1, Z4; \
	VPXORD            Z5, Z5, Z5; \
	VSUBPS            Z4, Z5, Z4; \
	EXP16(Z4, Z5, Z6, Z7, Z8, Z9); \
	VMULPS            Z2, Z3, Z3; \
	VMULPS            Z4, Z3, Z3; \
	VMULPS.BCST       kHalf(R8), Z3, Z3; \
	VBROADCASTSS      kOne(R8), Z6; \
	VSUBPS            Z3, Z6, Z6; \
	VPMOVD2M          Z0, K1; \
	VMOVAPS           Z3, K1, Z6

// func geluAVX512(x, y *float32, n int, c *[nConst][8]uint32)
// n a multiple of 16.
TEXT ·geluAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ c+24(FP), R8
	SHRQ $4, CX
	JZ   g5done
g5loop:
	VMOVUPS (SI), Z0
	PHI16
	VMULPS  Z6, Z0, Z7
	VMOVUPS Z7, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     g5loop
g5done:
	VZEROUPPER
	RET

// func geluGradAVX512(x, dy, dx, y *float32, n int, c *[nConst][8]uint32)
// n a multiple of 16.
TEXT ·geluGradAVX512(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), DX
	MOVQ dx+16(FP), DI
	MOVQ y+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), R8
	SHRQ $4, CX
	JZ   gg5done
gg5loop:
	VMOVUPS (SI), Z0
	PHI16
	TESTQ   R9, R9
	JZ      gg5noy
	VMULPS  Z6, Z0, Z7
	VMOVUPS Z7, (R9)
	ADDQ    $64, R9
gg5noy:
	VMULPS.BCST kISqrt2Pi(R8), Z4, Z4
	VFMADD231PS Z4, Z0, Z6
	VMULPS      (DX), Z6, Z6
	VMOVUPS     Z6, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DX
	ADDQ        $64, DI
	DECQ        CX
	JNZ         gg5loop
gg5done:
	VZEROUPPER
	RET

// The AVX-512 forms of dwPixelAVX and dwGradPixelAVX: 16 channels at a
// time, the weights packed per 16-channel chunk ([c/16][10][16]), each lane
// computed with the same operations in the same order as the AVX2 kernels.

// func dwPixelAVX512(o *float32, taps *[9]*float32, wp *float32, c int)
// c a multiple of 16.
TEXT ·dwPixelAVX512(SB), NOSPLIT, $0-32
	MOVQ o+0(FP), DI
	MOVQ taps+8(FP), AX
	MOVQ 0(AX), R8
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ 24(AX), R11
	MOVQ 32(AX), R12
	MOVQ 40(AX), R13
	MOVQ 48(AX), BX
	MOVQ 56(AX), DX
	MOVQ 64(AX), SI
	MOVQ wp+16(FP), CX
	MOVQ c+24(FP), AX
	SHRQ $4, AX
	JZ   dp5done
dp5loop:
	VMOVUPS     (CX), Z0
	VMOVUPS     64(CX), Z5
	VMULPS      (R8), Z5, Z1
	VMOVUPS     128(CX), Z6
	VMULPS      (R9), Z6, Z2
	VMOVUPS     192(CX), Z7
	VFMADD231PS (R10), Z7, Z0
	VMOVUPS     256(CX), Z8
	VFMADD231PS (R11), Z8, Z1
	VMOVUPS     320(CX), Z9
	VFMADD231PS (R12), Z9, Z2
	VMOVUPS     384(CX), Z10
	VFMADD231PS (R13), Z10, Z0
	VMOVUPS     448(CX), Z11
	VFMADD231PS (BX), Z11, Z1
	VMOVUPS     512(CX), Z12
	VFMADD231PS (DX), Z12, Z2
	VMOVUPS     576(CX), Z13
	VFMADD231PS (SI), Z13, Z0
	VADDPS      Z1, Z0, Z0
	VADDPS      Z2, Z0, Z0
	VMOVUPS     Z0, (DI)
	ADDQ        $640, CX
	ADDQ        $64, DI
	ADDQ        $64, R8
	ADDQ        $64, R9
	ADDQ        $64, R10
	ADDQ        $64, R11
	ADDQ        $64, R12
	ADDQ        $64, R13
	ADDQ        $64, BX
	ADDQ        $64, DX
	ADDQ        $64, SI
	DECQ        AX
	JNZ         dp5loop
dp5done:
	VZEROUPPER
	RET

// func dwGradPixelAVX512(acc, gr *float32, taps *[9]*float32, c int)
// c a multiple of 16; acc packed like dwPixelAVX512's weights.
TEXT ·dwGradPixelAVX512(SB), NOSPLIT, $0-32
	MOVQ acc+0(FP), CX
	MOVQ gr+8(FP), DI
	MOVQ taps+16(FP), AX
	MOVQ 0(AX), R8
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ 24(AX), R11
	MOVQ 32(AX), R12
	MOVQ 40(AX), R13
	MOVQ 48(AX), BX
	MOVQ 56(AX), DX
	MOVQ 64(AX), SI
	MOVQ c+24(FP), AX
	SHRQ $4, AX
	JZ   dg5done
dg5loop:
	VMOVUPS     (DI), Z0
	VADDPS      (CX), Z0, Z1
	VMOVUPS     Z1, (CX)
	VMOVUPS     64(CX), Z2
	VFMADD231PS (R8), Z0, Z2
	VMOVUPS     Z2, 64(CX)
	VMOVUPS     128(CX), Z3
	VFMADD231PS (R9), Z0, Z3
	VMOVUPS     Z3, 128(CX)
	VMOVUPS     192(CX), Z4
	VFMADD231PS (R10), Z0, Z4
	VMOVUPS     Z4, 192(CX)
	VMOVUPS     256(CX), Z5
	VFMADD231PS (R11), Z0, Z5
	VMOVUPS     Z5, 256(CX)
	VMOVUPS     320(CX), Z6
	VFMADD231PS (R12), Z0, Z6
	VMOVUPS     Z6, 320(CX)
	VMOVUPS     384(CX), Z7
	VFMADD231PS (R13), Z0, Z7
	VMOVUPS     Z7, 384(CX)
	VMOVUPS     448(CX), Z8
	VFMADD231PS (BX), Z0, Z8
	VMOVUPS     Z8, 448(CX)
	VMOVUPS     512(CX), Z9
	VFMADD231PS (DX), Z0, Z9
	VMOVUPS     Z9, 512(CX)
	VMOVUPS     576(CX), Z10
	VFMADD231PS (SI), Z0, Z10
	VMOVUPS     Z10, 576(CX)
	ADDQ        $640, CX
	ADDQ        $64, DI
	ADDQ        $64, R8
	ADDQ        $64, R9
	ADDQ        $64, R10
	ADDQ        $64, R11
	ADDQ        $64, R12
	ADDQ        $64, R13
	ADDQ        $64, BX
	ADDQ        $64, DX
	ADDQ        $64, SI
	DECQ        AX
	JNZ         dg5loop
dg5done:
	VZEROUPPER
	RET
