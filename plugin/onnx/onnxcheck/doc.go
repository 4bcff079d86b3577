// Package onnxcheck decodes an ONNX model's protobuf and checks it against
// what onnx-go v0.5.0 (the gorgonnx backend) can run, without running it.
//
// onnx-go runs a subset of ONNX — about 45 operators, 2-D convolutions
// without groups, fixed shapes, opset-11 semantics — and fails late, or
// silently computes the wrong thing, on much of the rest. Inspect lists
// every operator onnx-go lacks, grouped or 3-D convolutions, padding
// onnx-go would misread, dynamic input dimensions, opset-13 Squeeze,
// Unsqueeze and Softmax, and weights it cannot read, all in one
// *UnsupportedError, each problem with what to change in the export.
//
// The package decodes the protobuf wire format itself (onnx-go keeps its
// generated types internal) and imports nothing heavy, so that it can be
// fuzzed efficiently; package onnxmodel builds and runs the models that
// pass.
package onnxcheck
