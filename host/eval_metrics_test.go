package host

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// evalGrid parses a mask drawn with '#' for foreground, rows separated by '|'.
func evalGrid(s string) (m []uint8, w, h int) {
	rows := strings.Split(s, "|")
	w, h = len(rows[0]), len(rows)
	for _, r := range rows {
		for _, c := range r {
			m = append(m, map[bool]uint8{true: 1}[c == '#'])
		}
	}
	return m, w, h
}

func evalNear(a Score, b float64) bool {
	if math.IsNaN(b) {
		return math.IsNaN(float64(a))
	}
	return math.Abs(float64(a)-b) < 1e-12
}

// The metrics on masks small enough to work out by hand, with the
// definitions of the authors' utils.py (DSC, HM, XOR) and MedPy (hd, hd95).
func TestCompareMasksByHand(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name                   string
		pred, ref              string
		dsc, hm, xor, hd, hd95 float64
	}{
		// 4 pixels each, 2 shared: DSC 4/8, union 6 → HM 4/6, XOR 4/4.
		// Boundaries are the whole squares; the two unshared columns are 1
		// from the other mask: distances pooled {0,0,1,1} ∪ {1,1,0,0}.
		{"overlap", "##..|##..", ".##.|.##.", 0.5, 4.0 / 6, 1, 1, 1},
		{"identical", ".##.|.##.", ".##.|.##.", 1, 0, 0, 0, 0},
		{"empty prediction", "....|....", ".##.|.##.", 0, 1, 1, nan, nan},
		{"empty reference", ".#..|....", "....|....", 0, 1, nan, nan, nan},
		{"both empty", "....|....", "....|....", 1, 0, nan, nan, nan},
		// Single pixels 3 columns and 4 rows apart: 5 both ways.
		{"single pixels", "#....|.....|.....|.....|.....", ".....|.....|.....|.....|...#.", 0, 1, 2, 5, 5},
		// The 3×3 square's boundary is its ring of 8 (the centre survives
		// the erosion): 1 from the centre, 4 edges at 1 and 4 corners at
		// √2 back; 9 values pooled, the 95th percentile at rank 7.6 → √2.
		{"single pixel inside", "...|.#.|...", "###|###|###", 0.2, 8.0 / 9, 8.0 / 9, math.Sqrt2, math.Sqrt2},
		// A 5×5 square against its 3×3 core: the core's boundary is 1 from
		// the square's; the square's 16 boundary pixels are 1 (edges) or
		// √2 (corners) from the core's. Pooled: 8 ones (core) + 12 ones +
		// 4 × √2; 24 values, the 95th percentile at rank 21.85 → √2.
		{"nested", "#####|#####|#####|#####|#####", ".....|.###.|.###.|.###.|.....", 18.0 / 34, 16.0 / 25, 16.0 / 9, math.Sqrt2, math.Sqrt2},
	} {
		pred, w, h := evalGrid(tc.pred)
		ref, _, _ := evalGrid(tc.ref)
		s, err := CompareMasks(pred, ref, w, h)
		if err != nil {
			t.Fatal(err)
		}
		if !evalNear(s.DSC, tc.dsc) || !evalNear(s.HM, tc.hm) || !evalNear(s.XOR, tc.xor) || !evalNear(s.HD, tc.hd) || !evalNear(s.HD95, tc.hd95) {
			t.Errorf("%s: %+v, want dsc %g hm %g xor %g hd %g hd95 %g", tc.name, s, tc.dsc, tc.hm, tc.xor, tc.hd, tc.hd95)
		}
	}
	if _, err := CompareMasks(make([]uint8, 4), make([]uint8, 5), 2, 2); err == nil {
		t.Error("masks of different sizes were compared")
	}
}

// numpy.percentile's linear interpolation, on values checked with numpy.
func TestEvalPercentile(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		q    float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, 95, 3.85},
		{[]float64{0, 0, 1, 1, 2}, 95, 1.8},
		{[]float64{7}, 95, 7},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 50, 5.5},
	} {
		if got := evalPercentile(tc.v, tc.q); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("percentile(%v, %g) = %g, want %g", tc.v, tc.q, got, tc.want)
		}
	}
}

// The distance transform is exact: it equals the brute-force minimum over
// all marked pixels, on random sparse and dense sets and odd shapes.
func TestDistanceTransformExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 60 {
		w, h := 1+rng.IntN(40), 1+rng.IntN(40)
		p := []float64{0.001, 0.01, 0.1, 0.5}[trial%4]
		marked := make([]bool, w*h)
		for i := range marked {
			marked[i] = rng.Float64() < p
		}
		got := evalDistanceTransform(marked, w, h)
		for i := range got {
			want := math.Inf(1)
			for j, m := range marked {
				if m {
					dx, dy := float64(i%w-j%w), float64(i/w-j/w)
					want = min(want, dx*dx+dy*dy)
				}
			}
			if got[i] != want {
				t.Fatalf("trial %d (%d×%d): pixel %d: %g, want %g", trial, w, h, i, got[i], want)
			}
		}
	}
}

// medpyScript computes the metrics of pairs of masks with numpy and scipy
// as the authors' utils.py (DSC, HM, XOR) and MedPy's binary.hd/hd95 define
// them (scipy.ndimage.binary_erosion with a cross for the boundary,
// distance_transform_edt for the distances): an implementation that shares
// nothing with ours.
const medpyScript = `
import sys, json, numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure
def surface(a, b):
    fp = generate_binary_structure(a.ndim, 1)
    ab = a ^ binary_erosion(a, structure=fp, iterations=1)
    bb = b ^ binary_erosion(b, structure=fp, iterations=1)
    return distance_transform_edt(~bb)[ab]
out = []
for line in sys.stdin:
    p, g, w, h = line.split()
    A = np.fromfile(p, np.uint8).reshape(int(h), int(w)) > 0
    B = np.fromfile(g, np.uint8).reshape(int(h), int(w)) > 0
    inter, union = np.sum(A & B), np.sum(A | B)
    r = {'dsc': 2 * inter / (A.sum() + B.sum()), 'hm': (union - inter) / union, 'xor': (union - inter) / B.sum()}
    d1, d2 = surface(A, B), surface(B, A)
    r['hd'] = max(d1.max(), d2.max())
    r['hd95'] = np.percentile(np.hstack((d1, d2)), 95)
    out.append({k: float(v) for k, v in r.items()})
print(json.dumps(out))
`

// evalMaskPair is a prediction and a reference to score.
type evalMaskPair struct {
	name      string
	pred, ref []uint8
	w, h      int
}

// compareWithMedPy scores pairs with CompareMasks and with medpyScript and
// wants the same numbers.
func compareWithMedPy(t *testing.T, pairs []evalMaskPair) {
	t.Helper()
	py := evalPython(t, "numpy", "scipy.ndimage")
	dir := t.TempDir()
	var in strings.Builder
	for i, p := range pairs {
		pp, gp := filepath.Join(dir, fmt.Sprint(i, "p")), filepath.Join(dir, fmt.Sprint(i, "g"))
		if err := os.WriteFile(pp, p.pred, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(gp, p.ref, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&in, "%s %s %d %d\n", pp, gp, p.w, p.h)
	}
	script := filepath.Join(dir, "medpy.py")
	if err := os.WriteFile(script, []byte(medpyScript), 0o644); err != nil {
		t.Fatal(err)
	}
	stdin := filepath.Join(dir, "pairs.txt")
	if err := os.WriteFile(stdin, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := evalRunPython(t, py, "import sys, runpy; sys.stdin = open(sys.argv[2]); runpy.run_path(sys.argv[1], run_name='__main__')", script, stdin)
	var want []map[string]float64
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for i, p := range pairs {
		got, err := CompareMasks(p.pred, p.ref, p.w, p.h)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range MetricNames {
			if g, w := float64(got.Get(m)), want[i][m]; math.Abs(g-w) > 1e-9*max(1, math.Abs(w)) {
				t.Errorf("%s: %s = %.12g, numpy/scipy (MedPy) %.12g", p.name, m, g, w)
			}
		}
	}
}

// Real reference masks (PH2, lung CT) against distorted copies of
// themselves, scored here and by numpy/scipy as MedPy does.
func TestMetricsAgainstMedPy(t *testing.T) {
	var pairs []evalMaskPair
	rng := rand.New(rand.NewPCG(3, 4))
	for _, rel := range []string{"ph2/masks/IMD002.png", "ph2/masks/IMD092.png", "lung-ct-2d/masks/ID_0000_Z_0142.png"} {
		gt, w, h, err := readGroundTruth(shareddata.Path(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		ref := Binarize(gt)
		// Shifted by (7, −4), dilated by 3 with speckle, and with a far blob.
		shift := make([]uint8, w*h)
		for y := range h {
			for x := range w {
				if sx, sy := x-7, y+4; sx >= 0 && sy < h && ref[sy*w+sx] != 0 {
					shift[y*w+x] = 1
				}
			}
		}
		dil := DilateSquare(ref, w, h, 3)
		for i := range dil {
			if rng.IntN(50) == 0 {
				dil[i] ^= 1
			}
		}
		blob := slices.Clone(ref)
		for y := h - 20; y < h-5; y++ {
			for x := 5; x < 25; x++ {
				blob[y*w+x] = 1
			}
		}
		pairs = append(pairs, evalMaskPair{rel + " shifted", shift, ref, w, h}, evalMaskPair{rel + " dilated+speckle", dil, ref, w, h},
			evalMaskPair{rel + " + far blob", blob, ref, w, h})
	}
	compareWithMedPy(t, pairs)
}

// A Score is written as a number or null.
func TestScoreJSON(t *testing.T) {
	b, err := json.Marshal(Scores{DSC: 0.5, HM: 1, XOR: Score(math.NaN()), HD: 3, HD95: Score(math.Inf(1))})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"dsc":0.5,"hm":1,"xor":null,"hd":3,"hd95":null}`; string(b) != want {
		t.Fatalf("%s, want %s", b, want)
	}
	var s Scores
	if err := json.Unmarshal(b, &s); err != nil || s.DSC != 0.5 || s.XOR.Valid() || s.HD != 3 {
		t.Fatalf("round trip: %v %+v", err, s)
	}
}
