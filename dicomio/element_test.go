package dicomio

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/tag"
)

func TestFormatDS(t *testing.T) {
	for _, v := range []float64{0, 1, -1024, 0.703125, 2.5, -171.699997, 1.859340659340659, 1e-20, -1.2345678901234567e+300, 123456789012345678, math.Pi, -math.Pi / 1000} {
		s, err := FormatDS(v)
		if err != nil {
			t.Fatalf("FormatDS(%v): %v", v, err)
		}
		if len(s) > 16 {
			t.Errorf("FormatDS(%v) = %q: %d characters", v, s, len(s))
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("FormatDS(%v) = %q does not parse: %v", v, s, err)
		}
		if rel := math.Abs(back-v) / math.Max(math.Abs(v), 1e-300); rel > 1e-10 {
			t.Errorf("FormatDS(%v) = %q: relative error %g", v, s, rel)
		}
	}
	// Exact when the shortest form fits.
	if s, _ := FormatDS(-171.699997); s != "-171.699997" {
		t.Errorf("FormatDS(-171.699997) = %q", s)
	}
	for _, v := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := FormatDS(v); !errors.Is(err, ErrValue) {
			t.Errorf("FormatDS(%v) error = %v", v, err)
		}
	}
}

func TestConstructorsAndAccessors(t *testing.T) {
	ds := NewDataset(
		NewInts(tag.Rows, VRUS, 512),
		NewInts(tag.SmallestImagePixelValue, VRSS, -2000),
		NewInts(tag.InStackPositionNumber, VRUL, 70000),
		NewInts(tag.InstanceNumber, VRIS, -3, 7),
		NewFloats(tag.PixelSpacing, VRDS, 0.703125, 0.5),
		NewFloats(tag.FrameAcquisitionDuration, VRFD, 1.5),
		NewFloats(tag.NominalPercentageOfCardiacPhase, VRFL, 0.25),
		NewStrings(tag.ImageType, VRCS, "ORIGINAL", "PRIMARY", "AXIAL"),
		NewStrings(tag.ImageComments, VRLT, `a\b  `),
		NewInts(tag.DimensionIndexPointer, VRAT, int(tag.ImagePositionPatient)),
		NewSequence(tag.PlanePositionSequence, NewDataset(NewFloats(tag.ImagePositionPatient, VRDS, 1, 2, 3))),
	)
	if v, err := ds.Int(tag.Rows); err != nil || v != 512 {
		t.Errorf("Rows = %d, %v", v, err)
	}
	if v, err := ds.Int(tag.SmallestImagePixelValue); err != nil || v != -2000 {
		t.Errorf("SS = %d, %v", v, err)
	}
	if v, err := ds.Int(tag.InStackPositionNumber); err != nil || v != 70000 {
		t.Errorf("UL = %d, %v", v, err)
	}
	if v, err := ds.Ints(tag.InstanceNumber); err != nil || !slices.Equal(v, []int{-3, 7}) {
		t.Errorf("IS = %v, %v", v, err)
	}
	if v, err := ds.Floats(tag.PixelSpacing); err != nil || !slices.Equal(v, []float64{0.703125, 0.5}) {
		t.Errorf("DS = %v, %v", v, err)
	}
	if v, err := ds.Float(tag.FrameAcquisitionDuration); err != nil || v != 1.5 {
		t.Errorf("FD = %v, %v", v, err)
	}
	if v, err := ds.Float(tag.NominalPercentageOfCardiacPhase); err != nil || v != 0.25 {
		t.Errorf("FL = %v, %v", v, err)
	}
	if v, err := ds.Float(tag.Rows); err != nil || v != 512 {
		t.Errorf("Float(US) = %v, %v", v, err)
	}
	if v := ds.Strings(tag.ImageType); !slices.Equal(v, []string{"ORIGINAL", "PRIMARY", "AXIAL"}) {
		t.Errorf("CS = %q", v)
	}
	if v := ds.String(tag.ImageComments); v != `a\b` {
		t.Errorf("LT keeps backslashes, drops trailing spaces: %q", v)
	}
	if v, err := ds.Int(tag.DimensionIndexPointer); err != nil || tag.Tag(v) != tag.ImagePositionPatient {
		t.Errorf("AT = %v, %v", tag.Tag(v), err)
	}
	items := ds.Items(tag.PlanePositionSequence)
	if len(items) != 1 {
		t.Fatalf("items = %d", len(items))
	}
	if v, _ := items[0].Floats(tag.ImagePositionPatient); !slices.Equal(v, []float64{1, 2, 3}) {
		t.Errorf("item IPP = %v", v)
	}
	if _, err := ds.Int(tag.Columns); !errors.Is(err, ErrNoElement) {
		t.Errorf("missing element: %v", err)
	}
	if _, err := ds.Int(tag.ImageType); !errors.Is(err, ErrValue) {
		t.Errorf("Int of CS: %v", err)
	}
	ds.Set(NewStrings(tag.SliceThickness, VRDS, "abc"))
	if _, err := ds.Float(tag.SliceThickness); !errors.Is(err, ErrValue) {
		t.Errorf("DS abc: %v", err)
	}
	ds.Set(NewStrings(tag.SliceThickness, VRDS, " 2.50 "))
	if v, err := ds.Float(tag.SliceThickness); err != nil || v != 2.5 {
		t.Errorf("padded DS = %v, %v", v, err)
	}
	ds.Set(NewStrings(tag.SliceThickness, VRDS))
	if _, err := ds.Float(tag.SliceThickness); !errors.Is(err, ErrNoElement) {
		t.Errorf("empty DS: %v", err)
	}
	// Order is kept by tag whatever the insertion order; Delete removes.
	var prev tag.Tag
	for e := range ds.All() {
		if e.Tag <= prev {
			t.Errorf("not sorted: %v after %v", e.Tag, prev)
		}
		prev = e.Tag
	}
	n := ds.Len()
	ds.Delete(tag.Rows)
	if ds.Has(tag.Rows) || ds.Len() != n-1 {
		t.Error("Delete did not remove Rows")
	}
}

func TestConstructorErrors(t *testing.T) {
	for name, e := range map[string]Element{
		"US overflow":      NewInts(tag.Rows, VRUS, 70000),
		"SS underflow":     NewInts(tag.SmallestImagePixelValue, VRSS, -40000),
		"Ints with DS":     NewInts(tag.SliceThickness, VRDS, 1),
		"Floats with US":   NewFloats(tag.Rows, VRUS, 1),
		"DS NaN":           NewFloats(tag.SliceThickness, VRDS, math.NaN()),
		"Strings with US":  NewStrings(tag.Rows, VRUS, "1"),
		"backslash":        NewStrings(tag.PatientID, VRLO, `a\b`),
		"two LT":           NewStrings(tag.ImageComments, VRLT, "a", "b"),
		"bad UID":          NewStrings(tag.SeriesInstanceUID, VRUI, "1.02.3"),
		"long UID":         NewStrings(tag.SeriesInstanceUID, VRUI, "1."+strings.Repeat("2", 70)),
		"lower-case CS":    NewStrings(tag.Modality, VRCS, "ct"),
		"long SH":          NewStrings(tag.StationName, VRSH, strings.Repeat("x", 17)),
		"odd OW":           NewBytes(tag.PixelData, VROW, []byte{1, 2, 3}),
		"Bytes with DS":    NewBytes(tag.SliceThickness, VRDS, []byte("1")),
		"nil item":         NewSequence(tag.PlanePositionSequence, nil),
		"IS out of int32":  NewInts(tag.InstanceNumber, VRIS, 1<<40),
		"UL negative":      NewInts(tag.InStackPositionNumber, VRUL, -1),
		"AT with negative": NewInts(tag.DimensionIndexPointer, VRAT, -1),
	} {
		ds := NewDataset(NewStrings(tag.SOPClassUID, VRUI, "1.2.3"), NewStrings(tag.SOPInstanceUID, VRUI, "1.2.3.4"), e)
		var sb strings.Builder
		err := Write(&sb, ds)
		if !errors.Is(err, ErrValue) {
			t.Errorf("%s: Write error = %v, want ErrValue", name, err)
		}
		if sb.Len() != 0 {
			t.Errorf("%s: Write wrote %d bytes before failing", name, sb.Len())
		}
	}
}

func TestValidUID(t *testing.T) {
	for _, ok := range []string{"1.2.840.10008.1.2.1", "0", "2.25.0", NewUID(), ImplementationClassUID} {
		if err := ValidUID(ok); err != nil {
			t.Errorf("ValidUID(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1..2", "1.2.", ".1", "1.02", "1.2a", strings.Repeat("1", 65)} {
		if ValidUID(bad) == nil {
			t.Errorf("ValidUID(%q) accepted", bad)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		u := NewUID()
		if !strings.HasPrefix(u, "2.25.") || len(u) > 44 || seen[u] {
			t.Fatalf("NewUID() = %q (len %d, seen %v)", u, len(u), seen[u])
		}
		seen[u] = true
	}
}

func TestCharacterSets(t *testing.T) {
	latin1 := []byte("M\xfcller^J\xf6rg")
	ds := NewDataset(NewStrings(tag.SpecificCharacterSet, VRCS, "ISO_IR 100"),
		Element{Tag: tag.PatientName, VR: VRPN, value: latin1},
		NewStrings(tag.SOPClassUID, VRUI, "1.2"), NewStrings(tag.SOPInstanceUID, VRUI, "1.2.3"))
	b := encode(t, ds, tsExplicitLE)
	got, err := Read(strings.NewReader(string(b)), int64(len(b)), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := got.String(tag.PatientName); n != "Müller^Jörg" {
		t.Errorf("ISO_IR 100 name = %q", n)
	}
	// Cyrillic (ISO_IR 144): 0xB8 0xC2 is "ИТ".
	cyr := NewDataset(NewStrings(tag.SpecificCharacterSet, VRCS, "ISO_IR 144"), NewStrings(tag.SOPClassUID, VRUI, "1.2"), NewStrings(tag.SOPInstanceUID, VRUI, "1.2.3"))
	cyr.Set(Element{Tag: tag.PatientName, VR: VRPN, value: []byte{0xB8, 0xC2}})
	b = encode(t, cyr, tsExplicitLE)
	got, err = Read(strings.NewReader(string(b)), int64(len(b)), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := got.String(tag.PatientName); n != "ИТ" {
		t.Errorf("ISO_IR 144 name = %q", n)
	}
	// UIDs and codes are never decoded.
	if got.String(tag.SOPInstanceUID) != "1.2.3" {
		t.Error("UI changed")
	}
}

func TestPrivate(t *testing.T) {
	ds := NewDataset(
		NewStrings(tag.New(0x0019, 0x0010), VRLO, "OTHER"),
		NewStrings(tag.New(0x0019, 0x0011), VRLO, "SIEMENS MR HEADER"),
		NewInts(tag.New(0x0019, 0x100A), VRUS, 1),
		NewInts(tag.New(0x0019, 0x110A), VRUS, 35),
	)
	e := ds.Private(0x0019, "SIEMENS MR HEADER", 0x0A)
	if e == nil {
		t.Fatal("private element not found")
	}
	if v, _ := e.Ints(); v[0] != 35 {
		t.Errorf("got %v from the wrong block", v)
	}
	if ds.Private(0x0019, "NOBODY", 0x0A) != nil || ds.Private(0x0018, "SIEMENS MR HEADER", 0x0A) != nil {
		t.Error("found an element that is not there")
	}
}
