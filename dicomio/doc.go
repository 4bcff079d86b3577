// Package dicomio reads DICOM series into correctly ordered, correctly
// scaled slices and writes DICOM Segmentation objects.
package dicomio
