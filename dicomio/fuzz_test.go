package dicomio

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// fuzzSeeds are synthetic files in every encoding plus, when the shared
// corpus is present, small real files of the kinds the parser meets.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, ts := range []string{tsExplicitLE, tsImplicitLE, tsExplicitBE, tsDeflated} {
		for _, undef := range []bool{false, true} {
			var buf bytes.Buffer
			if err := (Encoder{UndefinedLengthSequences: undef}).write(&buf, richDataset(), ts); err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, buf.Bytes())
		}
		m := img{ipp: geom.Vec3{1, 2, 3}, iop: [6]float64{1, 0, 0, 0, 1, 0}, series: "1.2.3", signed: true, value: func(r, c int) int { return r - c }}
		seeds = append(seeds, encode(f, m.dataset(), ts))
		seeds = append(seeds, encode(f, enhanced([]float64{1, 3, 2}, []int{1, 1, 1}), ts))
	}
	mono1 := img{photometric: "MONOCHROME1", bits: 12, noGeom: true, sop: "1.2"}
	seeds = append(seeds, encode(f, mono1.dataset(), tsExplicitLE))
	if shareddata.Dir() != "" {
		for _, rel := range []string{
			"dicom-pydicom/CT_small.dcm", "dicom-pydicom/MR_small_RLE.dcm", "dicom-pydicom/emri_small_jpeg_ls_lossless.dcm",
			"dicom-pydicom/image_dfl.dcm", "dicom-pydicom/ExplVR_BigEndNoMeta.dcm", "dicom-pydicom/rtdose.dcm",
			"dicom-pydicom/SC_rgb_rle.dcm", "dicom-pydicom/ExplVR_BigEnd.dcm", "dicom-pydicom/JPEGLSNearLossless_08.dcm",
			"dicom-pydicom/meta_missing_tsyntax.dcm", "dicom-pydicom/dicomdirtests/DICOMDIR",
			"seg-highdicom/seg_image_ct_binary.dcm", "seg-pydicom-data/liver_nonbyte_aligned_rle.dcm",
			"dicom-dicom2nifti/hyperfine/anatomical/001/001.dcm",
		} {
			if b, err := os.ReadFile(filepath.Join(shareddata.Dir(), rel)); err == nil {
				seeds = append(seeds, b)
			}
		}
	}
	return seeds
}

// FuzzRead feeds arbitrary bytes to the parser, full and header-only, and
// to the frame decoding of what it returns: errors are fine, panics and
// runaway allocations are not.
func FuzzRead(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, header := range []bool{false, true} {
			ds, err := Read(bytes.NewReader(data), int64(len(data)), ReadOptions{HeaderOnly: header})
			if err != nil {
				continue
			}
			for e := range ds.All() {
				_ = e.String()
				_, _ = e.Floats()
			}
			if header {
				continue
			}
			if _, n, err := ds.PixelFormat(); err == nil {
				for k := 0; k < n && k < 4; k++ {
					_, _, _ = ds.PixelFrame(k)
				}
			}
			if ds.String(tag.SOPInstanceUID) != "" {
				var buf bytes.Buffer
				if Write(&buf, ds) == nil {
					if _, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{}); err != nil {
						t.Fatalf("re-reading a file we wrote: %v", err)
					}
				}
			}
		}
	})
}

// FuzzScan runs the whole pipeline on one arbitrary file: header scan,
// series assembly (functional groups, mosaics, geometry) and reading every
// slice.
func FuzzScan(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.dcm")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Scan(context.Background(), []string{p}, ScanOptions{Workers: 1, MaxVolumeBytes: 64 << 20})
		if err != nil {
			t.Fatalf("Scan of one file failed as a whole: %v", err)
		}
		if len(res.Series)+len(res.Skipped) == 0 {
			t.Fatal("the file is neither in a series nor skipped")
		}
		for _, s := range res.Series {
			for k := 0; k < len(s.Slices) && k < 8; k++ {
				_, _ = s.ReadSlice(context.Background(), k)
			}
			_, _ = s.Volume(context.Background())
			_ = s.Grid.Validate()
		}
	})
}

// FuzzCSA feeds arbitrary bytes to the Siemens CSA header parser.
func FuzzCSA(f *testing.F) {
	if shareddata.Dir() != "" {
		if ds, err := ReadFile(filepath.Join(shareddata.Dir(), "dicom-dcm_qa_ts/In/1.dcm"), ReadOptions{HeaderOnly: true}); err == nil {
			if e := ds.Private(0x0029, "SIEMENS CSA HEADER", 0x10); e != nil {
				f.Add(e.Bytes())
			}
		}
	}
	f.Add([]byte("SV10\x04\x03\x02\x01\x01\x00\x00\x00\x4d\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, tg := range parseCSA(data) {
			_ = name
			_ = tg.floats()
		}
	})
}
