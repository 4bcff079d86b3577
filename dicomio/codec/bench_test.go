package codec

import (
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// Decode time per frame on real frames. MB/s counts decoded bytes; ms/frame
// is reported as its own metric. Run with
//
//	go test ./dicomio/codec/ -run '^$' -bench . -benchtime 2s
var benchFrames = []struct {
	name, file string
	cgo        bool
}{
	{"J2K/CT-512x512-12bit", "ct-totalsegmentator/example_ct_dicom/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016573", true},
	{"J2K-lossy/CT-512x512-14bit", "dicom-pydicom/693_J2KI.dcm", true},
	{"JPEGLossless/NM-1024x256-16bit", "dicom-pydicom/JPEG-LL.dcm", false},
	{"JPEGLossless/MR-384x384-12bit", "dicom-dcm_qa_ts/In/5.dcm", false},
	{"JPEGLS/MR-384x384-12bit", "dicom-dcm_qa_ts/In/7.dcm", true},
	{"RLE/MR-384x384-12bit", "dicom-dcm_qa_ts/In/4.dcm", false},
	{"RLE/SEG-512x512-1bit", "seg-pydicom-data/liver_rle.dcm", false},
	{"Deflate/SEG-512x512-1bit", "seg-pydicom-data/liver_deflate.dcm", false},
	{"JPEGBaseline/US-240x320-RGB", "dicom-pydicom/examples_ybr_color.dcm", false},
	{"JPEGExtended/NM-1024x256-12bit", "dicom-pydicom/JPGExtended.dcm", false},
}

func BenchmarkDecode(b *testing.B) {
	for _, bf := range benchFrames {
		b.Run(bf.name, func(b *testing.B) {
			if bf.cgo && !cgoBuild {
				b.Skip("needs cgo")
			}
			tf, err := readTestFile(shareddata.Path(b, bf.file))
			if err != nil {
				b.Fatal(err)
			}
			frame := tf.frames[0]
			d, err := Decode(tf.ts, frame, tf.info)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(d.Data)))
			for b.Loop() {
				if _, err := Decode(tf.ts, frame, tf.info); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/frame")
		})
	}
}
