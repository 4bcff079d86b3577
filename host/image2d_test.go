package host

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
	"github.com/mmcseg/mmcseg/sdk"
)

// readIndex reads a corpus index.csv into rows keyed by column name.
func readIndex(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, k := range recs[0] {
			m[k] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestReadImageLungCT reads the 16-bit lung CT PNGs (value + 32768) and
// their masks, and checks them against the ranges and lung pixel counts the
// corpus curator measured from the original TIFFs.
func TestReadImageLungCT(t *testing.T) {
	dir := shareddata.Path(t, "lung-ct-2d")
	rows := readIndex(t, filepath.Join(dir, "index.csv"))
	if len(rows) != 41 {
		t.Fatalf("%d rows in index.csv, want 41", len(rows))
	}
	for i, r := range rows {
		if i%4 != 0 && i != len(rows)-1 { // a spread of the set keeps the test quick
			continue
		}
		im, err := ReadImage(filepath.Join(dir, r["image"]), ImageOptions{SignedOffset16: true})
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := minMax(im.Grey)
		if im.Depth != 16 || im.RGB != nil || im.Width != atoi(t, r["width"]) || im.Height != atoi(t, r["height"]) ||
			int(lo) != atoi(t, r["ct_min"]) || int(hi) != atoi(t, r["ct_max"]) {
			t.Errorf("%s: %d×%d depth %d range %g…%g; index says %s×%s range %s…%s", r["image"], im.Width, im.Height, im.Depth, lo, hi, r["width"], r["height"], r["ct_min"], r["ct_max"])
		}
		if im.PixelFormat() != sdk.Float32 {
			t.Errorf("%s: pixel format %v, want FLOAT32", r["image"], im.PixelFormat())
		}
		raw, err := ReadImage(filepath.Join(dir, r["image"]), ImageOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rlo, _ := minMax(raw.Grey); int(rlo) != atoi(t, r["ct_min"])+32768 {
			t.Errorf("%s without the offset option: minimum %g, want %d", r["image"], rlo, atoi(t, r["ct_min"])+32768)
		}
		m, err := ReadImage(filepath.Join(dir, r["mask"]), ImageOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, v := range m.Grey {
			switch v {
			case 255:
				n++
			case 0:
			default:
				t.Fatalf("%s: mask value %g", r["mask"], v)
			}
		}
		if n != atoi(t, r["lung_pixels"]) || m.PixelFormat() != sdk.Uint8 {
			t.Errorf("%s: %d lung pixels (format %v), index says %s", r["mask"], n, m.PixelFormat(), r["lung_pixels"])
		}
	}
}

// TestReadImagePH2 reads dermoscopy JPEGs as RGB and their 1-bit PNG masks,
// against the sizes and lesion counts of the corpus index.
func TestReadImagePH2(t *testing.T) {
	dir := shareddata.Path(t, "ph2")
	rows := readIndex(t, filepath.Join(dir, "index.csv"))
	for _, r := range rows[:5] {
		im, err := ReadImage(filepath.Join(dir, r["image"]), ImageOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if im.RGB == nil || im.Grey != nil || im.Format != "jpeg" || im.Width != atoi(t, r["width"]) || im.Height != atoi(t, r["height"]) || im.PixelFormat() != sdk.RGB8 {
			t.Errorf("%s: %s %d×%d rgb=%v; index says %s×%s", r["image"], im.Format, im.Width, im.Height, im.RGB != nil, r["width"], r["height"])
		}
		m, err := ReadImage(filepath.Join(dir, r["mask"]), ImageOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, v := range m.Grey {
			if v == 255 {
				n++
			}
		}
		if n != atoi(t, r["lesion_pixels"]) {
			t.Errorf("%s: %d lesion pixels, index says %s", r["mask"], n, r["lesion_pixels"])
		}
	}
}

// TestReadImageFormatsAgainstPIL writes one small asymmetric picture with
// Pillow in every lossless format we read (8-bit grey, 16-bit grey and RGB
// PNG, BMP, TIFF, lossless WebP, palette GIF) and checks that ReadImage gives
// Pillow's pixels back exactly.
func TestReadImageFormatsAgainstPIL(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := exec.LookPath(py); err != nil {
		if shareddata.InCI() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	script := `
import sys, numpy as np
from PIL import Image
d = sys.argv[1]
h, w = 7, 11
y, x = np.mgrid[0:h, 0:w]
g8 = ((x * 23 + y * 5) % 256).astype(np.uint8)
g16 = (x * 5000 + y * 321).astype(np.uint16)
rgb = np.stack([g8, (255 - g8), ((x * y * 9) % 256).astype(np.uint8)], axis=-1)
Image.fromarray(g8, 'L').save(d + '/g8.png')
Image.fromarray(g16).save(d + '/g16.png')
Image.fromarray(rgb, 'RGB').save(d + '/rgb.png')
Image.fromarray(rgb, 'RGB').save(d + '/rgb.bmp')
Image.fromarray(rgb, 'RGB').save(d + '/rgb.tif')
Image.fromarray(rgb, 'RGB').save(d + '/rgb.webp', lossless=True)
Image.fromarray(g8, 'L').save(d + '/g8.tif')
Image.fromarray(rgb, 'RGB').quantize(colors=64).save(d + '/pal.gif')
np.save(d + '/g8.npy', g8); np.save(d + '/g16.npy', g16); np.save(d + '/rgb.npy', rgb)
np.save(d + '/pal.npy', np.array(Image.open(d + '/pal.gif').convert('RGB')))
for n in ['g8', 'g16', 'rgb', 'pal']:
    np.ascontiguousarray(np.load(d + '/' + n + '.npy')).astype('<f4').tofile(d + '/' + n + '.f32')
`
	if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("pillow: %v\n%s", err, out)
	}
	ref := func(name string) []float32 {
		b, err := os.ReadFile(filepath.Join(dir, name+".f32"))
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = float32frombits(b[4*i:])
		}
		return v
	}
	for _, tc := range []struct {
		file, ref, format string
		depth             int
		pf                sdk.PixelFormat
	}{
		{"g8.png", "g8", "png", 8, sdk.Uint8},
		{"g8.tif", "g8", "tiff", 8, sdk.Uint8},
		{"g16.png", "g16", "png", 16, sdk.Float32},
		{"rgb.png", "rgb", "png", 8, sdk.RGB8},
		{"rgb.bmp", "rgb", "bmp", 8, sdk.RGB8},
		{"rgb.tif", "rgb", "tiff", 8, sdk.RGB8},
		{"rgb.webp", "rgb", "webp", 8, sdk.RGB8},
		{"pal.gif", "pal", "gif", 8, sdk.RGB8},
	} {
		im, err := ReadImage(filepath.Join(dir, tc.file), ImageOptions{})
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		want := ref(tc.ref)
		var got []float32
		if im.RGB != nil {
			for _, v := range im.RGB {
				got = append(got, float32(v))
			}
		} else {
			got = im.Grey
		}
		if im.Width != 11 || im.Height != 7 || im.Format != tc.format || im.Depth != tc.depth || im.PixelFormat() != tc.pf || len(got) != len(want) {
			t.Errorf("%s: %s %d×%d depth %d format %v, %d values; want %s 11×7 depth %d %v, %d values", tc.file, im.Format, im.Width, im.Height, im.Depth, im.PixelFormat(), len(got), tc.format, tc.depth, tc.pf, len(want))
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: value %d is %g, Pillow says %g", tc.file, i, got[i], want[i])
				break
			}
		}
		// The slice handed to a plugin carries the same pixels.
		sl := im.Slice(3)
		if sl.Index != 3 || sl.Rows != 7 || sl.Columns != 11 || sl.Format != tc.pf || sl.Check() != nil {
			t.Errorf("%s: slice %+v", tc.file, sl.Check())
		}
	}
}

func TestReadImageBad(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4)))
	good := b.Bytes()
	for name, data := range map[string][]byte{
		"empty.png":     nil,
		"text.png":      []byte("not an image at all"),
		"truncated.png": good[:len(good)-20],
		"huge.png":      hugePNGHeader(),
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		if _, err := ReadImage(p, ImageOptions{}); !errors.Is(err, ErrImage) {
			t.Errorf("%s: error %v, want ErrImage", name, err)
		} else if !bytes.Contains([]byte(err.Error()), []byte(name)) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	if _, err := ReadImage(filepath.Join(dir, "missing.png"), ImageOptions{}); !errors.Is(err, ErrImage) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// hugePNGHeader is a PNG signature and IHDR claiming 100000×100000 pixels.
func hugePNGHeader() []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	d := b.Bytes()
	// IHDR width and height start at byte 16; the CRC is not checked by
	// DecodeConfig before the size is.
	for _, off := range []int{16, 20} {
		d[off], d[off+1], d[off+2], d[off+3] = 0, 0x01, 0x86, 0xa0
	}
	return d
}

func float32frombits(b []byte) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(b))
}

func minMax(v []float32) (lo, hi float32) {
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

func FuzzReadImage(f *testing.F) {
	for _, img := range []image.Image{
		image.NewGray(image.Rect(0, 0, 3, 2)),
		image.NewGray16(image.Rect(0, 0, 2, 3)),
		image.NewRGBA(image.Rect(0, 0, 2, 2)),
		image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.Black, color.White}),
	} {
		var b bytes.Buffer
		png.Encode(&b, img)
		f.Add(b.Bytes())
	}
	f.Add([]byte("BM"))
	f.Add([]byte("II*\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8L"))
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := decodeImage(bytes.NewReader(data), ImageOptions{SignedOffset16: true})
		if err != nil {
			return
		}
		n := im.Width * im.Height
		if (im.Grey == nil) == (im.RGB == nil) || (im.Grey != nil && len(im.Grey) != n) || (im.RGB != nil && len(im.RGB) != 3*n) {
			t.Fatalf("inconsistent image %dx%d grey %d rgb %d", im.Width, im.Height, len(im.Grey), len(im.RGB))
		}
		if err := im.Slice(0).Check(); err != nil {
			t.Fatal(err)
		}
	})
}
