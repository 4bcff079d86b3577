package dicomio

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/tag"
)

// richDataset exercises every VR class, nesting, empty values, private tags
// and odd lengths.
func richDataset() *Dataset {
	px := make([]byte, 2*4*3)
	for i := range px {
		px[i] = byte(i * 7)
	}
	code := func(v, scheme, meaning string) *Dataset {
		return NewDataset(NewStrings(tag.CodeValue, VRSH, v), NewStrings(tag.CodingSchemeDesignator, VRSH, scheme), NewStrings(tag.CodeMeaning, VRLO, meaning))
	}
	segment := NewDataset(
		NewInts(tag.SegmentNumber, VRUS, 1),
		NewStrings(tag.SegmentLabel, VRLO, "liver"),
		NewSequence(tag.SegmentedPropertyCategoryCodeSequence, code("123037004", "SCT", "Anatomical Structure")),
		NewSequence(tag.SegmentedPropertyTypeCodeSequence, NewDataset(
			NewStrings(tag.CodeValue, VRSH, "10200004"),
			NewStrings(tag.CodingSchemeDesignator, VRSH, "SCT"),
			NewStrings(tag.CodeMeaning, VRLO, "Liver"),
			NewSequence(tag.SegmentedPropertyTypeModifierCodeSequence, code("7771000", "SCT", "Left")),
		)),
		NewSequence(tag.AnatomicRegionSequence), // empty sequence
	)
	return NewDataset(
		NewStrings(tag.SpecificCharacterSet, VRCS, "ISO_IR 192"),
		NewStrings(tag.ImageType, VRCS, "DERIVED", "PRIMARY"),
		NewStrings(tag.SOPClassUID, VRUI, "1.2.840.10008.5.1.4.1.1.66.4"),
		NewStrings(tag.SOPInstanceUID, VRUI, "1.2.3.4.5.6.7"), // odd length: NUL padded
		NewStrings(tag.StudyDate, VRDA, "20240229"),
		NewStrings(tag.ContentTime, VRTM, "101010.5"),
		NewStrings(tag.AcquisitionDateTime, VRDT, "20240229101010"),
		NewStrings(tag.Modality, VRCS, "SEG"),
		NewStrings(tag.Manufacturer, VRLO, "mmcseg"),
		NewStrings(tag.InstitutionAddress, VRST, `1 Main St\Suite 2`),
		NewStrings(tag.PatientName, VRPN, "Ünal^Ayşe"),
		NewStrings(tag.PatientID, VRLO, ""), // empty
		NewStrings(tag.PatientAge, VRAS, "042Y"),
		NewFloats(tag.PatientWeight, VRDS, 72.5),
		NewStrings(tag.SourceApplicationEntityTitle, VRAE, "MMCSEG"),
		NewStrings(tag.URNCodeValue, VRUR, "http://example.com/x"),
		NewStrings(tag.LongCodeValue, VRUC, "a long code"),
		NewStrings(tag.TrackingID, VRUT, "tracking text"),
		NewFloats(tag.SliceThickness, VRDS, 1.25),
		NewInts(tag.SeriesNumber, VRIS, 1000),
		NewFloats(tag.NominalCardiacTriggerDelayTime, VRFD, 12.25),
		NewFloats(tag.NominalPercentageOfCardiacPhase, VRFL, 0.5),
		NewInts(tag.SmallestImagePixelValue, VRSS, -5),
		NewInts(tag.InStackPositionNumber, VRUL, 123456),
		NewInts(tag.DimensionIndexPointer, VRAT, int(tag.ImagePositionPatient), int(tag.TemporalPositionIndex)),
		NewInts(tag.Rows, VRUS, 4),
		NewInts(tag.Columns, VRUS, 3),
		NewInts(tag.BitsAllocated, VRUS, 16),
		NewSequence(tag.SegmentSequence, segment, NewDataset()), // an empty item
		NewStrings(tag.New(0x0009, 0x0010), VRLO, "MMCSEG TEST"),
		NewBytes(tag.New(0x0009, 0x1001), VROB, []byte{1, 2, 3}), // odd OB
		NewBytes(tag.PixelData, VROW, px),
	)
}

// sameDataset compares two datasets element by element. Private elements
// become UN in implicit VR, so their VR is not compared, and other elements
// get the dictionary's VR there.
func sameDataset(t *testing.T, where string, want, got *Dataset) {
	sameDatasetTS(t, where, want, got, got.TransferSyntax() == tsImplicitLE)
}

func sameDatasetTS(t *testing.T, where string, want, got *Dataset, implicit bool) {
	t.Helper()
	wantEls, gotEls := []*Element{}, []*Element{}
	for e := range want.All() {
		if e.Tag.Group() != 0x0002 {
			wantEls = append(wantEls, e)
		}
	}
	for e := range got.All() {
		if e.Tag.Group() != 0x0002 {
			gotEls = append(gotEls, e)
		}
	}
	if len(wantEls) != len(gotEls) {
		t.Fatalf("%s: %d elements, want %d", where, len(gotEls), len(wantEls))
	}
	for i, w := range wantEls {
		g := gotEls[i]
		if w.Tag != g.Tag {
			t.Fatalf("%s: element %d is %v, want %v", where, i, g.Tag, w.Tag)
		}
		wantVR := w.VR
		if implicit && w.VR != VRSQ {
			wantVR = implicitVR(w.Tag)
		}
		if !w.Tag.IsPrivate() && wantVR != g.VR {
			t.Errorf("%s: %v VR %s, want %s", where, w.Tag, g.VR, wantVR)
		}
		if w.VR == VRSQ {
			if len(w.items) != len(g.items) {
				t.Fatalf("%s: %v has %d items, want %d", where, w.Tag, len(g.items), len(w.items))
			}
			for j := range w.items {
				sameDatasetTS(t, fmt.Sprintf("%s %v item %d", where, w.Tag, j+1), w.items[j], g.items[j], implicit)
			}
			continue
		}
		if !bytes.Equal(padded(w), g.value) {
			t.Errorf("%s: %v = %q, want %q", where, w.Tag, g.value, padded(w))
		}
	}
}

func TestRoundTrip(t *testing.T) {
	want := richDataset()
	for _, ts := range []string{tsExplicitLE, tsImplicitLE, tsExplicitBE, tsDeflated} {
		for _, undef := range []bool{false, true} {
			name := fmt.Sprintf("%s/undefined=%v", ts, undef)
			var buf bytes.Buffer
			if err := (Encoder{UndefinedLengthSequences: undef}).write(&buf, want, ts); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got.TransferSyntax() != ts {
				t.Errorf("%s: read as %s", name, got.TransferSyntax())
			}
			sameDataset(t, name, want, got)
			if got.String(tag.PatientName) != "Ünal^Ayşe" {
				t.Errorf("%s: UTF-8 name %q", name, got.String(tag.PatientName))
			}
			if got.String(tag.MediaStorageSOPInstanceUID) != "1.2.3.4.5.6.7" || got.String(tag.ImplementationClassUID) != ImplementationClassUID {
				t.Errorf("%s: file meta %q %q", name, got.String(tag.MediaStorageSOPInstanceUID), got.String(tag.ImplementationClassUID))
			}
			// A header-only read stops at the pixel data and records where
			// its value is.
			h, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{HeaderOnly: true})
			if err != nil {
				t.Fatalf("%s header: %v", name, err)
			}
			pe := h.Element(tag.PixelData)
			if pe == nil || pe.pixel == nil || pe.Bytes() != nil {
				t.Fatalf("%s: header-only pixel element %+v", name, pe)
			}
			if ts != tsDeflated {
				off := pe.pixel.offset
				raw := buf.Bytes()[off : off+pe.pixel.length]
				wantPx := bytes.Clone(want.Bytes(tag.PixelData))
				if ts == tsExplicitBE {
					swapBytes(wantPx, 2)
				}
				if !bytes.Equal(raw, wantPx) {
					t.Errorf("%s: pixel offset %d points at %v", name, off, raw[:4])
				}
			} else if pe.pixel.offset != -1 {
				t.Errorf("deflated: pixel offset %d, want -1", pe.pixel.offset)
			}
		}
	}
}

// TestWrittenFilesReadByDCMTKAndPydicom checks the writer against two
// independent readers: dcmdump must parse the file without a warning, and
// pydicom must see the same values.
func TestWrittenFilesReadByDCMTKAndPydicom(t *testing.T) {
	t.Parallel()
	dcmdump := tool(t, "dcmdump")
	py := python(t)
	dir := t.TempDir()
	for _, undef := range []bool{false, true} {
		path := filepath.Join(dir, fmt.Sprintf("rich-%v.dcm", undef))
		if err := (Encoder{UndefinedLengthSequences: undef}).WriteFile(path, richDataset()); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(dcmdump, "-q", "+L", path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Fatalf("dcmdump %s: %v\n%s", path, err, stderr.String())
		}
		for _, want := range []string{
			"(0002,0010) UI =LittleEndianExplicit",
			"(0002,0012) UI [" + ImplementationClassUID + "]",
			"(0008,0018) UI [1.2.3.4.5.6.7]",
			"(0010,1030) DS [72.5]",
			"(0020,9165) AT (0020,0032)\\(0020,9128)",
			"(0062,0005) LO [liver]",
			"(0008,0104) LO [Left]",
			"(0028,0010) US 4",
			"(0009,1001) OB 01\\02\\03\\00",
		} {
			if !strings.Contains(string(out), want) {
				t.Errorf("dcmdump output lacks %q:\n%s", want, out)
			}
		}
		script := `
import sys, json, pydicom
d = pydicom.dcmread(sys.argv[1])
seg = d.SegmentSequence[0]
print(json.dumps({
  "ts": str(d.file_meta.TransferSyntaxUID),
  "sop": d.SOPInstanceUID, "msop": d.file_meta.MediaStorageSOPInstanceUID,
  "name": str(d.PatientName), "weight": float(d.PatientWeight),
  "addr": d.InstitutionAddress, "rows": d.Rows,
  "ss": d.SmallestImagePixelValue, "ul": d[0x00209057].value,
  "label": seg.SegmentLabel,
  "modifier": seg.SegmentedPropertyTypeCodeSequence[0].SegmentedPropertyTypeModifierCodeSequence[0].CodeMeaning,
  "items": len(d.SegmentSequence), "empty_seq": len(seg.AnatomicRegionSequence),
  "px": list(d.PixelData),
}))
`
		out, err = exec.Command(py, "-c", script, path).CombinedOutput()
		if err != nil {
			t.Fatalf("pydicom: %v\n%s", err, out)
		}
		var got struct {
			TS, Sop, Msop, Name, Addr, Label, Modifier string
			Weight                                     float64
			Rows, SS, UL, Items, EmptySeq              int
			Px                                         []int
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if got.TS != tsExplicitLE || got.Sop != "1.2.3.4.5.6.7" || got.Msop != got.Sop || got.Name != "Ünal^Ayşe" ||
			got.Weight != 72.5 || got.Addr != `1 Main St\Suite 2` || got.Rows != 4 || got.SS != -5 || got.UL != 123456 ||
			got.Label != "liver" || got.Modifier != "Left" || got.Items != 2 || got.EmptySeq != 0 {
			t.Errorf("pydicom read %+v", got)
		}
		px := richDataset().Bytes(tag.PixelData)
		if len(got.Px) != len(px) {
			t.Fatalf("pydicom pixel data %d bytes, want %d", len(got.Px), len(px))
		}
		for i, v := range got.Px {
			if byte(v) != px[i] {
				t.Fatalf("pydicom pixel byte %d = %d, want %d", i, v, px[i])
			}
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.dcm")
	bad := NewDataset(NewStrings(tag.SOPClassUID, VRUI, "1.2"))
	if err := WriteFile(path, bad); !errors.Is(err, ErrNoElement) {
		t.Fatalf("WriteFile without SOPInstanceUID: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("a failed write left %d file(s)", len(ents))
	}
	if err := WriteFile(path, richDataset()); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("%d files after one write", len(ents))
	}
	b, _ := os.ReadFile(path)
	if string(b[128:132]) != "DICM" || !bytes.Equal(b[:128], make([]byte, 128)) {
		t.Error("no zero preamble and DICM")
	}
	// Group length is right: the dataset starts where it says.
	gl := binary.LittleEndian.Uint32(b[140:])
	if got := binary.LittleEndian.Uint16(b[144+gl:]); got != 0x0008 {
		t.Errorf("after the meta group (length %d) comes group %04x", gl, got)
	}
	// Encapsulated or unread pixel data cannot be written.
	h, err := ReadFile(path, ReadOptions{HeaderOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(&bytes.Buffer{}, h); !errors.Is(err, ErrValue) {
		t.Errorf("writing a header-only dataset: %v", err)
	}
}

// bare returns the dataset part of an encoded file (no preamble, no meta).
func bare(t *testing.T, file []byte) []byte {
	t.Helper()
	gl := binary.LittleEndian.Uint32(file[140:])
	return file[144+gl:]
}

func TestReadWithoutPreambleOrMeta(t *testing.T) {
	want := richDataset()
	full := encode(t, want, tsExplicitLE)
	cases := map[string][]byte{
		"DICM without preamble": full[128:],
		"meta without DICM":     full[132:],
	}
	for _, ts := range []string{tsExplicitLE, tsImplicitLE, tsExplicitBE} {
		cases["bare "+ts] = bare(t, encode(t, want, ts))
	}
	for name, b := range cases {
		got, err := Read(bytes.NewReader(b), int64(len(b)), ReadOptions{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := want
		if strings.HasPrefix(name, "bare") {
			// Without a meta group the dataset's own group 0002 elements
			// are gone too.
			want = NewDataset()
			for e := range richDataset().All() {
				if e.Tag.Group() != 0x0002 {
					want.Set(*e)
				}
			}
		}
		sameDataset(t, name, want, got)
	}
	// A file that is not DICOM.
	for name, b := range map[string][]byte{
		"text":       []byte("hello, this is not DICOM at all, just text\n"),
		"empty":      nil,
		"png":        {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D},
		"stray byte": append([]byte{0x20}, bare(t, full)...),
		"zeros":      make([]byte, 300),
	} {
		if _, err := Read(bytes.NewReader(b), int64(len(b)), ReadOptions{}); !errors.Is(err, ErrNotDICOM) {
			t.Errorf("%s: %v, want ErrNotDICOM", name, err)
		}
	}
}

// TestEveryTruncationFails cuts a file at every byte: a read either
// succeeds (only where the cut falls between two top-level elements) or
// fails with ErrTruncated; it never panics or misreads.
func TestEveryTruncationFails(t *testing.T) {
	for _, ts := range []string{tsExplicitLE, tsImplicitLE, tsExplicitBE} {
		for _, undef := range []bool{false, true} {
			var buf bytes.Buffer
			if err := (Encoder{UndefinedLengthSequences: undef}).write(&buf, richDataset(), ts); err != nil {
				t.Fatal(err)
			}
			file := buf.Bytes()
			bounds := map[int]bool{}
			off := len(file) - len(bare(t, file))
			bounds[off] = true
			e := encoding{explicit: ts != tsImplicitLE, big: ts == tsExplicitBE, undefinedSeq: undef}
			for el := range richDataset().All() {
				if el.Tag.Group() == 0x0002 {
					continue
				}
				var b bytes.Buffer
				if err := e.element(&b, el); err != nil {
					t.Fatal(err)
				}
				off += b.Len()
				bounds[off] = true
			}
			if off != len(file) {
				t.Fatalf("element sizes add up to %d, file is %d", off, len(file))
			}
			for n := 132; n < len(file); n++ {
				_, err := Read(bytes.NewReader(file[:n]), int64(n), ReadOptions{})
				switch {
				case bounds[n] && err != nil:
					t.Errorf("%s undefined=%v: cut at element boundary %d: %v", ts, undef, n, err)
				case !bounds[n] && !errors.Is(err, ErrTruncated):
					t.Errorf("%s undefined=%v: cut at %d: %v, want ErrTruncated", ts, undef, n, err)
				}
			}
		}
	}
}

func TestHugeLengthsDoNotAllocate(t *testing.T) {
	head := encode(t, NewDataset(NewStrings(tag.SOPClassUID, VRUI, "1.2"), NewStrings(tag.SOPInstanceUID, VRUI, "1.2.3")), tsExplicitLE)
	// (0008,0020) claims 0xFFFFFFF0 bytes as UT.
	huge := append(bytes.Clone(head), 0x08, 0x00, 0x30, 0x00, 'U', 'T', 0, 0, 0xF0, 0xFF, 0xFF, 0xFF, 'x', 'y')
	// The same in a deflated dataset, where the length of what remains is
	// unknown until it has been inflated.
	gl := binary.LittleEndian.Uint32(head[140:])
	meta := bytes.Clone(head[:144+gl])
	meta = bytes.Replace(meta, []byte(tsExplicitLE+"\x00"), []byte(tsDeflated), 1) // same length, even
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestSpeed)
	fw.Write(huge[len(head):])
	fw.Write(make([]byte, 3<<20)) // 3 MiB of zeros: the value is cut short after them
	fw.Close()
	deflated := append(meta, z.Bytes()...)
	for name, b := range map[string][]byte{"plain": huge, "deflated": deflated} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Read(bytes.NewReader(b), int64(len(b)), ReadOptions{})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("%s: %v, want ErrTruncated", name, err)
		}
		if a := after.TotalAlloc - before.TotalAlloc; a > 64<<20 {
			t.Errorf("%s: reading allocated %d MiB for a 4 GiB claim", name, a>>20)
		}
	}
}

func TestNestingDepthIsBounded(t *testing.T) {
	nest := func(depth int) *Dataset {
		ds := NewDataset(NewStrings(tag.CodeValue, VRSH, "x"))
		for i := 0; i < depth; i++ {
			ds = NewDataset(NewSequence(tag.New(0x0040, 0xA730), ds))
		}
		ds.Set(NewStrings(tag.SOPClassUID, VRUI, "1.2"))
		ds.Set(NewStrings(tag.SOPInstanceUID, VRUI, "1.2.3"))
		return ds
	}
	b := encode(t, nest(maxDepth), tsExplicitLE)
	if _, err := Read(bytes.NewReader(b), int64(len(b)), ReadOptions{}); err != nil {
		t.Errorf("depth %d: %v", maxDepth, err)
	}
	if err := Write(&bytes.Buffer{}, nest(maxDepth+2)); !errors.Is(err, ErrValue) {
		t.Errorf("writing depth %d: %v", maxDepth+2, err)
	}
	// Write the deep one by hand (the writer refuses it).
	var buf bytes.Buffer
	buf.Write(encode(t, nest(0), tsExplicitLE))
	e := encoding{explicit: true, undefinedSeq: true}
	deep := nest(maxDepth + 2)
	for el := range deep.All() {
		if el.VR == VRSQ {
			if err := e.element(&buf, el); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("depth %d: %v, want ErrMalformed", maxDepth+2, err)
	}
}

func TestOddEncodings(t *testing.T) {
	head := encode(t, NewDataset(NewStrings(tag.SOPClassUID, VRUI, "1.2"), NewStrings(tag.SOPInstanceUID, VRUI, "1.2.3")), tsExplicitLE)
	le := binary.LittleEndian
	// CP-246: an undefined-length UN holding an implicit-VR sequence.
	var b bytes.Buffer
	b.Write(head)
	b.Write([]byte{0x09, 0x00, 0x10, 0x10, 'U', 'N', 0, 0})
	b.Write(le.AppendUint32(nil, undefinedLength))
	b.Write([]byte{0xFE, 0xFF, 0x00, 0xE0})
	b.Write(le.AppendUint32(nil, undefinedLength))
	b.Write([]byte{0x09, 0x00, 0x11, 0x10})
	b.Write(le.AppendUint32(nil, 2))
	b.WriteString("ab")
	b.Write([]byte{0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0})
	b.Write([]byte{0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0})
	// An element with no valid VR: read as implicit.
	b.Write([]byte{0x10, 0x00, 0x20, 0x00})
	b.Write(le.AppendUint32(nil, 4))
	b.WriteString("ID12")
	ds, err := Read(bytes.NewReader(b.Bytes()), int64(b.Len()), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	items := ds.Items(tag.New(0x0009, 0x1010))
	if len(items) != 1 || string(items[0].Bytes(tag.New(0x0009, 0x1011))) != "ab" {
		t.Errorf("UN sequence: %d items", len(items))
	}
	if ds.String(tag.PatientID) != "ID12" {
		t.Errorf("PatientID without VR = %q", ds.String(tag.PatientID))
	}
	if len(ds.Warnings()) != 1 {
		t.Errorf("warnings %q", ds.Warnings())
	}
	// A stray sequence delimiter between top-level elements is skipped with
	// a warning; inside an item it is an error.
	stray := append(bytes.Clone(head), 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0)
	stray = append(stray, 0x10, 0x00, 0x20, 0x00, 'L', 'O', 2, 0, 'I', 'D')
	if ds, err := Read(bytes.NewReader(stray), int64(len(stray)), ReadOptions{}); err != nil || ds.String(tag.PatientID) != "ID" || len(ds.Warnings()) != 1 {
		t.Errorf("stray delimiter: %v", err)
	}
	// File meta without TransferSyntaxUID: inferred, with a warning.
	noTS := NewDataset(NewStrings(tag.SOPClassUID, VRUI, "1.2"), NewStrings(tag.SOPInstanceUID, VRUI, "1.2.3"), NewStrings(tag.PatientID, VRLO, "X"))
	for _, ts := range []string{tsImplicitLE, tsExplicitBE} {
		f := encode(t, noTS, ts)
		gl := binary.LittleEndian.Uint32(f[140:])
		meta := f[:144+gl]
		i := bytes.Index(meta, []byte{0x02, 0x00, 0x10, 0x00})
		n := int(binary.LittleEndian.Uint16(meta[i+6:]))
		cut := append(bytes.Clone(meta[:i]), meta[i+8+n:]...)
		binary.LittleEndian.PutUint32(cut[140:], gl-uint32(8+n))
		cut = append(cut, bare(t, f)...)
		got, err := Read(bytes.NewReader(cut), int64(len(cut)), ReadOptions{})
		if err != nil {
			t.Fatalf("%s without TS: %v", ts, err)
		}
		if got.TransferSyntax() != ts || got.String(tag.PatientID) != "X" || len(got.Warnings()) != 1 {
			t.Errorf("%s without TS: read as %s, PatientID %q, warnings %q", ts, got.TransferSyntax(), got.String(tag.PatientID), got.Warnings())
		}
	}
}
