package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/internal/shareddata"
	"github.com/mmcseg/mmcseg/sdk"
)

func TestMain(m *testing.M) {
	code := m.Run()
	buildtest.Cleanup()
	os.Exit(code)
}

func kmeansPlugin(t *testing.T) string {
	return buildtest.Binary(t, "./plugin/kmeans", PluginPrefix+"kmeans")
}

// evalSet returns the images and masks folders of a shared evaluation set.
func evalSet(t *testing.T, set string) (images, masks string) {
	dir := shareddata.Path(t, set)
	return filepath.Join(dir, "images"), filepath.Join(dir, "masks")
}

// A second run reuses every record of the first and gives the same scores;
// other parameters, --force or a damaged record make it compute again.
func TestEvaluateResumes(t *testing.T) {
	images, masks := evalSet(t, "ph2")
	out := t.TempDir()
	opts := EvalOptions{Images: images, Masks: masks, Limit: 3, Plugin: kmeansPlugin(t), Protocol: EvalBoth, OutDir: out, WorstTiles: -1}
	var done []string
	opts.Events = func(ev EvalEvent) {
		if ev.Kind == EvalImageDone {
			done = append(done, fmt.Sprintf("%s reused=%v", ev.Image.Name, ev.Image.Reused))
		}
	}
	first, err := Evaluate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if first.Scored != 3 || first.Reused != 0 || !first.Complete || len(done) != 3 {
		t.Fatalf("first run: scored %d reused %d complete %v events %q", first.Scored, first.Reused, first.Complete, done)
	}
	for _, r := range first.PerImage {
		for _, f := range []string{evalRecordName, evalMaskName, "clusters.png", "clusters-work.png"} {
			if _, err := os.Stat(filepath.Join(out, r.Record, f)); err != nil {
				t.Errorf("%s: %v", r.Name, err)
			}
		}
	}
	again := func(o EvalOptions) *EvalReport {
		t.Helper()
		rep, err := Evaluate(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	second := again(opts)
	if second.Reused != 3 || second.Scored != 3 {
		t.Fatalf("second run reused %d of %d", second.Reused, second.Scored)
	}
	for i, r := range second.PerImage {
		a, _ := json.Marshal(r.Scores)
		b, _ := json.Marshal(first.PerImage[i].Scores)
		if string(a) != string(b) || r.Seconds != first.PerImage[i].Seconds {
			t.Errorf("%s: reused scores %s, first %s", r.Name, a, b)
		}
	}
	// The metrics file on disk is the report.
	var disk EvalReport
	data, err := os.ReadFile(filepath.Join(out, EvalMetricsJSON))
	if err != nil || json.Unmarshal(data, &disk) != nil || disk.Reused != 3 || disk.Key != second.Key {
		t.Fatalf("metrics.json: %v %+v", err, disk.Key)
	}

	if rep := again(withParams(opts, map[string]string{"k": "3"})); rep.Reused != 0 || rep.Key == first.Key {
		t.Errorf("other parameters: reused %d, key %s", rep.Reused, rep.Key)
	}
	// The k=3 run replaced the records; back to k=2 computes again.
	if rep := again(opts); rep.Reused != 0 {
		t.Errorf("back to the defaults: reused %d", rep.Reused)
	}
	forced := opts
	forced.Force = true
	if rep := again(forced); rep.Reused != 0 {
		t.Errorf("--force: reused %d", rep.Reused)
	}
	if err := os.Remove(filepath.Join(out, first.PerImage[1].Record, "clusters-work.png")); err != nil {
		t.Fatal(err)
	}
	if rep := again(opts); rep.Reused != 2 || rep.PerImage[1].Reused {
		t.Errorf("damaged record: reused %d (image 1 reused %v)", rep.Reused, rep.PerImage[1].Reused)
	}
	// Deployable only needs no cluster maps, so the records serve it too.
	dep := opts
	dep.Protocol = EvalDeployable
	if rep := again(dep); rep.Reused != 3 || !slices.Equal(rep.ScoreKeys, []string{ScoreDeployable}) {
		t.Errorf("deployable: reused %d, keys %q", rep.Reused, rep.ScoreKeys)
	}
}

func withParams(o EvalOptions, p map[string]string) EvalOptions {
	o.Params = p
	return o
}

// The paper protocol needs the plugin's cluster map: a plugin without one
// is refused before any image, with a message that says what to do.
func TestEvaluatePaperNeedsClusterMaps(t *testing.T) {
	images, masks := evalSet(t, "ph2")
	threshold := buildtest.Binary(t, "./sdk/examples/threshold", PluginPrefix+"threshold")
	_, err := Evaluate(context.Background(), EvalOptions{Images: images, Masks: masks, Limit: 1, Plugin: threshold, Protocol: EvalPaper})
	if !errors.Is(err, ErrEval) || !strings.Contains(err.Error(), `needs the plugin's cluster map ("clusters@work")`) || !strings.Contains(err.Error(), "--protocol deployable") {
		t.Fatalf("err = %v", err)
	}
	rep, err := Evaluate(context.Background(), EvalOptions{Images: images, Masks: masks, Limit: 1, Plugin: threshold, Params: map[string]string{"threshold": "100"}})
	if err != nil || rep.Scored != 1 {
		t.Fatalf("deployable with the same plugin: %v %+v", err, rep)
	}
}

// Bad options are refused with ErrEval or ErrPairs.
func TestEvaluateBadOptions(t *testing.T) {
	images, masks := evalSet(t, "ph2")
	for _, tc := range []struct {
		o    EvalOptions
		want error
	}{
		{EvalOptions{Images: images}, ErrEval},
		{EvalOptions{Images: images, Masks: masks, Protocol: "oracle"}, ErrEval},
		{EvalOptions{Images: images, Masks: masks, Offset: math.NaN()}, ErrEval},
		{EvalOptions{Images: images, Masks: masks, Pairing: Pairing{Glob: "*.gif"}}, ErrPairs},
		{EvalOptions{Images: images, Masks: masks, Plugin: "no-such-plugin", PluginDirs: []SearchDir{}}, ErrPluginStart},
	} {
		if _, err := Evaluate(context.Background(), tc.o); !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.o, err, tc.want)
		}
	}
}

// createMaskScript is the authors' evaluation (utils.create_mask, the
// metric functions and the cell-12 binarisation) written again with numpy
// and scipy.ndimage instead of OpenCV (a 7×7 ones structure, 2 iterations),
// plus MedPy's hd/hd95, on the cluster maps and resized references the Go
// side hands it. Resizing is compared with OpenCV separately.
const createMaskScript = `
import sys, json, numpy as np
from PIL import Image
from scipy.ndimage import binary_dilation, binary_erosion, distance_transform_edt, generate_binary_structure
def surface(a, b):
    fp = generate_binary_structure(2, 1)
    return distance_transform_edt(~(b ^ binary_erosion(b, structure=fp)))[a ^ binary_erosion(a, structure=fp)]
out = []
for line in sys.stdin:
    cpath, gpath, w, h, zero = line.split()
    pred = np.array(Image.open(cpath)).astype(np.uint8)
    GT = np.fromfile(gpath, np.uint8).reshape(int(h), int(w))
    GT[GT > 0] = 1
    mult = pred * GT
    vals = mult[mult != 0] if zero == '0' else pred[GT == 1]
    if vals.size == 0:
        out.append({'cls': -1}); continue
    unique, count = np.unique(vals, return_counts=True)
    cls = unique[np.argmax(count)]
    dil = binary_dilation(GT, structure=np.ones((7, 7)), iterations=2).astype(np.uint8)
    A = np.where(pred == cls, 1, 0) * dil
    inter, union = np.sum(A * GT), np.sum(np.logical_or(A, GT))
    r = {'cls': int(cls), 'dsc': 2 * inter / (np.sum(A) + np.sum(GT)), 'hm': (union - inter) / union, 'xor': (union - inter) / np.sum(GT)}
    d1, d2 = surface(A > 0, GT > 0), surface(GT > 0, A > 0)
    r['hd'], r['hd95'] = max(d1.max(), d2.max()), np.percentile(np.hstack((d1, d2)), 95)
    out.append({k: float(v) for k, v in r.items()})
print(json.dumps(out))
`

// The paper protocol on real cluster maps (k-means with k = 5 on PH2 and
// lung CT through the plugin) and on two made-up 100-cluster maps (label 0
// the majority inside the reference; only label 0 inside), against the
// authors' create_mask rewritten with numpy and scipy.
func TestPaperProtocolAgainstNumpy(t *testing.T) {
	py := evalPython(t, "numpy", "scipy.ndimage", "PIL")
	kmeans := kmeansPlugin(t)
	var imgs []EvalImage
	for _, set := range []struct {
		name string
		lim  int
		o    EvalOptions
	}{{"ph2", 3, EvalOptions{}}, {"lung-ct-2d", 2, EvalOptions{Modality: "CT", Offset: -32768}}} {
		images, masks := evalSet(t, set.name)
		o := set.o
		o.Images, o.Masks, o.Limit, o.Plugin, o.Protocol, o.OutDir = images, masks, set.lim, kmeans, EvalPaper, t.TempDir()
		o.Params, o.WorstTiles = map[string]string{"k": "5"}, -1
		rep, err := Evaluate(context.Background(), o)
		if err != nil || rep.Scored != set.lim {
			t.Fatalf("%s: %v, %d scored", set.name, err, rep.Scored)
		}
		for _, r := range rep.PerImage {
			r.Record = filepath.Join(o.OutDir, r.Record)
			imgs = append(imgs, r)
		}
	}
	dir := t.TempDir()
	var lines strings.Builder
	type check struct {
		name    string
		cls     int
		scores  Scores
		zero    bool
		clsPath string
	}
	var checks []check
	add := func(name, clusters string, gtS []uint8, w, h int, zero bool, cls int, s Scores) {
		g := filepath.Join(dir, fmt.Sprint(len(checks), ".gt"))
		if err := os.WriteFile(g, gtS, 0o644); err != nil {
			t.Fatal(err)
		}
		z := map[bool]string{false: "0", true: "1"}[zero]
		fmt.Fprintf(&lines, "%s %s %d %d %s\n", clusters, g, w, h, z)
		checks = append(checks, check{name, cls, s, zero, clusters})
	}
	for _, r := range imgs {
		gt, w, h, err := readGroundTruth(r.Mask)
		if err != nil {
			t.Fatal(err)
		}
		gtS := ResizeLinear8(gt, w, h, r.WorkColumns, r.WorkRows)
		work := filepath.Join(r.Record, "clusters-work.png")
		add(r.Name, work, gtS, r.WorkColumns, r.WorkRows, false, *r.PaperCluster, r.Scores[ScorePaper])
		add(r.Name+" label0", work, gtS, r.WorkColumns, r.WorkRows, true, *r.PaperClusterLabel0, r.Scores[ScorePaperLabel0])
	}
	// Made-up maps at 257×257: 100 labels in stripes, a disc of reference;
	// inside it label 0 covers most pixels in the first, all in the second.
	const s = 257
	gtS := make([]uint8, s*s)
	for i := range gtS {
		if x, y := i%s-128, i/s-120; x*x+y*y < 60*60 {
			gtS[i] = 255
		}
	}
	for n, zeroAll := range []bool{false, true} {
		clusters := make([]uint8, s*s)
		for i := range clusters {
			clusters[i] = uint8((i%s/3 + i/s/5) % 100)
			if x, y := i%s-128, i/s-120; x*x+y*y < 50*50 && (zeroAll || x < 30) {
				clusters[i] = 0
			}
		}
		if zeroAll {
			for i := range clusters {
				if gtS[i] != 0 {
					clusters[i] = 0
				}
			}
		}
		path := filepath.Join(dir, fmt.Sprint("made-up", n, ".png"))
		if err := writeLabelPNG(path, clusters, s, s); err != nil {
			t.Fatal(err)
		}
		ref := Binarize(gtS)
		for _, zero := range []bool{false, true} {
			cls, ok := PaperCluster(clusters, ref, zero)
			mask := make([]uint8, s*s)
			if ok {
				mask = PaperMask(clusters, ref, s, s, cls)
			} else {
				cls = -1
			}
			sc, _ := CompareMasks(mask, ref, s, s)
			add(fmt.Sprint("made-up ", n, " zero=", zero), path, gtS, s, s, zero, cls, sc)
		}
	}
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "create_mask.py")
	if err := os.WriteFile(script, []byte(createMaskScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out := evalRunPython(t, py, "import sys, runpy; sys.stdin = open(sys.argv[2]); runpy.run_path(sys.argv[1], run_name='__main__')", script, in)
	var want []map[string]float64
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	sawZeroQuirk := false
	for i, c := range checks {
		w := want[i]
		if int(w["cls"]) != c.cls {
			t.Errorf("%s: cluster %d, numpy %v", c.name, c.cls, w["cls"])
			continue
		}
		if c.cls < 0 {
			if c.scores.DSC != 0 {
				t.Errorf("%s: no cluster, yet DSC %v", c.name, c.scores.DSC)
			}
			continue
		}
		if c.zero && c.cls == 0 {
			sawZeroQuirk = true
		}
		for _, m := range MetricNames {
			if g := float64(c.scores.Get(m)); math.Abs(g-w[m]) > 1e-9*max(1, math.Abs(w[m])) {
				t.Errorf("%s: %s = %.12g, numpy %.12g", c.name, m, g, w[m])
			}
		}
	}
	if !sawZeroQuirk {
		t.Error("no case where the corrected variant chose label 0")
	}
}

// A plugin's output round-trips through a record.
func TestEvalRecordRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	out := &evalOutput{
		rec:  evalRecord{Format: evalRecordFormat, Name: "x", Width: 3, Height: 2, Key: "k1", Seconds: 1.5, Steps: 7, Warnings: []string{"w"}},
		mask: []uint8{0, 1, 1, 0, 0, 1},
		aux: []sdk.LabelMap{
			{Name: sdk.AuxClusters, Rows: 2, Columns: 3, Labels: []uint8{0, 9, 9, 3, 3, 99}},
			{Name: sdk.AuxClustersWork, Rows: 1, Columns: 2, Labels: []uint8{4, 5}},
		},
	}
	if err := saveEvalRecord(dir, out); err != nil {
		t.Fatal(err)
	}
	got, err := loadEvalRecord(dir, "k1", []string{sdk.AuxClustersWork})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := got.auxMap(sdk.AuxClustersWork)
	c, _ := got.auxMap(sdk.AuxClusters)
	if !slices.Equal(got.mask, out.mask) || !slices.Equal(w.Labels, []uint8{4, 5}) || !slices.Equal(c.Labels, out.aux[0].Labels) || got.rec.Steps != 7 {
		t.Fatalf("round trip: %+v", got)
	}
	if _, err := loadEvalRecord(dir, "k2", nil); err == nil {
		t.Error("a record with another key was loaded")
	}
	if _, err := loadEvalRecord(dir, "k1", []string{"edges"}); err == nil {
		t.Error("a record without a wanted map was loaded")
	}
}
