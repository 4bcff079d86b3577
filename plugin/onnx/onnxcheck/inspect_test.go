package onnxcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The tests read plugin/onnx/testdata directly rather than through
// internal/refdata, which imports the sdk: a small test binary keeps the
// fuzzer's coverage maps small and its executions fast.

func fixture(rel string) string { return filepath.Join("..", "testdata", filepath.FromSlash(rel)) }

type cases struct {
	Models []struct {
		Model string `json:"model"`
	} `json:"models"`
	Refused []string `json:"refused"`
}

func loadCases() (*cases, error) {
	b, err := os.ReadFile(fixture("cases.json"))
	if err != nil {
		return nil, err
	}
	var c cases
	return &c, json.Unmarshal(b, &c)
}

func TestInspectInfo(t *testing.T) {
	data, err := os.ReadFile(fixture("models/softmax3-64.onnx"))
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

// TestRefusedFixtures inspects each model of testdata/bad (made by gen.py,
// valid for the ONNX checker) and checks that every problem is named.
func TestRefusedFixtures(t *testing.T) {
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
	cases, err := loadCases()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases.Refused) != len(tests) {
		t.Errorf("cases.json lists %d refused models, the test %d", len(cases.Refused), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(fixture(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Inspect(tc.file, data)
			if err == nil {
				t.Fatal("accepted; want refusal")
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
			if !strings.Contains(msg, tc.file) {
				t.Errorf("message does not name the file:\n%s", msg)
			}
			t.Logf("%s", msg)
		})
	}
}

func FuzzInspect(f *testing.F) {
	cases, err := loadCases()
	if err != nil {
		f.Fatal(err)
	}
	var files []string
	for _, c := range cases.Models {
		files = append(files, c.Model)
	}
	files = append(files, cases.Refused...)
	for _, file := range files {
		data, err := os.ReadFile(fixture(file))
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
