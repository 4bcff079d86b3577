package kmeans

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// blobs returns n points per centre with Gaussian noise, and their truth.
func blobs(centres [][]float32, n int, sigma float64, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	dim := len(centres[0])
	var pts []float32
	var truth []int
	for i := 0; i < n; i++ {
		for c, centre := range centres {
			for d := 0; d < dim; d++ {
				pts = append(pts, centre[d]+float32(rng.NormFloat64()*sigma))
			}
			truth = append(truth, c)
		}
	}
	return pts, truth
}

func TestSeparatedClusters(t *testing.T) {
	for _, tc := range []struct {
		name    string
		centres [][]float32
	}{
		{"grey", [][]float32{{-800}, {40}, {700}}},
		{"rgb", [][]float32{{40, 30, 20}, {200, 150, 140}, {120, 60, 50}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pts, truth := blobs(tc.centres, 500, 5, 7)
			dim := len(tc.centres[0])
			res, err := Cluster(context.Background(), pts, dim, Config{K: len(tc.centres), Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Converged || res.K != len(tc.centres) {
				t.Fatalf("K=%d converged=%v after %d iterations", res.K, res.Converged, res.Iterations)
			}
			// Clusters come numbered by coordinate sum; map truth the same way.
			order := make([]int, len(tc.centres))
			for i := range order {
				order[i] = i
			}
			sum := func(c []float32) (s float32) {
				for _, v := range c {
					s += v
				}
				return
			}
			slices.SortFunc(order, func(a, b int) int { return int(sum(tc.centres[a]) - sum(tc.centres[b])) })
			rank := make([]int, len(order))
			for r, c := range order {
				rank[c] = r
			}
			for i, l := range res.Labels {
				if int(l) != rank[truth[i]] {
					t.Fatalf("point %d: label %d, want %d", i, l, rank[truth[i]])
				}
			}
			for r, c := range order {
				for d := 0; d < dim; d++ {
					if got := res.Centers[r*dim+d]; math.Abs(got-float64(tc.centres[c][d])) > 1 {
						t.Errorf("centre %d[%d] = %g, want about %g", r, d, got, tc.centres[c][d])
					}
				}
				if res.Sizes[r] != 500 {
					t.Errorf("size %d = %d", r, res.Sizes[r])
				}
			}
		})
	}
}

// Workers must not change a single bit; the seed must matter only for
// seeding.
func TestDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([]float32, 3*50000)
	for i := range pts {
		pts[i] = float32(rng.IntN(256))
	}
	var ref *Result
	for _, w := range []int{1, 2, 3, 8} {
		res, err := Cluster(context.Background(), pts, 3, Config{K: 4, Seed: 11, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = res
			continue
		}
		if !slices.Equal(res.Labels, ref.Labels) || !slices.Equal(res.Centers, ref.Centers) || res.Inertia != ref.Inertia || res.Iterations != ref.Iterations {
			t.Fatalf("workers=%d differs from workers=1", w)
		}
	}
}

func TestDegenerateInputs(t *testing.T) {
	ctx := context.Background()
	res, err := Cluster(ctx, []float32{5}, 1, Config{K: 2})
	if err != nil || res.K != 1 || !slices.Equal(res.Labels, []uint8{0}) || res.Centers[0] != 5 {
		t.Errorf("one point, k=2: %+v, %v", res, err)
	}
	res, err = Cluster(ctx, []float32{3, 3, 3, 3, 9, 9}, 1, Config{K: 5})
	if err != nil || res.K != 2 || !slices.Equal(res.Labels, []uint8{0, 0, 0, 0, 1, 1}) {
		t.Errorf("two distinct values, k=5: %+v, %v", res, err)
	}
	for _, tc := range []struct {
		pts []float32
		dim int
		cfg Config
		msg string
	}{
		{nil, 1, Config{K: 2}, "0 values"},
		{[]float32{1, 2, 3}, 2, Config{K: 2}, "3 values"},
		{[]float32{1, 2}, 1, Config{K: 0}, "k = 0"},
		{[]float32{1, 2}, 1, Config{K: 256}, "k = 256"},
		{[]float32{1, float32(math.NaN())}, 1, Config{K: 2}, "value 1 (point 1) is NaN"},
		{[]float32{1, float32(math.Inf(-1))}, 1, Config{K: 2}, "is -Inf"},
		{[]float32{1, 2}, 1, Config{K: 2, Tol: -1}, "tolerance"},
	} {
		_, err := Cluster(ctx, tc.pts, tc.dim, tc.cfg)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v dim %d %+v: err = %v, want %q", tc.pts, tc.dim, tc.cfg, err, tc.msg)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Cluster(cctx, []float32{1, 2, 3}, 1, Config{K: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// SciPy's Lloyd implementation (scipy.cluster.vq), started from our final
// centres, must find them a fixed point: the same assignment, the same
// centres. And SciPy's own k-means++ runs must not beat our inertia.
func TestAgainstSciPy(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := exec.LookPath(py); err != nil || exec.Command(py, "-c", "import scipy.cluster.vq").Run() != nil {
		if shareddata.InCI() {
			t.Fatalf("%s with scipy is needed", py)
		}
		t.Skip("no /usr/bin/python3 with scipy")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const n, dim, k = 4000, 3, 4
	pts := make([]float32, n*dim)
	for i := 0; i < n; i++ {
		base := float64(rng.IntN(k)) * 50
		for d := 0; d < dim; d++ {
			pts[i*dim+d] = float32(base + rng.NormFloat64()*18 + float64(d)*7)
		}
	}
	// A tolerance this small runs Lloyd to its fixed point.
	res, err := Cluster(context.Background(), pts, dim, Config{K: k, Seed: 1, Tol: 1e-15})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	raw := make([]byte, 4*len(pts))
	for i, v := range pts {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(filepath.Join(dir, "pts.f32"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	var centres []string
	for _, c := range res.Centers {
		centres = append(centres, strconv.FormatFloat(c, 'g', -1, 64))
	}
	script := fmt.Sprintf(`
import numpy as np, warnings
from scipy.cluster.vq import kmeans2, vq
warnings.simplefilter("ignore")
x = np.fromfile(%q, dtype="<f4").astype(np.float64).reshape(-1, %d)
c = np.array([%s]).reshape(-1, %d)
lab, _ = vq(x, c)
c2, lab2 = kmeans2(x, c, iter=1, minit="matrix")
best = min(((x - cc[l])**2).sum() for cc, l in (kmeans2(x, %d, iter=100, minit="++", seed=s) for s in range(10)))
print(" ".join(map(str, lab)))
print(" ".join(repr(v) for v in c2.ravel()))
print(repr(best))
`, filepath.Join(dir, "pts.f32"), dim, strings.Join(centres, ","), dim, k)
	out, err := exec.Command(py, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("scipy: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		t.Fatalf("scipy output: %s", out)
	}
	labs := strings.Fields(lines[0])
	for i, l := range labs {
		if l != strconv.Itoa(int(res.Labels[i])) {
			t.Fatalf("point %d: scipy assigns %s, we %d", i, l, res.Labels[i])
		}
	}
	for i, f := range strings.Fields(lines[1]) {
		v, _ := strconv.ParseFloat(f, 64)
		if math.Abs(v-res.Centers[i]) > 1e-6*math.Max(1, math.Abs(v)) {
			t.Errorf("centre value %d: scipy moves it to %g, ours %g", i, v, res.Centers[i])
		}
	}
	best, _ := strconv.ParseFloat(lines[2], 64)
	if res.Inertia > best*1.001 {
		t.Errorf("inertia %g, scipy's best of 10 k-means++ runs %g", res.Inertia, best)
	}
	t.Logf("inertia %g, scipy best %g, %d iterations", res.Inertia, best, res.Iterations)
}

func FuzzCluster(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 200, 201, 202, 203}, uint8(2), uint8(1))
	f.Add([]byte{7}, uint8(3), uint8(1))
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint8(4), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, k, dim uint8) {
		d := int(dim%4) + 1
		pts := make([]float32, len(data)/d*d)
		for i := range pts {
			pts[i] = float32(int8(data[i])) * 3
		}
		res, err := Cluster(context.Background(), pts, d, Config{K: int(k), Seed: 1, MaxIter: 20})
		if err != nil {
			if !errors.Is(err, ErrInput) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		n := len(pts) / d
		if len(res.Labels) != n || res.K < 1 || res.K > int(k) || len(res.Centers) != res.K*d {
			t.Fatalf("shape: %d labels for %d points, K=%d of %d", len(res.Labels), n, res.K, k)
		}
		total := 0
		for c, s := range res.Sizes {
			if s == 0 {
				t.Fatalf("cluster %d is empty", c)
			}
			total += s
		}
		if total != n {
			t.Fatalf("sizes sum to %d, want %d", total, n)
		}
		for _, l := range res.Labels {
			if int(l) >= res.K {
				t.Fatalf("label %d with K=%d", l, res.K)
			}
		}
	})
}

func benchmarkImage(b *testing.B, dim, k int) {
	rng := rand.New(rand.NewPCG(1, 1))
	const side = 512
	pts := make([]float32, side*side*dim)
	for i := range pts {
		pts[i] = float32(rng.IntN(3)*80) + float32(rng.NormFloat64()*20)
	}
	b.ResetTimer()
	iters := 0
	for i := 0; i < b.N; i++ {
		res, err := Cluster(context.Background(), pts, dim, Config{K: k, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		iters += res.Iterations
	}
	b.ReportMetric(float64(iters)/float64(b.N), "iterations/op")
	b.ReportMetric(float64(side*side*b.N)/b.Elapsed().Seconds()/1e6, "Mpixel/s")
}

func BenchmarkCluster512Grey(b *testing.B) { benchmarkImage(b, 1, 2) }
func BenchmarkCluster512RGB(b *testing.B)  { benchmarkImage(b, 3, 2) }
