package nifti

import (
	stdgzip "compress/gzip"
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/mmcseg/mmcseg/geom"
)

// benchLabels is the benchmark volume of the brief and of
// dependencies.md §6: a 512×512×133 uint8 label map on the LIDC grid with
// two ellipsoid segments covering about 1% of the voxels.
func benchLabels() (geom.Grid, []uint8) {
	g := lidcGrid(512, 512, 133)
	labels := make([]uint8, g.Columns*g.Rows*g.Slices)
	blobs := []struct{ cx, cy, cz, rx, ry, rz float64 }{{180, 250, 60, 50, 40, 25}, {340, 260, 80, 45, 40, 20}}
	for k := range g.Slices {
		for j := range g.Rows {
			for i := range g.Columns {
				for n, b := range blobs {
					x, y, z := (float64(i)-b.cx)/b.rx, (float64(j)-b.cy)/b.ry, (float64(k)-b.cz)/b.rz
					if x*x+y*y+z*z <= 1 {
						labels[i+g.Columns*(j+g.Rows*k)] = uint8(n + 1)
					}
				}
			}
		}
	}
	return g, labels
}

// BenchmarkWriteLabelGzip compares gzip encoders on the benchmark label map
// (header + data into io.Discard), then times the whole WriteLabels to a
// file (atomic, fsync). Reported: MB/s of voxel data and the .nii.gz size.
//
//	go test -run '^$' -bench WriteLabelGzip -benchtime 10x ./nifti
func BenchmarkWriteLabelGzip(b *testing.B) {
	g, labels := benchLabels()
	h, _, err := newHeader(g, Uint8, len(labels), WriteOptions{Intent: IntentLabel})
	if err != nil {
		b.Fatal(err)
	}
	body := func(w io.Writer) error { return encodeData(context.Background(), w, labels) }
	encoders := []struct {
		name string
		z    compressor
	}{
		{"stdlib", func(w io.Writer) (io.WriteCloser, error) {
			return stdgzip.NewWriterLevel(w, stdgzip.DefaultCompression)
		}},
		{"stdlib-BestSpeed", func(w io.Writer) (io.WriteCloser, error) { return stdgzip.NewWriterLevel(w, stdgzip.BestSpeed) }},
		{"klauspost", func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.DefaultCompression) }},
		{"klauspost-BestSpeed", func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.BestSpeed) }},
		{"chosen", newGzip},
	}
	for _, e := range encoders {
		b.Run(e.name, func(b *testing.B) {
			b.SetBytes(int64(len(labels)))
			var n int64
			for b.Loop() {
				cw := &countWriter{w: io.Discard}
				if err := encode(cw, h, body, e.z); err != nil {
					b.Fatal(err)
				}
				n = cw.n
			}
			b.ReportMetric(float64(n), "bytes")
		})
	}
	b.Run("WriteLabels-file", func(b *testing.B) {
		p := filepath.Join(b.TempDir(), "mask.nii.gz")
		table := LabelTable{{Value: 1, Name: "a"}, {Value: 2, Name: "b"}}
		b.SetBytes(int64(len(labels)))
		var info Info
		for b.Loop() {
			if info, err = WriteLabels(context.Background(), p, g, labels, table, WriteOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(info.Bytes), "bytes")
	})
}

// BenchmarkReadLabelGzip reads the benchmark label map back and decodes
// every slice to float32, as the host does when segmenting a .nii.gz.
func BenchmarkReadLabelGzip(b *testing.B) {
	g, labels := benchLabels()
	p := filepath.Join(b.TempDir(), "mask.nii.gz")
	if _, err := WriteLabels(context.Background(), p, g, labels, nil, WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(labels)))
	var buf []float32
	for b.Loop() {
		im, err := ReadFile(context.Background(), p, ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for k := range im.Grid.Slices {
			if buf, err = im.Slice(k, buf); err != nil {
				b.Fatal(err)
			}
		}
	}
}
