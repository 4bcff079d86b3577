package main

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/segmenter/foreground"
)

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// A run folder made here, laid out as `mmcseg eval` lays it out: a colour
// image with a dark disc on skin, its reference (the disc), a cluster map
// whose cluster 0 is the disc plus a dark stripe along the top border,
// and metrics.csv. The rule keeps the disc; its DSC against a reference
// 4 pixels wider is worked out by hand, and the recorded scores come from
// metrics.csv.
func TestRescore(t *testing.T) {
	dir := t.TempDir()
	const w, h = 80, 60
	photo := image.NewRGBA(image.Rect(0, 0, w, h))
	ref := image.NewGray(image.Rect(0, 0, w, h))
	clusters := image.NewGray(image.Rect(0, 0, w, h))
	in := func(x, y int, r float64) bool { return math.Hypot(float64(x)-40, float64(y)-32) <= r }
	var disc, wider int
	for y := range h {
		for x := range w {
			c, l := color.RGBA{220, 180, 160, 255}, uint8(1)
			if in(x, y, 12) || y < 3 {
				c, l = color.RGBA{90, 60, 40, 255}, 0
			}
			if in(x, y, 12) {
				disc++
			}
			if in(x, y, 14) {
				ref.SetGray(x, y, color.Gray{255})
				wider++
			}
			photo.SetRGBA(x, y, c)
			clusters.SetGray(x, y, color.Gray{l})
		}
	}
	rec := filepath.Join(dir, "images", "A")
	if err := os.MkdirAll(rec, 0o755); err != nil {
		t.Fatal(err)
	}
	writePNG(t, filepath.Join(dir, "photo.png"), photo)
	writePNG(t, filepath.Join(dir, "ref.png"), ref)
	writePNG(t, filepath.Join(rec, "clusters.png"), clusters)
	data, _ := json.Marshal(record{Name: "A", Image: filepath.Join(dir, "photo.png"), Mask: filepath.Join(dir, "ref.png"),
		Width: w, Height: h, PixelFormat: "RGB8", Modality: "OT", Seconds: 2, Steps: 5})
	if err := os.WriteFile(filepath.Join(rec, "result.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	csv := "name,deployable.dsc,paper.dsc,paper_label0.dsc\nA,0.5,0.75,0.8\n"
	if err := os.WriteFile(filepath.Join(dir, "metrics.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := rescore(dir, foreground.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	want := 2 * float64(disc) / float64(disc+wider)
	if math.Abs(r.dsc-want) > 1e-12 || r.recorded != 0.5 || r.paper != 0.75 || r.paper0 != 0.8 || r.steps != 5 {
		t.Errorf("row %+v; want DSC %.6f (the disc against the wider reference) and the recorded 0.5, 0.75, 0.8", r, want)
	}
	if len(r.clusters) != 1 || r.clusters[0] != 0 {
		t.Errorf("clusters %v, want [0]", r.clusters)
	}
}
