package codec

import (
	"errors"
	"fmt"
)

// FrameInfo describes the frame that the caller expects back.
type FrameInfo struct {
	Rows, Columns       int
	SamplesPerPixel     int    // 1 or 3
	BitsAllocated       int    // 1, 8, 16 or 32
	BitsStored          int    // 1..BitsAllocated
	PixelRepresentation int    // 0 unsigned, 1 signed (two's complement)
	Photometric         string // as in the dataset, e.g. "MONOCHROME2", "YBR_FULL_422"
}

// Decoded is one frame in native form: little-endian samples of BitsAllocated
// bits (except BitsAllocated 1: one byte per pixel, value 0 or 1), colour
// interleaved (PlanarConfiguration 0). Photometric says what the samples now
// are (a JPEG decoder that converts YBR to RGB returns "RGB").
type Decoded struct {
	Data        []byte
	Photometric string
}

var (
	// ErrUnsupported is wrapped by Decode for a transfer syntax (or a coding
	// process inside one, such as 12-bit JPEG) that this build cannot decode.
	// The message names the syntax, e.g.
	// "unsupported transfer syntax: JPEG 2000 Lossless (1.2.840.10008.1.2.4.90): ...".
	ErrUnsupported = errors.New("unsupported transfer syntax")

	// ErrCorrupt is wrapped by Decode for compressed data that does not
	// decode; the message says what was wrong.
	ErrCorrupt = errors.New("corrupt compressed frame")

	// ErrMismatch is wrapped by Decode when the compressed stream decodes
	// but describes a different frame than FrameInfo (size, number of
	// samples, precision). It usually means the dataset and its pixel data
	// disagree.
	ErrMismatch = errors.New("compressed frame does not match the dataset")

	// ErrFrameInfo is wrapped by Decode when FrameInfo itself is out of range
	// (BitsAllocated 12, zero rows, more than MaxFrameBytes, ...).
	ErrFrameInfo = errors.New("invalid frame description")
)

// MaxFrameBytes bounds the decoded size of one frame. It is far above any
// real frame (a 16-bit 8192×8192 colour frame is 384 MiB) and stops a corrupt
// header from asking for gigabytes.
const MaxFrameBytes = 1 << 30

// Transfer syntax UIDs this package knows by name. The ones Decode handles
// are listed in the package documentation.
const (
	ImplicitVRLittleEndian         = "1.2.840.10008.1.2"
	ExplicitVRLittleEndian         = "1.2.840.10008.1.2.1"
	EncapsulatedUncompressed       = "1.2.840.10008.1.2.1.98"
	DeflatedExplicitVRLittleEndian = "1.2.840.10008.1.2.1.99"
	ExplicitVRBigEndian            = "1.2.840.10008.1.2.2"
	JPEGBaseline8Bit               = "1.2.840.10008.1.2.4.50"
	JPEGExtended12Bit              = "1.2.840.10008.1.2.4.51"
	JPEGLossless                   = "1.2.840.10008.1.2.4.57"
	JPEGLosslessSV1                = "1.2.840.10008.1.2.4.70"
	JPEGLSLossless                 = "1.2.840.10008.1.2.4.80"
	JPEGLSNearLossless             = "1.2.840.10008.1.2.4.81"
	JPEG2000Lossless               = "1.2.840.10008.1.2.4.90"
	JPEG2000                       = "1.2.840.10008.1.2.4.91"
	HTJ2KLossless                  = "1.2.840.10008.1.2.4.201"
	HTJ2KLosslessRPCL              = "1.2.840.10008.1.2.4.202"
	HTJ2K                          = "1.2.840.10008.1.2.4.203"
	RLELossless                    = "1.2.840.10008.1.2.5"
	DeflatedImageFrame             = "1.2.840.10008.1.2.8.1"
)

// decoder decodes one frame whose FrameInfo has been validated into l.
type decoder func(frame []byte, info FrameInfo, l layout) (Decoded, error)

type syntax struct {
	name   string
	decode decoder // nil: known by name only
}

var syntaxes = map[string]syntax{
	ImplicitVRLittleEndian:         {name: "Implicit VR Little Endian"},
	ExplicitVRLittleEndian:         {name: "Explicit VR Little Endian"},
	EncapsulatedUncompressed:       {name: "Encapsulated Uncompressed Explicit VR Little Endian"},
	DeflatedExplicitVRLittleEndian: {name: "Deflated Explicit VR Little Endian"},
	ExplicitVRBigEndian:            {name: "Explicit VR Big Endian"},
	JPEGBaseline8Bit:               {name: "JPEG Baseline (Process 1)", decode: decodeJPEGFamily},
	JPEGExtended12Bit:              {name: "JPEG Extended (Process 2 & 4)", decode: decodeJPEGFamily},
	"1.2.840.10008.1.2.4.52":       {name: "JPEG Extended (Process 3 & 5) (retired)"},
	"1.2.840.10008.1.2.4.53":       {name: "JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (retired)", decode: decodeJPEGFamily},
	"1.2.840.10008.1.2.4.54":       {name: "JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9) (retired)"},
	"1.2.840.10008.1.2.4.55":       {name: "JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (retired)", decode: decodeJPEGFamily},
	"1.2.840.10008.1.2.4.56":       {name: "JPEG Full Progression, Non-Hierarchical (Process 11 & 13) (retired)"},
	JPEGLossless:                   {name: "JPEG Lossless (Process 14)", decode: decodeJPEGFamily},
	"1.2.840.10008.1.2.4.58":       {name: "JPEG Lossless, Non-Hierarchical (Process 15) (retired)"},
	"1.2.840.10008.1.2.4.59":       {name: "JPEG Extended, Hierarchical (Process 16 & 18) (retired)"},
	"1.2.840.10008.1.2.4.60":       {name: "JPEG Extended, Hierarchical (Process 17 & 19) (retired)"},
	"1.2.840.10008.1.2.4.61":       {name: "JPEG Spectral Selection, Hierarchical (Process 20 & 22) (retired)"},
	"1.2.840.10008.1.2.4.62":       {name: "JPEG Spectral Selection, Hierarchical (Process 21 & 23) (retired)"},
	"1.2.840.10008.1.2.4.63":       {name: "JPEG Full Progression, Hierarchical (Process 24 & 26) (retired)"},
	"1.2.840.10008.1.2.4.64":       {name: "JPEG Full Progression, Hierarchical (Process 25 & 27) (retired)"},
	"1.2.840.10008.1.2.4.65":       {name: "JPEG Lossless, Hierarchical (Process 28) (retired)"},
	"1.2.840.10008.1.2.4.66":       {name: "JPEG Lossless, Hierarchical (Process 29) (retired)"},
	JPEGLosslessSV1:                {name: "JPEG Lossless (Process 14, Selection Value 1)", decode: decodeJPEGFamily},
	JPEGLSLossless:                 {name: "JPEG-LS Lossless", decode: decodeJPEGLS},
	JPEGLSNearLossless:             {name: "JPEG-LS Near-Lossless", decode: decodeJPEGLS},
	JPEG2000Lossless:               {name: "JPEG 2000 Lossless", decode: decodeJ2K},
	JPEG2000:                       {name: "JPEG 2000", decode: decodeJ2K},
	"1.2.840.10008.1.2.4.92":       {name: "JPEG 2000 Part 2 Multi-component Lossless"},
	"1.2.840.10008.1.2.4.93":       {name: "JPEG 2000 Part 2 Multi-component"},
	"1.2.840.10008.1.2.4.94":       {name: "JPIP Referenced"},
	"1.2.840.10008.1.2.4.95":       {name: "JPIP Referenced Deflate"},
	"1.2.840.10008.1.2.4.100":      {name: "MPEG2 Main Profile / Main Level"},
	"1.2.840.10008.1.2.4.100.1":    {name: "Fragmentable MPEG2 Main Profile / Main Level"},
	"1.2.840.10008.1.2.4.101":      {name: "MPEG2 Main Profile / High Level"},
	"1.2.840.10008.1.2.4.101.1":    {name: "Fragmentable MPEG2 Main Profile / High Level"},
	"1.2.840.10008.1.2.4.102":      {name: "MPEG-4 AVC/H.264 High Profile / Level 4.1"},
	"1.2.840.10008.1.2.4.102.1":    {name: "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1"},
	"1.2.840.10008.1.2.4.103":      {name: "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1"},
	"1.2.840.10008.1.2.4.103.1":    {name: "Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1"},
	"1.2.840.10008.1.2.4.104":      {name: "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video"},
	"1.2.840.10008.1.2.4.104.1":    {name: "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video"},
	"1.2.840.10008.1.2.4.105":      {name: "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video"},
	"1.2.840.10008.1.2.4.105.1":    {name: "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video"},
	"1.2.840.10008.1.2.4.106":      {name: "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2"},
	"1.2.840.10008.1.2.4.106.1":    {name: "Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2"},
	"1.2.840.10008.1.2.4.107":      {name: "HEVC/H.265 Main Profile / Level 5.1"},
	"1.2.840.10008.1.2.4.108":      {name: "HEVC/H.265 Main 10 Profile / Level 5.1"},
	"1.2.840.10008.1.2.4.110":      {name: "JPEG XL Lossless"},
	"1.2.840.10008.1.2.4.111":      {name: "JPEG XL JPEG Recompression"},
	"1.2.840.10008.1.2.4.112":      {name: "JPEG XL"},
	HTJ2KLossless:                  {name: "High-Throughput JPEG 2000 Lossless", decode: decodeJ2K},
	HTJ2KLosslessRPCL:              {name: "High-Throughput JPEG 2000 with RPCL Options Lossless", decode: decodeJ2K},
	HTJ2K:                          {name: "High-Throughput JPEG 2000", decode: decodeJ2K},
	"1.2.840.10008.1.2.4.204":      {name: "JPIP HTJ2K Referenced"},
	"1.2.840.10008.1.2.4.205":      {name: "JPIP HTJ2K Referenced Deflate"},
	RLELossless:                    {name: "RLE Lossless", decode: decodeRLE},
	"1.2.840.10008.1.2.6.1":        {name: "RFC 2557 MIME Encapsulation (retired)"},
	"1.2.840.10008.1.2.6.2":        {name: "XML Encoding (retired)"},
	"1.2.840.10008.1.2.7.1":        {name: "SMPTE ST 2110-20 Uncompressed Progressive Active Video"},
	"1.2.840.10008.1.2.7.2":        {name: "SMPTE ST 2110-20 Uncompressed Interlaced Active Video"},
	"1.2.840.10008.1.2.7.3":        {name: "SMPTE ST 2110-30 PCM Digital Audio"},
	DeflatedImageFrame:             {name: "Deflated Image Frame Compression", decode: decodeDeflate},
}

// Name returns a human-readable name for any known transfer syntax UID,
// native ones included ("JPEG 2000 Lossless", "Explicit VR Little Endian").
// For a UID it does not know it returns "unknown transfer syntax".
func Name(transferSyntaxUID string) string {
	if s, ok := syntaxes[transferSyntaxUID]; ok {
		return s.name
	}
	return "unknown transfer syntax"
}

// describe names a syntax for messages: "JPEG 2000 Lossless (1.2.840.10008.1.2.4.90)".
func describe(uid string) string { return fmt.Sprintf("%s (%s)", Name(uid), uid) }

// Supported reports whether Decode handles the transfer syntax in this build.
// The native syntaxes (whose pixel data is not encapsulated) are not decoded
// here and report false.
func Supported(transferSyntaxUID string) bool {
	s, ok := syntaxes[transferSyntaxUID]
	if !ok || s.decode == nil {
		return false
	}
	return available(transferSyntaxUID)
}

// Decode decodes one frame (all fragments of that frame already
// concatenated) of the given transfer syntax into native form. Errors wrap
// ErrUnsupported, ErrCorrupt, ErrMismatch or ErrFrameInfo and name the
// syntax.
func Decode(transferSyntaxUID string, frame []byte, info FrameInfo) (Decoded, error) {
	s, ok := syntaxes[transferSyntaxUID]
	if !ok || s.decode == nil {
		return Decoded{}, fmt.Errorf("%w: %s: not a compressed pixel encoding this package decodes", ErrUnsupported, describe(transferSyntaxUID))
	}
	if !available(transferSyntaxUID) {
		return Decoded{}, fmt.Errorf("%w: %s: %s", ErrUnsupported, describe(transferSyntaxUID), unavailableReason)
	}
	l, err := info.layout()
	if err != nil {
		return Decoded{}, fmt.Errorf("%s: %w", describe(transferSyntaxUID), err)
	}
	d, err := s.decode(frame, info, l)
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return Decoded{}, fmt.Errorf("%w: %s: %s", ErrUnsupported, describe(transferSyntaxUID), unwrapMessage(err, ErrUnsupported))
		}
		return Decoded{}, fmt.Errorf("%s: %w", describe(transferSyntaxUID), err)
	}
	if len(d.Data) != l.size {
		// A decoder bug, not bad input: never hand out a short frame.
		return Decoded{}, fmt.Errorf("%s: internal error: decoded %d bytes, want %d", describe(transferSyntaxUID), len(d.Data), l.size)
	}
	canonicalize(d.Data, info)
	return d, nil
}

// unsupportedf makes a decoder's "this stream uses something we cannot
// decode" error; Decode puts the syntax name in front of the detail.
func unsupportedf(format string, args ...any) error {
	return &detailError{sentinel: ErrUnsupported, detail: fmt.Sprintf(format, args...)}
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

func mismatchf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMismatch}, args...)...)
}

// detailError carries a sentinel and a detail message separately so that
// Decode can write "sentinel: syntax: detail".
type detailError struct {
	sentinel error
	detail   string
}

func (e *detailError) Error() string { return e.sentinel.Error() + ": " + e.detail }
func (e *detailError) Unwrap() error { return e.sentinel }

func unwrapMessage(err, sentinel error) string {
	var d *detailError
	if errors.As(err, &d) && d.sentinel == sentinel {
		return d.detail
	}
	return err.Error()
}

// layout is the validated shape of the decoded frame.
type layout struct {
	pixels int // Rows × Columns
	bytes  int // bytes per sample: 1, 2 or 4; 1 for BitsAllocated 1 (one byte per pixel)
	size   int // bytes of the decoded frame
	packed int // bytes of the bit-packed frame for BitsAllocated 1, else 0
}

func (info FrameInfo) layout() (layout, error) {
	bad := func(format string, args ...any) (layout, error) {
		return layout{}, fmt.Errorf("%w: "+format, append([]any{ErrFrameInfo}, args...)...)
	}
	if info.Rows < 1 || info.Rows > 65535 || info.Columns < 1 || info.Columns > 65535 {
		return bad("%d rows × %d columns (each must be 1..65535)", info.Rows, info.Columns)
	}
	if info.SamplesPerPixel != 1 && info.SamplesPerPixel != 3 {
		return bad("SamplesPerPixel %d (must be 1 or 3)", info.SamplesPerPixel)
	}
	switch info.BitsAllocated {
	case 1, 8, 16, 32:
	default:
		return bad("BitsAllocated %d (must be 1, 8, 16 or 32)", info.BitsAllocated)
	}
	if info.BitsStored < 1 || info.BitsStored > info.BitsAllocated {
		return bad("BitsStored %d with BitsAllocated %d", info.BitsStored, info.BitsAllocated)
	}
	if info.PixelRepresentation != 0 && info.PixelRepresentation != 1 {
		return bad("PixelRepresentation %d (must be 0 or 1)", info.PixelRepresentation)
	}
	if info.BitsAllocated == 1 && (info.SamplesPerPixel != 1 || info.PixelRepresentation != 0) {
		return bad("1-bit frames must have one unsigned sample per pixel")
	}
	l := layout{pixels: info.Rows * info.Columns, bytes: info.BitsAllocated / 8}
	if info.BitsAllocated == 1 {
		l.bytes = 1
		l.packed = (l.pixels + 7) / 8
	}
	l.size = l.pixels * info.SamplesPerPixel * l.bytes
	if l.size > MaxFrameBytes {
		return bad("%d×%d×%d samples of %d bits is %d bytes, over the %d-byte limit",
			info.Rows, info.Columns, info.SamplesPerPixel, info.BitsAllocated, l.size, MaxFrameBytes)
	}
	return l, nil
}

// canonicalize clears the bits above BitsStored (unsigned) or fills them
// with the sign bit (signed) in every sample, in place.
func canonicalize(data []byte, info FrameInfo) {
	bs, ba := info.BitsStored, info.BitsAllocated
	if ba == 1 || bs == ba {
		return
	}
	signed := info.PixelRepresentation == 1
	switch ba {
	case 8:
		shift := uint(8 - bs)
		for i, b := range data {
			if signed {
				data[i] = byte(int8(b<<shift) >> shift)
			} else {
				data[i] = b << shift >> shift
			}
		}
	case 16:
		shift := uint(16 - bs)
		for i := 0; i+1 < len(data); i += 2 {
			v := uint16(data[i]) | uint16(data[i+1])<<8
			if signed {
				v = uint16(int16(v<<shift) >> shift)
			} else {
				v = v << shift >> shift
			}
			data[i], data[i+1] = byte(v), byte(v>>8)
		}
	case 32:
		shift := uint(32 - bs)
		for i := 0; i+3 < len(data); i += 4 {
			v := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
			if signed {
				v = uint32(int32(v<<shift) >> shift)
			} else {
				v = v << shift >> shift
			}
			data[i], data[i+1], data[i+2], data[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
	}
}

// unpackBits expands LSB-first packed bits into one byte (0 or 1) per pixel.
func unpackBits(dst, packed []byte) {
	n := len(dst)
	full := n / 8
	for i := 0; i < full; i++ {
		b := packed[i]
		d := dst[i*8 : i*8+8 : i*8+8]
		d[0] = b & 1
		d[1] = b >> 1 & 1
		d[2] = b >> 2 & 1
		d[3] = b >> 3 & 1
		d[4] = b >> 4 & 1
		d[5] = b >> 5 & 1
		d[6] = b >> 6 & 1
		d[7] = b >> 7
	}
	for i := full * 8; i < n; i++ {
		dst[i] = packed[i>>3] >> (i & 7) & 1
	}
}
