// Package codec decodes the compressed pixel data of DICOM frames into native
// form, one frame at a time.
//
// Decode takes the transfer syntax UID, the bytes of one frame (all of its
// fragments already concatenated) and a FrameInfo saying what the caller
// expects back, and returns little-endian samples of BitsAllocated bits,
// colour interleaved, ready to be read like an uncompressed frame.
//
// What decodes where:
//
//   - RLE Lossless, JPEG Lossless (Process 14, any predictor), JPEG Baseline
//     and 8-bit JPEG Extended (through image/jpeg) and Deflated Image Frame
//     Compression are pure Go and always available.
//   - JPEG-LS (CharLS) and JPEG 2000, including High-Throughput JPEG 2000
//     (OpenJPEG), need cgo. A build without cgo still compiles; for those
//     syntaxes Supported reports false and Decode returns an error that wraps
//     ErrUnsupported and names the syntax.
//
// The caller's FrameInfo is trusted for sizes: every decoder checks the
// dimensions written in the compressed stream against it before allocating,
// so a corrupt stream cannot make Decode allocate more than the frame the
// caller described (and never more than MaxFrameBytes).
//
// Samples come back canonical: when BitsStored < BitsAllocated the bits above
// BitsStored are cleared (PixelRepresentation 0) or copies of the sign bit
// (PixelRepresentation 1), whatever the codestream held there. This is how a
// JPEG 2000 codestream that is unsigned while the dataset says signed (a known
// encoder fault) still yields the right values. MONOCHROME1 is not inverted
// and modality rescale is not applied: both belong to the caller.
//
// Decode is safe for concurrent use; it keeps no state between calls.
package codec
