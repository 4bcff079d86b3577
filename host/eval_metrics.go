package host

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Score is one metric value. NaN means undefined (an empty mask for the
// distances, an empty reference for XOR); it is written to JSON as null
// and left out of means, which count how many values they average.
type Score float64

// MarshalJSON writes the value, or null for NaN and infinities.
func (s Score) MarshalJSON() ([]byte, error) {
	f := float64(s)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number, or null as NaN.
func (s *Score) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = Score(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*s = Score(f)
	return nil
}

// Valid reports whether the score is defined.
func (s Score) Valid() bool { return !math.IsNaN(float64(s)) && !math.IsInf(float64(s), 0) }

// Scores compare a predicted binary mask A with a reference mask B of the
// same size. DSC, HM and XOR are fractions (the paper prints them × 100);
// HD and HD95 are in pixels.
type Scores struct {
	// DSC = 2|A∩B| / (|A| + |B|); 1 when both are empty.
	DSC Score `json:"dsc"`
	// HM (Hammoude distance) = (|A∪B| − |A∩B|) / |A∪B| = 1 − Jaccard; 0
	// when both are empty.
	HM Score `json:"hm"`
	// XOR = (|A∪B| − |A∩B|) / |B| = |A ⊕ B| / |B|; NaN when B is empty.
	XOR Score `json:"xor"`
	// HD is the symmetric Hausdorff distance between the boundary pixels
	// of A and of B (MedPy's hd), HD95 the 95th percentile of the directed
	// boundary distances of both directions pooled (MedPy's hd95); both NaN
	// when A or B is empty.
	HD   Score `json:"hd"`
	HD95 Score `json:"hd95"`
}

// MetricNames are the names of the metrics in JSON and CSV, in order.
var MetricNames = []string{"dsc", "hm", "xor", "hd", "hd95"}

// Get returns a metric by its name in MetricNames.
func (s Scores) Get(name string) Score {
	switch name {
	case "dsc":
		return s.DSC
	case "hm":
		return s.HM
	case "xor":
		return s.XOR
	case "hd":
		return s.HD
	case "hd95":
		return s.HD95
	}
	return Score(math.NaN())
}

// CompareMasks scores a predicted mask against a reference, both w×h,
// non-zero meaning foreground.
func CompareMasks(pred, ref []uint8, w, h int) (Scores, error) {
	if w <= 0 || h <= 0 || len(pred) != w*h || len(ref) != w*h {
		return Scores{}, fmt.Errorf("comparing masks: sizes %d and %d for %d×%d", len(pred), len(ref), w, h)
	}
	var inter, a, b int
	for i, p := range pred {
		pa, pb := p != 0, ref[i] != 0
		if pa {
			a++
		}
		if pb {
			b++
		}
		if pa && pb {
			inter++
		}
	}
	union := a + b - inter
	s := Scores{DSC: 1, HM: 0, XOR: Score(math.NaN())}
	if a+b > 0 {
		s.DSC = Score(2 * float64(inter) / float64(a+b))
		s.HM = Score(float64(union-inter) / float64(union))
	}
	if b > 0 {
		s.XOR = Score(float64(union-inter) / float64(b))
	}
	s.HD, s.HD95 = evalHausdorff(pred, ref, w, h)
	return s, nil
}

// evalBoundary marks the pixels of mask (non-zero) that have a 4-neighbour
// outside it, pixels beyond the image edge counting as outside: the mask
// minus its erosion by a cross with a zero border (scipy's
// binary_erosion(…, generate_binary_structure(2, 1)), as MedPy uses). It
// returns the marks and their count.
func evalBoundary(mask []uint8, w, h int) ([]bool, int) {
	out := make([]bool, w*h)
	n := 0
	in := func(x, y int) bool { return x >= 0 && y >= 0 && x < w && y < h && mask[y*w+x] != 0 }
	for y := range h {
		for x := range w {
			if mask[y*w+x] == 0 {
				continue
			}
			if !in(x-1, y) || !in(x+1, y) || !in(x, y-1) || !in(x, y+1) {
				out[y*w+x] = true
				n++
			}
		}
	}
	return out, n
}

// evalHausdorff returns MedPy's hd and hd95 between the boundaries of a and b:
// the distances from every boundary pixel of each mask to the nearest
// boundary pixel of the other, exact Euclidean; hd is their maximum, hd95
// the 95th percentile (linear interpolation, numpy's default) of both
// directions pooled.
func evalHausdorff(a, b []uint8, w, h int) (hd, hd95 Score) {
	ba, na := evalBoundary(a, w, h)
	bb, nb := evalBoundary(b, w, h)
	if na == 0 || nb == 0 {
		return Score(math.NaN()), Score(math.NaN())
	}
	da, db := evalDistanceTransform(ba, w, h), evalDistanceTransform(bb, w, h)
	d := make([]float64, 0, na+nb)
	for i, on := range ba {
		if on {
			d = append(d, math.Sqrt(db[i]))
		}
	}
	for i, on := range bb {
		if on {
			d = append(d, math.Sqrt(da[i]))
		}
	}
	slices.Sort(d)
	return Score(d[len(d)-1]), Score(evalPercentile(d, 95))
}

// evalPercentile returns the q-th percentile of sorted values by linear
// interpolation between the closest ranks (numpy.percentile's default).
func evalPercentile(sorted []float64, q float64) float64 {
	pos := q / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}

// evalDistanceTransform returns, for every pixel, the squared Euclidean
// distance to the nearest marked pixel (+Inf when none is marked), exactly:
// Felzenszwalb and Huttenlocher's lower envelope of parabolas ("Distance
// transforms of sampled functions", Theory of Computing 8, 2012), along
// columns then rows.
func evalDistanceTransform(marked []bool, w, h int) []float64 {
	inf := math.Inf(1)
	f := make([]float64, w*h)
	for i, m := range marked {
		if !m {
			f[i] = inf
		}
	}
	n := max(w, h)
	buf := make([]float64, n)
	out := make([]float64, n)
	v := make([]int, n)
	z := make([]float64, n+1)
	for x := range w {
		for y := range h {
			buf[y] = f[y*w+x]
		}
		evalDT1D(buf[:h], out[:h], v, z)
		for y := range h {
			f[y*w+x] = out[y]
		}
	}
	for y := range h {
		row := f[y*w : (y+1)*w]
		copy(buf[:w], row)
		evalDT1D(buf[:w], row, v, z)
	}
	return f
}

// evalIntersect returns where the parabola of q (fq = f[q] + q²) crosses that
// of p.
func evalIntersect(f []float64, p, q int, fq float64) float64 {
	return (fq - (f[p] + float64(p*p))) / float64(2*(q-p))
}

// evalDT1D computes d[q] = min_p (q − p)² + f[p] for q in 0..len(f)−1, with
// scratch v (parabola positions) and z (envelope boundaries).
func evalDT1D(f, d []float64, v []int, z []float64) {
	n := len(f)
	k := -1
	for q := range n {
		if math.IsInf(f[q], 1) {
			continue
		}
		if k < 0 {
			k = 0
			v[0] = q
			z[0], z[1] = math.Inf(-1), math.Inf(1)
			continue
		}
		// z[0] is −Inf, which stops the loop at the first parabola.
		fq := f[q] + float64(q*q)
		s := evalIntersect(f, v[k], q, fq)
		for s <= z[k] {
			k--
			s = evalIntersect(f, v[k], q, fq)
		}
		k++
		v[k] = q
		z[k], z[k+1] = s, math.Inf(1)
	}
	if k < 0 {
		for q := range d {
			d[q] = math.Inf(1)
		}
		return
	}
	j := 0
	for q := range n {
		for z[j+1] < float64(q) {
			j++
		}
		p := v[j]
		d[q] = float64((q-p)*(q-p)) + f[p]
	}
}
