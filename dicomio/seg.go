package dicomio

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mmcseg/mmcseg/dicomio/tag"
)

// Errors of the SEG writer and reader.
var (
	// ErrUnreferenceable: the source series cannot be referenced by a SEG
	// (missing UIDs, a Siemens mosaic, several volumes in one series).
	ErrUnreferenceable = errors.New("source cannot be referenced by a DICOM-SEG")
	// ErrEmptyMask: the label volume has no foreground; no SEG is written.
	ErrEmptyMask = errors.New("mask empty: no SEG written")
	// ErrNotSEG: the file is not a DICOM Segmentation this package reads.
	ErrNotSEG = errors.New("not a DICOM segmentation")
	// ErrNotMappable: the SEG's frames cannot be placed on the slices of
	// the series (no per-frame positions or references, TILED_FULL tiles,
	// another frame size or orientation).
	ErrNotMappable = errors.New("SEG frames cannot be mapped onto the series")
	// ErrMissingReferences: some frames of the SEG belong to images that
	// are not in the series.
	ErrMissingReferences = errors.New("SEG frames reference images not in the series")
	// ErrOverlap: segments overlap, so they do not fit one label volume.
	ErrOverlap = errors.New("segments overlap")
)

// Code is a coded concept: a code value, the designator of its coding
// scheme and its meaning, e.g. {"10200004", "SCT", "Liver"} (SNOMED CT) or
// {"113076", "DCM", "Segmentation"}.
type Code struct {
	Value   string // CodeValue (LongCodeValue when longer than 16 characters)
	Scheme  string // CodingSchemeDesignator: "SCT" for SNOMED CT, "DCM", …
	Meaning string // CodeMeaning
}

// IsZero reports whether c is the zero Code.
func (c Code) IsZero() bool { return c == Code{} }

func (c Code) String() string { return fmt.Sprintf("(%s, %s, %q)", c.Value, c.Scheme, c.Meaning) }

// Algorithm identifies the algorithm that produced a segment.
type Algorithm struct {
	Name    string
	Version string
	// Family is a code of CID 7162; writing the zero Code means
	// (123110, DCM, "Artificial Intelligence").
	Family Code
}

// Segment describes one segment of a SEG.
type Segment struct {
	// Number is the segment number; in a label volume given to WriteSEG,
	// the voxels of this segment have the value Number.
	Number      int
	Label       string // SegmentLabel, e.g. "liver"
	Description string // SegmentDescription (optional)
	// Category and Type are the segmented property category and type,
	// normally SNOMED CT codes, e.g. {"123037004", "SCT", "Anatomical
	// Structure"} and {"10200004", "SCT", "Liver"}.
	Category, Type Code
	// Color is the recommended display colour in sRGB. The SEG stores it as
	// CIELab (PS3.3 C.10.7.1.1). Writing {0, 0, 0} picks a colour from a
	// fixed palette by segment number; a read SEG without a colour gives
	// {0, 0, 0}.
	Color [3]uint8
	// AlgorithmType is AUTOMATIC, SEMIAUTOMATIC or MANUAL; WriteSEG writes
	// AUTOMATIC when it is empty.
	AlgorithmType string
	Algorithm     Algorithm
}

// Coded concepts the writer uses.
var (
	codeArtificialIntelligence = Code{"123110", "DCM", "Artificial Intelligence"}
	codeSourceForProcessing    = Code{"121322", "DCM", "Source image for image processing operation"}
	codeSegmentation           = Code{"113076", "DCM", "Segmentation"}
)

// codeItem returns the item of a code sequence holding c.
func codeItem(c Code) *Dataset {
	value := NewStrings(tag.CodeValue, VRSH, c.Value)
	if len(c.Value) > 16 {
		value = NewStrings(tag.LongCodeValue, VRUC, c.Value)
	}
	return NewDataset(
		value,
		NewStrings(tag.CodingSchemeDesignator, VRSH, c.Scheme),
		NewStrings(tag.CodeMeaning, VRLO, c.Meaning),
	)
}

// checkCode reports a code that cannot be written.
func checkCode(what string, c Code) error {
	switch {
	case strings.TrimSpace(c.Value) == "":
		return fmt.Errorf("%s code has no value", what)
	case strings.TrimSpace(c.Scheme) == "":
		return fmt.Errorf("%s code %s has no coding scheme designator", what, c)
	case strings.TrimSpace(c.Meaning) == "":
		return fmt.Errorf("%s code %s has no meaning", what, c)
	}
	for _, e := range codeItem(c).elems {
		if e.err != nil {
			return fmt.Errorf("%s code %s: %w", what, c, e.err)
		}
	}
	return nil
}

// codeOf reads the first item of a code sequence.
func codeOf(ds *Dataset, t tag.Tag) Code {
	items := ds.Items(t)
	if len(items) == 0 {
		return Code{}
	}
	it := items[0]
	c := Code{Value: it.String(tag.CodeValue), Scheme: it.String(tag.CodingSchemeDesignator), Meaning: it.String(tag.CodeMeaning)}
	if c.Value == "" {
		c.Value = it.String(tag.LongCodeValue)
	}
	if c.Value == "" {
		c.Value = it.String(tag.URNCodeValue)
	}
	return c
}
