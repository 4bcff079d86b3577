package modelspec

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/plugin/onnx/internal/refdata"
	"github.com/mmcseg/mmcseg/sdk"
)

const lungSidecar = `{
  "name": "lung-net",
  "version": "2",
  "modalities": ["CT"],
  "input": {"layout": "NCHW", "height": 256, "width": 256, "channels": 1},
  "preprocess": {"kind": "window", "level": -600, "width": 1500},
  "fit": "resize",
  "output": {"kind": "sigmoid", "threshold": 0.4},
  "segments": [{"number": 1, "label": "Lung", "color": [128, 174, 128],
    "category": {"scheme": "SCT", "value": "123037004", "meaning": "Anatomical Structure"},
    "type": {"scheme": "SCT", "value": "39607008", "meaning": "Lung"},
    "anatomic_region": {"scheme": "SCT", "value": "51185008", "meaning": "Thorax"}}]
}`

func TestParseComplete(t *testing.T) {
	s, err := Parse([]byte(lungSidecar))
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{
		Name: "lung-net", Version: "2", Modalities: []string{"CT"},
		Input:      Input{Layout: NCHW, Height: 256, Width: 256, Channels: 1},
		Preprocess: Preprocess{Kind: Window, Level: -600, Width: 1500},
		Fit:        Resize,
		Output:     Output{Kind: Sigmoid, Threshold: 0.4},
	}
	if s.Name != want.Name || s.Version != want.Version || !slices.Equal(s.Modalities, want.Modalities) ||
		s.Input != want.Input || s.Preprocess.Kind != Window || s.Preprocess.Level != -600 ||
		s.Preprocess.Width != 1500 || s.Fit != Resize || s.Output != want.Output {
		t.Errorf("parsed %+v", s)
	}
	if len(s.Segments) != 1 {
		t.Fatalf("segments %+v", s.Segments)
	}
	seg := s.Segments[0]
	if seg.Number != 1 || seg.Label != "Lung" || seg.Color != [3]uint8{128, 174, 128} ||
		seg.Category != sdk.SCT("123037004", "Anatomical Structure") || seg.Type != sdk.SCT("39607008", "Lung") ||
		seg.AnatomicRegion != sdk.SCT("51185008", "Thorax") || seg.AlgorithmName != "lung-net" {
		t.Errorf("segment %+v", seg)
	}
	if got := s.InputShape(); !slices.Equal(got, []int{1, 1, 256, 256}) {
		t.Errorf("input shape %v", got)
	}
	if s.Classes() != 1 || !slices.Equal(s.PixelFormats(), []sdk.PixelFormat{sdk.Float32, sdk.Uint8}) {
		t.Errorf("classes %d, formats %v", s.Classes(), s.PixelFormats())
	}
	// The segments must also be a valid sdk description.
	d := sdk.Description{Name: "onnx", Version: "1", PixelFormats: s.PixelFormats(), Segments: s.Segments}
	if err := d.Validate(); err != nil {
		t.Errorf("sdk rejects the segments: %v", err)
	}
}

func TestTestdataSidecarsParse(t *testing.T) {
	files, err := filepath.Glob(refdata.Path("models/*.json"))
	if err != nil || len(files) < 5 {
		t.Fatalf("sidecars: %v %v", files, err)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// TestParseErrors checks that each mistake is reported with the JSON path
// of the value at fault, and that all mistakes are reported at once.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(string) string
		wants []string
	}{
		{"window width zero", func(s string) string { return strings.Replace(s, `"width": 1500`, `"width": 0`, 1) },
			[]string{"preprocess.width: must be > 0"}},
		{"unknown field", func(s string) string {
			return strings.Replace(s, `"fit": "resize"`, `"fit": "resize", "fitting": 1`, 1)
		},
			[]string{"fitting: unknown field (the sidecar takes input, preprocess, fit, output, segments, name, version, description, modalities)"}},
		{"nested unknown field", func(s string) string { return strings.Replace(s, `"channels": 1}`, `"channels": 1, "depth": 3}`, 1) },
			[]string{"input.depth: unknown field (input takes layout, height, width, channels)"}},
		{"missing fit", func(s string) string { return strings.Replace(s, `"fit": "resize",`, ``, 1) },
			[]string{"fit: missing"}},
		{"bad fit", func(s string) string { return strings.Replace(s, `"fit": "resize"`, `"fit": "stretch"`, 1) },
			[]string{`fit: "stretch" is not one of "resize", "pad"`}},
		{"layout", func(s string) string { return strings.Replace(s, `"NCHW"`, `"CHW"`, 1) },
			[]string{`input.layout: "CHW" is not one of "NCHW", "NHWC"`}},
		{"height string", func(s string) string { return strings.Replace(s, `"height": 256`, `"height": "256"`, 1) },
			[]string{"input.height: want a number, got a string"}},
		{"width fraction", func(s string) string { return strings.Replace(s, `"width": 256`, `"width": 25.5`, 1) },
			[]string{"input.width: want a whole number, got 25.5"}},
		{"two channels", func(s string) string { return strings.Replace(s, `"channels": 1`, `"channels": 2`, 1) },
			[]string{"input.channels: must be 1 (grey or CT) or 3 (RGB), got 2"}},
		{"threshold", func(s string) string { return strings.Replace(s, `"threshold": 0.4`, `"threshold": 1.5`, 1) },
			[]string{"output.threshold: must be between 0 and 1 (exclusive), got 1.5"}},
		{"softmax threshold", func(s string) string {
			return strings.Replace(s, `"kind": "sigmoid", "threshold": 0.4`, `"kind": "softmax", "threshold": 0.4`, 1)
		}, []string{"output.threshold: unknown field (output takes kind)"}},
		{"colour", func(s string) string { return strings.Replace(s, `[128, 174, 128]`, `[128, 300]`, 1) },
			[]string{"segments[0].color: want [r, g, b], got 2 values"}},
		{"colour value", func(s string) string { return strings.Replace(s, `[128, 174, 128]`, `[128, 174, 256]`, 1) },
			[]string{"segments[0].color[2]: must be between 0 and 255, got 256"}},
		{"code", func(s string) string { return strings.Replace(s, `"value": "39607008", `, ``, 1) },
			[]string{"segments[0].type.value: missing"}},
		{"empty label", func(s string) string { return strings.Replace(s, `"label": "Lung"`, `"label": " "`, 1) },
			[]string{"segments[0].label: must not be empty"}},
		{"number", func(s string) string { return strings.Replace(s, `"number": 1`, `"number": 2`, 1) },
			[]string{"segments: numbers must be 1..1 (class c of the model is segment c); 1 is missing"}},
		{"modality", func(s string) string { return strings.Replace(s, `["CT"]`, `["ct"]`, 1) },
			[]string{`modalities[0]: "ct" is not a DICOM Modality value`}},
		{"duplicate key", func(s string) string {
			return strings.Replace(s, `"version": "2",`, `"version": "2", "version": "3",`, 1)
		},
			[]string{"version: given twice"}},
		{"trailing data", func(s string) string { return s + ` {}` },
			[]string{"data after the top-level object"}},
		{"not an object", func(string) string { return `[1, 2]` },
			[]string{"want an object, got an array"}},
		{"several at once", func(s string) string {
			s = strings.Replace(s, `"width": 1500`, `"width": -1`, 1)
			s = strings.Replace(s, `"height": 256`, `"height": 0`, 1)
			return strings.Replace(s, `"threshold": 0.4`, `"threshold": 0`, 1)
		}, []string{"preprocess.width: must be > 0, got -1", "input.height: must be between 1 and 8192, got 0", "output.threshold: must be between 0 and 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.edit(lungSidecar)))
			if !errors.Is(err, ErrBadSidecar) {
				t.Fatalf("error %v, want ErrBadSidecar", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestParseSoftmaxAndMeanStd(t *testing.T) {
	const side = `{"input": {"layout": "NHWC", "height": 32, "width": 48, "channels": 3},
	 "preprocess": {"kind": "meanstd", "scale": 0.00392156862745098, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
	 "fit": "pad", "output": {"kind": "softmax"},
	 "segments": [
	  {"number": 2, "label": "B", "color": [0, 0, 255], "category": {"scheme": "SCT", "value": "1", "meaning": "a"}, "type": {"scheme": "SCT", "value": "2", "meaning": "b"}},
	  {"number": 1, "label": "A", "color": [255, 0, 0], "category": {"scheme": "SCT", "value": "1", "meaning": "a"}, "type": {"scheme": "SCT", "value": "3", "meaning": "c"}}]}`
	s, err := Parse([]byte(side))
	if err != nil {
		t.Fatal(err)
	}
	if s.Classes() != 3 || s.Segments[0].Label != "A" || s.Segments[1].Label != "B" {
		t.Errorf("classes %d, segments %+v", s.Classes(), s.Segments)
	}
	if !slices.Equal(s.InputShape(), []int{1, 32, 48, 3}) || !slices.Equal(s.PixelFormats(), []sdk.PixelFormat{sdk.RGB8}) {
		t.Errorf("shape %v formats %v", s.InputShape(), s.PixelFormats())
	}
	if s.Preprocess.Scale != 1/255.0 || len(s.Preprocess.Mean) != 3 || s.Preprocess.Std[2] != 0.225 {
		t.Errorf("preprocess %+v", s.Preprocess)
	}
	if err := s.CheckModel([]int{1, 32, 48, 3}, []int{1, 32, 48, 3}); err != nil {
		t.Errorf("matching model: %v", err)
	}
	for _, tc := range []struct {
		in, out []int
		want    string
	}{
		{[]int{1, 3, 32, 48}, []int{1, 32, 48, 3}, "says the model takes 1×32×48×3, but its input is 1×3×32×48"},
		{[]int{1, 32, 48, 3}, []int{1, 32, 48, 4}, "has 4 classes; segments lists 2, so the sidecar wants 3"},
		{[]int{1, 32, 48, 3}, []int{1, 16, 24, 3}, "scores at the input's size"},
		{[]int{1, 32, 48, 3}, []int{3, 32, 48}, "scores at the input's size"},
	} {
		if err := s.CheckModel(tc.in, tc.out); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckModel(%v, %v) = %v, want %q", tc.in, tc.out, err, tc.want)
		}
	}
	bad := strings.Replace(side, `"std": [0.229, 0.224, 0.225]`, `"std": [0.229, 0]`, 1)
	_, err = Parse([]byte(bad))
	for _, w := range []string{"preprocess.std: has 2 values; want one per input channel (input.channels is 3)", "preprocess.std[1]: must be > 0"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}

func TestLoadNamesFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.json")
	if err := os.WriteFile(p, []byte(`{"fit": "pad"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "input: missing") {
		t.Errorf("error %v", err)
	}
	if _, err := Load(filepath.Join(dir, "none.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(lungSidecar))
	files, _ := filepath.Glob(refdata.Path("models/*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"segments": [{"number": 1e400}]}`))
	f.Add([]byte(`{"input": {"layout": "NCHW", "height": 1, "width": 1, "channels": 3}, "preprocess": {"kind": "meanstd", "mean": [], "std": []}}`))
	f.Add([]byte(strings.Repeat("[", 100)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrBadSidecar) {
				t.Fatalf("error not wrapping ErrBadSidecar: %v", err)
			}
			return
		}
		// A spec that parses is usable: it describes valid segments and a
		// frame can be built for it.
		d := sdk.Description{Name: "onnx", Version: "1", PixelFormats: s.PixelFormats(), Segments: s.Segments}
		if err := d.Validate(); err != nil {
			t.Fatalf("parsed spec with invalid segments: %v", err)
		}
		if s.Input.Height*s.Input.Width > 1<<16 {
			return // keep the fuzzer's allocations small
		}
		if _, err := s.NewFrame(3, 5, s.PixelFormats()[0]); err != nil {
			t.Fatalf("NewFrame: %v", err)
		}
	})
}
