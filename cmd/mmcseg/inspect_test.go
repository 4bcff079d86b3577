package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// writeCT writes an n-slice 4×3 CT series with 1.25 mm between slices and
// a gap after slice gapAt (none when gapAt < 0).
func writeCT(t *testing.T, dir, series string, n, gapAt int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	z := 0.0
	for k := 0; k < n; k++ {
		px := make([]byte, 2*4*3)
		binary.LittleEndian.PutUint16(px, uint16(k))
		ds := dicomio.NewDataset(
			dicomio.NewStrings(tag.SOPClassUID, dicomio.VRUI, "1.2.840.10008.5.1.4.1.1.2"),
			dicomio.NewStrings(tag.SOPInstanceUID, dicomio.VRUI, dicomio.NewUID()),
			dicomio.NewStrings(tag.SeriesInstanceUID, dicomio.VRUI, series),
			dicomio.NewStrings(tag.PatientName, dicomio.VRPN, "Doe^Jane"),
			dicomio.NewStrings(tag.PatientID, dicomio.VRLO, "P7"),
			dicomio.NewStrings(tag.StudyDate, dicomio.VRDA, "20240102"),
			dicomio.NewStrings(tag.Modality, dicomio.VRCS, "CT"),
			dicomio.NewStrings(tag.SeriesDescription, dicomio.VRLO, "chest  axial"),
			dicomio.NewFloats(tag.ImagePositionPatient, dicomio.VRDS, 0, 0, z),
			dicomio.NewFloats(tag.ImageOrientationPatient, dicomio.VRDS, 1, 0, 0, 0, 1, 0),
			dicomio.NewFloats(tag.PixelSpacing, dicomio.VRDS, 0.5, 0.75),
			dicomio.NewInts(tag.SamplesPerPixel, dicomio.VRUS, 1),
			dicomio.NewStrings(tag.PhotometricInterpretation, dicomio.VRCS, "MONOCHROME2"),
			dicomio.NewInts(tag.Rows, dicomio.VRUS, 4),
			dicomio.NewInts(tag.Columns, dicomio.VRUS, 3),
			dicomio.NewInts(tag.BitsAllocated, dicomio.VRUS, 16),
			dicomio.NewInts(tag.BitsStored, dicomio.VRUS, 16),
			dicomio.NewInts(tag.PixelRepresentation, dicomio.VRUS, 0),
			dicomio.NewBytes(tag.PixelData, dicomio.VROW, px),
		)
		if err := dicomio.WriteFile(filepath.Join(dir, dicomio.NewUID()+".dcm"), ds); err != nil {
			t.Fatal(err)
		}
		z += 1.25
		if k == gapAt {
			z += 1.25
		}
	}
}

type inspectOut struct {
	Series []struct {
		SeriesUID   string     `json:"series_uid"`
		Modality    string     `json:"modality"`
		Slices      int        `json:"slices"`
		Rows        int        `json:"rows"`
		Columns     int        `json:"columns"`
		Spacing     [3]float64 `json:"spacing"`
		Volume      bool       `json:"volume"`
		VolumeError string     `json:"volume_error"`
		Warnings    []string   `json:"warnings"`
		PatientName string     `json:"patient_name"`
	} `json:"series"`
	Skipped []struct{ Path, Reason string } `json:"skipped"`
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	writeCT(t, filepath.Join(dir, "a"), "1.2.826.0.1.3680043.10.99.1", 5, -1)
	writeCT(t, filepath.Join(dir, "b"), "1.2.826.0.1.3680043.10.99.2", 5, 2)
	if err := os.WriteFile(filepath.Join(dir, "a", "readme.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"inspect", dir, "--json"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got inspectOut
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(got.Series) != 2 || len(got.Skipped) != 1 || !strings.Contains(got.Skipped[0].Reason, "not a DICOM file") {
		t.Fatalf("%+v", got)
	}
	a, b := got.Series[0], got.Series[1]
	if a.SeriesUID != "1.2.826.0.1.3680043.10.99.1" || a.Modality != "CT" || a.Slices != 5 || a.Rows != 4 || a.Columns != 3 ||
		a.Spacing != [3]float64{0.5, 0.75, 1.25} || !a.Volume || a.PatientName != "Doe^Jane" || a.Warnings == nil {
		t.Errorf("series a: %+v", a)
	}
	if b.Volume || !strings.Contains(b.VolumeError, "irregular slice spacing") {
		t.Errorf("series b: %+v", b)
	}

	out.Reset()
	if code := dispatch(context.Background(), []string{"inspect", dir}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	table := out.String()
	for _, want := range []string{"Doe^Jane (P7)", "20240102", "chest axial", "COLS×ROWS", "  3×4  ", "0.5×0.75×1.25", "axial", "Explicit VR Little Endian",
		"not a volume: irregular slice spacing", "Skipped (1):", "readme.txt: not a DICOM file"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	// Usage errors and nothing found.
	if code := dispatch(context.Background(), []string{"inspect"}, &out, &errb); code != exitUsage {
		t.Errorf("no path: exit %d", code)
	}
	if code := dispatch(context.Background(), []string{"inspect", filepath.Join(dir, "missing")}, &out, &errb); code != exitFailed {
		t.Errorf("missing path: exit %d", code)
	}
	if code := dispatch(context.Background(), []string{"inspect", filepath.Join(dir, "a", "readme.txt")}, &out, &errb); code != exitFailed {
		t.Errorf("no series: exit %d", code)
	}
}

func TestInspectLIDC(t *testing.T) {
	dir := shareddata.Path(t, "ct-lidc/LIDC-IDRI-0001")
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"inspect", "--json", dir}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got inspectOut
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Series) != 1 {
		t.Fatalf("%d series", len(got.Series))
	}
	s := got.Series[0]
	if s.SeriesUID != "1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192" || s.Slices != 133 || s.Rows != 512 ||
		s.Columns != 512 || s.Spacing != [3]float64{0.703125, 0.703125, 2.5} || !s.Volume || s.Modality != "CT" {
		t.Errorf("%+v", s)
	}
	if len(got.Skipped) != 0 {
		t.Errorf("skipped %+v", got.Skipped)
	}
}
