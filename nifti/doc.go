// Package nifti reads NIfTI-1 and NIfTI-2 images and writes NIfTI-1 images
// and label maps, with their geometry as a geom.Grid, so that a NIfTI volume
// is handed to a segmenter slice by slice exactly like a DICOM series and a
// mask computed on either lands on the same voxels.
//
// # Reading
//
// ReadFile and Read accept single files (.nii, .nii.gz — gzip is recognised
// by content) and .hdr/.img pairs, both byte orders (sizeof_hdr 348 or 540
// read either way decides version and byte order), datatypes uint8, int8,
// int16, uint16, int32, uint32, int64, uint64, float32, float64, RGB24 and
// RGBA32. An Analyze 7.5 header (no NIfTI magic) fails with ErrNotNIfTI; a
// pair whose .img is missing with ErrMissingImage naming it. 3-D and 4-D
// images are read (ReadOptions.Volume picks the volume of a 4-D image);
// trailing axes of length 1 are dropped; anything with more axes (CIFTI,
// vector fields) fails with ErrUnsupported. Header extensions are skipped
// by honouring vox_offset.
//
// Sizes are checked before allocating: an uncompressed file must be as
// long as its header says, a gzip file cannot expand more than 1032-fold,
// one volume may not exceed ReadOptions.MaxBytes, and decompression stops
// at the end of the volume read.
//
// Voxel values are scaled by scl_slope and scl_inter unless the slope is 0
// or not finite (nibabel's rule); NaN stays NaN.
//
// The geometry follows nibabel's get_best_affine: the sform if sform_code >
// 0, else the qform if qform_code > 0, else voxel sizes only, with x flipped
// and the origin at the centre of the volume (nibabel's base affine; the
// NIfTI standard's method 1 has neither flip nor centring) and a warning.
// Codes outside 0..5 count as 0. The chosen RAS affine becomes a geom.Grid
// through geom.FromRAS: i is the column index (dim 1), j the row (dim 2), k
// the slice (dim 3). Voxels keep their file order — nothing is reoriented —
// so a mask written back on Image.Grid matches the input voxel for voxel. A
// sheared affine cannot be a stack of slices and fails with ErrGeometry.
//
// # Writing
//
// Write, WriteRGB and WriteLabels write little-endian NIfTI-1 (.nii, or
// .nii.gz compressed with klauspost/compress), atomically: a temporary file
// in the target folder, synced, renamed; nothing is left behind on error or
// cancellation. The sform is Grid.RAS() (the one LPS→RAS conversion, in
// geom) and the qform is the same matrix as quaternion, voxel sizes and qfac,
// both with code 1 (scanner) by default; units are mm and s.
//
// Gantry tilt: when the slice axis is not perpendicular to the slices, the
// affine has shear that no quaternion can express. The writer then sets
// qform_code 0 and keeps the exact sform, and says so in Info.Warnings. A
// qform that disagreed with the sform would make tools that prefer the qform
// (ITK) and tools that prefer the sform (nibabel, FSL) put voxels in
// different places — the bug this package exists to avoid. ITK-based
// viewers refuse sheared files with an error rather than misplacing them;
// resampling to an orthogonal grid is the remedy.
//
// More generally the qform is written only if it places every voxel within
// QformTolerance of the sform, both as nibabel and as nifti1_io (ITK, FSL,
// AFNI) recover the quaternion. NIfTI-1 stores the quaternion as float32,
// and readers recompute its first component as √(1−b²−c²−d²), which near a
// half-turn magnifies the rounding: orientations within a few hundredths of
// a degree of an axis flip (but not exactly on it) cannot be held within
// 0.01 mm over a CT-sized volume, so they too get the sform alone (with an
// orthonormal sform, which every reader, ITK included, accepts).
//
// Label maps get intent NIFTI_INTENT_LABEL and a label table beside them,
// as an ITK-SNAP label description file and as JSON (WriteLabelTable).
package nifti
