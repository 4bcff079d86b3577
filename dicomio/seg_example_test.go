package dicomio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/dicomio/tag"
)

// writeExampleSeries writes a CT series of three 4×5 slices, 2.5 mm apart.
func writeExampleSeries(dir string) error {
	study, series, frameOfReference := dicomio.NewUID(), dicomio.NewUID(), dicomio.NewUID()
	for k := range 3 {
		ds := dicomio.NewDataset(
			dicomio.NewStrings(tag.SOPClassUID, dicomio.VRUI, "1.2.840.10008.5.1.4.1.1.2"),
			dicomio.NewStrings(tag.SOPInstanceUID, dicomio.VRUI, dicomio.NewUID()),
			dicomio.NewStrings(tag.StudyInstanceUID, dicomio.VRUI, study),
			dicomio.NewStrings(tag.SeriesInstanceUID, dicomio.VRUI, series),
			dicomio.NewStrings(tag.FrameOfReferenceUID, dicomio.VRUI, frameOfReference),
			dicomio.NewStrings(tag.Modality, dicomio.VRCS, "CT"),
			dicomio.NewStrings(tag.PatientName, dicomio.VRPN, "Doe^Jane"),
			dicomio.NewStrings(tag.PatientID, dicomio.VRLO, "P1"),
			dicomio.NewFloats(tag.ImagePositionPatient, dicomio.VRDS, -10, -12, 2.5*float64(k)),
			dicomio.NewFloats(tag.ImageOrientationPatient, dicomio.VRDS, 1, 0, 0, 0, 1, 0),
			dicomio.NewFloats(tag.PixelSpacing, dicomio.VRDS, 0.8, 0.8),
			dicomio.NewFloats(tag.SliceThickness, dicomio.VRDS, 2.5),
			dicomio.NewInts(tag.Rows, dicomio.VRUS, 4),
			dicomio.NewInts(tag.Columns, dicomio.VRUS, 5),
			dicomio.NewInts(tag.SamplesPerPixel, dicomio.VRUS, 1),
			dicomio.NewStrings(tag.PhotometricInterpretation, dicomio.VRCS, "MONOCHROME2"),
			dicomio.NewInts(tag.BitsAllocated, dicomio.VRUS, 16),
			dicomio.NewInts(tag.BitsStored, dicomio.VRUS, 16),
			dicomio.NewInts(tag.HighBit, dicomio.VRUS, 15),
			dicomio.NewInts(tag.PixelRepresentation, dicomio.VRUS, 0),
			dicomio.NewBytes(tag.PixelData, dicomio.VROW, make([]byte, 2*4*5)),
		)
		if err := dicomio.WriteFile(filepath.Join(dir, fmt.Sprintf("ct%d.dcm", k)), ds); err != nil {
			return err
		}
	}
	return nil
}

// A segmenter's label volume becomes a DICOM-SEG beside its source series,
// and reading the SEG back gives the same labels on the same slices.
func ExampleWriteSEG() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "seg-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := writeExampleSeries(dir); err != nil {
		log.Fatal(err)
	}
	scan, err := dicomio.Scan(ctx, []string{dir}, dicomio.ScanOptions{})
	if err != nil {
		log.Fatal(err)
	}
	src := scan.Series[0]

	// Labels slice by slice in the order of src.Slices: a lesion (1) on the
	// middle slice; segment 2 (vessel) finds nothing.
	labels := make([]uint8, len(src.Slices)*src.Rows*src.Columns)
	labels[1*20+2*5+3] = 1
	labels[1*20+3*5+3] = 1
	segments := []dicomio.Segment{
		{Number: 1, Label: "lesion",
			Category:  dicomio.Code{Value: "49755003", Scheme: "SCT", Meaning: "Morphologically Altered Structure"},
			Type:      dicomio.Code{Value: "4147007", Scheme: "SCT", Meaning: "Mass"},
			Algorithm: dicomio.Algorithm{Name: "threshold", Version: "1.0"}},
		{Number: 2, Label: "vessel",
			Category:  dicomio.Code{Value: "91723000", Scheme: "SCT", Meaning: "Anatomical Structure"},
			Type:      dicomio.Code{Value: "59820001", Scheme: "SCT", Meaning: "Blood vessel"},
			Algorithm: dicomio.Algorithm{Name: "threshold", Version: "1.0"}},
	}
	path := filepath.Join(dir, "seg.dcm")
	res, err := dicomio.WriteSEG(ctx, path, src, labels, dicomio.SEGOptions{Segments: segments})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("frames:", res.Frames, "empty segments:", res.EmptySegments)

	seg, err := dicomio.ReadSEG(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	m, err := seg.MapToSeries(src)
	if err != nil {
		log.Fatal(err)
	}
	back, err := m.LabelVolume()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("frame on slice:", m.FrameSlice, "same labels:", bytes.Equal(back, labels))

	// Nothing found at all: no SEG is written.
	_, err = dicomio.WriteSEG(ctx, filepath.Join(dir, "empty.dcm"), src, make([]uint8, len(labels)), dicomio.SEGOptions{Segments: segments})
	fmt.Println(errors.Is(err, dicomio.ErrEmptyMask))
	// Output:
	// frames: 1 empty segments: [2]
	// frame on slice: [1] same labels: true
	// true
}
