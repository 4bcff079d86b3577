// Offsets of the constants in simdConst (simd_amd64.go), one 32-byte row
// each, shared by the assembly kernels.

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
