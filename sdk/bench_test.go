package sdk_test

import (
	"context"
	"testing"

	"github.com/mmcseg/mmcseg/sdk"
)

// BenchmarkRoundTrip512 measures what the plugin boundary costs per slice:
// a 512×512 float32 slice (1 MiB) goes to the threshold example plugin in
// its own process and its 256 KiB mask comes back. The plugin's own work
// (thresholding 262,144 pixels) is a small part of it.
//
//	stream: one series of b.N slices (the host's normal case)
//	series: b.N one-slice series (adds a stream per series)
func BenchmarkRoundTrip512(b *testing.B) {
	for _, tls := range []struct {
		name string
		mode sdk.TLSMode
	}{{"mtls", sdk.TLSAuto}, {"plain", sdk.TLSOff}} {
		b.Run(tls.name, func(b *testing.B) { roundTrip512(b, tls.mode) })
	}
}

func roundTrip512(b *testing.B, mode sdk.TLSMode) {
	p := open(b, "threshold", sdk.ClientOptions{TLS: mode})
	const side = 512
	px := make([]float32, side*side)
	for i := range px {
		px[i] = float32(i%1000) - 500
	}
	sl := sdk.NewFloat32Slice(0, side, side, px)
	load := func(_ context.Context, k int) (sdk.Slice, error) {
		s := sl
		s.Index = k
		return s, nil
	}
	masks := 0
	onMask := func(sdk.Mask) error { masks++; return nil }
	series := func(n int) sdk.SeriesInfo {
		return sdk.SeriesInfo{UID: "bench", Modality: "CT", Format: sdk.Float32, Rows: side, Columns: side, Slices: n}
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/slice")
		b.ReportMetric(float64(b.N)*float64(len(sl.Data)+side*side)/(1<<20)/b.Elapsed().Seconds(), "MiB/s")
	}
	b.Run("stream", func(b *testing.B) {
		masks = 0
		if _, err := p.Segment(context.Background(), sdk.SegmentRequest{Series: series(b.N), Slice: load, OnMask: onMask}); err != nil {
			b.Fatal(err)
		}
		if masks != b.N {
			b.Fatalf("%d masks for %d slices", masks, b.N)
		}
		report(b)
	})
	b.Run("series", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := p.Segment(context.Background(), sdk.SegmentRequest{Series: series(1), Slice: load, OnMask: onMask}); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
}

// BenchmarkThreshold512 is the plugin's own work per slice, in process and
// without the wire, for comparison.
func BenchmarkThreshold512(b *testing.B) {
	const side = 512
	px := make([]float32, side*side)
	sl := sdk.NewFloat32Slice(0, side, side, px)
	for i := 0; i < b.N; i++ {
		m := sdk.NewMask(sl)
		v, _ := sl.Float32s()
		for j, x := range v {
			if x > 100 {
				m.Labels[j] = 1
			}
		}
	}
}
