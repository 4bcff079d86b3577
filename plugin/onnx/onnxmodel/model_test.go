package onnxmodel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mmcseg/mmcseg/plugin/onnx/internal/refdata"
)

// maxDiff returns the largest absolute difference and where it is.
func maxDiff(a, b []float32) (float64, int) {
	worst, at := 0.0, -1
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			return math.Inf(1), i
		}
		if d > worst {
			worst, at = d, i
		}
	}
	return worst, at
}

// TestModelsMatchNumpy runs every test model through onnx-go and compares
// its output with the one gen.py computed with numpy (its own convolution,
// pooling, batch norm, pixel shuffle and soft-max).
func TestModelsMatchNumpy(t *testing.T) {
	cases, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases.Models) < 5 {
		t.Fatalf("cases.json lists %d models, want the binary, softmax, rgb, nhwc and updown ones", len(cases.Models))
	}
	for _, c := range cases.Models {
		t.Run(c.Model, func(t *testing.T) {
			m, err := Load(context.Background(), refdata.Path(c.Model))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.InputShape(), c.Input) || !slices.Equal(m.OutputShape(), c.Output) {
				t.Fatalf("shapes %v → %v, want %v → %v", m.InputShape(), m.OutputShape(), c.Input, c.Output)
			}
			want, err := refdata.ReadF32(c.Reference)
			if err != nil {
				t.Fatal(err)
			}
			in := c.ModelInput()
			got := make([]float32, len(want))
			// Twice, with another input between: the graph is reused.
			for run := range 2 {
				if err := m.Run(context.Background(), in, got); err != nil {
					t.Fatal(err)
				}
				if d, at := maxDiff(got, want); d > 1e-5 {
					t.Fatalf("run %d: max |onnx-go − numpy| = %g at %d (%g vs %g)", run, d, at, got[at], want[at])
				} else {
					t.Logf("run %d: max |onnx-go − numpy| = %.2g", run, d)
				}
				other := make([]float32, len(in))
				for i := range other {
					other[i] = float32(i%7) - 3
				}
				scratch := make([]float32, len(want))
				if err := m.Run(context.Background(), other, scratch); err != nil {
					t.Fatal(err)
				}
				if d, _ := maxDiff(scratch, want); d < 1e-3 {
					t.Fatalf("a different input gave the same output (max diff %g)", d)
				}
			}
		})
	}
}

func TestInspectInfo(t *testing.T) {
	data, err := os.ReadFile(refdata.Path("models/softmax3-64.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := Inspect("softmax3-64.onnx", data)
	if err != nil {
		t.Fatal(err)
	}
	if info.Opset != 11 || info.IRVersion != 6 || info.Producer != "mmcseg-testdata" {
		t.Errorf("opset %d, IR %d, producer %q", info.Opset, info.IRVersion, info.Producer)
	}
	if info.Input.Name != "image" || info.Input.Type != "float32" || !slices.Equal(info.Input.Shape, []int64{1, 1, 64, 64}) {
		t.Errorf("input %+v", info.Input)
	}
	if info.Output.Name != "prob" || !slices.Equal(info.Output.Shape, []int64{1, 3, 64, 64}) {
		t.Errorf("output %+v", info.Output)
	}
	wantOps := map[string]int{"Conv": 2, "Relu": 1, "Transpose": 2, "Softmax": 1}
	if fmt.Sprint(info.Operators) != fmt.Sprint(wantOps) {
		t.Errorf("operators %v, want %v", info.Operators, wantOps)
	}
	if want := int64(8*9 + 8 + 3*8*9 + 3); info.Weights != want {
		t.Errorf("weights %d, want %d", info.Weights, want)
	}
}

// TestRefused loads each model onnx-go cannot run and checks that it is
// refused at load, before any graph is built, with the problem named.
func TestRefused(t *testing.T) {
	type want struct {
		op, node, reason, fix string
	}
	tests := []struct {
		file  string
		wants []want
	}{
		{"bad/resize.onnx", []want{{"Resize", "upsample1", "operator not supported", "pixel shuffle"}}},
		{"bad/convtranspose.onnx", []want{{"ConvTranspose", "deconv1", "operator not supported", "nn.Conv2d(C, 4·D, 1)"}}},
		{"bad/grouped.onnx", []want{{"Conv", "depthwise", "group=8", "groups=1"}}},
		{"bad/dynamic.onnx", []want{{"", "", `axis 0 is "batch", axis 2 is "height", axis 3 is "width"`, "fixed input shape"}}},
		{"bad/asympads.onnx", []want{{"Conv", "conv_asym", "pads [1 1 2 2]", "pad equally"}}},
		{"bad/opset13.onnx", []want{
			{"Squeeze", "squeeze", "axes given as an input (opset 13)", "opset_version=11"},
			{"Unsqueeze", "unsqueeze", "axes given as an input (opset 13)", "opset_version=11"},
		}},
		{"bad/several.onnx", []want{
			{"", "", `axis 2 is "height"`, "fixed input shape"},
			{"Pad", "pad1", "operator not supported", "padding=k//2"},
			{"Conv", "depthwise", "group=8", "groups=1"},
			{"Resize", "upsample1", "operator not supported", "pixel shuffle"},
		}},
	}
	cases, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases.Refused) != len(tests) {
		t.Errorf("cases.json lists %d refused models, the test %d", len(cases.Refused), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, err := Load(context.Background(), refdata.Path(tc.file))
			if err == nil {
				t.Fatalf("loaded (output %v); want refusal", m.OutputShape())
			}
			var ue *UnsupportedError
			if !errors.As(err, &ue) {
				t.Fatalf("error %T %v, want *UnsupportedError", err, err)
			}
			if len(ue.Problems) != len(tc.wants) {
				t.Errorf("%d problems, want %d:\n%v", len(ue.Problems), len(tc.wants), err)
			}
			msg := err.Error()
			for _, w := range tc.wants {
				found := false
				for _, p := range ue.Problems {
					if p.Op == w.op && (w.node == "" || slices.Contains(p.Nodes, w.node)) &&
						strings.Contains(p.Reason, w.reason) && strings.Contains(p.Fix, w.fix) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem %+v in\n%v", w, msg)
				}
				if !strings.Contains(msg, w.reason) || !strings.Contains(msg, w.fix) {
					t.Errorf("message lacks %q / %q:\n%s", w.reason, w.fix, msg)
				}
			}
			if !strings.Contains(msg, refdata.Path(tc.file)) {
				t.Errorf("message does not name the file:\n%s", msg)
			}
			t.Logf("%s", msg)
		})
	}
}

func TestNotONNX(t *testing.T) {
	good, err := os.ReadFile(refdata.Path("models/binary-64.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("this is not a model\n"),
		"truncated": good[:len(good)/2],
		"json":      []byte(`{"input": {"layout": "NCHW"}}`),
	} {
		_, err := Decode(context.Background(), name, data)
		if !errors.Is(err, ErrNotONNX) {
			t.Errorf("%s: error %v, want ErrNotONNX", name, err)
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name the model", name, err)
		}
	}
	if _, err := Load(context.Background(), refdata.Path("models/missing.onnx")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load(context.Background(), refdata.Path("models")); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
}

// TestConcurrentRuns runs one model from several goroutines; runs are
// serialised inside, so every result must equal the reference (run with
// -race to check the locking too).
func TestConcurrentRuns(t *testing.T) {
	m, err := Load(context.Background(), refdata.Path("models/binary-64.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Load(context.Background(), refdata.Path("models/softmax3-64.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := refdata.ReadF32("ref/binary-64.out.f32")
	want2, _ := refdata.ReadF32("ref/softmax3-64.out.f32")
	in := refdata.ModelInput(m.InputShape())
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Go(func() {
			model, ref := m, want
			if g%2 == 1 {
				model, ref = m2, want2
			}
			out := make([]float32, len(ref))
			for range 3 {
				if err := model.Run(context.Background(), in, out); err != nil {
					errs <- err
					return
				}
				if d, _ := maxDiff(out, ref); d > 1e-5 {
					errs <- fmt.Errorf("goroutine %d: diff %g", g, d)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRunChecksSizesAndContext(t *testing.T) {
	m, err := Load(context.Background(), refdata.Path("models/binary-64.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, 64*64)
	if err := m.Run(context.Background(), make([]float32, 10), out); err == nil {
		t.Error("short input accepted")
	}
	if err := m.Run(context.Background(), make([]float32, 64*64), out[:5]); err == nil {
		t.Error("short output accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Run(ctx, make([]float32, 64*64), out); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
	// While another holder has the engine, a run waits and honours ctx.
	engine <- struct{}{}
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, make([]float32, 64*64), out) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("run waiting for the engine: %v", err)
	}
	<-engine
}

func FuzzInspect(f *testing.F) {
	cases, err := refdata.Load()
	if err != nil {
		f.Fatal(err)
	}
	var files []string
	for _, c := range cases.Models {
		files = append(files, c.Model)
	}
	files = append(files, cases.Refused...)
	for _, file := range files {
		data, err := os.ReadFile(refdata.Path(file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte{0x3a, 0x02, 0x0a, 0x00}) // a graph with one empty node
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Inspect("fuzz.onnx", data)
		if err == nil && (info == nil || len(info.Input.Shape) != 4) {
			t.Fatalf("accepted a model without a 4-axis input: %+v", info)
		}
		var ue *UnsupportedError
		if err != nil && !errors.Is(err, ErrNotONNX) && !errors.As(err, &ue) {
			t.Fatalf("error of unexpected kind: %v", err)
		}
	})
}
