package sdk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/mmcseg/mmcseg/geom"
)

// MaxMessageSize is the largest gRPC message either side accepts: 256 MiB,
// enough for a 4096×4096 float32 slice (64 MiB) with room to spare.
const MaxMessageSize = 256 << 20

// MaxSliceBytes bounds the pixel data of one slice (rows × columns × bytes
// per pixel), leaving room within MaxMessageSize for the message envelope.
const MaxSliceBytes = MaxMessageSize - 1<<20

// Slice is one image of a series.
type Slice struct {
	Index         int
	Format        PixelFormat
	Rows, Columns int
	// Data holds Rows×Columns pixels, row-major, in Format's encoding
	// (little-endian for Float32). Sessions must not modify it.
	Data []byte
	// Position is the centre of the first pixel (ImagePositionPatient), or
	// nil when unknown.
	Position *geom.Vec3
}

// NewFloat32Slice returns a Float32 slice holding px (rows×columns values,
// row-major).
func NewFloat32Slice(index, rows, columns int, px []float32) Slice {
	data := make([]byte, 4*len(px))
	for i, v := range px {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	return Slice{Index: index, Format: Float32, Rows: rows, Columns: columns, Data: data}
}

// NewUint8Slice returns a Uint8 slice holding px (not copied).
func NewUint8Slice(index, rows, columns int, px []uint8) Slice {
	return Slice{Index: index, Format: Uint8, Rows: rows, Columns: columns, Data: px}
}

// NewRGB8Slice returns an RGB8 slice holding px (R, G, B interleaved; not
// copied).
func NewRGB8Slice(index, rows, columns int, px []uint8) Slice {
	return Slice{Index: index, Format: RGB8, Rows: rows, Columns: columns, Data: px}
}

// ErrBadSlice reports a slice whose size or data do not agree.
var ErrBadSlice = errors.New("bad slice")

// Check reports whether the slice is self-consistent: a known format,
// positive size within MaxSliceBytes, and exactly Rows×Columns pixels.
func (s Slice) Check() error {
	bpp := s.Format.BytesPerPixel()
	if bpp == 0 {
		return fmt.Errorf("%w %d: unknown pixel format %v", ErrBadSlice, s.Index, s.Format)
	}
	if s.Rows <= 0 || s.Columns <= 0 {
		return fmt.Errorf("%w %d: size %d×%d", ErrBadSlice, s.Index, s.Columns, s.Rows)
	}
	if int64(s.Rows)*int64(s.Columns)*int64(bpp) > MaxSliceBytes {
		return fmt.Errorf("%w %d: %d×%d %v pixels exceed %d MiB", ErrBadSlice, s.Index, s.Columns, s.Rows, s.Format, MaxSliceBytes>>20)
	}
	if want := s.Rows * s.Columns * bpp; len(s.Data) != want {
		return fmt.Errorf("%w %d: %d bytes of pixel data, want %d for %d×%d %v", ErrBadSlice, s.Index, len(s.Data), want, s.Columns, s.Rows, s.Format)
	}
	return nil
}

// Float32s decodes a Float32 slice's pixels.
func (s Slice) Float32s() ([]float32, error) {
	if s.Format != Float32 {
		return nil, fmt.Errorf("slice %d is %v, not FLOAT32", s.Index, s.Format)
	}
	if len(s.Data)%4 != 0 {
		return nil, fmt.Errorf("%w %d: %d bytes is not a whole number of float32", ErrBadSlice, s.Index, len(s.Data))
	}
	px := make([]float32, len(s.Data)/4)
	for i := range px {
		px[i] = math.Float32frombits(binary.LittleEndian.Uint32(s.Data[4*i:]))
	}
	return px, nil
}

// Mask is the answer for one slice: one label per pixel, 0 for background
// and otherwise the Number of one of the segments that apply to the series.
type Mask struct {
	Index         int
	Rows, Columns int
	// Labels holds Rows×Columns labels, row-major.
	Labels []uint8
	// Aux holds the auxiliary label maps the host asked for
	// (SeriesInfo.WantAux), each name at most once; nil when none were.
	Aux []LabelMap
}

// NewMask returns an all-background mask of s's size and index.
func NewMask(s Slice) Mask {
	return Mask{Index: s.Index, Rows: s.Rows, Columns: s.Columns, Labels: make([]uint8, s.Rows*s.Columns)}
}

// SliceErrorCode classifies a per-slice error.
type SliceErrorCode int

const (
	// SliceInvalidInput: the slice itself is unusable.
	SliceInvalidInput SliceErrorCode = 1
	// SliceFailed: the segmenter ran but produced no mask.
	SliceFailed SliceErrorCode = 2
	// SliceInternal: a bug or resource failure in the plugin.
	SliceInternal SliceErrorCode = 3
)

func (c SliceErrorCode) String() string {
	switch c {
	case SliceInvalidInput:
		return "invalid input"
	case SliceFailed:
		return "failed"
	case SliceInternal:
		return "internal error"
	}
	return fmt.Sprintf("SliceErrorCode(%d)", int(c))
}

// SliceError is a per-slice failure: the slice gets no mask, the series
// goes on. Sessions may return one from Segment to choose the code.
type SliceError struct {
	Index   int
	Code    SliceErrorCode
	Message string
}

func (e *SliceError) Error() string {
	return fmt.Sprintf("slice %d: %v: %s", e.Index, e.Code, e.Message)
}
