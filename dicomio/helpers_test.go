package dicomio

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// tool returns the path of an external reference tool, failing in CI and
// skipping elsewhere when it is missing.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if shareddata.InCI() {
			t.Fatalf("%s is needed: %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// python returns Debian's python3, which has pydicom, numpy and nibabel.
func python(t testing.TB) string {
	t.Helper()
	const p = "/usr/bin/python3"
	if _, err := os.Stat(p); err != nil {
		if shareddata.InCI() {
			t.Fatalf("%s is needed: %v", p, err)
		}
		t.Skipf("%s not installed", p)
	}
	if err := exec.Command(p, "-c", "import pydicom, numpy").Run(); err != nil {
		if shareddata.InCI() {
			t.Fatalf("pydicom/numpy missing for %s: %v", p, err)
		}
		t.Skipf("pydicom/numpy missing: %v", err)
	}
	return p
}

// img describes a synthetic single-frame image for tests.
type img struct {
	rows, cols  int
	ipp         geom.Vec3
	iop         [6]float64
	noGeom      bool
	spacing     [2]float64
	thickness   float64
	instance    int
	series      string // SeriesInstanceUID ("" = empty element)
	study       string
	sop         string // SOPInstanceUID; NewUID() when ""
	imageType   []string
	photometric string
	slope       float64
	intercept   float64
	bits        int // BitsStored; BitsAllocated is 16
	signed      bool
	// value gives the stored value of (row, col).
	value func(r, c int) int
	extra []Element
}

func (m img) dataset() *Dataset {
	if m.rows == 0 {
		m.rows, m.cols = 6, 5
	}
	if m.iop == ([6]float64{}) {
		m.iop = [6]float64{1, 0, 0, 0, 1, 0}
	}
	if m.spacing == ([2]float64{}) {
		m.spacing = [2]float64{0.7, 0.8}
	}
	if m.photometric == "" {
		m.photometric = "MONOCHROME2"
	}
	if m.slope == 0 {
		m.slope = 1
	}
	if m.bits == 0 {
		m.bits = 16
	}
	if m.sop == "" {
		m.sop = NewUID()
	}
	if m.imageType == nil {
		m.imageType = []string{"ORIGINAL", "PRIMARY", "AXIAL"}
	}
	pr := 0
	if m.signed {
		pr = 1
	}
	px := make([]byte, 2*m.rows*m.cols)
	for r := 0; r < m.rows; r++ {
		for c := 0; c < m.cols; c++ {
			v := 0
			if m.value != nil {
				v = m.value(r, c)
			}
			binary.LittleEndian.PutUint16(px[2*(r*m.cols+c):], uint16(int16(v)))
		}
	}
	ds := NewDataset(
		NewStrings(tag.SpecificCharacterSet, VRCS, "ISO_IR 100"),
		NewStrings(tag.ImageType, VRCS, m.imageType...),
		NewStrings(tag.SOPClassUID, VRUI, "1.2.840.10008.5.1.4.1.1.2"),
		NewStrings(tag.SOPInstanceUID, VRUI, m.sop),
		NewStrings(tag.StudyDate, VRDA, "20240102"),
		NewStrings(tag.Modality, VRCS, "CT"),
		NewStrings(tag.Manufacturer, VRLO, "mmcseg test"),
		NewStrings(tag.SeriesDescription, VRLO, "phantom"),
		NewStrings(tag.PatientName, VRPN, "Doe^Jane"),
		NewStrings(tag.PatientID, VRLO, "P1"),
		NewStrings(tag.StudyInstanceUID, VRUI, m.study),
		NewStrings(tag.SeriesInstanceUID, VRUI, m.series),
		NewInts(tag.SeriesNumber, VRIS, 3),
		NewInts(tag.InstanceNumber, VRIS, m.instance),
		NewStrings(tag.FrameOfReferenceUID, VRUI, "1.2.3.4"),
		NewInts(tag.SamplesPerPixel, VRUS, 1),
		NewStrings(tag.PhotometricInterpretation, VRCS, m.photometric),
		NewInts(tag.Rows, VRUS, m.rows),
		NewInts(tag.Columns, VRUS, m.cols),
		NewInts(tag.BitsAllocated, VRUS, 16),
		NewInts(tag.BitsStored, VRUS, m.bits),
		NewInts(tag.HighBit, VRUS, m.bits-1),
		NewInts(tag.PixelRepresentation, VRUS, pr),
		NewFloats(tag.RescaleIntercept, VRDS, m.intercept),
		NewFloats(tag.RescaleSlope, VRDS, m.slope),
		NewBytes(tag.PixelData, VROW, px),
	)
	if !m.noGeom {
		ds.Set(NewFloats(tag.ImagePositionPatient, VRDS, m.ipp[:]...))
		ds.Set(NewFloats(tag.ImageOrientationPatient, VRDS, m.iop[:]...))
		ds.Set(NewFloats(tag.PixelSpacing, VRDS, m.spacing[:]...))
	}
	if m.thickness > 0 {
		ds.Set(NewFloats(tag.SliceThickness, VRDS, m.thickness))
	}
	for _, e := range m.extra {
		ds.Set(e)
	}
	return ds
}

// writeTS writes ds to path in the transfer syntax ts (the exported writer
// only writes explicit VR little endian; tests need the others too).
func writeTS(t testing.TB, path string, ds *Dataset, ts string) {
	t.Helper()
	var buf bytes.Buffer
	if err := (Encoder{allowEmptyUIDs: true}).write(&buf, ds, ts); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func encode(t testing.TB, ds *Dataset, ts string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := (Encoder{}).write(&buf, ds, ts); err != nil {
		t.Fatalf("write: %v", err)
	}
	return buf.Bytes()
}
