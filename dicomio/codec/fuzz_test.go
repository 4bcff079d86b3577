package codec

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// Fuzz targets for the decoders written here. Their seed corpora are real
// frames from ../shared/data (when present) and streams from the test
// encoder; `go test` runs the seeds, `go test -fuzz FuzzX` explores.
// Whatever the input, Decode must return a frame of exactly the promised
// size or an error wrapping one of the package's sentinels, and never panic.

// fuzzShapes are the frame descriptions a fuzz input picks from by index.
var fuzzShapes = []struct{ spp, ba, bs, pr int }{
	{1, 8, 8, 0}, {1, 16, 16, 1}, {1, 16, 12, 0}, {3, 8, 8, 0}, {3, 16, 16, 0}, {1, 32, 32, 0}, {1, 1, 1, 0}, {1, 16, 13, 1},
}

func fuzzInfo(rows, cols uint16, shape uint8) FrameInfo {
	s := fuzzShapes[int(shape)%len(fuzzShapes)]
	// Keep frames small enough that fuzzing stays fast, yet let real seeds
	// (up to 1024 on a side) keep their size.
	return FrameInfo{Rows: 1 + int(rows)%1024, Columns: 1 + int(cols)%1024, SamplesPerPixel: s.spp,
		BitsAllocated: s.ba, BitsStored: s.bs, PixelRepresentation: s.pr, Photometric: "MONOCHROME2"}
}

func shapeOf(info FrameInfo) uint8 {
	for i, s := range fuzzShapes {
		if s.spp == info.SamplesPerPixel && s.ba == info.BitsAllocated && s.bs == info.BitsStored && s.pr == info.PixelRepresentation {
			return uint8(i)
		}
	}
	return 0
}

// addFileSeeds adds the first frame of each corpus file that is present.
func addFileSeeds(f *testing.F, files ...string) {
	dir := shareddata.Dir()
	if dir == "" {
		return // the encoder seeds still run
	}
	for _, rel := range files {
		tf, err := readTestFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			f.Fatalf("seed %s: %v", rel, err)
		}
		f.Add(tf.frames[0], uint16(tf.info.Rows-1), uint16(tf.info.Columns-1), shapeOf(tf.info))
	}
}

func checkDecode(t *testing.T, uid string, frame []byte, info FrameInfo) {
	d, err := Decode(uid, frame, info)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrFrameInfo) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		return
	}
	l, _ := info.layout()
	if len(d.Data) != l.size {
		t.Fatalf("decoded %d bytes, want %d", len(d.Data), l.size)
	}
	if info.BitsAllocated == 1 {
		for i, v := range d.Data {
			if v > 1 {
				t.Fatalf("1-bit pixel %d is %d", i, v)
			}
		}
	}
}

func FuzzRLE(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 64, 0, 0, 0}, uint16(1), uint16(1), uint8(0))
	addFileSeeds(f,
		"dicom-pydicom/MR_small_RLE.dcm",
		"dicom-pydicom/SC_rgb_rle.dcm",
		"dicom-pydicom/emri_small_RLE.dcm",
		"seg-pydicom-data/liver_rle.dcm",
		"seg-pydicom-data/liver_nonbyte_aligned_rle.dcm",
	)
	f.Fuzz(func(t *testing.T, frame []byte, rows, cols uint16, shape uint8) {
		checkDecode(t, RLELossless, frame, fuzzInfo(rows, cols, shape))
	})
}

func FuzzJPEGLossless(f *testing.F) {
	for i, c := range llCases() {
		planes := testImage(c.rows, c.cols, c.nf, c.p.precision, int64(i))
		info := c.info()
		f.Add(encodeLossless(planes, c.rows, c.cols, c.p), uint16(c.rows-1), uint16(c.cols-1), shapeOf(info))
	}
	addFileSeeds(f,
		"dicom-dcm_qa_ts/In/5.dcm",
		"dicom-dcm_qa_ts/In/6.dcm",
		"dicom-pydicom/JPEG-LL.dcm",
		"dicom-dicom2nifti/generic/compressed_jpeg/001/IM-0001-0001-0001.dcm",
	)
	f.Fuzz(func(t *testing.T, frame []byte, rows, cols uint16, shape uint8) {
		checkDecode(t, JPEGLossless, frame, fuzzInfo(rows, cols, shape))
	})
}

// FuzzDecode runs every syntax over the same inputs: the pure-Go decoders
// (the JPEG UIDs reach the 12-bit DCT decoder too) and, with cgo, the
// CharLS and OpenJPEG wrappers.
func FuzzDecode(f *testing.F) {
	uids := []string{RLELossless, JPEGBaseline8Bit, JPEGLosslessSV1, DeflatedImageFrame, JPEGLSLossless, JPEG2000Lossless, HTJ2K}
	addFileSeeds(f,
		"dicom-pydicom/SC_rgb_dcmtk_+eb+cy+np.dcm",
		"dicom-pydicom/JPGExtended.dcm",
		"seg-pydicom-data/liver_deflate.dcm",
		"dicom-pydicom/MR_small_jpeg_ls_lossless.dcm",
		"dicom-pydicom/MR_small_jp2klossless.dcm",
		"seg-pydicom-data/liver_j2k.dcm",
	)
	f.Fuzz(func(t *testing.T, frame []byte, rows, cols uint16, shape uint8) {
		info := fuzzInfo(rows, cols, shape)
		for _, uid := range uids {
			checkDecode(t, uid, frame, info)
		}
	})
}
