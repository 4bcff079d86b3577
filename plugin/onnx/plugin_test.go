package main

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/plugin/onnx/internal/refdata"
	"github.com/mmcseg/mmcseg/plugin/onnx/modelspec"
	"github.com/mmcseg/mmcseg/plugin/onnx/onnxmodel"
	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/sdk/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	buildtest.Cleanup()
	os.Exit(code)
}

// serve runs the plugin in process (over the sdk's real gRPC path) as if
// started with MMCSEG_ONNX_MODEL=startModel.
func serve(t *testing.T, startModel string) (*sdk.Plugin, *segmenter) {
	t.Helper()
	g := newSegmenter(startModel)
	p, err := sdk.ServeInProcess(context.Background(), g, sdk.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, g
}

type result struct {
	masks  []sdk.Mask
	res    *sdk.SegmentResult
	err    error
	loaded atomic.Int32 // slices the host was asked for
}

func segment(p *sdk.Plugin, uid, modality string, params map[string]string, sls ...sdk.Slice) *result {
	r := &result{}
	s := sls[0]
	r.res, r.err = p.Segment(context.Background(), sdk.SegmentRequest{
		Series: sdk.SeriesInfo{UID: uid, Modality: modality, Format: s.Format, Rows: s.Rows, Columns: s.Columns, Slices: len(sls),
			PhotometricInterpretation: map[bool]string{true: "RGB", false: "MONOCHROME2"}[s.Format == sdk.RGB8]},
		Params: params,
		Slice: func(_ context.Context, i int) (sdk.Slice, error) {
			r.loaded.Add(1)
			sl := sls[i]
			sl.Index = i
			return sl, nil
		},
		OnMask: func(m sdk.Mask) error { r.masks = append(r.masks, m); return nil },
	})
	return r
}

func ctSlice(t testing.TB, rows, cols int) sdk.Slice {
	sl, err := refdata.SlicePixels("FLOAT32", rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	return sl
}

func TestDescribeFromSidecar(t *testing.T) {
	model := refdata.Path("models/softmax3-64.onnx")
	p, _ := serve(t, model)
	d := p.Description()
	spec, err := modelspec.Load(refdata.Path("models/softmax3-64.json"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "onnx" || len(d.Segments) != 2 || d.Segments[0].Label != "Lung" || d.Segments[1].Label != "Heart" ||
		d.Segments[1].Type != sdk.SCT("80891009", "Heart") || d.Segments[1].Color != spec.Segments[1].Color ||
		d.Segments[0].AlgorithmName != "softmax3-64" {
		t.Errorf("segments %+v", d.Segments)
	}
	if !slices.Equal(d.PixelFormats, []sdk.PixelFormat{sdk.Float32, sdk.Uint8}) || !d.ConcurrentSeries {
		t.Errorf("formats %v, concurrent %v", d.PixelFormats, d.ConcurrentSeries)
	}
	if d.Parameters[0].Name != "model" || d.Parameters[0].Default != model {
		t.Errorf("model parameter %+v", d.Parameters[0])
	}
	if !strings.Contains(d.Summary, model) {
		t.Errorf("summary %q", d.Summary)
	}
}

func TestUnnamedSidecarNamedAfterModel(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "chest.onnx")
	data, err := os.ReadFile(refdata.Path("models/binary-64.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(model, data, 0o644); err != nil {
		t.Fatal(err)
	}
	side, err := os.ReadFile(refdata.Path("models/binary-64.json"))
	if err != nil {
		t.Fatal(err)
	}
	side = []byte(strings.Replace(string(side), `"name": "binary-64",`, ``, 1))
	if err := os.WriteFile(filepath.Join(dir, "chest.json"), side, 0o644); err != nil {
		t.Fatal(err)
	}
	p, _ := serve(t, model)
	if got := p.Description().Segments[0].AlgorithmName; got != "chest" {
		t.Errorf("algorithm name %q, want the model's file name", got)
	}
}

func TestStartModelWithBadSidecar(t *testing.T) {
	model := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(model, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(strings.TrimSuffix(model, ".onnx")+".json", []byte(`{"fit": "pad"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, _ := serve(t, model)
	d := p.Description()
	if len(d.Segments) != genericSegments || !strings.Contains(d.Summary, "input: missing") {
		t.Errorf("%d segments, summary %q", len(d.Segments), d.Summary)
	}
	// The series that use it fail at their start, saying why.
	r := segment(p, "1.2.13", "CT", nil, ctSlice(t, 8, 8))
	if r.err == nil || !strings.Contains(r.err.Error(), "input: missing") || len(r.masks) != 0 {
		t.Errorf("series: %v, %d masks", r.err, len(r.masks))
	}
}

func TestDescribeGeneric(t *testing.T) {
	p, _ := serve(t, "")
	d := p.Description()
	if len(d.Segments) != genericSegments || d.Segments[31].Label != "Class 32" || d.Parameters[0].Default != "" {
		t.Errorf("generic description: %d segments, model default %q", len(d.Segments), d.Parameters[0].Default)
	}
	colours := map[[3]uint8]bool{}
	for _, s := range d.Segments[:32] {
		colours[s.Color] = true
	}
	if len(colours) < 32 {
		t.Errorf("the first 32 generic segments share colours: %d distinct", len(colours))
	}
	// Without a model there is nothing to run.
	r := segment(p, "1.2.3", "CT", nil, ctSlice(t, 8, 8))
	// (The plugin's ErrBadParam reaches the host as ErrInvalidInput.)
	if !errors.Is(r.err, sdk.ErrInvalidInput) || !strings.Contains(r.err.Error(), "model=PATH.onnx") {
		t.Errorf("series without a model: %v", r.err)
	}
	// With one, it runs and warns that the segments are generic.
	r = segment(p, "1.2.4", "CT", map[string]string{"model": refdata.Path("models/binary-64.onnx")}, ctSlice(t, 8, 8))
	if r.err != nil || len(r.masks) != 1 {
		t.Fatalf("series: %v, %d masks", r.err, len(r.masks))
	}
	if len(r.res.Warnings) != 1 || !strings.Contains(r.res.Warnings[0], "generic segments") {
		t.Errorf("warnings %q", r.res.Warnings)
	}
}

// TestPipelineThroughPlugin segments gen.py's pipeline cases through the
// plugin (in process, over gRPC) and compares the masks with numpy's.
func TestPipelineThroughPlugin(t *testing.T) {
	cases, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases.Pipelines {
		name := strings.TrimSuffix(filepath.Base(c.Labels), ".labels.u8")
		t.Run(name, func(t *testing.T) {
			p, _ := serve(t, refdata.Path(c.Model))
			sl, err := refdata.SlicePixels(c.Format, c.Rows, c.Columns)
			if err != nil {
				t.Fatal(err)
			}
			mod := "CT"
			if c.Format == "RGB8" {
				mod = "XC"
			}
			r := segment(p, "1.2."+name, mod, nil, sl)
			if r.err != nil || len(r.masks) != 1 {
				t.Fatalf("%v, %d masks", r.err, len(r.masks))
			}
			want, err := refdata.ReadU8(c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			scores, err := refdata.ReadF32(c.Scores)
			if err != nil {
				t.Fatal(err)
			}
			n := c.Rows * c.Columns
			differ := 0
			for i, l := range r.masks[0].Labels {
				if l != want[i] && !nearDecision(scores, c.Classes, n, i) {
					differ++
				}
			}
			if differ > 0 {
				t.Errorf("%d of %d labels differ from numpy's", differ, n)
			}
		})
	}
}

// nearDecision: the sigmoid models' threshold is 0.5 or 0.4; soft-max
// decisions are near when the top two scores are within 1e-5.
func nearDecision(scores []float32, classes, n, i int) bool {
	if classes == 1 {
		v := float64(scores[i])
		return math.Abs(v-0.5) < 1e-5 || math.Abs(v-0.4) < 1e-5
	}
	var v []float64
	for k := range classes {
		v = append(v, float64(scores[k*n+i]))
	}
	slices.Sort(v)
	return v[classes-1]-v[classes-2] < 1e-5
}

func TestModelLoadedOnceForManySeries(t *testing.T) {
	p, g := serve(t, refdata.Path("models/binary-64.onnx"))
	var first []uint8
	for k := range 3 {
		r := segment(p, "1.2.9", "CT", nil, ctSlice(t, 40, 50), ctSlice(t, 40, 50), ctSlice(t, 40, 50))
		if r.err != nil || len(r.masks) != 3 {
			t.Fatalf("series %d: %v, %d masks", k, r.err, len(r.masks))
		}
		if k == 0 {
			first = r.masks[0].Labels
		}
		for _, m := range r.masks {
			if !slices.Equal(m.Labels, first) {
				t.Fatalf("series %d: masks of identical slices differ", k)
			}
		}
	}
	if g.models.loads != 1 {
		t.Errorf("model loaded %d times for 3 series", g.models.loads)
	}
}

// writeSidecar writes a sidecar for a test model into a temporary file,
// edited by the given replacements.
func writeSidecar(t *testing.T, from string, size int, replace ...string) string {
	t.Helper()
	b, err := os.ReadFile(refdata.Path(from))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if size > 0 {
		s = strings.ReplaceAll(s, `"height": 64`, `"height": `+strconv.Itoa(size))
		s = strings.ReplaceAll(s, `"width": 64`, `"width": `+strconv.Itoa(size))
	}
	for i := 0; i+1 < len(replace); i += 2 {
		s = strings.Replace(s, replace[i], replace[i+1], 1)
	}
	p := filepath.Join(t.TempDir(), "sidecar.json")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRefusedAtSeriesStart: a model with a Resize node fails the series at
// its start, with the operator and the fix named, and no mask is made.
func TestRefusedAtSeriesStart(t *testing.T) {
	p, _ := serve(t, refdata.Path("models/binary-64.onnx"))
	side := writeSidecar(t, "models/binary-64.json", 32)
	r := segment(p, "1.2.10", "CT", map[string]string{"model": refdata.Path("bad/resize.onnx"), "sidecar": side},
		ctSlice(t, 40, 40), ctSlice(t, 40, 40))
	if r.err == nil {
		t.Fatal("a model with Resize was run")
	}
	var e *sdk.Error
	if !errors.As(r.err, &e) || !errors.Is(r.err, sdk.ErrInvalidInput) || e.Slice != -1 {
		t.Errorf("error %#v, want a series-level bad-parameter error", r.err)
	}
	for _, w := range []string{"resize.onnx", "Resize", `"upsample1"`, "operator not supported by onnx-go", "pixel shuffle"} {
		if !strings.Contains(r.err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, r.err)
		}
	}
	if len(r.masks) != 0 {
		t.Errorf("%d masks from a refused model", len(r.masks))
	}
	t.Logf("%v", r.err)
}

func TestSeriesErrors(t *testing.T) {
	binary := refdata.Path("models/binary-64.onnx")
	softmax := refdata.Path("models/softmax3-64.onnx")
	tests := []struct {
		name   string
		start  string
		params func(t *testing.T) map[string]string
		format string
		kind   error
		want   string
	}{
		{"other segments", binary, func(*testing.T) map[string]string { return map[string]string{"model": softmax} },
			"FLOAT32", sdk.ErrInvalidInput, "its sidecar declares 2 segments, not 1"},
		{"missing sidecar", binary, func(t *testing.T) map[string]string {
			return map[string]string{"sidecar": filepath.Join(t.TempDir(), "none.json")}
		}, "FLOAT32", sdk.ErrInvalidInput, "none.json: open"},
		{"bad sidecar", binary, func(t *testing.T) map[string]string {
			return map[string]string{"sidecar": writeSidecar(t, "models/binary-64.json", 0, `"width": 1500`, `"width": -3`)}
		}, "FLOAT32", sdk.ErrInvalidInput, "preprocess.width: must be > 0, got -3"},
		{"sidecar size", binary, func(t *testing.T) map[string]string {
			return map[string]string{"sidecar": writeSidecar(t, "models/binary-64.json", 128)}
		}, "FLOAT32", sdk.ErrInvalidInput, "says the model takes 1×1×128×128, but its input is 1×1×64×64"},
		{"modality", binary, func(t *testing.T) map[string]string {
			return map[string]string{"sidecar": writeSidecar(t, "models/binary-64.json", 0, `"version": "1",`, `"version": "1", "modalities": ["CT"],`)}
		}, "UINT8", sdk.ErrUnsupported, `is for CT, the series is "OT"`},
		{"threshold on softmax", softmax, func(*testing.T) map[string]string { return map[string]string{"threshold": "0.3"} },
			"FLOAT32", sdk.ErrInvalidInput, "it has no threshold"},
		{"threshold 1", binary, func(*testing.T) map[string]string { return map[string]string{"threshold": "1"} },
			"FLOAT32", sdk.ErrInvalidInput, "must be below 1"},
		{"missing model", binary, func(t *testing.T) map[string]string {
			return map[string]string{"model": filepath.Join(t.TempDir(), "m.onnx"), "sidecar": refdata.Path("models/binary-64.json")}
		}, "FLOAT32", sdk.ErrInvalidInput, "m.onnx: no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := serve(t, tc.start)
			sl, _ := refdata.SlicePixels(tc.format, 16, 16)
			mod := "CT"
			if tc.format == "UINT8" {
				mod = "OT"
			}
			r := segment(p, "1.2.11", mod, tc.params(t), sl)
			if !errors.Is(r.err, tc.kind) || !strings.Contains(r.err.Error(), tc.want) {
				t.Errorf("error %v\nwant %v containing %q", r.err, tc.kind, tc.want)
			}
			if len(r.masks) != 0 {
				t.Errorf("%d masks", len(r.masks))
			}
		})
	}
}

func TestThresholdParameter(t *testing.T) {
	p, _ := serve(t, refdata.Path("models/binary-64.onnx"))
	fg := func(params map[string]string) int {
		r := segment(p, "1.2.12", "CT", params, ctSlice(t, 80, 72))
		if r.err != nil {
			t.Fatal(r.err)
		}
		n := 0
		for _, l := range r.masks[0].Labels {
			n += int(l)
		}
		return n
	}
	want, _ := refdata.ReadU8("ref/binary-64-float32-80x72.labels.u8")
	scores, _ := refdata.ReadF32("ref/binary-64-float32-80x72.scores.f32")
	n0, above := 0, 0
	for i, l := range want {
		n0 += int(l)
		if scores[i] >= 0.7 {
			above++
		}
	}
	if got := fg(nil); got != n0 {
		t.Errorf("default threshold: %d foreground pixels, numpy %d", got, n0)
	}
	if got := fg(map[string]string{"threshold": "0.7"}); got != above {
		t.Errorf("threshold 0.7: %d foreground pixels, numpy %d", got, above)
	}
}

func TestModelCache(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, n := range []string{"a", "b", "c"} {
		p := filepath.Join(dir, n+".onnx")
		if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	real, err := onnxmodel.Load(context.Background(), refdata.Path("models/binary-64.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var calls atomic.Int32
	c := newModelCache(2, func(_ context.Context, path string) (*onnxmodel.Model, error) {
		calls.Add(1)
		<-release
		if strings.HasSuffix(path, "c.onnx") {
			return nil, errors.New("broken")
		}
		return real, nil
	})
	// Concurrent first uses share one load.
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if m, err := c.get(context.Background(), paths[0]); err != nil || m != real {
				t.Errorf("get a: %v", err)
			}
		})
	}
	for calls.Load() == 0 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if c.loads != 1 {
		t.Errorf("%d loads for three concurrent gets", c.loads)
	}
	c.get(context.Background(), paths[1])
	if _, err := c.get(context.Background(), paths[2]); err == nil {
		t.Error("broken model loaded")
	}
	if _, err := c.get(context.Background(), paths[2]); err == nil || c.loads != 4 {
		t.Errorf("failed loads must be retried: %v, %d loads", err, c.loads)
	}
	c.get(context.Background(), paths[1]) // cached
	if c.loads != 4 {
		t.Errorf("b reloaded: %d loads", c.loads)
	}
	c.get(context.Background(), paths[0]) // still cached: a, b are the two kept
	if c.loads != 4 {
		t.Errorf("a reloaded: %d loads", c.loads)
	}
	// A changed file is loaded again.
	if err := os.WriteFile(paths[1], []byte("bb"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.get(context.Background(), paths[1])
	if c.loads != 5 || len(c.entries) != 2 {
		t.Errorf("changed file: %d loads, %d entries", c.loads, len(c.entries))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.get(ctx, filepath.Join(dir, "none.onnx")); err == nil {
		t.Error("missing file")
	}
}

// TestBinaryStarts runs the plugin executable by hand: it must get as far
// as main (gorgonia.org/tensor panics at init under Go 1.26 without the
// assume-no-moving-gc update) and say that mmcseg starts it.
func TestBinaryStarts(t *testing.T) {
	bin := buildtest.Binary(t, "./plugin/onnx", "mmcseg-plugin-onnx")
	out, err := exec.Command(bin).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1; output:\n%s", err, out)
	}
	if strings.Contains(string(out), "panic") || !strings.Contains(string(out), "started by mmcseg") {
		t.Errorf("output:\n%s", out)
	}
}

// TestConformance runs the SDK's conformance kit (what `mmcseg plugin
// check` runs) on the plugin executable, started with a test model.
func TestConformance(t *testing.T) {
	bin := buildtest.Binary(t, "./plugin/onnx", "mmcseg-plugin-onnx")
	t.Setenv(EnvModel, refdata.Path("models/binary-64.onnx"))
	plugintest.Run(t, bin)
}

// TestConformanceGeneric: the same without a start-time model, the model
// given as a parameter of every series.
func TestConformanceGeneric(t *testing.T) {
	if testing.Short() {
		t.Skip("second conformance run")
	}
	bin := buildtest.Binary(t, "./plugin/onnx", "mmcseg-plugin-onnx")
	t.Setenv(EnvModel, "")
	plugintest.Run(t, bin, plugintest.Options{Params: map[string]string{"model": refdata.Path("models/softmax3-64.onnx")}})
}

func TestCheckCommand(t *testing.T) {
	bin := buildtest.Binary(t, "./plugin/onnx", "mmcseg-plugin-onnx")
	run := func(args ...string) (string, int) {
		out, err := exec.Command(bin, append([]string{"check"}, args...)...).CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	out, code := run(refdata.Path("models/softmax3-64.onnx"))
	for _, w := range []string{"opset 11", "[1 1 64 64]", "[1 3 64 64] (dry run)", "Conv×2", "Softmax×1", `2 "Heart"`, "OK:"} {
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("exit %d, output lacks %q:\n%s", code, w, out)
		}
	}
	out, code = run(refdata.Path("bad/resize.onnx"), refdata.Path("models/binary-64.json"))
	if code != 1 || !strings.Contains(out, "REFUSED") || !strings.Contains(out, `Resize (node "upsample1")`) {
		t.Errorf("resize: exit %d:\n%s", code, out)
	}
	out, code = run(refdata.Path("models/binary-64.onnx"), refdata.Path("models/binary-256.json"))
	if code != 1 || !strings.Contains(out, "FAILED") || !strings.Contains(out, "1×1×256×256") {
		t.Errorf("mismatched sidecar: exit %d:\n%s", code, out)
	}
	if _, code := run(); code != 2 {
		t.Errorf("no arguments: exit %d", code)
	}
}

func TestThreadBudget(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	g := newSegmenter(refdata.Path("models/binary-64.onnx"))
	params, err := g.desc.ResolveParams(nil)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := g.Open(context.Background(), sdk.SeriesInfo{UID: "t", Modality: "CT", Format: sdk.Float32, Rows: 8, Columns: 8, Slices: 1, Threads: 1}, params)
	if err != nil {
		t.Fatal(err)
	}
	sess.Close()
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Errorf("GOMAXPROCS %d after a series with a budget of 1 thread", n)
	}
}
