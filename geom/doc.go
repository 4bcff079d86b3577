// Package geom holds the one geometry type shared by the DICOM and NIfTI
// packages: a stack of parallel slices in patient space, with its origin,
// row/column/slice directions and spacing.
//
// It is the only place in mmcseg where axis order and the LPS (DICOM) to RAS
// (NIfTI) conversion are decided. Voxel indices are always (i, j, k) =
// (column, row, slice); DICOM's PixelSpacing is (row spacing, column
// spacing), which Grid keeps as RowSpacing and ColSpacing so that the order
// cannot be confused.
package geom
