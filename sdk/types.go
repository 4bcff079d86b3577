package sdk

import (
	"context"
	"fmt"

	"github.com/mmcseg/mmcseg/geom"
)

// ContractVersion is the version of the plugin contract this package
// implements: the protobuf package mmcseg.segmenter.v1.
const ContractVersion = 1

// Segmenter is what a SLICE- or VOLUME-mode plugin implements.
type Segmenter interface {
	// Describe returns the plugin's description. Serve calls it once, at
	// start; it must not change afterwards.
	Describe() Description
	// Open starts the segmentation of one series. params hold a value for
	// every declared parameter, already checked against Describe. An error
	// fails the whole series: wrap ErrInvalidInput or ErrUnsupported to say
	// the input is at fault, anything else counts as the plugin's failure.
	// With ConcurrentSeries, Open may be called again before earlier
	// sessions are closed.
	Open(ctx context.Context, series SeriesInfo, params Params) (Session, error)
}

// Session is the state of one series. Besides Close it implements
// SliceSession (Description.InputMode SliceMode) or VolumeSession
// (VolumeMode).
type Session interface {
	// Close releases the session's resources. It is called exactly once,
	// also when the series failed or was cancelled.
	Close() error
}

// SliceSession receives a series one slice at a time.
type SliceSession interface {
	Session
	// Segment is called once per slice, in index order, never
	// concurrently within a session. It returns the slice's mask (the SDK
	// fills in Index; Rows and Columns must be the slice's) or an error
	// that becomes a per-slice error: a *SliceError keeps its code, other
	// errors get SliceFailed. The series goes on with the next slice. When
	// ctx is cancelled Segment should return promptly.
	Segment(ctx context.Context, s Slice) (Mask, error)
}

// VolumeSession receives the whole series before answering.
type VolumeSession interface {
	Session
	// SegmentVolume is called once with every slice of the series in index
	// order and returns one mask per slice, in the same order. An error
	// becomes a per-slice error for every slice (see SliceSession.Segment).
	SegmentVolume(ctx context.Context, slices []Slice) ([]Mask, error)
}

// InputMode says how a plugin receives a series.
type InputMode int

const (
	// SliceMode: one slice at a time (the default).
	SliceMode InputMode = 1
	// VolumeMode: the whole stack at once.
	VolumeMode InputMode = 2
)

func (m InputMode) String() string {
	switch m {
	case SliceMode:
		return "SLICE"
	case VolumeMode:
		return "VOLUME"
	}
	return fmt.Sprintf("InputMode(%d)", int(m))
}

// PixelFormat is the encoding of a slice's pixels on the wire.
type PixelFormat int

const (
	// Float32 is one little-endian float32 per pixel: modality-LUT output
	// (CT in Hounsfield units).
	Float32 PixelFormat = 1
	// Uint8 is one grey byte per pixel.
	Uint8 PixelFormat = 2
	// RGB8 is three bytes per pixel, R, G, B interleaved.
	RGB8 PixelFormat = 3
)

// BytesPerPixel returns the size of one pixel, or 0 for an unknown format.
func (f PixelFormat) BytesPerPixel() int {
	switch f {
	case Float32:
		return 4
	case Uint8:
		return 1
	case RGB8:
		return 3
	}
	return 0
}

func (f PixelFormat) String() string {
	switch f {
	case Float32:
		return "FLOAT32"
	case Uint8:
		return "UINT8"
	case RGB8:
		return "RGB8"
	}
	return fmt.Sprintf("PixelFormat(%d)", int(f))
}

// Description is what Describe returns: the plugin's identity, what it
// accepts and what it produces.
type Description struct {
	// Name is short and machine-friendly, e.g. "kmeans" ([a-z0-9][a-z0-9._-]*).
	Name    string
	Version string
	// Summary is one paragraph for humans.
	Summary string
	// ContractVersion is set by Serve (and read by the host).
	ContractVersion int
	// Segments the plugin can produce; see Description.SegmentsFor.
	Segments []SegmentInfo
	// Modalities accepted (DICOM Modality values); empty means any.
	Modalities []string
	// PixelFormats accepted; at least one.
	PixelFormats []PixelFormat
	// PhotometricInterpretations accepted; empty means any.
	PhotometricInterpretations []string
	// InputMode defaults to SliceMode.
	InputMode  InputMode
	Parameters []Parameter
	// ConcurrentSeries says the plugin may be given several series at
	// once; otherwise the host (and Serve) run one at a time.
	ConcurrentSeries bool
	// AuxMaps are the auxiliary label maps the plugin can attach to its
	// masks when a host asks (SeriesInfo.WantAux, Mask.Aux), e.g.
	// AuxClusters and AuxClustersWork.
	AuxMaps []string
}

// SegmentInfo describes one segment a plugin produces: the meaning of one
// mask label.
type SegmentInfo struct {
	// Number is the label value in masks, 1..255.
	Number int
	// Label is the DICOM SegmentLabel, e.g. "Lung".
	Label       string
	Description string
	// Color is the recommended display colour (R, G, B).
	Color [3]uint8
	// Category and Type are the DICOM-SEG segmented property category and
	// type, normally SNOMED CT codes (see SCT). AnatomicRegion is optional.
	Category, Type, AnatomicRegion Code
	// AlgorithmName is the DICOM SegmentAlgorithmName.
	AlgorithmName string
	// SemiAutomatic marks a segment whose algorithm needs user input; the
	// default is AUTOMATIC.
	SemiAutomatic bool
	// Modalities and PixelFormats restrict the inputs this segment applies
	// to; empty means all. This is how one plugin says "Lung" for CT and
	// "Skin lesion" for colour photographs.
	Modalities   []string
	PixelFormats []PixelFormat
}

// Code is a coded concept (DICOM CodingSchemeDesignator, CodeValue,
// CodeMeaning).
type Code struct {
	Scheme, Value, Meaning string
}

// SCT returns a SNOMED CT code.
func SCT(value, meaning string) Code { return Code{Scheme: "SCT", Value: value, Meaning: meaning} }

// IsZero reports whether c is unset.
func (c Code) IsZero() bool { return c == Code{} }

func (c Code) String() string { return fmt.Sprintf("(%s, %s, %q)", c.Scheme, c.Value, c.Meaning) }

// ParamType is the type of a plugin parameter.
type ParamType int

const (
	ParamInt    ParamType = 1 // decimal integer
	ParamFloat  ParamType = 2 // finite float
	ParamBool   ParamType = 3 // "true" or "false"
	ParamString ParamType = 4 // any UTF-8 text
	ParamEnum   ParamType = 5 // one of Parameter.Choices
)

func (t ParamType) String() string {
	switch t {
	case ParamInt:
		return "int"
	case ParamFloat:
		return "float"
	case ParamBool:
		return "bool"
	case ParamString:
		return "string"
	case ParamEnum:
		return "enum"
	}
	return fmt.Sprintf("ParamType(%d)", int(t))
}

// Parameter describes one parameter a plugin takes.
type Parameter struct {
	// Name is [a-z][a-z0-9_]*.
	Name string
	Type ParamType
	// Default is the value used when the user gives none, written as the
	// user would write it ("3", "0.5", "true").
	Default string
	// Min and Max bound INT and FLOAT values (inclusive); nil is unbounded.
	Min, Max *float64
	// Choices are the allowed values of an ENUM.
	Choices     []string
	Description string
}

// Bound returns a pointer to v, for Parameter.Min and Max.
func Bound(v float64) *float64 { return &v }

// SeriesInfo is the context of one series, sent before its slices.
type SeriesInfo struct {
	UID                       string
	Modality                  string // DICOM Modality, "OT" when unknown
	PhotometricInterpretation string
	BodyPart                  string
	Manufacturer              string
	Description               string
	// Format, Rows and Columns hold for every slice.
	Format        PixelFormat
	Rows, Columns int
	Slices        int
	// Geometry of the stack in DICOM patient coordinates, nil for inputs
	// without one (photographs). Its Rows, Columns and Slices equal the
	// fields above.
	Geometry *geom.Grid
	// Threads is how many threads the plugin may use; 0 means no limit
	// was given.
	Threads int
	// WantAux names the auxiliary label maps the host wants with every
	// mask (a subset of Description.AuxMaps); see WantsAux.
	WantAux []string
}

// Progress is a progress event from a plugin, as the host sees it.
type Progress struct {
	// Slice is the slice being worked on.
	Slice int
	// Iteration of Iterations within that slice (both 0 if not applicable).
	Iteration, Iterations int
	// Fraction of the whole series done, 0..1.
	Fraction float64
	Message  string
}

// MarshalText writes the format's contract name (FLOAT32, UINT8, RGB8).
func (f PixelFormat) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (f *PixelFormat) UnmarshalText(b []byte) error {
	for _, c := range []PixelFormat{Float32, Uint8, RGB8} {
		if c.String() == string(b) {
			*f = c
			return nil
		}
	}
	return fmt.Errorf("unknown pixel format %q", b)
}

// MarshalText writes SLICE or VOLUME.
func (m InputMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (m *InputMode) UnmarshalText(b []byte) error {
	for _, c := range []InputMode{SliceMode, VolumeMode} {
		if c.String() == string(b) {
			*m = c
			return nil
		}
	}
	return fmt.Errorf("unknown input mode %q", b)
}

// MarshalText writes the type's name (int, float, bool, string, enum).
func (t ParamType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (t *ParamType) UnmarshalText(b []byte) error {
	for _, c := range []ParamType{ParamInt, ParamFloat, ParamBool, ParamString, ParamEnum} {
		if c.String() == string(b) {
			*t = c
			return nil
		}
	}
	return fmt.Errorf("unknown parameter type %q", b)
}
