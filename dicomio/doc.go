// Package dicomio reads DICOM series into correctly ordered, correctly
// scaled slices, and holds the DICOM element model and writer that the
// DICOM-SEG code builds on.
//
// # Reading series
//
// Scan walks folders (or takes files) and reads only headers, in parallel;
// it groups images into Series and lists every file or image it left out,
// with the reason, in ScanResult.Skipped. A Series knows its slice order
// and geometry (a geom.Grid), and whether its slices form a regular volume
// (VolumeErr says why not: gaps, gantry tilt, mixed orientations, …). The
// rules are documented on Series. Pixels are read one slice at a time with
// Series.ReadSlice, which reads only that slice's bytes from its file;
// Series.Volume loads everything when the caller asks.
//
// Grey slices come back as float32 after the Modality LUT (CT in
// Hounsfield units, each slice with its own rescale); MONOCHROME1 is
// inverted so that larger is brighter; colour comes back as interleaved
// 8-bit RGB (YBR converted, colour-by-plane interleaved, palettes
// applied). Compressed pixel data is decoded by dicomio/codec; a build
// without cgo reads everything but JPEG-LS and JPEG 2000, for which it
// returns ErrUnsupportedTransferSyntax naming the syntax.
//
// # The element model
//
// ReadFile parses any DICOM file: Part 10 (preamble, "DICM", file meta) or a
// bare dataset whose encoding is inferred; implicit VR little endian,
// explicit VR little and big endian, deflated explicit VR little endian;
// defined and undefined lengths, nested sequences, encapsulated pixel
// data. Every length is checked against what remains before anything is
// allocated, nesting is bounded, and corrupt input gives an error, never a
// panic. With ReadOptions.HeaderOnly it stops at the pixel data.
//
// A Dataset is an ordered set of Elements with typed getters (Strings,
// Ints, Floats, Items); tags are named in the dicomio/tag package. Build
// elements with NewStrings, NewInts, NewFloats, NewBytes and NewSequence,
// and write a dataset as a Part 10 file in explicit VR little endian with
// Write or WriteFile. NewUID makes new UIDs.
//
// # Segmentations (DICOM-SEG)
//
// WriteSEG writes a BINARY Segmentation of a scanned series from a label
// volume, in the form viewers (OHIF, 3D Slicer, PACS) display: explicit VR
// little endian, 1-bit frames aligned pixel for pixel with the source
// slices, each referencing its source image, the source's frame of
// reference and Patient/Study attributes. Its documentation states the
// policies for empty segments (kept, without frames), empty label volumes
// (no SEG: ErrEmptyMask) and sources without UIDs (ErrUnreferenceable:
// write NIfTI). ReadSEG reads BINARY, FRACTIONAL and LABELMAP SEGs in every
// transfer syntax the package decodes, and SEG.MapToSeries puts their
// frames back onto the slices of a series.
//
// # Errors
//
// Errors name the file or series and wrap a sentinel that callers test with
// errors.Is: ErrNotDICOM, ErrTruncated, ErrMalformed, ErrNotImage,
// ErrTooLarge, ErrUnsupportedTransferSyntax, ErrUnsupportedImage; the
// reasons a series is not a volume (ErrGantryTilt, …) come in a
// *VolumeError that also wraps ErrNotVolume.
package dicomio
