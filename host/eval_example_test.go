package host_test

import (
	"fmt"
	"testing"

	"github.com/mmcseg/mmcseg/host"
)

// Scoring a prediction against a reference: two 2×2 squares overlapping by
// half.
func ExampleCompareMasks() {
	pred := []uint8{
		1, 1, 0, 0,
		1, 1, 0, 0,
	}
	ref := []uint8{
		0, 1, 1, 0,
		0, 1, 1, 0,
	}
	s, err := host.CompareMasks(pred, ref, 4, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("DSC %.3f  HM %.3f  XOR %.3f  HD %.1f px  HD95 %.1f px\n", s.DSC, s.HM, s.XOR, s.HD, s.HD95)
	// Output: DSC 0.500  HM 0.667  XOR 1.000  HD 1.0 px  HD95 1.0 px
}

// The authors' protocol on a cluster map: the reference is resized to the
// map's size as OpenCV would, the majority non-zero cluster inside it is
// chosen, and the mask is that cluster near the reference.
func ExamplePaperMask() {
	const s = 9
	clusters := make([]uint8, s*s)
	gt := make([]uint8, 18*18) // the reference at twice the size
	for y := range s {
		for x := range s {
			if x >= 3 && x <= 5 && y >= 3 && y <= 5 {
				clusters[y*s+x] = 7 // the object's cluster
			}
		}
	}
	for y := 6; y < 12; y++ {
		for x := 6; x < 12; x++ {
			gt[y*18+x] = 255
		}
	}
	ref := host.Binarize(host.ResizeLinear8(gt, 18, 18, s, s))
	cls, ok := host.PaperCluster(clusters, ref, false)
	mask := host.PaperMask(clusters, ref, s, s, cls)
	sc, _ := host.CompareMasks(mask, ref, s, s)
	fmt.Println("cluster", cls, ok, "DSC", sc.DSC)
	// Output: cluster 7 true DSC 1
}

func benchMasks(w, h int) (pred, ref []uint8) {
	pred, ref = make([]uint8, w*h), make([]uint8, w*h)
	for y := range h {
		for x := range w {
			dx, dy := x-w/2, y-h/2
			if dx*dx+dy*dy < (h/3)*(h/3) {
				ref[y*w+x] = 1
			}
			if (dx-9)*(dx-9)+(dy+5)*(dy+5) < (h/3)*(h/3)+(x*y)%7 {
				pred[y*w+x] = 1
			}
		}
	}
	return pred, ref
}

// BenchmarkCompareMasks scores a PH2-sized pair (767×576), Hausdorff
// distances included.
func BenchmarkCompareMasks(b *testing.B) {
	pred, ref := benchMasks(767, 576)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := host.CompareMasks(pred, ref, 767, 576); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(767*576*b.N)/b.Elapsed().Seconds()/1e6, "Mpixel/s")
}

// BenchmarkResizeLinear8 resizes a PH2-sized mask to 257×257.
func BenchmarkResizeLinear8(b *testing.B) {
	_, ref := benchMasks(767, 576)
	for b.Loop() {
		host.ResizeLinear8(ref, 767, 576, 257, 257)
	}
}
