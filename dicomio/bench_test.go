package dicomio

import (
	"context"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// BenchmarkScanLIDC scans the 133-file LIDC series (headers only, grouping
// and ordering included) with one worker, and reports the cost per file.
func BenchmarkScanLIDC(b *testing.B) {
	dir := shareddata.Path(b, "ct-lidc/LIDC-IDRI-0001")
	files := 0
	for b.Loop() {
		res, err := Scan(context.Background(), []string{dir}, ScanOptions{Workers: 1})
		if err != nil || len(res.Series) != 1 {
			b.Fatalf("%v %v", res, err)
		}
		files += len(res.Series[0].Slices)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(files), "ms/file")
}

// BenchmarkReadSliceLIDC reads 512×512 signed 16-bit slices of the LIDC
// series to HU, one at a time.
func BenchmarkReadSliceLIDC(b *testing.B) {
	dir := shareddata.Path(b, "ct-lidc/LIDC-IDRI-0001")
	res, err := Scan(context.Background(), []string{dir}, ScanOptions{})
	if err != nil {
		b.Fatal(err)
	}
	s := only(b, res)
	b.SetBytes(512 * 512 * 2)
	k := 0
	for b.Loop() {
		if _, err := s.ReadSlice(context.Background(), k%len(s.Slices)); err != nil {
			b.Fatal(err)
		}
		k++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(k), "ms/slice")
}
