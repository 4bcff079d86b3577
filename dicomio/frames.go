package dicomio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/mmcseg/mmcseg/dicomio/codec"
	"github.com/mmcseg/mmcseg/dicomio/tag"
)

// maxFrames bounds NumberOfFrames: each frame costs a slice description
// (about 200 bytes) before any pixel is read. Whole-slide images reach a
// few hundred thousand tiles.
const maxFrames = 1 << 20

// pixelFormat is the Image Pixel module of an image plus what reading its
// frames needs.
type pixelFormat struct {
	codec.FrameInfo
	HighBit int
	Planar  int // PlanarConfiguration: 0 interleaved, 1 colour-by-plane
	Frames  int
	TS      string
}

// pixelFormatOf reads the Image Pixel module. It refuses what cannot be
// read before anything is allocated: missing or zero dimensions
// (ErrNotImage), BitsAllocated other than 1, 8, 16 or 32
// (ErrUnsupportedImage), frames over the size limit (ErrTooLarge).
func pixelFormatOf(ds *Dataset) (pixelFormat, error) {
	var f pixelFormat
	f.TS = ds.TransferSyntax()
	rows, err1 := ds.Int(tag.Rows)
	cols, err2 := ds.Int(tag.Columns)
	if err1 != nil || err2 != nil || rows <= 0 || cols <= 0 {
		return f, fmt.Errorf("%w: no Rows/Columns (%d×%d)", ErrNotImage, rows, cols)
	}
	f.Rows, f.Columns = rows, cols
	f.SamplesPerPixel = intOr(ds, tag.SamplesPerPixel, 1)
	f.BitsAllocated = intOr(ds, tag.BitsAllocated, 0)
	f.BitsStored = intOr(ds, tag.BitsStored, f.BitsAllocated)
	f.HighBit = intOr(ds, tag.HighBit, f.BitsStored-1)
	f.PixelRepresentation = intOr(ds, tag.PixelRepresentation, 0)
	f.Planar = intOr(ds, tag.PlanarConfiguration, 0)
	f.Frames = intOr(ds, tag.NumberOfFrames, 1)
	f.Photometric = strings.ToUpper(ds.String(tag.PhotometricInterpretation))
	if f.Photometric == "" {
		if f.SamplesPerPixel == 3 {
			f.Photometric = "RGB"
		} else {
			f.Photometric = "MONOCHROME2"
		}
	}
	switch f.BitsAllocated {
	case 1, 8, 16, 32:
	default:
		return f, fmt.Errorf("%w: BitsAllocated %d (1, 8, 16 or 32 are read)", ErrUnsupportedImage, f.BitsAllocated)
	}
	if f.SamplesPerPixel != 1 && f.SamplesPerPixel != 3 {
		return f, fmt.Errorf("%w: SamplesPerPixel %d", ErrUnsupportedImage, f.SamplesPerPixel)
	}
	if f.BitsStored < 1 || f.BitsStored > f.BitsAllocated {
		f.BitsStored = f.BitsAllocated
	}
	if f.HighBit < f.BitsStored-1 || f.HighBit >= f.BitsAllocated {
		f.HighBit = f.BitsStored - 1
	}
	if f.PixelRepresentation != 1 {
		f.PixelRepresentation = 0
	}
	if f.BitsAllocated == 1 {
		f.PixelRepresentation = 0
	}
	if f.Planar != 1 {
		f.Planar = 0
	}
	if f.Frames < 1 {
		f.Frames = 1 // NumberOfFrames 0 or absent: one frame (liver_1frame.dcm)
	}
	if f.Frames > maxFrames {
		return f, fmt.Errorf("%w: NumberOfFrames %d (at most %d are read)", ErrTooLarge, f.Frames, maxFrames)
	}
	if n := f.decodedBytes(); n > codec.MaxFrameBytes {
		return f, fmt.Errorf("%w: a %d×%d frame of %d×%d-bit samples is %d bytes (limit %d)", ErrTooLarge,
			f.Rows, f.Columns, f.SamplesPerPixel, f.BitsAllocated, n, int64(codec.MaxFrameBytes))
	}
	return f, nil
}

func intOr(ds *Dataset, t tag.Tag, def int) int {
	if v, err := ds.Int(t); err == nil {
		return v
	}
	return def
}

// pixels is Rows × Columns.
func (f pixelFormat) pixels() int64 { return int64(f.Rows) * int64(f.Columns) }

// decodedBytes is the size of a frame in native form (one byte per pixel
// for 1-bit data).
func (f pixelFormat) decodedBytes() int64 {
	b := int64(f.BitsAllocated / 8)
	if f.BitsAllocated == 1 {
		b = 1
	}
	return f.pixels() * int64(f.SamplesPerPixel) * b
}

// ybr422 reports native YBR_FULL_422/YBR_PARTIAL_422 data, stored as
// Y Y Cb Cr for each pair of pixels: two bytes per pixel, not three.
func (f pixelFormat) ybr422() bool {
	return f.BitsAllocated == 8 && f.SamplesPerPixel == 3 &&
		(f.Photometric == "YBR_FULL_422" || f.Photometric == "YBR_PARTIAL_422")
}

// storedBits is the number of bits one native frame occupies.
func (f pixelFormat) storedBits() int64 {
	if f.ybr422() {
		return f.pixels() * 16
	}
	return f.pixels() * int64(f.SamplesPerPixel) * int64(f.BitsAllocated)
}

// nativeNeed is the number of bytes the native pixel data of all frames
// needs.
func (f pixelFormat) nativeNeed() int64 {
	return (f.storedBits()*int64(f.Frames) + 7) / 8
}

// NativeFrame returns a copy of frame k of native (uncompressed) pixel data
// holding frames shaped as info says, as stored: little-endian samples of
// BitsAllocated bits, colour as the PlanarConfiguration of the data says.
// For BitsAllocated 1 frames are packed back to back without padding, so
// frame k starts at bit k·Rows·Columns, least significant bit first (PS3.5
// §8.1.1), and the result holds one byte, 0 or 1, per pixel.
func NativeFrame(pixelData []byte, k int, info codec.FrameInfo) ([]byte, error) {
	f := pixelFormat{FrameInfo: info, Frames: k + 1}
	if info.Rows <= 0 || info.Columns <= 0 || k < 0 {
		return nil, fmt.Errorf("frame %d of %d×%d: %w", k, info.Rows, info.Columns, ErrValue)
	}
	switch info.BitsAllocated {
	case 1, 8, 16, 32:
	default:
		return nil, fmt.Errorf("%w: BitsAllocated %d", ErrUnsupportedImage, info.BitsAllocated)
	}
	if f.decodedBytes() > codec.MaxFrameBytes {
		return nil, fmt.Errorf("%w: frame of %d bytes", ErrTooLarge, f.decodedBytes())
	}
	bits := f.storedBits()
	if need := (bits*int64(k+1) + 7) / 8; need > int64(len(pixelData)) {
		return nil, fmt.Errorf("%w: frame %d needs %d bytes of pixel data, there are %d", ErrMalformed, k, need, len(pixelData))
	}
	if info.BitsAllocated == 1 {
		out := make([]byte, bits)
		UnpackBits(out, pixelData, bits*int64(k))
		return out, nil
	}
	start := bits / 8 * int64(k)
	return bytes.Clone(pixelData[start : start+bits/8]), nil
}

// UnpackBits expands bit-packed 1-bit pixels, least significant bit first
// as DICOM packs them, into one byte (0 or 1) per pixel: dst[i] is bit
// bitOffset+i of src. src must hold those bits.
func UnpackBits(dst, src []byte, bitOffset int64) {
	i := 0
	// Align to a byte, then take whole bytes.
	for ; i < len(dst) && (bitOffset+int64(i))%8 != 0; i++ {
		b := bitOffset + int64(i)
		dst[i] = src[b/8] >> (b % 8) & 1
	}
	base := (bitOffset + int64(i)) / 8
	for ; i+8 <= len(dst); i += 8 {
		s := src[base]
		base++
		d := dst[i : i+8 : i+8]
		d[0], d[1], d[2], d[3] = s&1, s>>1&1, s>>2&1, s>>3&1
		d[4], d[5], d[6], d[7] = s>>4&1, s>>5&1, s>>6&1, s>>7
	}
	for ; i < len(dst); i++ {
		b := bitOffset + int64(i)
		dst[i] = src[b/8] >> (b % 8) & 1
	}
}

// PackBits packs pixels (zero or non-zero, one per byte) into bits, least
// significant bit first, with no padding between frames: pack the
// concatenation of all frames to get the value of a 1-bit Pixel Data
// element. The result has ⌈len(pixels)/8⌉ bytes (pad it to even length
// when writing; the writer does).
func PackBits(pixels []byte) []byte {
	out := make([]byte, (len(pixels)+7)/8)
	for i, p := range pixels {
		if p != 0 {
			out[i/8] |= 1 << (i % 8)
		}
	}
	return out
}

// fragment is one item of encapsulated pixel data.
type fragment struct {
	rel  int64 // offset of its item tag from the first fragment's item tag
	off  int64 // file offset of its data (file sources)
	n    int64
	data []byte // in-memory sources
}

// frameRange is the fragments [a, b) that make up one frame.
type frameRange [2]int

// splitFrames assigns fragments to frames, in this order of preference:
// the Extended Offset Table, the Basic Offset Table, one fragment per frame
// when the counts agree, all fragments for a single frame, and for the JPEG
// family a new frame at each fragment that starts a codestream.
func splitFrames(frags []fragment, bot []byte, eot []uint64, frames int, ts string, head func(i int) []byte) ([]frameRange, error) {
	n := len(frags)
	if n == 0 {
		return nil, fmt.Errorf("%w: encapsulated pixel data has no fragments", ErrMalformed)
	}
	if frames > n {
		return nil, fmt.Errorf("%w: %d frames but only %d fragments", ErrMalformed, frames, n)
	}
	byOffsets := func(offs []uint64) []frameRange {
		if len(offs) != frames || offs[0] != 0 {
			return nil
		}
		r := make([]frameRange, frames)
		j := 0
		for i, o := range offs {
			for j < n && uint64(frags[j].rel) < o {
				j++
			}
			if j == n || uint64(frags[j].rel) != o || (i > 0 && j <= r[i-1][0]) {
				return nil
			}
			r[i][0] = j
			if i > 0 {
				r[i-1][1] = j
			}
		}
		r[frames-1][1] = n
		return r
	}
	if len(eot) > 0 {
		if r := byOffsets(eot); r != nil {
			return r, nil
		}
	}
	if len(bot) >= 4 {
		offs := make([]uint64, len(bot)/4)
		for i := range offs {
			offs[i] = uint64(binary.LittleEndian.Uint32(bot[4*i:]))
		}
		if r := byOffsets(offs); r != nil {
			return r, nil
		}
	}
	if n == frames {
		r := make([]frameRange, n)
		for i := range r {
			r[i] = frameRange{i, i + 1}
		}
		return r, nil
	}
	if frames == 1 {
		return []frameRange{{0, n}}, nil
	}
	if jpegFamily(ts) {
		var r []frameRange
		for i := 0; i < n; i++ {
			if i == 0 || startsCodestream(head(i)) {
				if len(r) > 0 {
					r[len(r)-1][1] = i
				}
				r = append(r, frameRange{i, n})
			}
		}
		if len(r) == frames {
			return r, nil
		}
		return nil, fmt.Errorf("%w: %d fragments hold %d codestreams, the dataset says %d frames", ErrMalformed, n, len(r), frames)
	}
	return nil, fmt.Errorf("%w: %d fragments for %d frames and no offset table to tell which belongs to which", ErrMalformed, n, frames)
}

func jpegFamily(ts string) bool {
	return strings.HasPrefix(ts, "1.2.840.10008.1.2.4.")
}

// startsCodestream reports a JPEG (SOI), JPEG 2000 codestream (SOC) or JP2
// file signature at the start of a fragment.
func startsCodestream(b []byte) bool {
	switch {
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xD8:
		return true
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0x4F:
		return true
	case len(b) >= 8 && string(b[4:8]) == "jP  ":
		return true
	}
	return false
}

// pixelSource reads frames of one image's pixel data, from the file (after
// a header-only read) or from a dataset in memory.
type pixelSource struct {
	path   string
	loc    *pixelLocation // file source
	elem   *Element       // memory source
	eot    []uint64       // Extended Offset Table (memory or file)
	format pixelFormat

	once   sync.Once
	frags  []fragment
	bot    []byte
	ranges []frameRange
	err    error
}

func (s *pixelSource) encapsulated() bool {
	if s.elem != nil {
		return s.elem.encapsulated
	}
	return s.loc.length < 0
}

// check validates the extent of the pixel data against the frames the
// header announces, without reading pixels: native lengths, and for
// encapsulated data the fragment items (seeking from header to header) and
// their assignment to frames.
func (s *pixelSource) check() error {
	if !s.encapsulated() {
		have := s.nativeLen()
		if need := s.format.nativeNeed(); have < need {
			return fmt.Errorf("%w: Pixel Data holds %d bytes, %d frame(s) of %d×%d×%d %d-bit samples need %d",
				ErrMalformed, have, s.format.Frames, s.format.Rows, s.format.Columns, s.format.SamplesPerPixel,
				s.format.BitsAllocated, need)
		}
		return nil
	}
	s.once.Do(s.index)
	return s.err
}

func (s *pixelSource) nativeLen() int64 {
	if s.elem != nil {
		return int64(len(s.elem.value))
	}
	return s.loc.length
}

// index builds the fragment table and the frame ranges.
func (s *pixelSource) index() {
	if s.elem != nil {
		var rel int64
		for _, f := range s.elem.frags {
			s.frags = append(s.frags, fragment{rel: rel, n: int64(len(f)), data: f})
			rel += 8 + int64(len(f))
		}
		s.bot = s.elem.offsets
	} else {
		s.err = s.indexFile()
		if s.err != nil {
			return
		}
	}
	s.ranges, s.err = splitFrames(s.frags, s.bot, s.eot, s.format.Frames, s.format.TS, s.fragHead)
}

func (s *pixelSource) indexFile() error {
	if s.loc.offset < 0 {
		return fmt.Errorf("%w: pixel data position unknown", ErrMalformed)
	}
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	pos := s.loc.offset
	first := true
	var firstItem int64
	var h [8]byte
	for {
		if pos+8 > size {
			return truncatedf("encapsulated pixel data ends at byte %d without a sequence delimiter", size)
		}
		if _, err := f.ReadAt(h[:], pos); err != nil {
			return truncatedf("encapsulated pixel data: %v", err)
		}
		t := tag.New(binary.LittleEndian.Uint16(h[0:]), binary.LittleEndian.Uint16(h[2:]))
		n := int64(binary.LittleEndian.Uint32(h[4:]))
		switch t {
		case tag.SequenceDelimitationItem:
			if first {
				return fmt.Errorf("%w: encapsulated pixel data without a Basic Offset Table item", ErrMalformed)
			}
			return nil
		case tag.Item:
		default:
			return fmt.Errorf("%w: %v at offset %d in encapsulated pixel data", ErrMalformed, t, pos)
		}
		if n == undefinedLength {
			return fmt.Errorf("%w: pixel data fragment of undefined length at offset %d", ErrMalformed, pos)
		}
		if pos+8+n > size {
			return truncatedf("pixel data fragment of %d bytes at offset %d, only %d remain", n, pos, size-pos-8)
		}
		if first {
			if n > 1<<26 {
				return fmt.Errorf("%w: Basic Offset Table of %d bytes", ErrMalformed, n)
			}
			s.bot = make([]byte, n)
			if _, err := f.ReadAt(s.bot, pos+8); err != nil {
				return err
			}
			first = false
			firstItem = pos + 8 + n
		} else {
			if len(s.frags) >= maxElements {
				return fmt.Errorf("%w: more than %d fragments", ErrMalformed, maxElements)
			}
			s.frags = append(s.frags, fragment{rel: pos - firstItem, off: pos + 8, n: n})
		}
		pos += 8 + n
	}
}

// fragHead returns the first bytes of fragment i.
func (s *pixelSource) fragHead(i int) []byte {
	fr := s.frags[i]
	if fr.data != nil {
		return fr.data[:min(len(fr.data), 8)]
	}
	b := make([]byte, min(fr.n, 8))
	f, err := os.Open(s.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.ReadAt(b, fr.off); err != nil {
		return nil
	}
	return b
}

// frame returns frame k in native form: little-endian samples of
// BitsAllocated bits (1-bit data one byte per pixel), colour interleaved,
// with the photometric interpretation the samples now have.
func (s *pixelSource) frame(k int) ([]byte, string, error) {
	f := s.format
	if k < 0 || k >= f.Frames {
		return nil, "", fmt.Errorf("frame %d of %d: %w", k, f.Frames, ErrValue)
	}
	if err := s.check(); err != nil {
		return nil, "", err
	}
	if !s.encapsulated() {
		data, err := s.readNative(k)
		if err != nil {
			return nil, "", err
		}
		if f.Planar == 1 && f.SamplesPerPixel == 3 && f.BitsAllocated > 1 {
			data = interleave(data, f.BitsAllocated/8)
		}
		return data, f.Photometric, nil
	}
	r := s.ranges[k]
	var data []byte
	if r[1]-r[0] == 1 && s.frags[r[0]].data != nil {
		data = s.frags[r[0]].data
	} else {
		var total int64
		for _, fr := range s.frags[r[0]:r[1]] {
			total += fr.n
		}
		if total > 2*codec.MaxFrameBytes {
			return nil, "", fmt.Errorf("%w: compressed frame %d is %d bytes", ErrTooLarge, k, total)
		}
		data = make([]byte, 0, total)
		var file *os.File
		for _, fr := range s.frags[r[0]:r[1]] {
			if fr.data != nil {
				data = append(data, fr.data...)
				continue
			}
			if file == nil {
				var err error
				if file, err = os.Open(s.path); err != nil {
					return nil, "", err
				}
				defer file.Close()
			}
			n := len(data)
			data = data[:n+int(fr.n)]
			if _, err := file.ReadAt(data[n:], fr.off); err != nil {
				return nil, "", truncatedf("pixel data fragment: %v", err)
			}
		}
	}
	if f.TS == codec.EncapsulatedUncompressed {
		need := (f.storedBits() + 7) / 8
		if int64(len(data)) < need {
			return nil, "", fmt.Errorf("%w: frame %d has %d bytes, needs %d", ErrMalformed, k, len(data), need)
		}
		out, err := NativeFrame(data, 0, f.FrameInfo)
		if err == nil && f.Planar == 1 && f.SamplesPerPixel == 3 && f.BitsAllocated > 1 {
			out = interleave(out, f.BitsAllocated/8)
		}
		return out, f.Photometric, err
	}
	dec, err := codec.Decode(f.TS, data, f.FrameInfo)
	if err != nil {
		if errors.Is(err, codec.ErrUnsupported) {
			return nil, "", tsError{err}
		}
		return nil, "", fmt.Errorf("frame %d: %w", k, err)
	}
	return dec.Data, dec.Photometric, nil
}

// readNative reads the stored bytes of native frame k, converted to little
// endian and, for 1-bit data, unpacked to one byte per pixel.
func (s *pixelSource) readNative(k int) ([]byte, error) {
	f := s.format
	bits := f.storedBits()
	lo := bits * int64(k) / 8
	hi := (bits*int64(k+1) + 7) / 8
	value := []byte(nil)
	switch {
	case s.elem != nil:
		value = s.elem.value
	case s.loc.offset < 0:
		// A deflated dataset: the pixel data is reached only by inflating
		// the file. Nothing of it is kept between slices.
		ds, err := ReadFile(s.path, ReadOptions{})
		if err != nil {
			return nil, err
		}
		e := ds.Element(tag.PixelData)
		if e == nil || e.encapsulated || int64(len(e.value)) < hi {
			return nil, fmt.Errorf("%w: the inflated pixel data differs from the header", ErrMalformed)
		}
		value = e.value
	}
	if value != nil {
		if f.BitsAllocated == 1 {
			out := make([]byte, bits)
			UnpackBits(out, value, bits*int64(k))
			return out, nil
		}
		return bytes.Clone(value[lo:hi]), nil
	}
	// Big-endian OW data is swapped in 16-bit words counted from the start
	// of the value: read whole words.
	swap := 0
	if s.loc.bigEndian {
		swap = s.loc.vr.swapSize() // as the parser swaps values in memory
	}
	alo, ahi := lo, hi
	if swap > 0 {
		alo = lo &^ int64(swap-1)
		ahi = min((hi+int64(swap)-1)&^int64(swap-1), s.loc.length)
	}
	buf := make([]byte, ahi-alo)
	file, err := os.Open(s.path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if _, err := file.ReadAt(buf, s.loc.offset+alo); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, truncatedf("pixel data of frame %d ends early", k)
		}
		return nil, err
	}
	if swap > 0 {
		swapBytes(buf, swap)
	}
	buf = buf[lo-alo : hi-alo]
	if f.BitsAllocated == 1 {
		out := make([]byte, bits)
		UnpackBits(out, buf, bits*int64(k)-lo*8)
		return out, nil
	}
	return buf, nil
}

// interleave turns colour-by-plane data (RR…GG…BB…) into RGBRGB….
func interleave(planar []byte, bytesPerSample int) []byte {
	n := len(planar) / (3 * bytesPerSample)
	out := make([]byte, len(planar))
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			copy(out[(3*i+c)*bytesPerSample:(3*i+c+1)*bytesPerSample], planar[(c*n+i)*bytesPerSample:(c*n+i+1)*bytesPerSample])
		}
	}
	return out
}

// PixelFormat returns the frame description of a dataset's image and its
// number of frames (NumberOfFrames, 1 when absent).
func (d *Dataset) PixelFormat() (codec.FrameInfo, int, error) {
	f, err := pixelFormatOf(d)
	if err != nil {
		return codec.FrameInfo{}, 0, err
	}
	return f.FrameInfo, f.Frames, nil
}

// PixelFrame returns frame k (from 0) of a dataset read in full, in native
// form: little-endian samples of BitsAllocated bits (BitsAllocated 1: one
// byte, 0 or 1, per pixel), colour interleaved, decompressed through
// dicomio/codec when the pixel data is encapsulated. The photometric
// interpretation returned is what the samples are now ("RGB" after a JPEG
// decoder converted YBR). No modality LUT is applied.
func (d *Dataset) PixelFrame(k int) ([]byte, string, error) {
	src, err := d.pixelSource("")
	if err != nil {
		return nil, "", err
	}
	return src.frame(k)
}

// pixelSource describes the dataset's pixel data; with a path it may read
// the value from that file (header-only datasets).
func (d *Dataset) pixelSource(path string) (*pixelSource, error) {
	e := d.Element(tag.PixelData)
	if e == nil {
		return nil, fmt.Errorf("%w: no Pixel Data", ErrNotImage)
	}
	f, err := pixelFormatOf(d)
	if err != nil {
		return nil, err
	}
	s := &pixelSource{path: path, format: f}
	if e.pixel != nil {
		if path == "" {
			return nil, fmt.Errorf("%w: pixel data was not read (header-only dataset)", ErrValue)
		}
		s.loc = e.pixel
	} else {
		s.elem = e
	}
	if eot := d.Bytes(tag.ExtendedOffsetTable); len(eot) >= 8 {
		s.eot = make([]uint64, len(eot)/8)
		for i := range s.eot {
			s.eot[i] = binary.LittleEndian.Uint64(eot[8*i:])
		}
	}
	if s.elem != nil && !s.elem.encapsulated && s.format.TS != "" && jpegFamily(s.format.TS) {
		return nil, fmt.Errorf("%w: transfer syntax %s but the pixel data is not encapsulated", ErrMalformed, s.format.TS)
	}
	return s, nil
}
