package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
)

// JPEG markers (ITU-T T.81 Table B.1, T.87 for SOF55).
const (
	mSOF0  = 0xC0 // baseline DCT
	mSOF1  = 0xC1 // extended sequential DCT, Huffman
	mSOF2  = 0xC2 // progressive DCT, Huffman
	mSOF3  = 0xC3 // lossless, Huffman
	mDHT   = 0xC4
	mSOF5  = 0xC5
	mSOF7  = 0xC7
	mJPG   = 0xC8
	mDAC   = 0xCC
	mSOF15 = 0xCF
	mRST0  = 0xD0
	mRST7  = 0xD7
	mSOI   = 0xD8
	mEOI   = 0xD9
	mSOS   = 0xDA
	mDNL   = 0xDC
	mDRI   = 0xDD
	mSOF55 = 0xF7 // JPEG-LS
	mTEM   = 0x01
)

// sofHeader is the frame header of a JPEG stream, as far as dispatch and
// size checks need it.
type sofHeader struct {
	marker     byte
	precision  int
	rows, cols int
	comps      int
}

// segmentReader walks the marker segments of a JPEG stream outside the
// entropy-coded data.
type segmentReader struct {
	data []byte
	pos  int
}

// next returns the next marker and its payload (without the length bytes).
// Markers without a payload (SOI, EOI, RSTn, TEM) return a nil payload.
// Fill bytes (0xFF runs) before a marker are skipped.
func (r *segmentReader) next() (byte, []byte, error) {
	if r.pos >= len(r.data) || r.data[r.pos] != 0xFF {
		return 0, nil, corruptf("expected a JPEG marker at byte %d", r.pos)
	}
	for r.pos < len(r.data) && r.data[r.pos] == 0xFF {
		r.pos++
	}
	if r.pos >= len(r.data) {
		return 0, nil, corruptf("JPEG stream ends inside a marker")
	}
	m := r.data[r.pos]
	r.pos++
	if m == 0 {
		return 0, nil, corruptf("stuffed zero byte where a JPEG marker was expected at byte %d", r.pos-2)
	}
	if m == mSOI || m == mEOI || m == mTEM || (m >= mRST0 && m <= mRST7) {
		return m, nil, nil
	}
	if r.pos+2 > len(r.data) {
		return 0, nil, corruptf("JPEG marker 0x%02X at byte %d has no length", m, r.pos-2)
	}
	n := int(binary.BigEndian.Uint16(r.data[r.pos:]))
	if n < 2 || r.pos+n > len(r.data) {
		return 0, nil, corruptf("JPEG marker 0x%02X at byte %d: length %d runs past the %d-byte stream", m, r.pos-2, n, len(r.data))
	}
	p := r.data[r.pos+2 : r.pos+n]
	r.pos += n
	return m, p, nil
}

func isSOF(m byte) bool {
	return (m >= mSOF0 && m <= mSOF15 && m != mDHT && m != mJPG && m != mDAC) || m == mSOF55
}

// readSOF finds the frame header of a JPEG or JPEG-LS stream.
func readSOF(data []byte) (sofHeader, error) {
	if len(data) < 2 || data[0] != 0xFF || data[1] != mSOI {
		return sofHeader{}, corruptf("frame does not start with a JPEG SOI marker")
	}
	r := segmentReader{data: data, pos: 2}
	for {
		m, p, err := r.next()
		if err != nil {
			return sofHeader{}, err
		}
		switch {
		case isSOF(m):
			if len(p) < 6 {
				return sofHeader{}, corruptf("JPEG frame header (marker 0x%02X) is %d bytes, too short", m, len(p))
			}
			h := sofHeader{
				marker:    m,
				precision: int(p[0]),
				rows:      int(binary.BigEndian.Uint16(p[1:])),
				cols:      int(binary.BigEndian.Uint16(p[3:])),
				comps:     int(p[5]),
			}
			return h, nil
		case m == mSOS || m == mEOI:
			return sofHeader{}, corruptf("JPEG stream has no frame header before marker 0x%02X", m)
		}
	}
}

func jpegProcess(m byte) string {
	switch m {
	case mSOF0:
		return "baseline DCT (SOF0)"
	case mSOF1:
		return "extended sequential DCT (SOF1)"
	case mSOF2:
		return "progressive DCT (SOF2)"
	case mSOF3:
		return "lossless (SOF3)"
	case mSOF55:
		return "JPEG-LS (SOF55)"
	}
	switch {
	case m >= mSOF5 && m <= mSOF7:
		return fmt.Sprintf("hierarchical JPEG (SOF%d)", m-mSOF0)
	case m > mJPG:
		return fmt.Sprintf("arithmetic-coded JPEG (SOF%d)", m-mSOF0)
	}
	return fmt.Sprintf("JPEG marker 0x%02X", m)
}

// decodeJPEGFamily serves the four JPEG transfer syntaxes. It dispatches on
// the coding process the stream really uses, not on the UID: mislabelled
// files (a lossless stream under the baseline UID) are common enough.
func decodeJPEGFamily(frame []byte, info FrameInfo, l layout) (Decoded, error) {
	sof, err := readSOF(frame)
	if err != nil {
		return Decoded{}, err
	}
	switch sof.marker {
	case mSOF3:
		return decodeJPEGLossless(frame, info, l)
	case mSOF55:
		return decodeJPEGLS(frame, info, l)
	case mSOF0, mSOF1, mSOF2:
		switch {
		case sof.precision == 8:
			return decodeJPEGDCT(frame, info, l, sof)
		case sof.precision == 12 && sof.marker != mSOF2:
			return decodeJPEG12(frame, info, l)
		}
		return Decoded{}, unsupportedf("%d-bit %s is not supported", sof.precision, jpegProcess(sof.marker))
	}
	return Decoded{}, unsupportedf("%s is not supported", jpegProcess(sof.marker))
}

// checkDims compares a codestream's size and sample count with FrameInfo.
func checkDims(what string, rows, cols, comps int, info FrameInfo) error {
	if rows != info.Rows || cols != info.Columns || comps != info.SamplesPerPixel {
		return mismatchf("%s is %d×%d with %d component(s), dataset says %d×%d with %d sample(s) per pixel",
			what, rows, cols, comps, info.Rows, info.Columns, info.SamplesPerPixel)
	}
	return nil
}

// decodeJPEGDCT decodes 8-bit DCT JPEG with image/jpeg. Colour converted
// from YCbCr comes back "RGB"; the conversion and chroma upsampling are done
// here, the way libjpeg does them by default, so that results match
// dcmtk/GDCM (image/jpeg's own At() uses nearest-neighbour chroma).
func decodeJPEGDCT(frame []byte, info FrameInfo, l layout, sof sofHeader) (Decoded, error) {
	if info.BitsAllocated != 8 && info.BitsAllocated != 16 {
		return Decoded{}, mismatchf("8-bit JPEG cannot fill BitsAllocated %d", info.BitsAllocated)
	}
	// Check the header before image/jpeg allocates for it.
	if err := checkDims("JPEG frame", sof.rows, sof.cols, sof.comps, info); err != nil {
		return Decoded{}, err
	}
	img, err := jpeg.Decode(bytes.NewReader(frame))
	if err != nil {
		if _, ok := err.(jpeg.UnsupportedError); ok {
			return Decoded{}, unsupportedf("%s: %v", jpegProcess(sof.marker), err)
		}
		return Decoded{}, corruptf("%s: %v", jpegProcess(sof.marker), err)
	}
	b := img.Bounds()
	if b.Dx() != info.Columns || b.Dy() != info.Rows {
		return Decoded{}, mismatchf("JPEG decoded to %d×%d, dataset says %d×%d", b.Dy(), b.Dx(), info.Rows, info.Columns)
	}
	samples := make([]byte, l.pixels*info.SamplesPerPixel)
	photometric := info.Photometric
	switch m := img.(type) {
	case *image.Gray:
		if info.SamplesPerPixel != 1 {
			return Decoded{}, mismatchf("JPEG is greyscale, dataset has %d samples per pixel", info.SamplesPerPixel)
		}
		for y := 0; y < info.Rows; y++ {
			copy(samples[y*info.Columns:(y+1)*info.Columns], m.Pix[y*m.Stride:])
		}
	case *image.YCbCr:
		if info.SamplesPerPixel != 3 {
			return Decoded{}, mismatchf("JPEG is colour, dataset has %d sample per pixel", info.SamplesPerPixel)
		}
		if err := ycbcrToRGB(samples, m); err != nil {
			return Decoded{}, err
		}
		photometric = "RGB"
	case *image.RGBA:
		// Adobe transform 0 or component IDs 'R','G','B': no colour
		// transform was applied, the samples are what the encoder gave.
		if info.SamplesPerPixel != 3 {
			return Decoded{}, mismatchf("JPEG is colour, dataset has %d sample per pixel", info.SamplesPerPixel)
		}
		for p := 0; p < l.pixels; p++ {
			y, x := p/info.Columns, p%info.Columns
			o := y*m.Stride + 4*x
			copy(samples[3*p:3*p+3], m.Pix[o:o+3])
		}
		if photometric == "YBR_FULL_422" {
			photometric = "YBR_FULL" // now full resolution and interleaved
		}
	default:
		return Decoded{}, unsupportedf("JPEG with a %T image (CMYK or 4 components)", img)
	}
	if info.BitsAllocated == 8 {
		return Decoded{Data: samples, Photometric: photometric}, nil
	}
	out := make([]byte, l.size)
	for i, v := range samples {
		out[2*i] = v
	}
	return Decoded{Data: out, Photometric: photometric}, nil
}
