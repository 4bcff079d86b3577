package host

import (
	"context"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// BenchmarkRunLIDC measures what the host adds to a segmentation: scanning
// the 133-slice LIDC series, reading and sending every slice over the
// plugin wire (to an in-process segmenter that only thresholds), building
// the label volume and writing SEG, NIfTI and the PNG preview. It reports
// milliseconds per slice, which should stay far below a plugin's seconds
// per slice.
func BenchmarkRunLIDC(b *testing.B) {
	lidc := shareddata.Path(b, "ct-lidc/LIDC-IDRI-0001")
	seg := &slowLung{}
	var slices int
	var segment, write float64
	start := time.Now()
	for i := 0; i < b.N; i++ {
		rep, err := Run(context.Background(), Options{
			Inputs: []string{lidc}, OutDir: b.TempDir(), Segmenter: seg,
			Formats: []Format{FormatSEG, FormatNIfTI, FormatPNG},
		})
		if err != nil || rep.Count(OutcomeOK) != 1 {
			b.Fatalf("%v %+v", err, rep)
		}
		s := rep.Series[0]
		slices += s.Slices
		segment += s.Timings.Segment
		write += s.Timings.Write
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(slices), "ms/slice")
	b.ReportMetric(1000*segment/float64(slices), "stream-ms/slice")
	b.ReportMetric(1000*write/float64(slices), "write-ms/slice")
}
