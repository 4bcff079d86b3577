//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 forms of geluAVX and geluGradAVX: the same operations in the same
// order on 16 lanes, so that their results equal the AVX2 kernels' bit for
// bit. Constants come from simdConst (lane 0 of each row, broadcast).

#include "simd_amd64.h"

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
