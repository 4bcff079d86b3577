package dicomio

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mmcseg/mmcseg/dicomio/tag"
)

// Encoder writes datasets as DICOM Part 10 files in Explicit VR Little
// Endian (1.2.840.10008.1.2.1): a 128-byte zero preamble, "DICM", a file
// meta group built from the dataset (group length, version 00\01, media
// storage SOP class and instance from SOPClassUID and SOPInstanceUID,
// transfer syntax, ImplementationClassUID and ImplementationVersionName),
// then the dataset's elements in tag order, each padded to even length
// (UI with NUL, other character VRs with a space, OB and UN with a zero
// byte). The dataset's own group 0002 elements are replaced, except
// optional ones such as SourceApplicationEntityTitle, which are kept.
//
// Pixel data is written as it is held: native OB or OW bytes, little
// endian. Encapsulated (compressed) pixel data cannot be written in this
// transfer syntax and is an error.
type Encoder struct {
	// UndefinedLengthSequences writes every sequence and item with
	// undefined length and delimitation items; by default lengths are
	// computed and written.
	UndefinedLengthSequences bool

	// allowEmptyUIDs lets tests write files like those of real archives
	// whose SOP UIDs are empty.
	allowEmptyUIDs bool
}

// Write writes ds to w with the default Encoder.
func Write(w io.Writer, ds *Dataset) error { return Encoder{}.Write(w, ds) }

// WriteFile writes ds to path with the default Encoder (see
// Encoder.WriteFile).
func WriteFile(path string, ds *Dataset) error { return Encoder{}.WriteFile(path, ds) }

// Write writes ds to w as a Part 10 file. It returns an error, and writes
// nothing, when the dataset lacks SOPClassUID or SOPInstanceUID or holds a
// value its VR cannot encode; the error names the element.
func (enc Encoder) Write(w io.Writer, ds *Dataset) error {
	return enc.write(w, ds, tsExplicitLE)
}

// WriteFile writes ds to path atomically: to a temporary file in the same
// folder, synced and then renamed, so that path never holds a partial file.
func (enc Encoder) WriteFile(path string, ds *Dataset) error {
	return writeFileAtomic(path, func(w io.Writer) error { return enc.write(w, ds, tsExplicitLE) })
}

func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err = write(bw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// encoding is a transfer syntax's element encoding.
type encoding struct {
	explicit, big, undefinedSeq bool
}

func (enc Encoder) write(w io.Writer, ds *Dataset, ts string) error {
	if err := validate(ds, enc.allowEmptyUIDs); err != nil {
		return err
	}
	e := encoding{explicit: ts != tsImplicitLE, big: ts == tsExplicitBE, undefinedSeq: enc.UndefinedLengthSequences}
	meta := enc.meta(ds, ts)
	var head bytes.Buffer
	head.Write(make([]byte, 128))
	head.WriteString("DICM")
	le := encoding{explicit: true}
	var body bytes.Buffer
	for el := range meta.All() {
		if el.Tag == tag.FileMetaInformationGroupLength {
			continue
		}
		if err := le.element(&body, el); err != nil {
			return err
		}
	}
	gl := NewInts(tag.FileMetaInformationGroupLength, VRUL, body.Len())
	if err := le.element(&head, &gl); err != nil {
		return err
	}
	head.Write(body.Bytes())
	if _, err := w.Write(head.Bytes()); err != nil {
		return err
	}
	out := w
	var fw *flate.Writer
	if ts == tsDeflated {
		fw, _ = flate.NewWriter(w, flate.DefaultCompression)
		out = fw
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	for el := range ds.All() {
		if el.Tag.Group() == 0x0002 {
			continue
		}
		if err := e.element(bw, el); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if fw != nil {
		return fw.Close()
	}
	return nil
}

// meta builds the file meta group.
func (enc Encoder) meta(ds *Dataset, ts string) *Dataset {
	m := &Dataset{}
	for el := range ds.All() {
		if el.Tag.Group() == 0x0002 {
			m.Set(*el)
		}
	}
	m.Set(NewBytes(tag.FileMetaInformationVersion, VROB, []byte{0, 1}))
	m.Set(NewStrings(tag.MediaStorageSOPClassUID, VRUI, ds.String(tag.SOPClassUID)))
	m.Set(NewStrings(tag.MediaStorageSOPInstanceUID, VRUI, ds.String(tag.SOPInstanceUID)))
	m.Set(NewStrings(tag.TransferSyntaxUID, VRUI, ts))
	m.Set(NewStrings(tag.ImplementationClassUID, VRUI, ImplementationClassUID))
	m.Set(NewStrings(tag.ImplementationVersionName, VRSH, ImplementationVersionName))
	return m
}

// validate finds what would make the file unreadable before anything is
// written.
func validate(ds *Dataset, allowEmptyUIDs bool) error {
	for _, t := range []tag.Tag{tag.SOPClassUID, tag.SOPInstanceUID} {
		uid := ds.String(t)
		if uid == "" && allowEmptyUIDs {
			continue
		}
		if uid == "" {
			return fmt.Errorf("a Part 10 file needs %s: %w", t.Name(), ErrNoElement)
		}
		if err := ValidUID(uid); err != nil {
			return fmt.Errorf("%s: %w", t.Name(), err)
		}
	}
	return validateElements(ds, 0)
}

func validateElements(ds *Dataset, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("sequences nested more than %d deep: %w", maxDepth, ErrValue)
	}
	for el := range ds.All() {
		switch {
		case el.err != nil:
			return el.err
		case el.pixel != nil:
			return fmt.Errorf("%v: pixel data was not read (header-only dataset): %w", el.Tag, ErrValue)
		case el.encapsulated:
			return fmt.Errorf("%v: encapsulated (compressed) pixel data cannot be written uncompressed; decode it first: %w", el.Tag, ErrValue)
		case el.VR == VRSQ:
			for i, it := range el.items {
				if it == nil {
					return fmt.Errorf("%v item %d is nil: %w", el.Tag, i+1, ErrValue)
				}
				if err := validateElements(it, depth+1); err != nil {
					return fmt.Errorf("%v item %d: %w", el.Tag, i+1, err)
				}
			}
		case !el.VR.longHeader() && len(el.value) > 0xFFFE:
			return fmt.Errorf("%v: %d bytes do not fit VR %s (at most 65534): %w", el.Tag, len(el.value), el.VR, ErrValue)
		case int64(len(el.value)) >= undefinedLength-1:
			return fmt.Errorf("%v: value of %d bytes is too long for DICOM: %w", el.Tag, len(el.value), ErrValue)
		}
		if _, ok := vrFromBytes(el.VR[0], el.VR[1]); len(el.VR) != 2 || !ok {
			return fmt.Errorf("%v: unknown VR %q: %w", el.Tag, el.VR, ErrValue)
		}
	}
	return nil
}

func (e encoding) u16(b []byte, v uint16) []byte {
	if e.big {
		return binary.BigEndian.AppendUint16(b, v)
	}
	return binary.LittleEndian.AppendUint16(b, v)
}

func (e encoding) u32(b []byte, v uint32) []byte {
	if e.big {
		return binary.BigEndian.AppendUint32(b, v)
	}
	return binary.LittleEndian.AppendUint32(b, v)
}

func (e encoding) header(w io.Writer, t tag.Tag, vr VR, length uint32) error {
	b := make([]byte, 0, 12)
	b = e.u16(b, t.Group())
	b = e.u16(b, t.Element())
	switch {
	case !e.explicit || t.Group() == 0xFFFE:
		b = e.u32(b, length)
	case vr.longHeader():
		b = append(b, vr[0], vr[1], 0, 0)
		b = e.u32(b, length)
	default:
		b = append(b, vr[0], vr[1])
		b = e.u16(b, uint16(length))
	}
	_, err := w.Write(b)
	return err
}

// padded returns the value padded to even length.
func padded(el *Element) []byte {
	v := el.value
	if len(v)%2 == 0 {
		return v
	}
	pad := byte(0)
	if el.VR.isString() && el.VR != VRUI {
		pad = ' '
	}
	out := make([]byte, len(v)+1)
	copy(out, v)
	out[len(v)] = pad
	return out
}

func (e encoding) element(w io.Writer, el *Element) error {
	if el.VR == VRSQ {
		return e.sequence(w, el)
	}
	v := padded(el)
	if e.big && el.VR.swapSize() > 1 {
		v = bytes.Clone(v)
		swapBytes(v, el.VR.swapSize())
	}
	vr := el.VR
	if !e.explicit && vr == VRSQ {
		vr = VRUN
	}
	if err := e.header(w, el.Tag, vr, uint32(len(v))); err != nil {
		return err
	}
	_, err := w.Write(v)
	return err
}

func (e encoding) sequence(w io.Writer, el *Element) error {
	if e.undefinedSeq {
		if err := e.header(w, el.Tag, VRSQ, undefinedLength); err != nil {
			return err
		}
		for _, it := range el.items {
			if err := e.header(w, tag.Item, "", undefinedLength); err != nil {
				return err
			}
			for c := range it.All() {
				if err := e.element(w, c); err != nil {
					return err
				}
			}
			if err := e.header(w, tag.ItemDelimitationItem, "", 0); err != nil {
				return err
			}
		}
		return e.header(w, tag.SequenceDelimitationItem, "", 0)
	}
	var seq bytes.Buffer
	for _, it := range el.items {
		var item bytes.Buffer
		for c := range it.All() {
			if err := e.element(&item, c); err != nil {
				return err
			}
		}
		if item.Len() >= undefinedLength-1 {
			return fmt.Errorf("%v: item too long for a defined length: %w", el.Tag, ErrValue)
		}
		if err := e.header(&seq, tag.Item, "", uint32(item.Len())); err != nil {
			return err
		}
		seq.Write(item.Bytes())
	}
	if seq.Len() >= undefinedLength-1 {
		return fmt.Errorf("%v: sequence too long for a defined length: %w", el.Tag, errors.Join(ErrValue))
	}
	if err := e.header(w, el.Tag, VRSQ, uint32(seq.Len())); err != nil {
		return err
	}
	_, err := w.Write(seq.Bytes())
	return err
}
