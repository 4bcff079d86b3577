package dicomio_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/dicomio/tag"
)

// writeSlice writes one 2×2 CT slice at height z with stored values v.
func writeSlice(dir string, name string, z float64, instance int, v int) error {
	px := make([]byte, 8)
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint16(px[2*i:], uint16(v+i))
	}
	ds := dicomio.NewDataset(
		dicomio.NewStrings(tag.SOPClassUID, dicomio.VRUI, "1.2.840.10008.5.1.4.1.1.2"),
		dicomio.NewStrings(tag.SOPInstanceUID, dicomio.VRUI, dicomio.NewUID()),
		dicomio.NewStrings(tag.SeriesInstanceUID, dicomio.VRUI, "1.2.826.0.1.3680043.10.1234.1"),
		dicomio.NewStrings(tag.Modality, dicomio.VRCS, "CT"),
		dicomio.NewInts(tag.InstanceNumber, dicomio.VRIS, instance),
		dicomio.NewFloats(tag.ImagePositionPatient, dicomio.VRDS, -10, -10, z),
		dicomio.NewFloats(tag.ImageOrientationPatient, dicomio.VRDS, 1, 0, 0, 0, 1, 0),
		dicomio.NewFloats(tag.PixelSpacing, dicomio.VRDS, 0.5, 0.5),
		dicomio.NewFloats(tag.SliceThickness, dicomio.VRDS, 5), // not the spacing: positions are 2.5 mm apart
		dicomio.NewInts(tag.SamplesPerPixel, dicomio.VRUS, 1),
		dicomio.NewStrings(tag.PhotometricInterpretation, dicomio.VRCS, "MONOCHROME2"),
		dicomio.NewInts(tag.Rows, dicomio.VRUS, 2),
		dicomio.NewInts(tag.Columns, dicomio.VRUS, 2),
		dicomio.NewInts(tag.BitsAllocated, dicomio.VRUS, 16),
		dicomio.NewInts(tag.BitsStored, dicomio.VRUS, 16),
		dicomio.NewInts(tag.HighBit, dicomio.VRUS, 15),
		dicomio.NewInts(tag.PixelRepresentation, dicomio.VRUS, 1),
		dicomio.NewFloats(tag.RescaleIntercept, dicomio.VRDS, -1024),
		dicomio.NewFloats(tag.RescaleSlope, dicomio.VRDS, 1),
		dicomio.NewBytes(tag.PixelData, dicomio.VROW, px),
	)
	return dicomio.WriteFile(filepath.Join(dir, name), ds)
}

// Scan a folder, then read its series slice by slice: the files are named
// and numbered against the slice order, which comes from the positions.
func ExampleScan() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for i, z := range []float64{5, 0, 2.5} {
		if err := writeSlice(dir, fmt.Sprintf("IM%d", i), z, i+1, 1000*(i+1)); err != nil {
			log.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not DICOM"), 0o644)

	res, err := dicomio.Scan(context.Background(), []string{dir}, dicomio.ScanOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, sk := range res.Skipped {
		fmt.Printf("skipped %s: %s\n", filepath.Base(sk.Path), sk.Reason)
	}
	s := res.Series[0]
	fmt.Printf("%s series: %d slices of %d×%d, %g mm apart, volume ok: %v\n",
		s.Modality, s.Grid.Slices, s.Grid.Columns, s.Grid.Rows, s.Grid.SliceSpacing, s.VolumeErr == nil)
	for k := range s.Slices {
		sl, err := s.ReadSlice(context.Background(), k)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("slice %d: z=%g, %s, HU %v\n", k, s.Slices[k].Position[2], filepath.Base(s.Slices[k].Path), sl.Grey)
	}
	fmt.Println(strings.Join(s.Warnings, "\n"))
	// Output:
	// skipped notes.txt: not a DICOM file: no DICM prefix and no recognisable dataset at the start
	// CT series: 3 slices of 2×2, 2.5 mm apart, volume ok: true
	// slice 0: z=0, IM1, HU [976 977 978 979]
	// slice 1: z=2.5, IM2, HU [1976 1977 1978 1979]
	// slice 2: z=5, IM0, HU [-24 -23 -22 -21]
	// SliceThickness 5 mm differs from the 2.5 mm between slice positions; the spacing comes from the positions
}

// Build a dataset with a nested sequence, write it as a Part 10 file and
// read it back.
func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	code := dicomio.NewDataset(
		dicomio.NewStrings(tag.CodeValue, dicomio.VRSH, "10200004"),
		dicomio.NewStrings(tag.CodingSchemeDesignator, dicomio.VRSH, "SCT"),
		dicomio.NewStrings(tag.CodeMeaning, dicomio.VRLO, "Liver"),
	)
	ds := dicomio.NewDataset(
		dicomio.NewStrings(tag.SOPClassUID, dicomio.VRUI, "1.2.840.10008.5.1.4.1.1.66.4"),
		dicomio.NewStrings(tag.SOPInstanceUID, dicomio.VRUI, "1.2.826.0.1.3680043.10.1234.2"),
		dicomio.NewStrings(tag.PatientName, dicomio.VRPN, "Doe^Jane"),
		dicomio.NewSequence(tag.SegmentSequence, dicomio.NewDataset(
			dicomio.NewInts(tag.SegmentNumber, dicomio.VRUS, 1),
			dicomio.NewStrings(tag.SegmentLabel, dicomio.VRLO, "liver"),
			dicomio.NewSequence(tag.SegmentedPropertyTypeCodeSequence, code),
		)),
	)
	path := filepath.Join(dir, "seg.dcm")
	if err := dicomio.WriteFile(path, ds); err != nil {
		log.Fatal(err)
	}
	back, err := dicomio.ReadFile(path, dicomio.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	seg := back.Items(tag.SegmentSequence)[0]
	n, _ := seg.Int(tag.SegmentNumber)
	fmt.Println(back.TransferSyntax(), back.String(tag.MediaStorageSOPInstanceUID))
	fmt.Println(n, seg.String(tag.SegmentLabel), seg.Items(tag.SegmentedPropertyTypeCodeSequence)[0].String(tag.CodeMeaning))
	// Output:
	// 1.2.840.10008.1.2.1 1.2.826.0.1.3680043.10.1234.2
	// 1 liver Liver
}

func ExampleNewUID() {
	uid := dicomio.NewUID()
	fmt.Println(strings.HasPrefix(uid, "2.25."), len(uid) <= 64, dicomio.ValidUID(uid) == nil)
	// Output: true true true
}

// 1-bit pixel data (DICOM-SEG) packs frames back to back, least significant
// bit first.
func ExamplePackBits() {
	frames := []byte{1, 0, 1, 0, 0, 0, 0, 0, 1, 1} // two 5-pixel frames
	packed := dicomio.PackBits(frames)
	fmt.Printf("%08b %08b\n", packed[0], packed[1])
	second := make([]byte, 5)
	dicomio.UnpackBits(second, packed, 5)
	fmt.Println(second)
	// Output:
	// 00000101 00000011
	// [0 0 0 1 1]
}
