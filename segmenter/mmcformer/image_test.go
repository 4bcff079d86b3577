package mmcformer

import (
	"image"
	"image/jpeg"
	"os"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// imageFromRGB converts a decoded 8-bit colour image into the model's
// input: B, G, R planes divided by 255, as the reference reads files.
func imageFromRGB(src image.Image) Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	img := Image{Width: w, Height: h}
	for ch := range img.Planes {
		img.Planes[ch] = make([]float32, w*h)
	}
	for y := range h {
		for x := range w {
			r, g, bl, _ := src.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := y*w + x
			img.Planes[0][i] = float32(bl>>8) / 255
			img.Planes[1][i] = float32(g>>8) / 255
			img.Planes[2][i] = float32(r>>8) / 255
		}
	}
	return img
}

// loadPH2 reads ph2/images/<name>.jpg from the shared corpus.
func loadPH2(tb testing.TB, name string) Image {
	tb.Helper()
	p := shareddata.Path(tb, "ph2/images/"+name+".jpg")
	f, err := os.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	src, err := jpeg.Decode(f)
	if err != nil {
		tb.Fatalf("%s: %v", p, err)
	}
	return imageFromRGB(src)
}
