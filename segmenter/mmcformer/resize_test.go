package mmcformer

import (
	"bytes"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// TestResizeAgainstPIL compares the bilinear resampling with Pillow's, an
// implementation we did not write: when enlarging, Pillow's BILINEAR filter
// (triangle of support 1 around half-pixel centres, weights renormalised at
// the edges) is OpenCV's INTER_LINEAR. (When shrinking Pillow antialiases
// and OpenCV does not; that direction is checked against the formula in
// TestResizeShrink.)
func TestResizeAgainstPIL(t *testing.T) {
	py, err := exec.LookPath("/usr/bin/python3")
	if err == nil {
		err = exec.Command(py, "-c", "import PIL, numpy").Run()
	}
	if err != nil {
		if shareddata.InCI() {
			t.Fatalf("/usr/bin/python3 with PIL and numpy: %v", err)
		}
		t.Skipf("/usr/bin/python3 with PIL and numpy: %v", err)
	}
	const sw, sh = 7, 5
	for _, size := range [][2]int{{16, 13}, {65, 65}, {8, 5}} {
		dw, dh := size[0], size[1]
		src := make([]float32, sw*sh)
		var in strings.Builder
		for i := range src {
			src[i] = float32(math.Sin(float64(i)*1.7) * 100)
			fmt.Fprintf(&in, "%g ", src[i])
		}
		script := fmt.Sprintf(`import sys, numpy as np
from PIL import Image
a = np.array(sys.stdin.read().split(), dtype=np.float32).reshape(%d, %d)
b = np.asarray(Image.fromarray(a, mode="F").resize((%d, %d), Image.BILINEAR))
print(" ".join(repr(float(v)) for v in b.ravel()))`, sh, sw, dw, dh)
		cmd := exec.Command(py, "-c", script)
		cmd.Stdin = strings.NewReader(in.String())
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("python: %v", err)
		}
		want := strings.Fields(out.String())
		got := make([]float32, dw*dh)
		resizeBilinear(src, sw, sh, got, dw, dh)
		if len(want) != len(got) {
			t.Fatalf("PIL gave %d values, want %d", len(want), len(got))
		}
		for i, w := range want {
			v, _ := strconv.ParseFloat(w, 64)
			if math.Abs(float64(got[i])-v) > 1e-3 {
				t.Fatalf("%d×%d: pixel %d = %g, Pillow %g", dw, dh, i, got[i], v)
			}
		}
	}
}

// TestResizeShrink checks OpenCV's INTER_LINEAR geometry when shrinking:
// an exact 2× reduction averages 2×2 blocks (source coordinate 2x + 0.5),
// and a 3× reduction samples the block centres.
func TestResizeShrink(t *testing.T) {
	src := make([]float32, 6*6)
	for i := range src {
		src[i] = float32(i*i%17) / 3
	}
	got := make([]float32, 3*3)
	resizeBilinear(src, 6, 6, got, 3, 3)
	for y := range 3 {
		for x := range 3 {
			s := (src[(2*y)*6+2*x] + src[(2*y)*6+2*x+1] + src[(2*y+1)*6+2*x] + src[(2*y+1)*6+2*x+1]) / 4
			if d := math.Abs(float64(got[y*3+x] - s)); d > 1e-6 {
				t.Fatalf("2×: (%d,%d) = %g, want %g", x, y, got[y*3+x], s)
			}
		}
	}
	got = make([]float32, 2*2)
	resizeBilinear(src, 6, 6, got, 2, 2)
	for y := range 2 {
		for x := range 2 {
			if s := src[(3*y+1)*6+3*x+1]; got[y*2+x] != s {
				t.Fatalf("3×: (%d,%d) = %g, want %g", x, y, got[y*2+x], s)
			}
		}
	}
}
