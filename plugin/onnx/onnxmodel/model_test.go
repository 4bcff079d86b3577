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
	"github.com/mmcseg/mmcseg/plugin/onnx/onnxcheck"
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

// TestLoadRefuses: models onnx-go cannot run are refused by Load, before a
// graph is built, with every problem and the file named.
func TestLoadRefuses(t *testing.T) {
	cases, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range cases.Refused {
		m, err := Load(context.Background(), refdata.Path(file))
		var ue *onnxcheck.UnsupportedError
		if !errors.As(err, &ue) || m != nil {
			t.Errorf("%s: %v, want *onnxcheck.UnsupportedError", file, err)
			continue
		}
		if !strings.Contains(err.Error(), refdata.Path(file)) || len(ue.Problems) == 0 {
			t.Errorf("%s: %v", file, err)
		}
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
		if !errors.Is(err, onnxcheck.ErrNotONNX) {
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
