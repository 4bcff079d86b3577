// Package onnxmodel loads ONNX models for the mmcseg-plugin-onnx segmenter
// and runs them with onnx-go v0.5.0's gorgonnx backend on gorgonia.org/tensor
// Dense tensors.
//
// Decode first checks a model with package onnxcheck, which refuses, in
// one *onnxcheck.UnsupportedError, everything onnx-go cannot run. A model
// that passes is built and run once on zeros (a dry run), so that shape
// errors also surface at load time and never in the middle of a series.
//
// A Model is safe for concurrent use, but runs are serialised across the
// whole process (see Model.Run): gorgonnx and gorgonia share unsynchronised
// state between graphs.
package onnxmodel
