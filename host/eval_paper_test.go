package host

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// -opencv regenerates the OpenCV goldens of the paper protocol's resize
// and dilation with cv2 (Debian's python3-opencv) and also compares
// ResizeLinear8 with cv2.resize on the real masks of ../shared/data:
//
//	go test ./host -run 'OpenCV' -opencv
var evalOpenCVFlag = flag.Bool("opencv", false, "regenerate the OpenCV goldens with cv2 and compare with cv2 on real masks")

// evalGoldenCase is one input of the OpenCV goldens, computed from a formula
// with integers only, so that Go and Python make the same pixels.
type evalGoldenCase struct {
	kind           string // "ellipse" (0/255) or "texture"
	sw, sh, dw, dh int
}

var evalGoldenCases = []evalGoldenCase{
	{"ellipse", 768, 560, 257, 257}, // PH2's nominal size
	{"ellipse", 767, 576, 257, 257}, // PH2's commonest size
	{"ellipse", 512, 512, 257, 257}, // lung-ct-2d
	{"texture", 767, 576, 257, 257},
	{"texture", 100, 80, 257, 257}, // enlarging
	{"texture", 30, 20, 7, 5},
	{"texture", 514, 514, 257, 257}, // an exact halving: OpenCV's area path
	{"texture", 33, 47, 16, 23},
}

func (c evalGoldenCase) input() []uint8 {
	out := make([]uint8, c.sw*c.sh)
	w, h := int64(c.sw), int64(c.sh)
	for y := range c.sh {
		for x := range c.sw {
			X, Y := int64(x), int64(y)
			var v int64
			if c.kind == "ellipse" {
				// (u, v) in [−1, 1]²: inside when u² + v² ≤ 0.36.
				if 25*((2*X+1-w)*(2*X+1-w)*h*h+(2*Y+1-h)*(2*Y+1-h)*w*w) <= 9*w*w*h*h {
					v = 255
				}
			} else {
				v = (X*73 + Y*151 + (X*Y)%97*31) % 256
			}
			out[y*c.sw+x] = uint8(v)
		}
	}
	return out
}

func (c evalGoldenCase) file() string {
	return fmt.Sprintf("resize_%s_%dx%d_%dx%d.png", c.kind, c.sw, c.sh, c.dw, c.dh)
}

const evalGoldenDir = "testdata/eval"

// opencvScript makes the goldens: the same formula inputs, cv2.resize with
// its default interpolation, and cv2.dilate(binarised, ones(7×7),
// iterations=2) of the first case's binarised resize (the authors' crop).
const opencvScript = `
import sys, numpy as np, cv2
d = sys.argv[1]
for spec in sys.argv[2:]:
    kind, sw, sh, dw, dh = spec.split(':'); sw, sh, dw, dh = int(sw), int(sh), int(dw), int(dh)
    Y, X = np.mgrid[0:sh, 0:sw].astype(np.int64)
    if kind == 'ellipse':
        a = np.where(25*((2*X+1-sw)**2*sh*sh + (2*Y+1-sh)**2*sw*sw) <= 9*sw*sw*sh*sh, 255, 0).astype(np.uint8)
    else:
        a = ((X*73 + Y*151 + (X*Y) % 97 * 31) % 256).astype(np.uint8)
    r = cv2.resize(a, (dw, dh))
    cv2.imwrite('%s/resize_%s_%dx%d_%dx%d.png' % (d, kind, sw, sh, dw, dh), r)
    if kind == 'ellipse' and sw == 768:
        g = (r > 0).astype(np.uint8)
        cv2.imwrite(d + '/dilate_7x7x2.png', cv2.dilate(g, np.ones((7, 7), np.uint8), iterations=2) * 255)
`

func evalReadGolden(t *testing.T, name string) ([]uint8, int, int) {
	t.Helper()
	f, err := os.Open(filepath.Join(evalGoldenDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("%s: %T, want 8-bit grey", name, img)
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := make([]uint8, w*h)
	for y := range h {
		copy(out[y*w:(y+1)*w], g.Pix[y*g.Stride:])
	}
	return out, w, h
}

func evalRegenerateGoldens(t *testing.T) {
	py := evalPython(t, "numpy", "cv2")
	if err := os.MkdirAll(evalGoldenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{evalGoldenDir}
	for _, c := range evalGoldenCases {
		args = append(args, fmt.Sprintf("%s:%d:%d:%d:%d", c.kind, c.sw, c.sh, c.dw, c.dh))
	}
	evalRunPython(t, py, opencvScript, args...)
}

// ResizeLinear8 equals cv2.resize(src, (dw, dh)) (INTER_LINEAR) bit for bit
// on the goldens OpenCV 4.6 made: masks at PH2's and lung-ct-2d's sizes,
// a texture shrunk and enlarged, an exact halving.
func TestResizeLinear8OpenCVGolden(t *testing.T) {
	if *evalOpenCVFlag {
		evalRegenerateGoldens(t)
	}
	for _, c := range evalGoldenCases {
		want, w, h := evalReadGolden(t, c.file())
		if w != c.dw || h != c.dh {
			t.Fatalf("%s is %d×%d", c.file(), w, h)
		}
		got := ResizeLinear8(c.input(), c.sw, c.sh, c.dw, c.dh)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: pixel (%d, %d) = %d, OpenCV %d", c.file(), i%w, i/w, got[i], want[i])
			}
		}
	}
}

// The authors' crop, a 7×7 ones kernel applied twice by cv2.dilate, is
// DilateSquare with radius 6 (golden from OpenCV), which is also the
// Chebyshev-distance ≤ 6 set and two radius-3 dilations.
func TestDilateSquare(t *testing.T) {
	c := evalGoldenCases[0]
	resized, w, h := evalReadGolden(t, c.file())
	want, _, _ := evalReadGolden(t, "dilate_7x7x2.png")
	got := DilateSquare(Binarize(resized), w, h, paperDilation)
	for i := range got {
		if got[i]*255 != want[i] {
			t.Fatalf("pixel (%d, %d): %d, cv2.dilate %d", i%w, i/w, got[i], want[i])
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		w, h := 1+rng.IntN(30), 1+rng.IntN(30)
		m := make([]uint8, w*h)
		for i := range m {
			if rng.IntN(40) == 0 {
				m[i] = 1
			}
		}
		got := DilateSquare(m, w, h, 6)
		if twice := DilateSquare(DilateSquare(m, w, h, 3), w, h, 3); !slices.Equal(got, twice) {
			t.Fatalf("%d×%d: radius 6 differs from radius 3 twice", w, h)
		}
		for i := range got {
			var want uint8
			for j, v := range m {
				if v != 0 && max(evalAbs(i%w-j%w), evalAbs(i/w-j/w)) <= 6 {
					want = 1
				}
			}
			if got[i] != want {
				t.Fatalf("%d×%d: pixel %d = %d, want %d", w, h, i, got[i], want)
			}
		}
	}
}

func evalAbs(v int) int { return max(v, -v) }

// With -opencv: ResizeLinear8 against cv2.resize on every PH2 and lung
// reference mask, to the paper's 257×257.
func TestResizeLinear8OpenCVRealMasks(t *testing.T) {
	if !*evalOpenCVFlag {
		t.Skip("run with -opencv (needs python3-opencv)")
	}
	py := evalPython(t, "numpy", "cv2")
	dir := t.TempDir()
	var paths []string
	for _, set := range []string{"ph2/masks", "lung-ct-2d/masks"} {
		ms, err := filepath.Glob(filepath.Join(shareddata.Path(t, set), "*.png"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, ms...)
	}
	evalRunPython(t, py, `
import sys, cv2, os
d = sys.argv[1]
for i, p in enumerate(sys.argv[2:]):
    cv2.resize(cv2.imread(p, 0), (257, 257)).tofile(os.path.join(d, str(i)))
`, append([]string{dir}, paths...)...)
	for i, p := range paths {
		gt, w, h, err := readGroundTruth(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		if got := ResizeLinear8(gt, w, h, 257, 257); !slices.Equal(got, want) {
			t.Errorf("%s: differs from cv2.resize", p)
		}
	}
	t.Logf("%d masks equal cv2.resize", len(paths))
}

// The cluster pick of create_mask on hand-made maps: the most frequent
// label inside the reference, label 0 excluded as in the authors' code (or
// included in our correction), ties to the lowest label.
func TestPaperCluster(t *testing.T) {
	ref := []uint8{0, 1, 1, 1, 1, 1, 1, 0}
	for _, tc := range []struct {
		name      string
		clusters  []uint8
		zero      bool
		cls       int
		ok        bool
		maskUnder []uint8 // PaperMask with the chosen cluster, 8×1
	}{
		{"majority", []uint8{5, 5, 5, 5, 7, 7, 5, 5}, false, 5, true, []uint8{1, 1, 1, 1, 0, 0, 1, 1}},
		{"label 0 majority, faithful", []uint8{0, 0, 0, 0, 0, 9, 9, 0}, false, 9, true, []uint8{0, 0, 0, 0, 0, 1, 1, 0}},
		{"label 0 majority, corrected", []uint8{0, 0, 0, 0, 0, 9, 9, 0}, true, 0, true, []uint8{1, 1, 1, 1, 1, 0, 0, 1}},
		{"tie", []uint8{1, 4, 4, 4, 3, 3, 3, 1}, false, 3, true, []uint8{0, 0, 0, 0, 1, 1, 1, 0}},
		{"only label 0 inside", []uint8{3, 0, 0, 0, 0, 0, 0, 3}, false, 0, false, nil},
	} {
		cls, ok := PaperCluster(tc.clusters, ref, tc.zero)
		if cls != tc.cls || ok != tc.ok {
			t.Errorf("%s: cluster %d %v, want %d %v", tc.name, cls, ok, tc.cls, tc.ok)
			continue
		}
		if ok {
			// A 1-row image: every pixel is within 6 of the reference.
			if got := PaperMask(tc.clusters, ref, 8, 1, cls); !slices.Equal(got, tc.maskUnder) {
				t.Errorf("%s: mask %v, want %v", tc.name, got, tc.maskUnder)
			}
		}
	}
	// The crop: a cluster pixel 7 columns from the reference is dropped, 6
	// is kept.
	const w = 20
	clusters, r := make([]uint8, w), make([]uint8, w)
	for i := range clusters {
		clusters[i] = 2
	}
	r[0] = 1
	got := PaperMask(clusters, r, w, 1, 2)
	if strings.Count(fmt.Sprint(got), "1") != 7 || got[6] != 1 || got[7] != 0 {
		t.Errorf("crop: %v", got)
	}
}
