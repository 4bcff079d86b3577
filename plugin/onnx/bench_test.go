package main

import (
	"context"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/plugin/onnx/internal/refdata"
	"github.com/mmcseg/mmcseg/sdk"
)

// benchInfer measures one 512×512 CT slice through a session of the test
// model (conv-relu-conv-sigmoid, 8 hidden channels) at the given input size:
// "slice" is the whole per-slice path (decode, window, bilinear fit,
// onnx-go run, scores mapped back, threshold), "prepost" all of that but
// the run (the plugin's own work), "model" the onnx-go run alone.
func benchInfer(b *testing.B, size string) {
	model := refdata.Path("models/binary-" + size + ".onnx")
	g := newSegmenter(model)
	params, err := g.desc.ResolveParams(nil)
	if err != nil {
		b.Fatal(err)
	}
	sl := ctSlice(b, 512, 512)
	series := sdk.SeriesInfo{UID: "bench", Modality: "CT", Format: sdk.Float32, Rows: 512, Columns: 512, Slices: 1}
	sess, err := g.Open(context.Background(), series, params)
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	s := sess.(*session)
	b.Run("slice", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if _, err := s.Segment(context.Background(), sl); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/slice")
	})
	b.Run("prepost", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if err := s.frame.Input(sl, s.in); err != nil {
				b.Fatal(err)
			}
			if err := s.frame.LabelsThreshold(s.out, s.threshold, make([]uint8, 512*512)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/slice")
	})
	b.Run("model", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if err := s.model.Run(context.Background(), s.in, s.out); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/slice")
	})
}

func BenchmarkInfer256(b *testing.B) { benchInfer(b, "256") }

func BenchmarkInfer512(b *testing.B) { benchInfer(b, "512") }
