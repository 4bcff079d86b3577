package host

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/image/tiff/lzw"
)

// golang.org/x/image/tiff refuses SampleFormat 2 (signed integers), which
// is how CT slices are often stored (Kaggle's "Finding and Measuring Lungs
// in CT Data" 2d_images are 16-bit signed TIFFs). readSignedTIFF reads
// exactly those: one grey sample per pixel, 8 or 16 bits, signed, in strips,
// uncompressed, LZW or Deflate, with or without horizontal prediction.
// Other TIFFs get errTIFFNotSigned and go to ReadImage.

var errTIFFNotSigned = errors.New("not a signed-integer grey TIFF")

// TIFF tags and values used here (TIFF 6.0).
const (
	tiffImageWidth      = 256
	tiffImageLength     = 257
	tiffBitsPerSample   = 258
	tiffCompression     = 259
	tiffPhotometric     = 262
	tiffStripOffsets    = 273
	tiffSamplesPerPixel = 277
	tiffRowsPerStrip    = 278
	tiffStripByteCounts = 279
	tiffPlanarConfig    = 284
	tiffPredictor       = 317
	tiffTileWidth       = 322
	tiffSampleFormat    = 339

	tiffCompNone      = 1
	tiffCompLZW       = 5
	tiffCompDeflate   = 8
	tiffCompDeflatePK = 32946
)

// maxTIFFStrips bounds the strip table read from a header.
const maxTIFFStrips = 1 << 20

// readSignedTIFF decodes data as a signed grey TIFF into values row by row.
func readSignedTIFF(data []byte) (w, h int, px []float32, err error) {
	if len(data) < 8 {
		return 0, 0, nil, fmt.Errorf("%w: %d bytes is too short for a TIFF", ErrImage, len(data))
	}
	var bo binary.ByteOrder
	switch string(data[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0, 0, nil, fmt.Errorf("%w: no TIFF signature", ErrImage)
	}
	ifd := int64(bo.Uint32(data[4:]))
	if ifd < 8 || ifd+2 > int64(len(data)) {
		return 0, 0, nil, fmt.Errorf("%w: TIFF directory offset %d outside the %d-byte file", ErrImage, ifd, len(data))
	}
	n := int64(bo.Uint16(data[ifd:]))
	if ifd+2+12*n > int64(len(data)) {
		return 0, 0, nil, fmt.Errorf("%w: TIFF directory of %d entries runs past the end", ErrImage, n)
	}
	tags := map[uint16][]uint32{}
	for i := range n {
		e := data[ifd+2+12*i:]
		vals, err := tiffValues(data, bo, e)
		if err != nil {
			return 0, 0, nil, err
		}
		tags[bo.Uint16(e)] = vals
	}
	one := func(tag uint16, def uint32) uint32 {
		if v := tags[tag]; len(v) > 0 {
			return v[0]
		}
		return def
	}
	if one(tiffSampleFormat, 1) != 2 {
		return 0, 0, nil, errTIFFNotSigned
	}
	bits := one(tiffBitsPerSample, 1)
	for _, b := range tags[tiffBitsPerSample] {
		if b != bits {
			return 0, 0, nil, fmt.Errorf("%w: TIFF samples of unequal sizes %v", ErrImage, tags[tiffBitsPerSample])
		}
	}
	switch {
	case one(tiffSamplesPerPixel, 1) != 1:
		return 0, 0, nil, fmt.Errorf("%w: signed TIFF with %d samples per pixel (only grey is read)", ErrImage, one(tiffSamplesPerPixel, 1))
	case bits != 8 && bits != 16:
		return 0, 0, nil, fmt.Errorf("%w: signed TIFF with %d bits per sample (8 or 16 are read)", ErrImage, bits)
	case len(tags[tiffTileWidth]) > 0:
		return 0, 0, nil, fmt.Errorf("%w: tiled signed TIFF (only strips are read)", ErrImage)
	case one(tiffPlanarConfig, 1) != 1 && one(tiffPlanarConfig, 1) != 2:
		return 0, 0, nil, fmt.Errorf("%w: TIFF planar configuration %d", ErrImage, one(tiffPlanarConfig, 1))
	}
	photometric := one(tiffPhotometric, 1)
	if photometric > 1 {
		return 0, 0, nil, fmt.Errorf("%w: signed TIFF with photometric interpretation %d (grey 0 or 1 is read)", ErrImage, photometric)
	}
	w, h = int(one(tiffImageWidth, 0)), int(one(tiffImageLength, 0))
	if w <= 0 || h <= 0 || int64(w)*int64(h) > MaxImagePixels {
		return 0, 0, nil, fmt.Errorf("%w: %d×%d pixels is not a usable size", ErrImage, w, h)
	}
	comp := one(tiffCompression, tiffCompNone)
	if comp != tiffCompNone && comp != tiffCompLZW && comp != tiffCompDeflate && comp != tiffCompDeflatePK {
		return 0, 0, nil, fmt.Errorf("%w: TIFF compression %d (none, LZW and Deflate are read)", ErrImage, comp)
	}
	pred := one(tiffPredictor, 1)
	if pred != 1 && pred != 2 {
		return 0, 0, nil, fmt.Errorf("%w: TIFF predictor %d", ErrImage, pred)
	}
	rowsPer := int(min(one(tiffRowsPerStrip, uint32(h)), uint32(h)))
	if rowsPer <= 0 {
		return 0, 0, nil, fmt.Errorf("%w: TIFF rows per strip 0", ErrImage)
	}
	offs, counts := tags[tiffStripOffsets], tags[tiffStripByteCounts]
	strips := (h + rowsPer - 1) / rowsPer
	if len(offs) != strips || len(counts) != strips {
		return 0, 0, nil, fmt.Errorf("%w: TIFF has %d strip offsets and %d byte counts for %d strips", ErrImage, len(offs), len(counts), strips)
	}
	bps := int(bits / 8)
	rowBytes := w * bps
	// Nothing is allocated for the pixels before their data has been
	// decoded: a small file cannot claim a huge image.
	var raw []byte
	for s := range strips {
		off, cnt := int64(offs[s]), int64(counts[s])
		if off+cnt > int64(len(data)) {
			return 0, 0, nil, fmt.Errorf("%w: TIFF strip %d (%d bytes at %d) runs past the end", ErrImage, s, cnt, off)
		}
		want := min(rowsPer, h-s*rowsPer) * rowBytes
		chunk, err := tiffStrip(data[off:off+cnt], comp, want)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("%w: TIFF strip %d: %w", ErrImage, s, err)
		}
		raw = append(raw, chunk...)
	}
	px = make([]float32, w*h)
	for y := range h {
		row := raw[y*rowBytes : (y+1)*rowBytes]
		var prev uint16
		for x := range w {
			var u uint16
			if bps == 2 {
				u = bo.Uint16(row[2*x:])
			} else {
				u = uint16(row[x])
			}
			if pred == 2 { // horizontal differencing, modulo the sample size
				u += prev
				if bps == 1 {
					u &= 0xff
				}
				prev = u
			}
			var v float32
			if bps == 2 {
				v = float32(int16(u))
			} else {
				v = float32(int8(uint8(u)))
			}
			if photometric == 0 { // WhiteIsZero
				v = -v
			}
			px[y*w+x] = v
		}
	}
	return w, h, px, nil
}

// tiffStrip decompresses one strip, wanting exactly want bytes (a longer
// strip is cut: LZW strips are often padded).
func tiffStrip(b []byte, comp uint32, want int) ([]byte, error) {
	var r io.Reader
	switch comp {
	case tiffCompNone:
		if len(b) < want {
			return nil, fmt.Errorf("%d bytes, want %d", len(b), want)
		}
		return b[:want], nil
	case tiffCompLZW:
		lr := lzw.NewReader(bytes.NewReader(b), lzw.MSB, 8)
		defer lr.Close()
		r = lr
	default:
		zr, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(io.LimitReader(r, int64(want))); err != nil {
		return nil, fmt.Errorf("decompressing: %w", err)
	}
	if out.Len() != want {
		return nil, fmt.Errorf("%d bytes after decompression, want %d", out.Len(), want)
	}
	return out.Bytes(), nil
}

// tiffValues reads the values of one 12-byte directory entry as uint32
// (BYTE, SHORT and LONG types; others are skipped as empty).
func tiffValues(data []byte, bo binary.ByteOrder, e []byte) ([]uint32, error) {
	typ, count := bo.Uint16(e[2:]), int64(bo.Uint32(e[4:]))
	var size int64
	switch typ {
	case 1: // BYTE
		size = 1
	case 3: // SHORT
		size = 2
	case 4: // LONG
		size = 4
	default:
		return nil, nil
	}
	if count > maxTIFFStrips {
		return nil, fmt.Errorf("%w: TIFF tag %d has %d values", ErrImage, bo.Uint16(e), count)
	}
	var src []byte
	if size*count <= 4 {
		src = e[8 : 8+size*count]
	} else {
		off := int64(bo.Uint32(e[8:]))
		if off+size*count > int64(len(data)) {
			return nil, fmt.Errorf("%w: TIFF tag %d values run past the end", ErrImage, bo.Uint16(e))
		}
		src = data[off : off+size*count]
	}
	out := make([]uint32, count)
	for i := range out {
		switch size {
		case 1:
			out[i] = uint32(src[i])
		case 2:
			out[i] = uint32(bo.Uint16(src[2*i:]))
		default:
			out[i] = bo.Uint32(src[4*i:])
		}
	}
	return out, nil
}
