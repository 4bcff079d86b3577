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
//   - RLE Lossless, JPEG Lossless (Process 14, any of the seven predictors,
//     point transform, restart intervals, 2..16 bits, 1 or 3 components),
//     JPEG Baseline and 8-bit JPEG Extended (through image/jpeg), 12-bit
//     JPEG Extended (a sequential DCT decoder of this package: greyscale or
//     unsubsampled colour; its exact floating-point inverse DCT is within
//     one level of the IJG integer one that dcmtk and GDCM use), and
//     Deflated Image Frame Compression are pure Go and always available.
//     BitsAllocated 1 (SEG) frames come from RLE, deflate and JPEG 2000.
//   - JPEG-LS (CharLS) and JPEG 2000, including High-Throughput JPEG 2000
//     (OpenJPEG 2.5), need cgo. A build without cgo still compiles; for those
//     syntaxes Supported reports false and Decode returns an error that wraps
//     ErrUnsupported and names the syntax.
//   - Progressive or subsampled 12-bit JPEG, hierarchical and
//     arithmetic-coded JPEG are reported as ErrUnsupported, naming the
//     process.
//
// The JPEG syntaxes (Baseline, Extended, Lossless, Lossless SV1, and the
// retired Huffman-coded Spectral Selection and Full Progression ones, which
// image/jpeg reads at 8 bits) dispatch on the frame header actually in the
// stream (8-bit SOF0/1/2 to image/jpeg, 12-bit SOF0/1 to the DCT decoder
// here, SOF3 to the lossless decoder, SOF55 to CharLS), so a stream filed
// under the wrong JPEG UID still decodes.
//
// The caller's FrameInfo is trusted for sizes: every decoder checks the
// dimensions written in the compressed stream against it before allocating
// (ErrMismatch when they differ), so a corrupt stream cannot make Decode
// allocate more than the frame the caller described, and never more than
// MaxFrameBytes.
//
// Samples come back canonical: when BitsStored < BitsAllocated the bits above
// BitsStored are cleared (PixelRepresentation 0) or copies of the sign bit
// (PixelRepresentation 1), whatever the codestream held there. This is how a
// JPEG 2000 codestream that is unsigned while the dataset says signed (a known
// encoder fault) still yields the right values, as pydicom and GDCM give them.
// MONOCHROME1 is not inverted and modality rescale is not applied: both
// belong to the caller.
//
// Colour: a YCbCr DCT JPEG comes back as RGB ("RGB"), with chroma upsampled
// and converted the way the IJG library does by default, so results match
// dcmtk and GDCM except for the inverse DCT (image/jpeg's differs from
// IJG's by at most a level or two). JPEG 2000 with the multiple component
// transform comes back "RGB" when the dataset said YBR_RCT or YBR_ICT.
// Lossless JPEG, JPEG-LS and RLE colour keep the dataset's Photometric.
//
// Leniency, where real files need it and no more: RLE segments that decode
// longer than the frame are cut (as pydicom does; encoders pad rows), fill
// bytes and junk before a restart marker are skipped, a lossless JPEG
// missing its final EOI is accepted when every sample was decoded. A
// deflated frame may carry one pad byte. Everything else that does not add
// up is ErrCorrupt. JPEG-LS streams must end with EOI: CharLS 2.4.1 spends
// tens of seconds on a stream cut inside a scan, so such frames are refused
// before CharLS sees them.
//
// Decode is safe for concurrent use; it keeps no state between calls.
package codec
