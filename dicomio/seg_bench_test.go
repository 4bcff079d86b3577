package dicomio

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// BenchmarkWriteSEGLIDC writes a one-segment SEG for the 133 slices of
// 512×512 of LIDC-IDRI-0001 (a blob over about a third of the slices),
// including the file write; it reports source slices per second.
func BenchmarkWriteSEGLIDC(b *testing.B) {
	src := segScanOne(b, shareddata.Path(b, "ct-lidc/LIDC-IDRI-0001"))
	labels := segBlobLabels(src, 1)
	opts := SEGOptions{Segments: segTestSegments(1)}
	path := filepath.Join(b.TempDir(), "seg.dcm")
	ctx := context.Background()
	b.SetBytes(int64(len(labels)))
	b.ReportAllocs()
	frames := 0
	for b.Loop() {
		res, err := WriteSEG(ctx, path, src, labels, opts)
		if err != nil {
			b.Fatal(err)
		}
		frames = res.Frames
	}
	b.ReportMetric(float64(len(src.Slices))*float64(b.N)/b.Elapsed().Seconds(), "slices/s")
	b.ReportMetric(float64(frames), "frames")
}

// BenchmarkReadSEGLiver reads dcmqi's 3-frame 512×512 liver SEG.
func BenchmarkReadSEGLiver(b *testing.B) {
	path := shareddata.Path(b, "seg-dcmqi/liver.dcm")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadSEG(ctx, path); err != nil {
			b.Fatal(err)
		}
	}
}
