// Package modelspec reads the JSON sidecar that says what an ONNX
// segmentation model needs and what its output means, and does the
// per-slice work it describes for mmcseg-plugin-onnx: intensity
// preprocessing (CT window, min-max, mean/std per channel), fitting a slice
// to the model's fixed input size (bilinear resize, or centred pad/crop) and
// mapping the scores back, and turning scores into labels (sigmoid and a
// threshold, or argmax over soft-max classes).
//
// Parse is strict: unknown fields, duplicate keys, wrong types and values
// out of range are errors that name their JSON path, all reported at once.
// The schema is documented in docs/onnx.md.
package modelspec
