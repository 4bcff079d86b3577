package modelspec

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/plugin/onnx/internal/refdata"
	"github.com/mmcseg/mmcseg/plugin/onnx/onnxmodel"
	"github.com/mmcseg/mmcseg/sdk"
)

func TestTaps(t *testing.T) {
	// Upsampling 2 → 4 with half-pixel centres: outputs read inputs at
	// −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
	got := taps(2, 4)
	want := []tap{{0, 1, 0}, {0, 1, 0.25}, {0, 1, 0.75}, {1, 1, 0}}
	if !slices.Equal(got, want) {
		t.Errorf("taps(2, 4) = %v, want %v", got, want)
	}
	// Downsampling 4 → 2: outputs read 0.5 and 2.5.
	if got, want := taps(4, 2), []tap{{0, 1, 0.5}, {2, 3, 0.5}}; !slices.Equal(got, want) {
		t.Errorf("taps(4, 2) = %v, want %v", got, want)
	}
	// Same size: the identity.
	for o, tp := range taps(5, 5) {
		if tp.i0 != o || tp.t != 0 {
			t.Errorf("taps(5, 5)[%d] = %v", o, tp)
		}
	}
}

func TestPadCrop(t *testing.T) {
	for _, tc := range []struct{ n, m, s, mo, l int }{
		{50, 64, 0, 7, 50}, {51, 64, 0, 6, 51}, {64, 64, 0, 0, 64}, {70, 64, 3, 0, 64}, {71, 64, 3, 0, 64},
	} {
		s, mo, l := padCrop(tc.n, tc.m)
		if s != tc.s || mo != tc.mo || l != tc.l {
			t.Errorf("padCrop(%d, %d) = %d, %d, %d; want %d, %d, %d", tc.n, tc.m, s, mo, l, tc.s, tc.mo, tc.l)
		}
	}
}

func spec1(pre Preprocess, fit string, out Output, h, w int) *Spec {
	s := &Spec{
		Input:      Input{Layout: NCHW, Height: h, Width: w, Channels: 1},
		Preprocess: pre, Fit: fit, Output: out,
		Segments: []sdk.SegmentInfo{{Number: 1, Label: "A"}},
	}
	if out.Kind == Softmax {
		s.Segments = append(s.Segments, sdk.SegmentInfo{Number: 2, Label: "B"})
	}
	return s
}

func TestPreprocess(t *testing.T) {
	px := []float32{-1350, -600, 150, 1000, float32(math.NaN()), -2000}
	sl := sdk.NewFloat32Slice(0, 1, 6, px)
	for _, tc := range []struct {
		pre  Preprocess
		want []float32
	}{
		// window L −600, W 1500: [−1350, 150] ↦ [0, 1], clamped; NaN takes the minimum.
		{Preprocess{Kind: Window, Level: -600, Width: 1500}, []float32{0, 0.5, 1, 1, 0, 0}},
		// min-max over the finite values [−2000, 1000].
		{Preprocess{Kind: MinMax}, []float32{650.0 / 3000, 1400.0 / 3000, 2150.0 / 3000, 1, 0, 0}},
		{Preprocess{Kind: MeanStd, Mean: []float64{-500}, Std: []float64{500}, Scale: 1}, []float32{-1.7, -0.2, 1.3, 3, -3, -3}},
		{Preprocess{Kind: MeanStd, Mean: []float64{1}, Std: []float64{2}, Scale: 0.001}, []float32{-1.175, -0.8, -0.425, 0, -1.5, -1.5}},
	} {
		s := spec1(tc.pre, Pad, Output{Kind: Sigmoid, Threshold: 0.5}, 1, 6)
		fr, err := s.NewFrame(1, 6, sdk.Float32)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, 6)
		if err := fr.Input(sl, got); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Abs(float64(got[i]-tc.want[i])) > 1e-6 {
				t.Errorf("%s: got %v, want %v", tc.pre.Kind, got, tc.want)
				break
			}
		}
	}
	// A constant slice min-maxes to 0, not NaN.
	s := spec1(Preprocess{Kind: MinMax}, Resize, Output{Kind: Sigmoid, Threshold: 0.5}, 2, 2)
	fr, _ := s.NewFrame(3, 3, sdk.Uint8)
	got := make([]float32, 4)
	if err := fr.Input(sdk.NewUint8Slice(0, 3, 3, []uint8{7, 7, 7, 7, 7, 7, 7, 7, 7}), got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []float32{0, 0, 0, 0}) {
		t.Errorf("constant slice: %v", got)
	}
}

func TestPadFitAndLabels(t *testing.T) {
	// A 2×5 slice into a 4×3 model: rows padded (offset 1), columns
	// cropped (offset 1); the pad value is the slice minimum.
	s := spec1(Preprocess{Kind: MeanStd, Mean: []float64{0}, Std: []float64{1}, Scale: 1}, Pad, Output{Kind: Softmax}, 4, 3)
	fr, err := s.NewFrame(2, 5, sdk.Uint8)
	if err != nil {
		t.Fatal(err)
	}
	if !fr.Cropped() {
		t.Error("not reported as cropped")
	}
	in := make([]float32, fr.InputLen())
	if err := fr.Input(sdk.NewUint8Slice(0, 2, 5, []uint8{9, 1, 2, 3, 9, 9, 4, 5, 6, 9}), in); err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 1, 1, 1, 2, 3, 4, 5, 6, 1, 1, 1}
	if !slices.Equal(in, want) {
		t.Errorf("input %v, want %v", in, want)
	}
	// Three classes over the 4×3 model grid; class = (row+col) % 3, made
	// the argmax by a score of 1 against 0.
	out := make([]float32, fr.OutputLen())
	for y := range 4 {
		for x := range 3 {
			out[((y+x)%3)*12+y*3+x] = 1
		}
	}
	labels := make([]uint8, 10)
	if err := fr.Labels(out, labels); err != nil {
		t.Fatal(err)
	}
	// Slice (r, c) for c in 1..3 is model (r+1, c−1); columns 0 and 4 were
	// cropped away.
	wantL := []uint8{0, 1, 2, 0, 0, 0, 2, 0, 1, 0}
	if !slices.Equal(labels, wantL) {
		t.Errorf("labels %v, want %v", labels, wantL)
	}
}

func TestSigmoidThresholdAndLogits(t *testing.T) {
	probs := []float32{0.2, 0.5, 0.7, 0.49999}
	s := spec1(Preprocess{Kind: MinMax}, Resize, Output{Kind: Sigmoid, Threshold: 0.5}, 2, 2)
	fr, _ := s.NewFrame(2, 2, sdk.Uint8)
	labels := make([]uint8, 4)
	if err := fr.Labels(probs, labels); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(labels, []uint8{0, 1, 1, 0}) {
		t.Errorf("labels %v", labels)
	}
	if err := fr.LabelsThreshold(probs, 0.65, labels); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(labels, []uint8{0, 0, 1, 0}) {
		t.Errorf("labels at 0.65: %v", labels)
	}
	// The same decision from logits.
	s.Output.Logits = true
	logits := make([]float32, 4)
	for i, p := range probs {
		logits[i] = float32(math.Log(float64(p) / (1 - float64(p))))
	}
	fr, _ = s.NewFrame(2, 2, sdk.Uint8)
	if err := fr.LabelsThreshold(logits, 0.65, labels); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(labels, []uint8{0, 0, 1, 0}) {
		t.Errorf("labels from logits: %v", labels)
	}
}

func TestFrameRejects(t *testing.T) {
	s := spec1(Preprocess{Kind: MinMax}, Resize, Output{Kind: Sigmoid, Threshold: 0.5}, 4, 4)
	if _, err := s.NewFrame(4, 4, sdk.PixelFormat(9)); err == nil {
		t.Error("unknown pixel format accepted")
	}
	fr, err := s.NewFrame(4, 4, sdk.Uint8)
	if err != nil {
		t.Fatal(err)
	}
	in := make([]float32, fr.InputLen())
	if err := fr.Input(sdk.NewUint8Slice(0, 4, 3, make([]uint8, 12)), in); err == nil {
		t.Error("slice of another size accepted")
	}
	if err := fr.Input(sdk.Slice{Format: sdk.Uint8, Rows: 4, Columns: 4, Data: make([]byte, 3)}, in); err == nil {
		t.Error("short slice accepted")
	}
}

// TestPipelineMatchesNumpy runs each pipeline case of gen.py — slice →
// preprocessing → fit → onnx-go → mapped back → labels — and compares the
// scores (within 1e-5) and the labels with what numpy computed. Labels may
// differ only where the reference score is within 1e-5 of the decision.
func TestPipelineMatchesNumpy(t *testing.T) {
	cases, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases.Pipelines) < 6 {
		t.Fatalf("%d pipeline cases", len(cases.Pipelines))
	}
	models := map[string]*onnxmodel.Model{}
	for _, c := range cases.Pipelines {
		name := filepath.Base(c.Scores)
		t.Run(strings.TrimSuffix(name, ".scores.f32"), func(t *testing.T) {
			m := models[c.Model]
			if m == nil {
				if m, err = onnxmodel.Load(context.Background(), refdata.Path(c.Model)); err != nil {
					t.Fatal(err)
				}
				models[c.Model] = m
			}
			spec, err := Load(strings.TrimSuffix(refdata.Path(c.Model), ".onnx") + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if err := spec.CheckModel(m.InputShape(), m.OutputShape()); err != nil {
				t.Fatal(err)
			}
			sl, err := refdata.SlicePixels(c.Format, c.Rows, c.Columns)
			if err != nil {
				t.Fatal(err)
			}
			fr, err := spec.NewFrame(c.Rows, c.Columns, sl.Format)
			if err != nil {
				t.Fatal(err)
			}
			in := make([]float32, fr.InputLen())
			out := make([]float32, fr.OutputLen())
			if err := fr.Input(sl, in); err != nil {
				t.Fatal(err)
			}
			if err := m.Run(context.Background(), in, out); err != nil {
				t.Fatal(err)
			}
			labels := make([]uint8, c.Rows*c.Columns)
			if err := fr.Labels(out, labels); err != nil {
				t.Fatal(err)
			}
			scores, err := fr.Scores(out)
			if err != nil {
				t.Fatal(err)
			}
			wantScores, err := refdata.ReadF32(c.Scores)
			if err != nil {
				t.Fatal(err)
			}
			wantLabels, err := refdata.ReadU8(c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			n := c.Rows * c.Columns
			if len(wantScores) != c.Classes*n || len(scores) != c.Classes || len(wantLabels) != n {
				t.Fatalf("sizes: %d scores for %d classes, %d labels", len(wantScores), len(scores), len(wantLabels))
			}
			worst := 0.0
			for k := range c.Classes {
				for i := range n {
					worst = max(worst, math.Abs(scores[k][i]-float64(wantScores[k*n+i])))
				}
			}
			if worst > 1e-5 {
				t.Errorf("max |Go − numpy| score difference %g", worst)
			}
			mismatch, close := 0, 0
			for i := range n {
				if labels[i] == wantLabels[i] {
					continue
				}
				if nearDecision(spec, wantScores, n, i) {
					close++
					continue
				}
				mismatch++
			}
			if mismatch > 0 {
				t.Errorf("%d of %d labels differ from numpy's", mismatch, n)
			}
			counts := make([]int, c.Classes+1)
			for _, l := range labels {
				counts[l]++
			}
			t.Logf("max score diff %.2g; label counts %v; %d ties at the decision", worst, counts, close)
		})
	}
}

// nearDecision reports whether pixel i's reference scores are within 1e-5
// of the decision boundary, where float rounding may tip the label.
func nearDecision(s *Spec, scores []float32, n, i int) bool {
	if s.Output.Kind == Sigmoid {
		return math.Abs(float64(scores[i])-s.Output.Threshold) < 1e-5
	}
	var vals []float64
	for k := 0; k*n+i < len(scores); k++ {
		vals = append(vals, float64(scores[k*n+i]))
	}
	slices.Sort(vals)
	return len(vals) > 1 && vals[len(vals)-1]-vals[len(vals)-2] < 1e-5
}

func TestChannelConversion(t *testing.T) {
	// RGB into a grey model: Rec. 601 luma.
	s := spec1(Preprocess{Kind: MeanStd, Mean: []float64{0}, Std: []float64{1}, Scale: 1}, Pad, Output{Kind: Sigmoid, Threshold: 0.5}, 1, 2)
	fr, err := s.NewFrame(1, 2, sdk.RGB8)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fr.Converted(), "grey") {
		t.Errorf("Converted() = %q", fr.Converted())
	}
	in := make([]float32, 2)
	if err := fr.Input(sdk.NewRGB8Slice(0, 1, 2, []uint8{100, 0, 0, 10, 20, 200}), in); err != nil {
		t.Fatal(err)
	}
	if want := []float32{29.9, 0.299*10 + 0.587*20 + 0.114*200}; math.Abs(float64(in[0]-want[0])) > 1e-4 || math.Abs(float64(in[1]-want[1])) > 1e-4 {
		t.Errorf("luma %v, want %v", in, want)
	}
	// Grey into a colour model (NHWC): the value in all three channels,
	// each normalised with its own mean and std.
	s = &Spec{Input: Input{Layout: NHWC, Height: 1, Width: 2, Channels: 3},
		Preprocess: Preprocess{Kind: MeanStd, Mean: []float64{0, 1, 2}, Std: []float64{1, 2, 4}, Scale: 1},
		Fit:        Pad, Output: Output{Kind: Sigmoid, Threshold: 0.5}, Segments: []sdk.SegmentInfo{{Number: 1}}}
	fr, err = s.NewFrame(1, 2, sdk.Uint8)
	if err != nil {
		t.Fatal(err)
	}
	if fr.Converted() == "" {
		t.Error("no conversion reported")
	}
	in = make([]float32, 6)
	if err := fr.Input(sdk.NewUint8Slice(0, 1, 2, []uint8{10, 6}), in); err != nil {
		t.Fatal(err)
	}
	if want := []float32{10, 4.5, 2, 6, 2.5, 1}; !slices.Equal(in, want) {
		t.Errorf("input %v, want %v", in, want)
	}
	fr, _ = s.NewFrame(1, 2, sdk.RGB8)
	if fr.Converted() != "" {
		t.Errorf("RGB into RGB reported as converted: %q", fr.Converted())
	}
}
