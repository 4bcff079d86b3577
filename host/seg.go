package host

import (
	"context"
	"errors"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/sdk"
)

// SEGMeta is what a SEG records about how it was made.
type SEGMeta struct {
	PluginName, PluginVersion string
	// SeriesDescription of the new SEG series.
	SeriesDescription string
	// ToolVersion is mmcseg's version (SoftwareVersions).
	ToolVersion string
}

// SEGWriter writes a DICOM Segmentation for a DICOM source series.
// labels holds Rows × Columns × Slices labels, slice k in the order of
// src.Slices (the first volume of a multi-volume series); segments are the
// meanings of the labels present.
type SEGWriter interface {
	WriteSEG(ctx context.Context, path string, src *dicomio.Series, labels []uint8, segments []sdk.SegmentInfo, meta SEGMeta) error
}

// ErrSEGUnavailable reports that no SEG writer is built in and none was
// given in Options.SEG.
var ErrSEGUnavailable = errors.New("DICOM-SEG writing is not available in this build")

// defaultSEG is the SEG writer used when Options.SEG is nil; nil while
// dicomio has none.
var defaultSEG SEGWriter
