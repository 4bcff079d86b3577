package dicomio

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/mmcseg/mmcseg/dicomio/codec"
	"github.com/mmcseg/mmcseg/dicomio/tag"
)

// ReadOptions controls ReadFile and Read.
type ReadOptions struct {
	// HeaderOnly stops at the top-level Pixel Data element (7FE0,0010)
	// without reading its value: the element is in the dataset with no
	// value, and its position in the file is kept so that frames can be
	// read later by seeking. Elements after the pixel data are not read.
	HeaderOnly bool
}

// Limits of the parser. A file beyond them is refused, never allowed to
// exhaust memory or the stack.
const (
	// maxDepth bounds the nesting of sequences. Real files nest about six
	// deep (per-frame functional groups, SEG code sequences).
	maxDepth = 32
	// maxElements bounds the elements (items included) of one file: about
	// 100 bytes each in memory.
	maxElements = 1 << 22
	// growChunk is the step in which values of a stream of unknown length
	// (a deflated dataset) are read, so that a false length cannot make us
	// allocate more than what really arrives.
	growChunk = 1 << 20
	// bufSize is the read buffer. A typical header is 1–4 KiB, so a header
	// scan reads one buffer and stops.
	bufSize = 16 << 10
)

const undefinedLength = 0xFFFFFFFF

// Transfer syntaxes the parser treats specially.
const (
	tsImplicitLE = codec.ImplicitVRLittleEndian
	tsExplicitLE = codec.ExplicitVRLittleEndian
	tsExplicitBE = codec.ExplicitVRBigEndian
	tsDeflated   = codec.DeflatedExplicitVRLittleEndian
)

// pixelLocation is where a header-only read left the pixel data value.
type pixelLocation struct {
	offset    int64 // file offset of the first value byte; -1 when the dataset was deflated
	length    int64 // value length, or -1 for undefined length (encapsulated)
	vr        VR
	bigEndian bool
}

// ReadFile reads the DICOM file at path: a Part 10 file (128-byte preamble,
// "DICM", file meta group), a file meta group without preamble, or a bare
// dataset whose encoding (explicit or implicit VR, byte order) is
// inferred. Errors name the file and wrap ErrNotDICOM, ErrTruncated or
// ErrMalformed.
func ReadFile(path string, opts ReadOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: not a regular file", path, ErrNotDICOM)
	}
	ds, err := read(f, fi.Size(), opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ds, nil
}

// Read reads a DICOM stream of size bytes (-1 if unknown) from r; see
// ReadFile. With HeaderOnly, r is read only up to the pixel data.
func Read(r io.Reader, size int64, opts ReadOptions) (*Dataset, error) {
	return read(r, size, opts)
}

func read(r io.Reader, size int64, opts ReadOptions) (*Dataset, error) {
	p := &parser{br: bufio.NewReaderSize(r, bufSize), size: size, opts: opts}
	return p.parseFile()
}

type parser struct {
	br       *bufio.Reader
	pos      int64 // offset in the (possibly inflated) stream
	size     int64 // length of the stream, -1 if unknown
	big      bool
	explicit bool
	inflated bool
	opts     ReadOptions
	depth    int
	nelem    int
	warnings []string
	badVR    bool
}

func truncatedf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrTruncated}, args...)...)
}

func malformedf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func (p *parser) u16(b []byte) uint16 {
	if p.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (p *parser) u32(b []byte) uint32 {
	if p.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (p *parser) readFull(b []byte) error {
	n, err := io.ReadFull(p.br, b)
	p.pos += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return truncatedf("file ends at byte %d inside a %d-byte read", p.pos, len(b))
		}
		return err
	}
	return nil
}

// check reports ErrTruncated when n more bytes cannot be in the stream.
func (p *parser) check(n int64, what string) error {
	if p.size >= 0 && n > p.size-p.pos {
		return truncatedf("%s declares %d bytes at offset %d, only %d remain", what, n, p.pos, p.size-p.pos)
	}
	return nil
}

// readBytes reads n bytes, allocating only what the stream can hold.
func (p *parser) readBytes(n int64, what string) ([]byte, error) {
	if err := p.check(n, what); err != nil {
		return nil, err
	}
	if p.size >= 0 || n <= growChunk {
		b := make([]byte, n)
		return b, p.readFull(b)
	}
	var buf bytes.Buffer
	got, err := io.Copy(&buf, io.LimitReader(p.br, n))
	p.pos += got
	if err != nil {
		return nil, err
	}
	if got < n {
		return nil, truncatedf("%s declares %d bytes, the stream ends after %d", what, n, got)
	}
	return buf.Bytes(), nil
}

func (p *parser) warnf(format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
}

// implicitVR is the VR an implicit-VR stream implies for t.
func implicitVR(t tag.Tag) VR {
	if info, ok := tag.Find(t); ok {
		return VR(info.VR)
	}
	if t.IsPrivate() && t.Element() >= 0x0010 && t.Element() <= 0x00FF {
		return VRLO // private creator
	}
	return VRUN
}

// readHeader reads an element (or item) header.
func (p *parser) readHeader() (tag.Tag, VR, uint32, error) {
	var b [8]byte
	if err := p.readFull(b[:4]); err != nil {
		return 0, "", 0, err
	}
	t := tag.New(p.u16(b[0:]), p.u16(b[2:]))
	if t.Group() == 0xFFFE || !p.explicit {
		if err := p.readFull(b[4:8]); err != nil {
			return 0, "", 0, err
		}
		if t.Group() == 0xFFFE {
			return t, "", p.u32(b[4:]), nil
		}
		return t, implicitVR(t), p.u32(b[4:]), nil
	}
	if err := p.readFull(b[4:6]); err != nil {
		return 0, "", 0, err
	}
	vr, ok := vrFromBytes(b[4], b[5])
	if !ok {
		// Not a VR: some writers switch to implicit VR for single elements.
		// Read the four bytes as an implicit length, as DCMTK does.
		if err := p.readFull(b[6:8]); err != nil {
			return 0, "", 0, err
		}
		if !p.badVR {
			p.badVR = true
			p.warnf("element %v at offset %d has no valid VR (%q); read as implicit VR", t, p.pos-8, b[4:6])
		}
		return t, implicitVR(t), p.u32(b[4:]), nil
	}
	if vr.longHeader() {
		if err := p.readFull(b[:6]); err != nil {
			return 0, "", 0, err
		}
		return t, vr, p.u32(b[2:]), nil
	}
	if err := p.readFull(b[:2]); err != nil {
		return 0, "", 0, err
	}
	return t, vr, uint32(p.u16(b[:])), nil
}

// parseDataset reads elements into ds until the stream offset end; with end
// -1 it reads to the end of the stream (top level) or, for an item of
// undefined length, to its Item Delimitation Item.
func (p *parser) parseDataset(ds *Dataset, end int64, undefinedItem bool) error {
	sorted := true
	defer func() {
		if !sorted {
			sort.SliceStable(ds.elems, func(i, j int) bool { return ds.elems[i].Tag < ds.elems[j].Tag })
		}
	}()
	for {
		if end >= 0 {
			if p.pos == end {
				return nil
			}
			if p.pos > end {
				return malformedf("element overruns its item by %d bytes", p.pos-end)
			}
		} else if !undefinedItem {
			if _, err := p.br.Peek(1); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
		start := p.pos
		t, vr, length, err := p.readHeader()
		if err != nil {
			return err
		}
		switch t {
		case tag.ItemDelimitationItem:
			if undefinedItem {
				return nil
			}
			fallthrough
		case tag.Item, tag.SequenceDelimitationItem:
			if p.depth == 0 && end < 0 && t != tag.Item && length == 0 {
				// A stray delimiter between top-level elements (some
				// writers leave one after the pixel data): harmless.
				p.warnf("stray %v at offset %d ignored", t, start)
				continue
			}
			return malformedf("%v at offset %d outside a sequence", t, start)
		}
		if p.nelem++; p.nelem > maxElements {
			return malformedf("more than %d elements", maxElements)
		}
		e := Element{Tag: t, VR: vr}
		if t == tag.PixelData && p.depth == 0 && p.opts.HeaderOnly {
			loc := &pixelLocation{offset: p.pos, length: int64(length), vr: vr, bigEndian: p.big}
			if length == undefinedLength {
				loc.length = -1
			} else if err := p.check(int64(length), "Pixel Data"); err != nil {
				return err
			}
			if p.inflated {
				loc.offset = -1
			}
			e.pixel = loc
			ds.elems = append(ds.elems, e)
			if n := len(ds.elems); n > 1 && ds.elems[n-2].Tag >= t {
				sorted = false
			}
			return nil
		}
		if err := p.readValue(&e, length, ds); err != nil {
			return fmt.Errorf("%s: %w", tagLabel(t), err)
		}
		if t == tag.SpecificCharacterSet {
			ds.setCharset(splitStrings(VRCS, string(e.value)))
		}
		if n := len(ds.elems); n > 0 && ds.elems[n-1].Tag >= t {
			sorted = false
		}
		ds.elems = append(ds.elems, e)
	}
}

func (p *parser) readValue(e *Element, length uint32, parent *Dataset) error {
	undefined := length == undefinedLength
	switch {
	case e.VR == VRSQ:
		return p.parseSequence(e, length, parent)
	case undefined && e.Tag == tag.PixelData:
		return p.parseEncapsulated(e)
	case undefined && (e.VR == VRUN || e.VR == VROB || e.VR == VROW):
		// CP-246: an undefined-length UN is a sequence encoded in implicit
		// VR little endian, whatever the transfer syntax.
		explicit, big := p.explicit, p.big
		p.explicit, p.big = false, false
		err := p.parseSequence(e, length, parent)
		p.explicit, p.big = explicit, big
		return err
	case undefined:
		return malformedf("undefined length with VR %s", e.VR)
	}
	b, err := p.readBytes(int64(length), "element")
	if err != nil {
		return err
	}
	if p.big {
		swapBytes(b, e.VR.swapSize())
	}
	e.value = b
	return nil
}

// swapBytes reverses the byte order of each size-byte unit of b in place.
func swapBytes(b []byte, size int) {
	switch size {
	case 2:
		for i := 0; i+1 < len(b); i += 2 {
			b[i], b[i+1] = b[i+1], b[i]
		}
	case 4:
		for i := 0; i+3 < len(b); i += 4 {
			b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
		}
	case 8:
		for i := 0; i+7 < len(b); i += 8 {
			for j := 0; j < 4; j++ {
				b[i+j], b[i+7-j] = b[i+7-j], b[i+j]
			}
		}
	}
}

func (p *parser) parseSequence(e *Element, length uint32, parent *Dataset) error {
	e.VR = VRSQ
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return malformedf("sequences nested more than %d deep", maxDepth)
	}
	undefined := length == undefinedLength
	e.undefinedLength = undefined
	end := int64(-1)
	if !undefined {
		if err := p.check(int64(length), "sequence"); err != nil {
			return err
		}
		end = p.pos + int64(length)
	}
	for {
		if !undefined {
			if p.pos == end {
				return nil
			}
			if p.pos > end {
				return malformedf("item overruns its sequence by %d bytes", p.pos-end)
			}
		}
		start := p.pos
		t, _, l, err := p.readHeader()
		if err != nil {
			return err
		}
		switch t {
		case tag.SequenceDelimitationItem:
			if undefined {
				return nil
			}
			// Tolerated in a defined-length sequence when it ends exactly
			// there; some writers emit both.
			if p.pos == end {
				return nil
			}
			return malformedf("sequence delimiter at offset %d inside a defined-length sequence", start)
		case tag.Item:
		default:
			return malformedf("%v at offset %d where a sequence item must be", t, start)
		}
		if p.nelem++; p.nelem > maxElements {
			return malformedf("more than %d elements", maxElements)
		}
		item := &Dataset{charset: parent.charset, latin1: parent.latin1}
		if l == undefinedLength {
			err = p.parseDataset(item, -1, true)
		} else {
			if err := p.check(int64(l), "item"); err != nil {
				return err
			}
			if end >= 0 && p.pos+int64(l) > end {
				return malformedf("item of %d bytes at offset %d overruns its sequence", l, start)
			}
			err = p.parseDataset(item, p.pos+int64(l), false)
		}
		if err != nil {
			return fmt.Errorf("item %d: %w", len(e.items)+1, err)
		}
		e.items = append(e.items, item)
	}
}

func (p *parser) parseEncapsulated(e *Element) error {
	e.encapsulated = true
	e.VR = VROB
	first := true
	for {
		start := p.pos
		t, _, l, err := p.readHeader()
		if err != nil {
			return err
		}
		switch t {
		case tag.SequenceDelimitationItem:
			if first {
				return malformedf("encapsulated pixel data without a Basic Offset Table item")
			}
			return nil
		case tag.Item:
		default:
			return malformedf("%v at offset %d in encapsulated pixel data", t, start)
		}
		if l == undefinedLength {
			return malformedf("pixel data fragment of undefined length at offset %d", start)
		}
		if p.nelem++; p.nelem > maxElements {
			return malformedf("more than %d elements", maxElements)
		}
		b, err := p.readBytes(int64(l), "pixel data fragment")
		if err != nil {
			return err
		}
		if first {
			e.offsets = b
			first = false
		} else {
			e.frags = append(e.frags, b)
		}
	}
}

// parseFile reads preamble, file meta and dataset.
func (p *parser) parseFile() (*Dataset, error) {
	ds := &Dataset{}
	head, _ := p.br.Peek(132)
	hasMeta := false
	switch {
	case len(head) >= 132 && string(head[128:132]) == "DICM":
		if err := p.skip(132); err != nil {
			return nil, err
		}
		hasMeta = true
	case len(head) >= 4 && string(head[:4]) == "DICM":
		if err := p.skip(4); err != nil {
			return nil, err
		}
		hasMeta = true
	case len(head) >= 8 && binary.LittleEndian.Uint16(head) == 0x0002:
		if _, ok := vrFromBytes(head[4], head[5]); ok {
			hasMeta = true // file meta without preamble
		}
	}
	ts := ""
	if hasMeta {
		// The file meta group is always explicit VR little endian.
		p.explicit, p.big = true, false
		metaEnd := int64(-1)
		for {
			b, err := p.br.Peek(2)
			if err != nil || binary.LittleEndian.Uint16(b) != 0x0002 {
				if err != nil && (len(b) > 0 || ds.Len() == 0) {
					return nil, truncatedf("file ends at byte %d, in or before the file meta group", p.pos+int64(len(b)))
				}
				if p.pos < metaEnd {
					return nil, truncatedf("file ends at byte %d inside the file meta group, which ends at byte %d", p.pos, metaEnd)
				}
				break
			}
			t, vr, length, err := p.readHeader()
			if err != nil {
				return nil, fmt.Errorf("file meta: %w", err)
			}
			if p.nelem++; p.nelem > 1000 {
				return nil, malformedf("file meta group has more than 1000 elements")
			}
			e := Element{Tag: t, VR: vr}
			if err := p.readValue(&e, length, ds); err != nil {
				return nil, fmt.Errorf("file meta %v: %w", t, err)
			}
			if t == tag.FileMetaInformationGroupLength && len(e.value) == 4 {
				metaEnd = p.pos + int64(binary.LittleEndian.Uint32(e.value))
			}
			ds.Set(e)
		}
		ts = ds.String(tag.TransferSyntaxUID)
	}
	switch ts {
	case "":
		explicit, big, ok := p.infer()
		if !ok {
			if hasMeta {
				if _, err := p.br.Peek(1); err == io.EOF {
					ds.transferSyntax = tsExplicitLE
					return ds, nil // file meta only
				}
				return nil, malformedf("no TransferSyntaxUID in the file meta, and the dataset's encoding cannot be recognised")
			}
			return nil, fmt.Errorf("%w: no DICM prefix and no recognisable dataset at the start", ErrNotDICOM)
		}
		p.explicit, p.big = explicit, big
		switch {
		case !explicit:
			ts = tsImplicitLE
		case big:
			ts = tsExplicitBE
		default:
			ts = tsExplicitLE
		}
		if hasMeta {
			p.warnf("the file meta has no TransferSyntaxUID; inferred %s from the dataset", codec.Name(ts))
		}
	case tsImplicitLE:
		p.explicit, p.big = false, false
	case tsExplicitBE:
		p.explicit, p.big = true, true
	case tsDeflated:
		p.explicit, p.big = true, false
		if err := p.inflate(); err != nil {
			return nil, err
		}
	default:
		// Every other transfer syntax, compressed ones and ones we do not
		// know included, encodes the dataset in explicit VR little endian.
		p.explicit, p.big = true, false
	}
	ds.transferSyntax = ts
	n := len(ds.elems)
	err := p.parseDataset(ds, -1, false)
	ds.warnings = p.warnings
	if err != nil {
		if !hasMeta && len(ds.elems) == n {
			return nil, fmt.Errorf("%w: no DICM prefix, and the start does not parse: %w", ErrNotDICOM, err)
		}
		return nil, err
	}
	if !hasMeta && len(ds.elems) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrNotDICOM)
	}
	return ds, nil
}

func (p *parser) skip(n int) error {
	got, err := p.br.Discard(n)
	p.pos += int64(got)
	if err != nil {
		return truncatedf("file ends at byte %d", p.pos)
	}
	return nil
}

// inflate switches the parser to the deflated remainder of the stream (raw
// deflate per PS3.5 §A.5; a zlib wrapper, which some writers add, is
// accepted too).
func (p *parser) inflate() error {
	var r io.Reader
	h, _ := p.br.Peek(2)
	if len(h) == 2 && h[0]&0x0F == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
		zr, err := zlib.NewReader(p.br)
		if err != nil {
			return malformedf("deflated dataset: %v", err)
		}
		r = zr
	} else {
		r = flate.NewReader(p.br)
	}
	p.br = bufio.NewReaderSize(&inflateErrReader{r}, bufSize)
	p.size = -1
	p.inflated = true
	return nil
}

// inflateErrReader turns corrupt deflate data into ErrMalformed.
type inflateErrReader struct{ r io.Reader }

func (i *inflateErrReader) Read(b []byte) (int, error) {
	n, err := i.r.Read(b)
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, io.ErrUnexpectedEOF
		}
		return n, malformedf("deflated dataset: %v", err)
	}
	return n, err
}

// infer recognises the encoding of a dataset that has no transfer syntax:
// its first tag must be in groups 0002–0010 (as every image dataset starts)
// in one byte order, and explicit VR shows as two VR letters after the tag.
func (p *parser) infer() (explicit, big, ok bool) {
	b, _ := p.br.Peek(8)
	if len(b) < 8 {
		return false, false, false
	}
	plausible := func(g uint16) bool { return g >= 0x0002 && g <= 0x0010 }
	switch {
	case plausible(binary.LittleEndian.Uint16(b)):
		big = false
	case plausible(binary.BigEndian.Uint16(b)):
		big = true
	default:
		return false, false, false
	}
	_, explicit = vrFromBytes(b[4], b[5])
	if !explicit && big {
		return false, false, false // implicit VR big endian does not exist
	}
	if !explicit {
		l := int64(binary.LittleEndian.Uint32(b[4:]))
		if l != undefinedLength && p.size >= 0 && l > p.size-p.pos-8 {
			return false, false, false
		}
	}
	return explicit, big, true
}

// Warnings returns what reading the dataset noticed and worked around (an
// inferred transfer syntax, elements without a valid VR).
func (d *Dataset) Warnings() []string { return d.warnings }

// tagLabel names a tag in messages: "(0028,0010) Rows", or "(0029,1010)".
func tagLabel(t tag.Tag) string {
	if n := t.Name(); n != t.String() {
		return t.String() + " " + n
	}
	return t.String()
}
