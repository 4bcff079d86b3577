package modelspec_test

import (
	"fmt"

	"github.com/mmcseg/mmcseg/plugin/onnx/modelspec"
	"github.com/mmcseg/mmcseg/sdk"
)

func ExampleParse() {
	spec, err := modelspec.Parse([]byte(`{
	  "input": {"layout": "NCHW", "height": 4, "width": 4, "channels": 1},
	  "preprocess": {"kind": "window", "level": 40, "width": 400},
	  "fit": "resize",
	  "output": {"kind": "sigmoid", "threshold": 0.5},
	  "segments": [{"number": 1, "label": "Liver", "color": [221, 130, 101],
	    "category": {"scheme": "SCT", "value": "123037004", "meaning": "Anatomical Structure"},
	    "type": {"scheme": "SCT", "value": "10200004", "meaning": "Liver"}}]
	}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(spec.InputShape(), spec.Classes(), spec.Segments[0].Label, spec.Segments[0].Type)

	_, err = modelspec.Parse([]byte(`{"input": {"layout": "NCHW", "height": 0, "width": 4, "channels": 1},
	  "preprocess": {"kind": "window", "level": 40, "width": 0}, "fit": "stretch",
	  "output": {"kind": "softmax"}, "segments": []}`))
	fmt.Println(err)
	// Output:
	// [1 1 4 4] 1 Liver (SCT, 10200004, "Liver")
	// bad sidecar: input.height: must be between 1 and 8192, got 0
	// preprocess.width: must be > 0, got 0
	// fit: "stretch" is not one of "resize", "pad"
	// segments: must list at least one segment
}

// A frame turns a slice into the model's input and the model's output into
// the slice's mask: here a 2×2 CT slice, a 4×4 model and a made-up output.
func ExampleSpec_NewFrame() {
	spec, _ := modelspec.Parse([]byte(`{
	  "input": {"layout": "NCHW", "height": 4, "width": 4, "channels": 1},
	  "preprocess": {"kind": "window", "level": 0, "width": 200},
	  "fit": "pad",
	  "output": {"kind": "sigmoid", "threshold": 0.5},
	  "segments": [{"number": 1, "label": "Bright", "color": [255, 255, 0],
	    "category": {"scheme": "SCT", "value": "91723000", "meaning": "Anatomical Structure"},
	    "type": {"scheme": "SCT", "value": "85756007", "meaning": "Tissue"}}]
	}`))
	frame, err := spec.NewFrame(2, 2, sdk.Float32)
	if err != nil {
		panic(err)
	}
	in := make([]float32, frame.InputLen())
	if err := frame.Input(sdk.NewFloat32Slice(0, 2, 2, []float32{-100, 0, 50, 300}), in); err != nil {
		panic(err)
	}
	fmt.Println(in) // windowed to [0, 1], centred, padded with the slice's minimum
	out := in       // pretend the model is the identity
	mask := make([]uint8, 4)
	if err := frame.Labels(out, mask); err != nil {
		panic(err)
	}
	fmt.Println(mask)
	// Output:
	// [0 0 0 0 0 0 0.5 0 0 0.75 1 0 0 0 0 0]
	// [0 1 1 1]
}
