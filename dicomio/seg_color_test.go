package dicomio

import (
	"math"
	"testing"
)

// TestCIELabKnownConversions checks the sRGB → DICOM CIELab conversion
// (PS3.3 C.10.7.1.1: L* 0…100 → 0…0xFFFF, a*, b* −128…127 → 0…0xFFFF) on
// published and independently written values.
func TestCIELabKnownConversions(t *testing.T) {
	// dicomScale is the PS3.3 scaling, written out separately.
	dicomScale := func(l, a, b float64) [3]int {
		return [3]int{int(math.Round(l * 65535 / 100)), int(math.Round((a + 128) * 65535 / 255)), int(math.Round((b + 128) * 65535 / 255))}
	}
	cases := []struct {
		name string
		rgb  [3]uint8
		want [3]int
		tol  int
	}{
		// The standard's fixed points: white is L* 100, a* = b* = 0 (0x8080).
		{"white", [3]uint8{255, 255, 255}, [3]int{0xFFFF, 0x8080, 0x8080}, 0},
		{"black", [3]uint8{0, 0, 0}, [3]int{0, 0x8080, 0x8080}, 0},
		// Mid grey: sRGB 119 is L* 50.0 (a* = b* = 0 exactly).
		{"grey 119", [3]uint8{119, 119, 119}, dicomScale(50.0, 0, 0), 40},
		// dcmqi wrote 41661\41167\40792 for 3D Slicer's liver colour
		// 221,130,101 in seg-dcmqi/liver.dcm; dcmqi issue #563 lists more
		// colours it writes.
		{"dcmqi liver", [3]uint8{221, 130, 101}, [3]int{41661, 41167, 40792}, 1},
		{"dcmqi red", [3]uint8{255, 0, 0}, [3]int{34886, 53484, 50172}, 1},
		{"dcmqi dark red", [3]uint8{128, 0, 0}, [3]int{16732, 45246, 42677}, 1},
		{"dcmqi near black", [3]uint8{25, 22, 23}, [3]int{4987, 33336, 32853}, 1},
		{"dcmqi grey 10", [3]uint8{10, 10, 10}, [3]int{1797, 32896, 32896}, 0},
	}
	for _, c := range cases {
		got := cielabFromSRGB(c.rgb)
		for i := range got {
			if d := got[i] - c.want[i]; d < -c.tol || d > c.tol {
				t.Errorf("%s %v: %v, want %v (±%d)", c.name, c.rgb, got, c.want, c.tol)
				break
			}
		}
	}
	// Bruce Lindbloom's calculator (sRGB, D65, his more precise matrix):
	// the same within a hundredth of a unit of L*, a*, b*.
	for _, c := range []struct {
		rgb     [3]uint8
		l, a, b float64
	}{
		{[3]uint8{255, 0, 0}, 53.2408, 80.0925, 67.2032},
		{[3]uint8{0, 255, 0}, 87.7347, -86.1827, 83.1793},
		{[3]uint8{0, 0, 255}, 32.2970, 79.1875, -107.8602},
	} {
		l, a, b := labFromSRGB(c.rgb)
		if math.Abs(l-c.l) > 0.02 || math.Abs(a-c.a) > 0.02 || math.Abs(b-c.b) > 0.02 {
			t.Errorf("%v: Lab %.4f %.4f %.4f, want %.4f %.4f %.4f", c.rgb, l, a, b, c.l, c.a, c.b)
		}
	}
	// And back: the liver value read from dcmqi's file gives Slicer's colour.
	if got := srgbFromCIELab([3]int{41661, 41167, 40792}); got != [3]uint8{221, 130, 101} {
		t.Errorf("liver CIELab → sRGB %v, want 221,130,101", got)
	}
}

// TestCIELabRoundTrip converts a grid of sRGB colours to DICOM CIELab and
// back.
func TestCIELabRoundTrip(t *testing.T) {
	for r := 0; r < 256; r += 15 {
		for g := 0; g < 256; g += 15 {
			for b := 0; b < 256; b += 15 {
				c := [3]uint8{uint8(r), uint8(g), uint8(b)}
				lab := cielabFromSRGB(c)
				for _, v := range lab {
					if v < 0 || v > 0xFFFF {
						t.Fatalf("%v → %v out of range", c, lab)
					}
				}
				back := srgbFromCIELab(lab)
				for i := range c {
					if d := int(back[i]) - int(c[i]); d < -1 || d > 1 {
						t.Fatalf("%v → %v → %v", c, lab, back)
					}
				}
			}
		}
	}
}
