package segmenter

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVecAVXMatchesGo runs every float32 row primitive with the AVX2
// kernels and with the plain Go loops, on lengths that exercise the vector
// body and the scalar remainder, and bounds the difference (the two differ
// only in rounding: FMA, lane-wise sums, the float32 evaluation of exp and
// Φ).
func TestVecAVXMatchesGo(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX2+FMA kernels in this build or on this CPU")
	}
	r := rand.New(rand.NewPCG(15, 15))
	vec := func(n int, scale float64) []float32 { return to32(randVec(r, n, scale)) }
	both := func(f func() []float32) (avx, gov []float32) {
		avx = f()
		useAVX = false
		defer func() { useAVX = true }()
		return avx, f()
	}
	for _, n := range []int{8, 13, 100, 400, 7} {
		x, y, z, w := vec(n, 4), vec(n, 1), vec(n, 1), vec(n, 1)
		pos := make([]float32, n)
		for i := range pos {
			pos[i] = 0.5 + float32(r.Float64())
		}
		cases := map[string]func() []float32{
			"fma":    func() []float32 { o := append([]float32(nil), y...); vFMA(o, x, z); return o },
			"add":    func() []float32 { o := append([]float32(nil), y...); vAdd(o, x); return o },
			"mul":    func() []float32 { o := append([]float32(nil), y...); vMul(o, x); return o },
			"maxacc": func() []float32 { o := append([]float32(nil), y...); vMaxAcc(o, x); return o },
			"scale":  func() []float32 { o := append([]float32(nil), x...); vScale(o, 0.3); return o },
			"reduce": func() []float32 {
				return []float32{float32(vSum(x)), float32(vDot(x, y)), vMax(x), float32(vSqDevSum(x, 0.25))}
			},
			"lnapply": func() []float32 { o := make([]float32, n); vLNApply(x, o, y, z, 0.1, 1.7); return o },
			"lnback1": func() []float32 {
				dg, db := append([]float32(nil), z...), append([]float32(nil), w...)
				a, b := vLNBack1(x, y, z, dg, db, 0.1, 1.3)
				return append(append(dg, db...), float32(a), float32(b))
			},
			"lnback2": func() []float32 {
				o := append([]float32(nil), w...)
				vLNBack2(x, y, z, o, 0.1, 1.3, 0.2, -0.4, true)
				return o
			},
			"softmaxback": func() []float32 {
				o, o2 := make([]float32, n), make([]float32, n)
				vSoftmaxBack(x, y, o, 0.3, nil)
				vSoftmaxBack(x, y, o2, 0, z)
				return append(o, o2...)
			},
			"bnapply": func() []float32 {
				h, o := make([]float32, n), make([]float32, n)
				vBNApply(x, h, o, y, pos, z, w)
				return append(h, o...)
			},
			"sqdevacc": func() []float32 { o := append([]float32(nil), pos...); vSqDevAcc(o, x, y); return o },
			"bnback":   func() []float32 { o := make([]float32, n); vBNBackApply(x, y, o, z, w, pos); return o },
			"gelu":     func() []float32 { o := make([]float32, n); vGELU(x, o); return o },
			"gelugrad": func() []float32 {
				o, g := make([]float32, n), make([]float32, n)
				vGELUGrad(x, y, o, g)
				return append(o, g...)
			},
			"expshift": func() []float32 {
				o := append([]float32(nil), x...)
				s := vExpShift(o, 3)
				return append(o, float32(s))
			},
			"expsubmul": func() []float32 {
				o := make([]float32, n)
				vExpSubMul(o, x, y, pos)
				return o
			},
			"expsubvec": func() []float32 {
				o, acc := make([]float32, n), append([]float32(nil), pos...)
				vExpSubVec(o, x, y, acc)
				return append(o, acc...)
			},
		}
		for name, f := range cases {
			a, g := both(f)
			for i := range a {
				if d := math.Abs(float64(a[i] - g[i])); d > 2e-6*(1+math.Abs(float64(g[i]))) {
					t.Errorf("%s n=%d: element %d: AVX %g, Go %g", name, n, i, a[i], g[i])
				}
			}
		}
	}
}

// TestGELUAVXAccuracy bounds the float32 kernels' GELU and GELU' against
// the float64 definition over the whole useful range.
func TestGELUAVXAccuracy(t *testing.T) {
	n := 200000
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(-14 + 28*float64(i)/float64(n))
	}
	y, dx, ones := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range ones {
		ones[i] = 1
	}
	vGELU(x, y)
	vGELUGrad(x, ones, dx, nil)
	var wy, wd float64
	for i, v := range x {
		c, p := phi64(float64(v))
		wy = max(wy, math.Abs(float64(y[i])-float64(v)*c)/max(1, math.Abs(float64(v))))
		wd = max(wd, math.Abs(float64(dx[i])-(c+float64(v)*p)))
	}
	t.Logf("GELU error %.2g (relative to max(1,|x|)), GELU' error %.2g (absolute)", wy, wd)
	if wy > 4e-7 || wd > 6e-7 {
		t.Errorf("GELU error %g, GELU' error %g", wy, wd)
	}
}

// BenchmarkGELU measures the float32 GELU and its gradient per element,
// with the AVX2 kernels and, where the CPU has them, AVX-512.
func BenchmarkGELU(b *testing.B) {
	x, y, d := make([]float32, 4000), make([]float32, 4000), make([]float32, 4000)
	for i := range x {
		x[i] = float32(i%400)/100 - 2
	}
	have := useAVX512
	defer func() { useAVX512 = have }()
	for _, wide := range []bool{false, true} {
		if wide && !have {
			continue
		}
		name := map[bool]string{false: "avx2", true: "avx512"}[wide]
		useAVX512 = wide
		b.Run(name+"/forward", func(b *testing.B) {
			for b.Loop() {
				vGELU(x, y)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
		})
		b.Run(name+"/grad", func(b *testing.B) {
			for b.Loop() {
				vGELUGrad(x, x, d, y)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
		})
	}
}

// TestGELUAVX512MatchesAVX2: the AVX-512 GELU kernels run the AVX2 kernels'
// operations in the same order, so a model gives the same results, bit for
// bit, on machines with and without AVX-512.
func TestGELUAVX512MatchesAVX2(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this CPU or in this build")
	}
	r := rand.New(rand.NewPCG(16, 16))
	n := 4099 // 16-wide body, an 8-wide piece and a scalar tail
	x, dy := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 3)
		dy[i] = float32(r.NormFloat64())
	}
	x[0], x[1], x[2], x[3] = 0, -0, 13.5, -13.5
	run := func() (y, dx, y2 []float32) {
		y, dx, y2 = make([]float32, n), make([]float32, n), make([]float32, n)
		vGELU(x, y)
		vGELUGrad(x, dy, dx, y2)
		return
	}
	y5, dx5, yy5 := run()
	useAVX512 = false
	defer func() { useAVX512 = true }()
	y2, dx2, yy2 := run()
	for i := range x {
		if math.Float32bits(y5[i]) != math.Float32bits(y2[i]) || math.Float32bits(dx5[i]) != math.Float32bits(dx2[i]) ||
			math.Float32bits(yy5[i]) != math.Float32bits(yy2[i]) {
			t.Fatalf("x = %g: AVX-512 GELU %g, GELU' %g, %g; AVX2 %g, %g, %g", x[i], y5[i], dx5[i], yy5[i], y2[i], dx2[i], yy2[i])
		}
	}
}
