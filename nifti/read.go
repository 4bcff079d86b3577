package nifti

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/mmcseg/mmcseg/geom"
)

// ReadOptions control Read and ReadFile. The zero value reads volume 0 with
// the default memory limit.
type ReadOptions struct {
	// Volume is the index of the volume to load from a 4-D image (0-based).
	Volume int
	// MaxBytes bounds the bytes of the one volume that is loaded; 0 means
	// DefaultMaxBytes. Headers asking for more fail with ErrTooLarge before
	// anything is allocated.
	MaxBytes int64
}

// DefaultMaxBytes is the default ReadOptions.MaxBytes: 8 GiB, far above any
// CT or MR volume, below what a shared machine should be asked for.
const DefaultMaxBytes = 8 << 30

// maxDeflateRatio bounds how many bytes deflate can expand one compressed
// byte into (258-byte matches coded in two bits), so that a .nii.gz of n
// bytes holds at most maxDeflateRatio·n bytes of header and data.
const maxDeflateRatio = 1032

// Image is one volume of a NIfTI file: its header, its geometry as a
// geom.Grid, and its voxels, which Slice and SliceRGB hand out one slice at
// a time, in file order (slice k = 0..Grid.Slices-1, each row-major with
// Grid.Columns values per row), exactly as a DICOM series is handed out.
type Image struct {
	Header Header
	// Grid is the geometry: i (column) along dim 1, j (row) along dim 2,
	// k (slice) along dim 3, positions from the affine Source chose.
	Grid   geom.Grid
	Source Source
	// Volumes is the number of volumes in the file (dim 4, or 1); Volume is
	// the one loaded.
	Volumes, Volume int
	// Warnings lists what was odd but readable (an ignored invalid code, a
	// missing orientation, a bitpix that disagrees with the datatype).
	Warnings []string

	data       []byte // the loaded volume, raw, in the file's byte order
	sliceBytes int
	slope      float64 // applied as v·slope + inter; slope 1, inter 0 when unscaled
	inter      float64
}

// ReadFile reads one volume of a NIfTI-1 or NIfTI-2 file: a single .nii,
// .nii.gz, or a .hdr/.img pair (given either name; .hdr.gz/.img.gz too).
// Gzip is recognised by content, not by name. Errors name the file.
func ReadFile(ctx context.Context, path string, opt ReadOptions) (*Image, error) {
	im, err := readFile(ctx, path, opt)
	if err != nil {
		return nil, fmt.Errorf("nifti: %s: %w", path, err)
	}
	return im, nil
}

// Read reads one volume of a single-file NIfTI (.nii, or .nii.gz by
// content) from r. A header of a .hdr/.img pair fails: use ReadFile. If r
// has a Len or Size method (bytes.Reader, io.SectionReader), sizes are checked
// against it before anything large is allocated; otherwise memory grows
// only with the data actually read.
func Read(ctx context.Context, r io.Reader, opt ReadOptions) (*Image, error) {
	size := int64(-1)
	switch s := r.(type) {
	case interface{ Len() int }: // bytes.Reader, strings.Reader: the unread part
		size = int64(s.Len())
	case interface{ Size() int64 }:
		size = s.Size()
	}
	src, err := openStream(ctx, r, size)
	if err != nil {
		return nil, fmt.Errorf("nifti: %w", err)
	}
	defer src.close()
	im, err := load(src, nil, opt)
	if err != nil {
		return nil, fmt.Errorf("nifti: %w", err)
	}
	return im, nil
}

// ReadHeaderFile reads and checks the header of a NIfTI file without its
// voxel data, for scanning folders. A pair may be named by either file.
// Header.Grid gives its geometry.
func ReadHeaderFile(ctx context.Context, path string) (*Header, error) {
	hdrPath, _ := pairNames(path)
	f, err := os.Open(hdrPath)
	if err != nil {
		return nil, fmt.Errorf("nifti: %w", err)
	}
	defer f.Close()
	src, err := openFile(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("nifti: %s: %w", path, err)
	}
	defer src.close()
	h, _, err := readHeader(src)
	if err != nil {
		return nil, fmt.Errorf("nifti: %s: %w", path, err)
	}
	return h, nil
}

// stream is a possibly decompressed byte stream with a bound on how many
// bytes it can yield (-1: unknown).
type stream struct {
	r     io.Reader
	pos   int64
	limit int64
	exact bool // limit is the exact length (uncompressed file)
	zr    *gzip.Reader
	// isize is the gzip trailer's length of the uncompressed data modulo
	// 2³² (-1: unknown). It is only a hint — multi-member files and
	// forgeries exist — used to allocate a volume at once instead of
	// growing the buffer when it agrees with the header.
	isize int64
}

func (s *stream) close() {
	if s.zr != nil {
		s.zr.Close()
	}
}

func (s *stream) readFull(b []byte) error {
	n, err := io.ReadFull(s.r, b)
	s.pos += int64(n)
	return err
}

func (s *stream) skip(n int64) error {
	if n <= 0 {
		return nil
	}
	if sk, ok := s.r.(io.Seeker); ok && s.zr == nil {
		if _, err := sk.Seek(n, io.SeekCurrent); err != nil {
			return err
		}
		s.pos += n
		return nil
	}
	m, err := io.CopyN(io.Discard, s.r, n)
	s.pos += m
	return err
}

// ctxReader fails reads once ctx is done, so that long reads stop.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// openStream wraps r (size bytes, or -1 if unknown), decompressing gzip.
func openStream(ctx context.Context, r io.Reader, size int64) (*stream, error) {
	br := bufio.NewReaderSize(ctxReader{ctx, r}, 1<<16)
	magic, err := br.Peek(2)
	if err != nil && len(magic) < 2 {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: file is empty or 1 byte long", ErrNotNIfTI)
		}
		return nil, err
	}
	if magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		limit := int64(-1)
		if size >= 0 && size < math.MaxInt64/maxDeflateRatio {
			limit = size * maxDeflateRatio
		}
		return &stream{r: ctxReader{ctx, zr}, limit: limit, zr: zr, isize: -1}, nil
	}
	return &stream{r: br, limit: size, exact: size >= 0, isize: -1}, nil
}

// openFile is openStream for a file, whose uncompressed reads may seek.
func openFile(ctx context.Context, f *os.File) (*stream, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", ErrNotNIfTI)
	}
	var head [2]byte
	n, _ := f.ReadAt(head[:], 0)
	if n == 2 && head[0] == 0x1f && head[1] == 0x8b {
		s, err := openStream(ctx, f, fi.Size())
		var trailer [4]byte
		if err == nil && fi.Size() >= 18 {
			if _, err := f.ReadAt(trailer[:], fi.Size()-4); err == nil {
				s.isize = int64(binary.LittleEndian.Uint32(trailer[:]))
			}
		}
		return s, err
	}
	// Uncompressed: seek instead of reading through skipped volumes.
	return &stream{r: seekCtxReader{ctx, f}, limit: fi.Size(), exact: true, isize: -1}, nil
}

type seekCtxReader struct {
	ctx context.Context
	f   *os.File
}

func (s seekCtxReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	return s.f.Read(p)
}

func (s seekCtxReader) Seek(off int64, whence int) (int64, error) { return s.f.Seek(off, whence) }

func readHeader(s *stream) (*Header, layout, error) {
	var buf [n2HeaderSize]byte
	if err := s.readFull(buf[:4]); err != nil {
		return nil, layout{}, fmt.Errorf("%w: shorter than a header", ErrNotNIfTI)
	}
	v, _, err := detectVersion(buf[:4])
	if err != nil {
		return nil, layout{}, err
	}
	n := n1HeaderSize
	if v == 2 {
		n = n2HeaderSize
	}
	if err := s.readFull(buf[4:n]); err != nil {
		return nil, layout{}, fmt.Errorf("%w: header cut short (%d of %d bytes)", ErrTruncated, s.pos, n)
	}
	h, err := decodeHeader(buf[:n])
	if err != nil {
		return nil, layout{}, err
	}
	l, err := h.validate()
	if err != nil {
		return nil, layout{}, err
	}
	return h, l, nil
}

func readFile(ctx context.Context, path string, opt ReadOptions) (*Image, error) {
	hdrPath, imgPath := pairNames(path)
	f, err := os.Open(hdrPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := openFile(ctx, f)
	if err != nil {
		return nil, err
	}
	defer src.close()
	openImg := func() (*stream, func(), error) {
		if imgPath == "" {
			return nil, nil, fmt.Errorf("%w: the header says .hdr/.img pair (magic ni1/ni2) but the file is not named .hdr", ErrBadHeader)
		}
		g, err := os.Open(imgPath)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%w: %s", ErrMissingImage, imgPath)
		}
		if err != nil {
			return nil, nil, err
		}
		s, err := openFile(ctx, g)
		if err != nil {
			g.Close()
			return nil, nil, fmt.Errorf("%s: %w", imgPath, err)
		}
		return s, func() { s.close(); g.Close() }, nil
	}
	return load(src, openImg, opt)
}

// pairNames maps a file name to the header file to open and, for the pair
// form, the image file: x.img → (x.hdr, x.img), x.hdr.gz → (x.hdr.gz,
// x.img.gz). For other names the image file is "".
func pairNames(path string) (hdr, img string) {
	for _, ext := range []string{"", ".gz"} {
		switch {
		case strings.HasSuffix(path, ".hdr"+ext):
			return path, strings.TrimSuffix(path, ".hdr"+ext) + ".img" + ext
		case strings.HasSuffix(path, ".img"+ext):
			base := strings.TrimSuffix(path, ".img"+ext)
			return base + ".hdr" + ext, path
		}
	}
	return path, ""
}

// load reads the header from src and then the chosen volume, from src
// itself (single file) or from the stream openImg returns (pair).
func load(src *stream, openImg func() (*stream, func(), error), opt ReadOptions) (*Image, error) {
	h, l, err := readHeader(src)
	if err != nil {
		return nil, err
	}
	im := &Image{Header: *h, Volumes: l.volumes, Volume: opt.Volume, Warnings: l.warnings}
	if opt.Volume < 0 || opt.Volume >= l.volumes {
		return nil, fmt.Errorf("volume %d requested, the image has %d (0..%d)", opt.Volume, l.volumes, l.volumes-1)
	}
	maxBytes := opt.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if l.volBytes > maxBytes || l.sliceBytes > math.MaxInt32 {
		return nil, fmt.Errorf("%w: one volume is %d bytes (%d×%d×%d %s), the limit is %d (ReadOptions.MaxBytes)",
			ErrTooLarge, l.volBytes, l.nx, l.ny, l.nz, h.Datatype, maxBytes)
	}

	var warn []string
	im.Grid, im.Source, warn, err = h.grid(l)
	im.Warnings = append(im.Warnings, warn...)
	if err != nil {
		return nil, err
	}
	im.slope, im.inter = 1, 0
	if !h.Datatype.IsRGB() && h.SclSlope != 0 && !math.IsNaN(h.SclSlope) && !math.IsInf(h.SclSlope, 0) {
		if math.IsNaN(h.SclInter) || math.IsInf(h.SclInter, 0) {
			return nil, fmt.Errorf("%w: scl_slope is %g but scl_inter is %g", ErrBadHeader, h.SclSlope, h.SclInter)
		}
		im.slope, im.inter = h.SclSlope, h.SclInter
	}

	data := src
	if h.IsPair() {
		if openImg == nil {
			return nil, fmt.Errorf("%w: header of a .hdr/.img pair (magic %q): open it by file name", ErrUnsupported, h.Magic)
		}
		s, done, err := openImg()
		if err != nil {
			return nil, err
		}
		defer done()
		data = s
	}

	start := h.VoxOffset + int64(opt.Volume)*l.volBytes
	if data.limit >= 0 {
		// An uncompressed file must hold every volume the header declares;
		// a compressed one cannot hold more than maxDeflateRatio times its
		// size, so the check needs no decompression.
		need := h.VoxOffset + int64(l.volumes)*l.volBytes
		if !data.exact {
			need = start + l.volBytes
		}
		if need > data.limit {
			if data.exact {
				return nil, fmt.Errorf("%w: header promises %d bytes (vox_offset %d + %d volume(s) of %d×%d×%d %s), the file has %d",
					ErrTruncated, need, h.VoxOffset, l.volumes, l.nx, l.ny, l.nz, h.Datatype, data.limit)
			}
			return nil, fmt.Errorf("%w: header promises %d bytes, more than a gzip file of this size can hold (%d)",
				ErrTruncated, need, data.limit)
		}
	}
	if err := data.skip(start - data.pos); err != nil {
		return nil, fmt.Errorf("%w: data before volume %d ends early: %w", ErrTruncated, opt.Volume, err)
	}
	// The whole decompressed file is vox_offset plus every volume; when the
	// gzip trailer says the same, the volume can be allocated at once.
	trust := data.isize >= 0 && uint32(h.VoxOffset+int64(l.volumes)*l.volBytes) == uint32(data.isize)
	im.data, err = readVolume(data, l.volBytes, trust)
	if err != nil {
		return nil, fmt.Errorf("reading volume %d (%d bytes from offset %d): %w", opt.Volume, l.volBytes, start, err)
	}
	if data.zr != nil && opt.Volume == l.volumes-1 {
		// The gzip checksum is verified at the end of the stream: read on to
		// it (only trailing bytes, if any, remain) so that a corrupted
		// file is an error, not wrong voxels.
		if _, err := io.Copy(io.Discard, io.LimitReader(data.r, 1<<20)); err != nil {
			return nil, fmt.Errorf("after the last volume: %w", err)
		}
	}
	im.sliceBytes = int(l.sliceBytes)
	return im, nil
}

// growChunk is the first allocation when the data length is not known in
// advance; the buffer then doubles, so memory follows the bytes really read.
const growChunk = 4 << 20

func readVolume(s *stream, n int64, trust bool) ([]byte, error) {
	if s.exact || trust || n <= growChunk {
		b := make([]byte, n)
		if err := s.readFull(b); err != nil {
			return nil, truncated(err)
		}
		return b, nil
	}
	b := make([]byte, 0, growChunk)
	for int64(len(b)) < n {
		if len(b) == cap(b) {
			c := min(2*int64(cap(b)), n)
			nb := make([]byte, len(b), c)
			copy(nb, b)
			b = nb
		}
		m, err := io.ReadFull(s.r, b[len(b):cap(b)])
		b = b[:len(b)+m]
		s.pos += int64(m)
		if err != nil {
			return nil, truncated(err)
		}
	}
	return b, nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrTruncated, err)
	}
	return err
}

// Scaled reports whether voxel values are scaled by scl_slope/scl_inter.
func (im *Image) Scaled() bool { return im.slope != 1 || im.inter != 0 }

// ErrRGB is returned by Slice for colour images and by SliceRGB for grey
// ones.
var ErrRGB = errors.New("wrong slice accessor for this datatype")

// Slice returns slice k as float32 values, scaled by scl_slope and
// scl_inter when the header sets them (slope 0 or non-finite means no
// scaling, as in nibabel). Value (i, j) is at index j·Columns+i. NaN is
// kept. The result reuses dst when it is large enough. Integers above 2²⁴
// and float64 values lose precision, as float32 does.
func (im *Image) Slice(k int, dst []float32) ([]float32, error) {
	if im.Header.Datatype.IsRGB() {
		return nil, fmt.Errorf("nifti: %w: %s image: use SliceRGB", ErrRGB, im.Header.Datatype)
	}
	raw, err := im.slice(k)
	if err != nil {
		return nil, err
	}
	n := im.Grid.Columns * im.Grid.Rows
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	decode(dst, raw, im.Header.Datatype, im.Header.ByteOrder, im.slope, im.inter)
	return dst, nil
}

// SliceRGB returns slice k of a colour image as n·3 bytes R, G, B (alpha of
// RGBA32 dropped), pixel (i, j) at 3·(j·Columns+i).
func (im *Image) SliceRGB(k int, dst []byte) ([]byte, error) {
	dt := im.Header.Datatype
	if !dt.IsRGB() {
		return nil, fmt.Errorf("nifti: %w: %s image: use Slice", ErrRGB, dt)
	}
	raw, err := im.slice(k)
	if err != nil {
		return nil, err
	}
	n := im.Grid.Columns * im.Grid.Rows
	if cap(dst) < 3*n {
		dst = make([]byte, 3*n)
	}
	dst = dst[:3*n]
	if dt == RGB24 {
		copy(dst, raw)
		return dst, nil
	}
	for p := range n {
		copy(dst[3*p:3*p+3], raw[4*p:4*p+3])
	}
	return dst, nil
}

func (im *Image) slice(k int) ([]byte, error) {
	if k < 0 || k >= im.Grid.Slices {
		return nil, fmt.Errorf("nifti: slice %d out of range 0..%d", k, im.Grid.Slices-1)
	}
	return im.data[k*im.sliceBytes : (k+1)*im.sliceBytes], nil
}

// decode converts raw voxels to float32, computing v·slope+inter in float64
// (as nibabel's get_fdata does) before rounding once. Types of at most 16
// bits are exact in float32, so for them the conversion and the scaling
// can be separate passes without changing the result.
func decode(dst []float32, raw []byte, dt Datatype, o binary.ByteOrder, slope, inter float64) {
	scale := slope != 1 || inter != 0
	small := true
	switch dt {
	case Uint8:
		for i, v := range raw {
			dst[i] = float32(v)
		}
	case Int8:
		for i, v := range raw {
			dst[i] = float32(int8(v))
		}
	case Int16:
		for i := range dst {
			dst[i] = float32(int16(o.Uint16(raw[2*i:])))
		}
	case Uint16:
		for i := range dst {
			dst[i] = float32(o.Uint16(raw[2*i:]))
		}
	default:
		small = false
		var get func(i int) float64
		switch dt {
		case Int32:
			get = func(i int) float64 { return float64(int32(o.Uint32(raw[4*i:]))) }
		case Uint32:
			get = func(i int) float64 { return float64(o.Uint32(raw[4*i:])) }
		case Int64:
			get = func(i int) float64 { return float64(int64(o.Uint64(raw[8*i:]))) }
		case Uint64:
			get = func(i int) float64 { return float64(o.Uint64(raw[8*i:])) }
		case Float32:
			get = func(i int) float64 { return float64(math.Float32frombits(o.Uint32(raw[4*i:]))) }
		case Float64:
			get = func(i int) float64 { return math.Float64frombits(o.Uint64(raw[8*i:])) }
		default:
			return
		}
		for i := range dst {
			v := get(i)
			if scale {
				v = v*slope + inter
			}
			dst[i] = float32(v)
		}
	}
	if small && scale {
		for i, v := range dst {
			dst[i] = float32(float64(v)*slope + inter)
		}
	}
}
