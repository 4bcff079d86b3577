// Package onnxmodel loads ONNX models for the mmcseg-plugin-onnx segmenter
// and runs them with onnx-go v0.5.0's gorgonnx backend on gorgonia.org/tensor
// Dense tensors.
//
// onnx-go runs a subset of ONNX (about 45 operators, 2-D convolutions
// without groups, fixed shapes) and fails late, or silently computes the
// wrong thing, on much of the rest. Decode therefore checks a model before
// building it: Inspect decodes the protobuf itself and lists every operator
// onnx-go lacks, grouped or 3-D convolutions, padding onnx-go would
// misread, dynamic input dimensions, opset-13 Squeeze/Unsqueeze/Softmax,
// weights it cannot read — all in one *UnsupportedError, each problem with
// what to change in the export. A model that passes is built and run once
// on zeros (a dry run), so that shape errors also surface at load time and
// never in the middle of a series.
//
// A Model is safe for concurrent use, but runs are serialised across the
// whole process (see Model.Run): gorgonnx and gorgonia share unsynchronised
// state between graphs.
package onnxmodel
