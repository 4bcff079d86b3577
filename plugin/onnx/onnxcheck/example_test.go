package onnxcheck_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/mmcseg/mmcseg/plugin/onnx/onnxcheck"
)

// A model with nn.Upsample (a Resize node) is refused, with the node named
// and what to change.
func ExampleInspect() {
	data, err := os.ReadFile("../testdata/bad/resize.onnx")
	if err != nil {
		panic(err)
	}
	info, err := onnxcheck.Inspect("resize.onnx", data)
	fmt.Println("input", info.Input.Name, info.Input.ShapeString(), "opset", info.Opset)
	var ue *onnxcheck.UnsupportedError
	if errors.As(err, &ue) {
		for _, p := range ue.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// input image 1×1×32×32 opset 11
	// Resize (node "upsample1"): operator not supported by onnx-go
}
