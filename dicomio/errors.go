package dicomio

import (
	"errors"
	"fmt"

	"github.com/mmcseg/mmcseg/dicomio/codec"
)

// Errors that callers tell apart with errors.Is. The errors returned always
// wrap one of these with the file (or series) concerned and the reason.
var (
	// ErrNotDICOM: the file is not DICOM (no "DICM" prefix and no
	// recognisable dataset at its start).
	ErrNotDICOM = errors.New("not a DICOM file")
	// ErrTruncated: the file ends inside an element, a sequence or the
	// pixel data.
	ErrTruncated = errors.New("file is truncated")
	// ErrMalformed: the file is DICOM but its structure is broken (an item
	// where none may be, lengths that overrun their parent, nesting too
	// deep, a value its VR cannot hold).
	ErrMalformed = errors.New("malformed DICOM")
	// ErrNotImage: the file is DICOM but holds no image this package reads
	// (a DICOMDIR, a structured report, an RT plan, a segmentation, an image
	// without pixel data).
	ErrNotImage = errors.New("not an image")
	// ErrTooLarge: a header claims more pixels than the limits allow; it is
	// refused before anything is allocated.
	ErrTooLarge = errors.New("image too large")
	// ErrUnsupportedTransferSyntax: the pixel data is compressed with a
	// transfer syntax this build cannot decode. It wraps
	// codec.ErrUnsupported (so errors.Is with either works), and the
	// messages name the syntax.
	ErrUnsupportedTransferSyntax = fmt.Errorf("%w", codec.ErrUnsupported)
	// ErrUnsupportedImage: the pixel format is one this package does not
	// convert (for example BitsAllocated 12, or a photometric
	// interpretation it does not know).
	ErrUnsupportedImage = errors.New("unsupported pixel format")
)

// Reasons why the slices of a series do not form a volume. A series'
// VolumeErr is a *VolumeError that wraps ErrNotVolume and one of these.
var (
	ErrNotVolume         = errors.New("not a volume")
	ErrNoGeometry        = errors.New("no patient geometry (ImagePositionPatient/ImageOrientationPatient)")
	ErrTooFewSlices      = errors.New("too few slices")
	ErrSamePosition      = errors.New("all images at the same position")
	ErrIrregularSpacing  = errors.New("irregular slice spacing (missing slices?)")
	ErrGantryTilt        = errors.New("gantry tilt (slices sheared against their normal)")
	ErrMixedOrientation  = errors.New("mixed orientations or sizes")
	ErrInconsistentStack = errors.New("inconsistent stack (positions repeat unevenly)")
)

// VolumeError says why a series is not a regular volume. Its slices can
// still be read one at a time.
type VolumeError struct {
	Series string // series key (SeriesInstanceUID or synthetic key)
	Err    error  // one of ErrNoGeometry, ErrTooFewSlices, …
	Detail string // what was found, in words
}

func (e *VolumeError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("series %s is not a volume: %v", e.Series, e.Err)
	}
	return fmt.Sprintf("series %s is not a volume: %v: %s", e.Series, e.Err, e.Detail)
}

// Unwrap makes errors.Is see both ErrNotVolume and the specific reason.
func (e *VolumeError) Unwrap() []error { return []error{ErrNotVolume, e.Err} }

// tsError marks a codec error that wraps codec.ErrUnsupported as an
// ErrUnsupportedTransferSyntax too, keeping the codec's message (which names
// the syntax) unchanged.
type tsError struct{ err error }

func (e tsError) Error() string   { return e.err.Error() }
func (e tsError) Unwrap() []error { return []error{ErrUnsupportedTransferSyntax, e.err} }
