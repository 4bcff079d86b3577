package onnxmodel_test

import (
	"context"
	"fmt"

	"github.com/mmcseg/mmcseg/plugin/onnx/onnxmodel"
)

func ExampleLoad() {
	ctx := context.Background()
	m, err := onnxmodel.Load(ctx, "../testdata/models/softmax3-64.onnx")
	if err != nil {
		panic(err)
	}
	fmt.Println(m.InputShape(), "→", m.OutputShape())
	in := make([]float32, 64*64)    // one 64×64 image, already preprocessed
	out := make([]float32, 3*64*64) // three class probabilities per pixel
	if err := m.Run(ctx, in, out); err != nil {
		panic(err)
	}
	i := 32*64 + 32 // the centre pixel (numpy, gen.py's softmax_ref: the same)
	fmt.Printf("%.3f %.3f %.3f\n", out[i], out[64*64+i], out[2*64*64+i])
	// Output:
	// [1 1 64 64] → [1 3 64 64]
	// 0.436 0.139 0.424
}
