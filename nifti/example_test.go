package nifti_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/nifti"
)

// A segmenter's mask is written on the geometry of the series it came from,
// with its label table beside it.
func ExampleWriteLabels() {
	dir, err := os.MkdirTemp("", "nifti-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Four axial 3×2 slices, 0.7 mm pixels, 2.5 mm apart (a DICOM series'
	// geometry as dicomio describes it, in LPS).
	g := geom.Grid{
		Columns: 3, Rows: 2, Slices: 4,
		Origin: geom.Vec3{-166, -171.7, -340},
		RowDir: geom.Vec3{1, 0, 0}, ColDir: geom.Vec3{0, 1, 0}, SliceDir: geom.Vec3{0, 0, 1},
		RowSpacing: 0.7, ColSpacing: 0.7, SliceSpacing: 2.5,
	}
	mask := make([]uint8, 3*2*4)
	mask[7] = 1
	table := nifti.LabelTable{{Value: 1, Name: "lung", Color: [3]uint8{128, 174, 128},
		Type: &nifti.Code{CodeValue: "39607008", CodingSchemeDesignator: "SCT", CodeMeaning: "Lung"}}}

	path := filepath.Join(dir, "mask.nii.gz")
	info, err := nifti.WriteLabels(context.Background(), path, g, mask, table, nifti.WriteOptions{Descrip: "mmcseg example"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("qform_code", info.QformCode, "sform_code", info.SformCode)
	for _, f := range info.LabelFiles {
		fmt.Println(filepath.Base(f))
	}
	// Output:
	// qform_code 1 sform_code 1
	// mask_labels.txt
	// mask_labels.json
}

// A NIfTI volume is read as a grid and handed out slice by slice, like a
// DICOM series.
func ExampleReadFile() {
	dir, err := os.MkdirTemp("", "nifti-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	g := geom.Grid{
		Columns: 2, Rows: 2, Slices: 3,
		RowDir: geom.Vec3{1, 0, 0}, ColDir: geom.Vec3{0, 1, 0}, SliceDir: geom.Vec3{0, 0, 1},
		RowSpacing: 1, ColSpacing: 1, SliceSpacing: 3,
	}
	ct := []int16{-1000, -1000, 40, 40, 0, 0, 60, 60, 1000, 1000, 20, 20}
	path := filepath.Join(dir, "ct.nii")
	if _, err := nifti.Write(context.Background(), path, g, ct, nifti.WriteOptions{}); err != nil {
		log.Fatal(err)
	}

	im, err := nifti.ReadFile(context.Background(), path, nifti.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(im.Grid.Columns, im.Grid.Rows, im.Grid.Slices, "geometry from the", im.Source)
	var slice []float32
	for k := range im.Grid.Slices {
		if slice, err = im.Slice(k, slice); err != nil {
			log.Fatal(err)
		}
		fmt.Println(k, im.Grid.SlicePosition(k), slice)
	}
	// Output:
	// 2 2 3 geometry from the sform
	// 0 [0 0 0] [-1000 -1000 40 40]
	// 1 [0 0 3] [0 0 60 60]
	// 2 [0 0 6] [1000 1000 20 20]
}
