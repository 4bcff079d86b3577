package nifti

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Code is a coded concept as DICOM writes it (SNOMED CT codes for what a
// segment is: CodingSchemeDesignator "SCT").
type Code struct {
	CodeValue              string `json:"CodeValue"`
	CodingSchemeDesignator string `json:"CodingSchemeDesignator"`
	CodeMeaning            string `json:"CodeMeaning"`
}

// Label describes one segment of a label map: the voxel value that marks it,
// its name, a display colour and, optionally, what it is in SNOMED CT terms
// (DICOM's SegmentedPropertyCategory and SegmentedPropertyType).
type Label struct {
	Value    uint8    `json:"value"` // 1..255; 0 is the background
	Name     string   `json:"name"`
	Color    [3]uint8 `json:"color"` // recommended display colour, R G B
	Category *Code    `json:"category,omitempty"`
	Type     *Code    `json:"type,omitempty"`
}

// LabelTable lists the segments of a label map.
type LabelTable []Label

func (t LabelTable) has(v uint8) bool {
	for _, l := range t {
		if l.Value == v {
			return true
		}
	}
	return false
}

// Validate reports a label 0, a repeated value or an empty name.
func (t LabelTable) Validate() error {
	var seen [256]bool
	for _, l := range t {
		switch {
		case l.Value == 0:
			return fmt.Errorf("label table: value 0 is the background and cannot be a segment (%q)", l.Name)
		case seen[l.Value]:
			return fmt.Errorf("label table: value %d listed twice", l.Value)
		case strings.TrimSpace(l.Name) == "":
			return fmt.Errorf("label table: value %d has no name", l.Value)
		}
		seen[l.Value] = true
	}
	return nil
}

// itkName makes a name safe for ITK-SNAP's parser, which reads the label up
// to the next double quote on one line.
func itkName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, s)
}

// WriteITKSNAP writes t as an ITK-SNAP label description file (also read by
// ITK-SNAP's command-line tools and by convert3d): comment lines, then one
// line per label "IDX R G B A VIS MSH "LABEL"", starting with the 0 "Clear
// Label" row, A being opacity in 0..1.
func (t LabelTable) WriteITKSNAP(w io.Writer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(`################################################
# ITK-SnAP Label Description File
# File format:
# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL
# Fields:
#    IDX:   Zero-based index
#    -R-:   Red color component (0..255)
#    -G-:   Green color component (0..255)
#    -B-:   Blue color component (0..255)
#    -A-:   Label transparency (0.00 .. 1.00)
#    VIS:   Label visibility (0 or 1)
#    MSH:   Label mesh visibility (0 or 1)
#  LABEL:   Label description
# Written by mmcseg.
################################################
`)
	fmt.Fprintf(&b, "%5d %5d %4d %4d %8d %2d %2d    %q\n", 0, 0, 0, 0, 0, 0, 0, "Clear Label")
	for _, l := range t {
		fmt.Fprintf(&b, "%5d %5d %4d %4d %8d %2d %2d    \"%s\"\n", l.Value, l.Color[0], l.Color[1], l.Color[2], 1, 1, 1, itkName(l.Name))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// labelJSON is the JSON sidecar: a format tag so that readers can tell it
// apart, and the labels.
type labelJSON struct {
	Format string  `json:"format"`
	Labels []Label `json:"labels"`
}

// LabelJSONFormat is the "format" value of the JSON label table.
const LabelJSONFormat = "mmcseg-label-table/1"

// WriteJSON writes t as JSON: {"format": LabelJSONFormat, "labels": [{"value",
// "name", "color": [r, g, b], "category"?, "type"?}, ...]}, codes with
// DICOM's keys (CodeValue, CodingSchemeDesignator, CodeMeaning).
func (t LabelTable) WriteJSON(w io.Writer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(labelJSON{Format: LabelJSONFormat, Labels: t}, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// labelFileNames returns the sidecar names of a NIfTI path:
// mask.nii.gz → mask_labels.txt, mask_labels.json.
func labelFileNames(niftiPath string) (txt, js string) {
	stem := strings.TrimSuffix(strings.TrimSuffix(niftiPath, ".gz"), ".nii")
	return stem + "_labels.txt", stem + "_labels.json"
}

// WriteLabelTable writes t beside the NIfTI file niftiPath as an ITK-SNAP
// label description (<stem>_labels.txt) and as JSON (<stem>_labels.json),
// each atomically, and returns their paths.
func WriteLabelTable(ctx context.Context, niftiPath string, t LabelTable) ([]string, error) {
	all, err := stageLabelTable(ctx, niftiPath, t)
	if err != nil {
		return nil, err
	}
	if err := commitAll(ctx, all); err != nil {
		return nil, fmt.Errorf("nifti: %s: %w", niftiPath, err)
	}
	return []string{all[0].path, all[1].path}, nil
}

// stageLabelTable writes both label files under temporary names.
func stageLabelTable(ctx context.Context, niftiPath string, t LabelTable) ([]*staged, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("nifti: %s: %w", niftiPath, err)
	}
	txt, js := labelFileNames(niftiPath)
	a, err := stage(ctx, txt, t.WriteITKSNAP)
	if err != nil {
		return nil, fmt.Errorf("nifti: %s: %w", txt, err)
	}
	b, err := stage(ctx, js, t.WriteJSON)
	if err != nil {
		a.abort()
		return nil, fmt.Errorf("nifti: %s: %w", js, err)
	}
	return []*staged{a, b}, nil
}
