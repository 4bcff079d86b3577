package nifti

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Datatype is the NIfTI datatype code of the voxel values.
type Datatype int16

// The datatype codes of the NIfTI-1 standard that this package knows.
const (
	Uint8   Datatype = 2
	Int16   Datatype = 4
	Int32   Datatype = 8
	Float32 Datatype = 16
	Float64 Datatype = 64
	RGB24   Datatype = 128 // three uint8 per voxel, interleaved R, G, B
	Int8    Datatype = 256
	Uint16  Datatype = 512
	Uint32  Datatype = 768
	Int64   Datatype = 1024
	Uint64  Datatype = 1280
	RGBA32  Datatype = 2304 // four uint8 per voxel (read only; alpha is dropped)
)

var datatypeInfo = map[Datatype]struct {
	name string
	size int
}{
	Uint8: {"uint8", 1}, Int16: {"int16", 2}, Int32: {"int32", 4}, Float32: {"float32", 4},
	Float64: {"float64", 8}, RGB24: {"rgb24", 3}, Int8: {"int8", 1}, Uint16: {"uint16", 2},
	Uint32: {"uint32", 4}, Int64: {"int64", 8}, Uint64: {"uint64", 8}, RGBA32: {"rgba32", 4},
}

// Size returns the number of bytes of one voxel, or 0 for a datatype this
// package does not read (complex, float128, 1-bit).
func (d Datatype) Size() int { return datatypeInfo[d].size }

// IsRGB reports whether voxels are colour triplets (RGB24 or RGBA32).
func (d Datatype) IsRGB() bool { return d == RGB24 || d == RGBA32 }

func (d Datatype) String() string {
	if i, ok := datatypeInfo[d]; ok {
		return i.name
	}
	return fmt.Sprintf("datatype %d", int16(d))
}

// XformCode says what space an affine maps to (qform_code, sform_code).
type XformCode int32

// The xform codes of the standard (5 was added by later NIfTI revisions).
const (
	XformUnknown     XformCode = 0
	XformScannerAnat XformCode = 1 // scanner-based anatomical coordinates (DICOM)
	XformAlignedAnat XformCode = 2
	XformTalairach   XformCode = 3
	XformMNI152      XformCode = 4
	XformTemplate    XformCode = 5
)

// Intent codes that mmcseg writes or tests for.
const (
	IntentNone  int32 = 0
	IntentLabel int32 = 1002 // NIFTI_INTENT_LABEL: voxel values are label indices
)

// Units for XYZTUnits: spatial units in the low three bits, temporal units
// in bits 3–5.
const (
	UnitsMM  uint8 = 2
	UnitsSec uint8 = 8
)

// Header holds the fields of a NIfTI-1 or NIfTI-2 header, widened to the
// NIfTI-2 types so that both versions read into one struct. Text fields are
// cut at the first NUL. Fields that NIfTI-1 inherited from Analyze and never
// uses (data_type, db_name, extents, session_error, regular, glmax, glmin) are
// not kept.
type Header struct {
	Version   int              // 1 or 2
	ByteOrder binary.ByteOrder // byte order of the file
	Magic     string           // "n+1", "ni1", "n+2" or "ni2"

	DimInfo    uint8
	Dim        [8]int64 // Dim[0] is the number of dimensions
	IntentP1   float64
	IntentP2   float64
	IntentP3   float64
	IntentCode int32
	Datatype   Datatype
	Bitpix     int16
	SliceStart int64
	Pixdim     [8]float64 // Pixdim[0] is qfac; Pixdim[1..3] are voxel sizes
	VoxOffset  int64      // byte offset of the voxel data in the .nii (or .img) file
	SclSlope   float64
	SclInter   float64
	SliceEnd   int64
	SliceCode  int32
	XYZTUnits  int32
	CalMax     float64
	CalMin     float64

	SliceDuration float64
	Toffset       float64
	Descrip       string
	AuxFile       string

	QformCode XformCode
	SformCode XformCode
	QuaternB  float64
	QuaternC  float64
	QuaternD  float64
	QoffsetX  float64
	QoffsetY  float64
	QoffsetZ  float64
	SrowX     [4]float64
	SrowY     [4]float64
	SrowZ     [4]float64

	IntentName string
}

// Sizes of the two header versions (sizeof_hdr).
const (
	n1HeaderSize = 348
	n2HeaderSize = 540
)

// Errors that callers can tell apart with errors.Is.
var (
	// ErrNotNIfTI: the bytes are not a NIfTI-1/2 header (for instance an
	// Analyze 7.5 header, which has no NIfTI magic).
	ErrNotNIfTI = errors.New("not a NIfTI-1 or NIfTI-2 file")
	// ErrMissingImage: a header/image pair (.hdr) whose .img file is missing.
	ErrMissingImage = errors.New("image file of the .hdr/.img pair is missing")
	// ErrTruncated: the file is shorter than its header promises.
	ErrTruncated = errors.New("file is shorter than its header says")
	// ErrUnsupported: valid NIfTI that this package does not read (datatype,
	// number of dimensions).
	ErrUnsupported = errors.New("unsupported NIfTI content")
	// ErrTooLarge: the header asks for more memory than allowed.
	ErrTooLarge = errors.New("image too large")
	// ErrBadHeader: a header field holds an impossible value.
	ErrBadHeader = errors.New("invalid NIfTI header")
	// ErrGeometry: the transform cannot be turned into a geom.Grid (for
	// instance a sheared affine).
	ErrGeometry = errors.New("unusable NIfTI geometry")
)

// detectVersion reads sizeof_hdr (the first four bytes) in both byte orders.
func detectVersion(first4 []byte) (int, binary.ByteOrder, error) {
	for _, o := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		switch o.Uint32(first4) {
		case n1HeaderSize:
			return 1, o, nil
		case n2HeaderSize:
			return 2, o, nil
		}
	}
	return 0, nil, fmt.Errorf("%w: sizeof_hdr is %d (little endian) / %d (big endian), want 348 or 540",
		ErrNotNIfTI, binary.LittleEndian.Uint32(first4), binary.BigEndian.Uint32(first4))
}

type fields struct {
	b []byte
	o binary.ByteOrder
}

func (f fields) i16(off int) int16 { return int16(f.o.Uint16(f.b[off:])) }
func (f fields) i32(off int) int32 { return int32(f.o.Uint32(f.b[off:])) }
func (f fields) i64(off int) int64 { return int64(f.o.Uint64(f.b[off:])) }
func (f fields) f32(off int) float64 {
	return float64(math.Float32frombits(f.o.Uint32(f.b[off:])))
}
func (f fields) f64(off int) float64 { return math.Float64frombits(f.o.Uint64(f.b[off:])) }
func (f fields) str(off, n int) string {
	s := f.b[off : off+n]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

// decodeHeader parses a complete header (348 or 540 bytes). It checks only
// what identifies the format; validate checks the content.
func decodeHeader(b []byte) (*Header, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: %d bytes", ErrNotNIfTI, len(b))
	}
	v, o, err := detectVersion(b[:4])
	if err != nil {
		return nil, err
	}
	want := n1HeaderSize
	if v == 2 {
		want = n2HeaderSize
	}
	if len(b) < want {
		return nil, fmt.Errorf("%w: header of %d bytes, NIfTI-%d needs %d", ErrTruncated, len(b), v, want)
	}
	f := fields{b, o}
	h := &Header{Version: v, ByteOrder: o}
	if v == 1 {
		decodeN1(f, h)
	} else {
		decodeN2(f, h)
	}
	return h, nil
}

func decodeN1(f fields, h *Header) {
	magic := f.b[344:348]
	h.Magic = f.str(344, 4)
	if !bytes.Equal(magic, []byte("n+1\x00")) && !bytes.Equal(magic, []byte("ni1\x00")) {
		h.Magic = "" // Analyze or garbage; validate reports it
	}
	h.DimInfo = f.b[39]
	for i := range 8 {
		h.Dim[i] = int64(f.i16(40 + 2*i))
		h.Pixdim[i] = f.f32(76 + 4*i)
	}
	h.IntentP1, h.IntentP2, h.IntentP3 = f.f32(56), f.f32(60), f.f32(64)
	h.IntentCode = int32(f.i16(68))
	h.Datatype = Datatype(f.i16(70))
	h.Bitpix = f.i16(72)
	h.SliceStart = int64(f.i16(74))
	h.VoxOffset = -1 // set below when the float is a usable offset
	if vo := f.f32(108); vo >= 0 && vo == math.Trunc(vo) && vo < 1<<31 {
		h.VoxOffset = int64(vo)
	}
	h.SclSlope, h.SclInter = f.f32(112), f.f32(116)
	h.SliceEnd = int64(f.i16(120))
	h.SliceCode = int32(f.b[122])
	h.XYZTUnits = int32(f.b[123])
	h.CalMax, h.CalMin = f.f32(124), f.f32(128)
	h.SliceDuration, h.Toffset = f.f32(132), f.f32(136)
	h.Descrip = f.str(148, 80)
	h.AuxFile = f.str(228, 24)
	h.QformCode, h.SformCode = XformCode(f.i16(252)), XformCode(f.i16(254))
	h.QuaternB, h.QuaternC, h.QuaternD = f.f32(256), f.f32(260), f.f32(264)
	h.QoffsetX, h.QoffsetY, h.QoffsetZ = f.f32(268), f.f32(272), f.f32(276)
	for i := range 4 {
		h.SrowX[i] = f.f32(280 + 4*i)
		h.SrowY[i] = f.f32(296 + 4*i)
		h.SrowZ[i] = f.f32(312 + 4*i)
	}
	h.IntentName = f.str(328, 16)
}

// n2Magic are the eight magic bytes of NIfTI-2; the last four catch files
// mangled by text-mode transfers (as PNG's signature does).
var n2Tail = []byte("\r\n\x1a\n")

func decodeN2(f fields, h *Header) {
	magic := f.b[4:12]
	switch {
	case bytes.Equal(magic[:4], []byte("n+2\x00")) && bytes.Equal(magic[4:], n2Tail):
		h.Magic = "n+2"
	case bytes.Equal(magic[:4], []byte("ni2\x00")) && bytes.Equal(magic[4:], n2Tail):
		h.Magic = "ni2"
	}
	h.Datatype = Datatype(f.i16(12))
	h.Bitpix = f.i16(14)
	for i := range 8 {
		h.Dim[i] = f.i64(16 + 8*i)
		h.Pixdim[i] = f.f64(104 + 8*i)
	}
	h.IntentP1, h.IntentP2, h.IntentP3 = f.f64(80), f.f64(88), f.f64(96)
	h.VoxOffset = f.i64(168)
	h.SclSlope, h.SclInter = f.f64(176), f.f64(184)
	h.CalMax, h.CalMin = f.f64(192), f.f64(200)
	h.SliceDuration, h.Toffset = f.f64(208), f.f64(216)
	h.SliceStart, h.SliceEnd = f.i64(224), f.i64(232)
	h.Descrip = f.str(240, 80)
	h.AuxFile = f.str(320, 24)
	h.QformCode, h.SformCode = XformCode(f.i32(344)), XformCode(f.i32(348))
	h.QuaternB, h.QuaternC, h.QuaternD = f.f64(352), f.f64(360), f.f64(368)
	h.QoffsetX, h.QoffsetY, h.QoffsetZ = f.f64(376), f.f64(384), f.f64(392)
	for i := range 4 {
		h.SrowX[i] = f.f64(400 + 8*i)
		h.SrowY[i] = f.f64(432 + 8*i)
		h.SrowZ[i] = f.f64(464 + 8*i)
	}
	h.SliceCode = f.i32(496)
	h.XYZTUnits = f.i32(500)
	h.IntentCode = f.i32(504)
	h.IntentName = f.str(508, 16)
	h.DimInfo = f.b[524]
}

// IsPair reports whether the header belongs to a .hdr/.img pair (magic ni1
// or ni2) rather than a single .nii file.
func (h *Header) IsPair() bool { return strings.HasPrefix(h.Magic, "ni") }

// maxDim bounds each dimension: far above any real image, low enough that
// products of up to seven of them are checked for overflow step by step.
const maxDim = 1 << 31

// layout is what validate derives from a header: the shape of the image as
// mmcseg sees it (3-D, with a number of volumes) and the byte sizes.
type layout struct {
	nx, ny, nz int
	volumes    int
	sliceBytes int64 // bytes of one slice (nx·ny voxels)
	volBytes   int64 // bytes of one volume
	warnings   []string
}

// validate checks the header's content and derives the image layout. pair
// says whether the header came from a .hdr file.
func (h *Header) validate() (layout, error) {
	var l layout
	if h.Magic == "" {
		if h.Version == 1 {
			return l, fmt.Errorf("%w: sizeof_hdr is 348 but the magic is not \"n+1\" or \"ni1\" (an Analyze 7.5 header?)", ErrNotNIfTI)
		}
		return l, fmt.Errorf("%w: sizeof_hdr is 540 but the magic is not \"n+2\"/\"ni2\" with its \\r\\n\\x1a\\n check bytes", ErrNotNIfTI)
	}
	hdrSize := int64(n1HeaderSize)
	if h.Version == 2 {
		hdrSize = n2HeaderSize
	}
	if h.VoxOffset < 0 {
		return l, fmt.Errorf("%w: vox_offset is negative or not a whole number", ErrBadHeader)
	}
	if !h.IsPair() && h.VoxOffset < hdrSize {
		return l, fmt.Errorf("%w: vox_offset %d lies inside the %d-byte header", ErrBadHeader, h.VoxOffset, hdrSize)
	}

	size := h.Datatype.Size()
	if size == 0 {
		return l, fmt.Errorf("%w: datatype %d (%s)", ErrUnsupported, h.Datatype, h.Datatype)
	}
	if want := int16(8 * size); h.Bitpix != want {
		l.warnings = append(l.warnings, fmt.Sprintf("bitpix is %d, datatype %s has %d; using the datatype", h.Bitpix, h.Datatype, want))
	}

	nd := h.Dim[0]
	if nd < 1 || nd > 7 {
		return l, fmt.Errorf("%w: dim[0] = %d, must be 1..7", ErrBadHeader, nd)
	}
	var dims [8]int64
	for i := int64(1); i <= 7; i++ {
		dims[i] = 1
		if i <= nd {
			d := h.Dim[i]
			if d < 1 || d > maxDim {
				return l, fmt.Errorf("%w: dim[%d] = %d", ErrBadHeader, i, d)
			}
			dims[i] = d
		}
	}
	// Trailing axes of length 1 carry nothing: a 4-D file with one volume is
	// a 3-D image. Anything else beyond four axes is not an image mmcseg can
	// segment (CIFTI matrices, vector or tensor fields).
	eff := nd
	for eff > 3 && dims[eff] == 1 {
		eff--
	}
	if eff > 4 {
		return l, fmt.Errorf("%w: not a 3-D/4-D image (dim = %v)", ErrUnsupported, h.Dim[:nd+1])
	}
	l.nx, l.ny, l.nz, l.volumes = int(dims[1]), int(dims[2]), int(dims[3]), int(dims[4])

	var err error
	if l.sliceBytes, err = mulChecked(dims[1], dims[2], int64(size)); err != nil {
		return l, err
	}
	if l.volBytes, err = mulChecked(l.sliceBytes, dims[3]); err != nil {
		return l, err
	}
	if _, err = mulChecked(l.volBytes, dims[4], 1); err != nil {
		return l, err
	}
	return l, nil
}

// mulChecked multiplies positive numbers and fails instead of overflowing.
func mulChecked(xs ...int64) (int64, error) {
	p := int64(1)
	for _, x := range xs {
		if x != 0 && p > math.MaxInt64/x {
			return 0, fmt.Errorf("%w: image size overflows 64 bits", ErrTooLarge)
		}
		p *= x
	}
	return p, nil
}

// encodeN1 returns a little-endian NIfTI-1 single-file header followed by
// the four-byte extension flag (no extensions): 352 bytes, so that the
// voxel data starts at vox_offset 352.
func encodeN1(h *Header) []byte {
	b := make([]byte, n1HeaderSize+4)
	o := binary.LittleEndian
	i16 := func(off int, v int16) { o.PutUint16(b[off:], uint16(v)) }
	f32 := func(off int, v float64) { o.PutUint32(b[off:], math.Float32bits(float32(v))) }
	o.PutUint32(b[0:], n1HeaderSize)
	b[38] = 'r' // "regular", as the Analyze field was always set
	b[39] = h.DimInfo
	for i := range 8 {
		i16(40+2*i, int16(h.Dim[i]))
		f32(76+4*i, h.Pixdim[i])
	}
	f32(56, h.IntentP1)
	f32(60, h.IntentP2)
	f32(64, h.IntentP3)
	i16(68, int16(h.IntentCode))
	i16(70, int16(h.Datatype))
	i16(72, h.Bitpix)
	i16(74, int16(h.SliceStart))
	f32(108, float64(h.VoxOffset))
	f32(112, h.SclSlope)
	f32(116, h.SclInter)
	i16(120, int16(h.SliceEnd))
	b[122] = byte(h.SliceCode)
	b[123] = byte(h.XYZTUnits)
	f32(124, h.CalMax)
	f32(128, h.CalMin)
	f32(132, h.SliceDuration)
	f32(136, h.Toffset)
	copy(b[148:148+79], h.Descrip)
	copy(b[228:228+23], h.AuxFile)
	i16(252, int16(h.QformCode))
	i16(254, int16(h.SformCode))
	f32(256, h.QuaternB)
	f32(260, h.QuaternC)
	f32(264, h.QuaternD)
	f32(268, h.QoffsetX)
	f32(272, h.QoffsetY)
	f32(276, h.QoffsetZ)
	for i := range 4 {
		f32(280+4*i, h.SrowX[i])
		f32(296+4*i, h.SrowY[i])
		f32(312+4*i, h.SrowZ[i])
	}
	copy(b[328:328+15], h.IntentName)
	copy(b[344:], "n+1\x00")
	return b
}
