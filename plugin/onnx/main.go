// Command mmcseg-plugin-onnx is an mmcseg segmenter plugin that runs a
// user's own ONNX segmentation network, with no Go to write: the model
// (parameter model=PATH.onnx) and a JSON sidecar beside it (PATH.json) that
// says what the model needs — input layout and size, intensity
// preprocessing, how slices are fitted to the input — and what its output
// means: sigmoid and threshold or soft-max classes, and the segments with
// their SNOMED CT codes. docs/onnx.md is the user's guide.
//
// Inference runs on the CPU with onnx-go v0.5.0 (gorgonnx backend,
// gorgonia.org/tensor Dense tensors). A model is checked when it is loaded,
// and one that onnx-go cannot run is refused then, with every unsupported
// operator or shape listed and what to change in the export, so that a
// series fails at its start and never half-way.
//
// # Which model, and the segments it describes
//
// Describe is answered once, when the plugin starts, but the model
// parameter arrives with each series. Started with MMCSEG_ONNX_MODEL=PATH.onnx
// in its environment, the plugin describes that model's segments (from its
// sidecar) and uses it when a series names no model; a series may name
// another model only if its sidecar declares the same segments. Started
// without it, the plugin describes 32 generic segments "Class 1" … "Class 32"
// and warns with each series that the sidecar's labels and codes are not in
// the output.
//
// # Checking a model by hand
//
// Run by a user rather than by mmcseg, `mmcseg-plugin-onnx check
// MODEL.onnx [SIDECAR.json]` runs the same load-time checks and dry run and
// prints the model's inputs, outputs and operators, or why it is refused.
//
// # Loading and concurrency
//
// Models are loaded on the first series that needs them and kept, keyed by
// path, size and modification time, for later series (at most two at a
// time). One gorgonia graph serves every series of a model, and all runs
// in the process are serialised (see package onnxmodel); series may come
// concurrently, their slices take turns.
package main

import (
	"context"
	"os"

	"github.com/mmcseg/mmcseg/sdk"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "check" {
		os.Exit(checkModel(context.Background(), os.Stdout, os.Args[2:]))
	}
	sdk.Serve(newSegmenter(os.Getenv(EnvModel)))
}
