package host

import (
	"context"
	"strings"

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

// defaultSEG is the SEG writer used when Options.SEG is nil.
var defaultSEG SEGWriter = dicomSEG{}

// dicomSEG writes SEGs with dicomio.WriteSEG.
type dicomSEG struct{}

// WriteSEG maps the plugin's segments onto dicomio's and writes the SEG.
// Its warnings (segments without voxels, …) come back as a *SEGWarnings
// error only when nothing else went wrong; see segWarning.
func (dicomSEG) WriteSEG(ctx context.Context, path string, src *dicomio.Series, labels []uint8, segments []sdk.SegmentInfo, meta SEGMeta) error {
	opts := dicomio.SEGOptions{
		SeriesDescription:  meta.SeriesDescription,
		ContentLabel:       "MMCSEG",
		ContentDescription: "Segmentation by " + meta.PluginName + " " + meta.PluginVersion + " through mmcseg",
		SoftwareVersions:   meta.ToolVersion,
	}
	code := func(c sdk.Code) dicomio.Code {
		return dicomio.Code{Value: c.Value, Scheme: c.Scheme, Meaning: c.Meaning}
	}
	for _, s := range segments {
		typ := "AUTOMATIC"
		if s.SemiAutomatic {
			typ = "SEMIAUTOMATIC"
		}
		name := s.AlgorithmName
		if name == "" {
			name = meta.PluginName
		}
		opts.Segments = append(opts.Segments, dicomio.Segment{
			Number: s.Number, Label: s.Label, Description: s.Description,
			Category: code(s.Category), Type: code(s.Type), Color: s.Color,
			AlgorithmType: typ,
			Algorithm:     dicomio.Algorithm{Name: name, Version: meta.PluginVersion},
		})
	}
	res, err := dicomio.WriteSEG(ctx, path, src, labels, opts)
	if err != nil {
		return err
	}
	if len(res.Warnings) > 0 {
		return &SEGWarnings{Warnings: res.Warnings}
	}
	return nil
}

// SEGWarnings is returned by a SEGWriter that wrote its SEG but has
// something to say about it; the host records the warnings and keeps the
// SEG.
type SEGWarnings struct{ Warnings []string }

func (w *SEGWarnings) Error() string { return strings.Join(w.Warnings, "; ") }
