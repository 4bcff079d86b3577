package prep

import (
	"errors"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// Known HU values through the default lung window [−1350, 150]: the plane
// is round(255·(HU + 1350)/1500)/255, clamped; the intensity stays in HU.
func TestLungWindow(t *testing.T) {
	for _, tc := range []struct {
		hu   float32
		want int // 8-bit level
	}{
		{-3024, 0},  // outside the reconstruction circle
		{-2000, 0},  // padding
		{-1350, 0},  // the window's bottom
		{-1000, 60}, // air: 59.5 rounds up
		{-800, 94},  // air in the lung-ct-2d slices: 93.5 → 94
		{-700, 111}, // lung parenchyma: 110.5 → 111
		{-600, 128}, // the level: 127.5 → 128
		{-100, 213}, // fat: 212.5 → 213
		{40, 236},   // soft tissue: 236.3
		{150, 255},  // the window's top
		{1000, 255}, // bone
	} {
		im, err := Prepare(Float, []float32{tc.hu}, nil, 1, 1, "CT", "MONOCHROME2", DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if im.Kind != CT || im.Normalize != Window {
			t.Fatalf("kind %v, normalisation %v", im.Kind, im.Normalize)
		}
		if got := im.Planes[0][0]; got != float32(tc.want)/255 {
			t.Errorf("HU %g: plane %g (level %.2f), want level %d", tc.hu, got, 255*got, tc.want)
		}
		if im.Intensity[0] != tc.hu {
			t.Errorf("HU %g: intensity %g", tc.hu, im.Intensity[0])
		}
		if WindowValue(float64(tc.hu), DefaultLevel, DefaultWidth) != im.Planes[0][0] {
			t.Errorf("HU %g: WindowValue disagrees with Prepare", tc.hu)
		}
	}
}

// A mediastinal window (level 40, width 400) and the three planes of a
// grey slice are one plane.
func TestOtherWindow(t *testing.T) {
	opts := Options{Normalize: Window, Level: 40, Width: 400}
	im, err := Prepare(Float, []float32{-160, 40, 240, -1000}, nil, 2, 2, "CT", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 128.0 / 255, 1, 0}
	for i, w := range want {
		if im.Planes[0][i] != w {
			t.Errorf("pixel %d: %g, want %g", i, im.Planes[0][i], w)
		}
	}
	if &im.Planes[0][0] != &im.Planes[1][0] || &im.Planes[0][0] != &im.Planes[2][0] || !im.Grey() {
		t.Error("a grey slice's planes should be one plane")
	}
}

func TestColour(t *testing.T) {
	px := []uint8{200, 100, 50, 0, 0, 0, 255, 255, 255}
	im, err := Prepare(RGB8, nil, px, 3, 1, "XC", "RGB", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if im.Kind != Colour || im.Normalize != None || im.Grey() {
		t.Fatalf("kind %v, normalisation %v", im.Kind, im.Normalize)
	}
	for i := range 3 {
		for ch := range 3 {
			if got, want := im.Planes[ch][i], float32(px[3*i+ch])/255; got != want {
				t.Errorf("pixel %d channel %d: %g, want %g", i, ch, got, want)
			}
		}
	}
	// BT.601 luminance: 0.299·200 + 0.587·100 + 0.114·50 = 124.2.
	for i, want := range []float64{124.2, 0, 255} {
		if math.Abs(float64(im.Intensity[i])-want) > 1e-3 {
			t.Errorf("luminance %d: %g, want %g", i, im.Intensity[i], want)
		}
	}
	// Min–max stretches the colour values jointly: 0 → 0, 255 → 1.
	mm, err := Prepare(RGB8, nil, []uint8{10, 20, 30, 110, 60, 10}, 2, 1, "", "RGB", Options{Normalize: MinMax})
	if err != nil {
		t.Fatal(err)
	}
	for ch, want := range []float32{0, 10.0 / 100, 20.0 / 100} {
		if got := mm.Planes[ch][0]; math.Abs(float64(got-want)) > 0.5/255 {
			t.Errorf("min–max channel %d: %g, want about %g", ch, got, want)
		}
	}
	if mm.Planes[0][1] != 1 || mm.Planes[2][1] != 0 {
		t.Errorf("min–max extremes: %g, %g", mm.Planes[0][1], mm.Planes[2][1])
	}
}

// Grey images are min–max scaled by default; MONOCHROME1 is inverted so
// that the intensity is brightness as displayed.
func TestGrey(t *testing.T) {
	im, err := Prepare(Grey8, nil, []uint8{10, 20, 30}, 3, 1, "OT", "MONOCHROME2", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if im.Kind != Grey || im.Normalize != MinMax {
		t.Fatalf("kind %v, normalisation %v", im.Kind, im.Normalize)
	}
	if p := im.Planes[0]; p[0] != 0 || p[1] != 128.0/255 || p[2] != 1 {
		t.Errorf("min–max planes %v", p)
	}
	none, err := Prepare(Grey8, nil, []uint8{10, 20, 30}, 3, 1, "OT", "", Options{Normalize: None})
	if err != nil {
		t.Fatal(err)
	}
	if p := none.Planes[0]; p[0] != 10.0/255 || p[2] != 30.0/255 {
		t.Errorf("none planes %v", p)
	}
	inv, err := Prepare(Grey8, nil, []uint8{10, 20, 30}, 3, 1, "CR", "MONOCHROME1", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if p := inv.Planes[0]; p[0] != 1 || p[2] != 0 || inv.Intensity[0] != 245 || inv.Intensity[2] != 225 {
		t.Errorf("MONOCHROME1: planes %v, intensity %v", p, inv.Intensity)
	}
	// MR in floats is grey too, min–max; a constant slice gives zeros.
	mr, err := Prepare(Float, []float32{100, 300, 500}, nil, 3, 1, "MR", "MONOCHROME2", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if mr.Kind != Grey || mr.Planes[0][1] != 128.0/255 || mr.Intensity[2] != 500 {
		t.Errorf("MR: kind %v planes %v intensity %v", mr.Kind, mr.Planes[0], mr.Intensity)
	}
	flat, err := Prepare(Float, []float32{7, 7}, nil, 2, 1, "MR", "", DefaultOptions())
	if err != nil || flat.Planes[0][0] != 0 {
		t.Errorf("constant slice: %v, %v", flat, err)
	}
	// none takes floats in [0, 1] as they are.
	unit, err := Prepare(Float, []float32{0, 0.25, 1}, nil, 3, 1, "OT", "", Options{Normalize: None})
	if err != nil || unit.Planes[0][1] != 0.25 {
		t.Errorf("none on floats: %v, %v", unit, err)
	}
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		f        Format
		modality string
		want     Kind
	}{
		{Float, "CT", CT},
		{Float, " ct ", CT},
		{Float, "MR", Grey},
		{Float, "OT", Grey},
		{Float, "", Grey},
		{Grey8, "CT", Grey}, // an 8-bit export holds no HU
		{RGB8, "CT", Colour},
		{RGB8, "XC", Colour},
	} {
		if got := KindOf(tc.f, tc.modality); got != tc.want {
			t.Errorf("KindOf(%v, %q) = %v, want %v", tc.f, tc.modality, got, tc.want)
		}
	}
}

func TestParseNormalize(t *testing.T) {
	for _, name := range NormalizeNames() {
		n, err := ParseNormalize(name)
		if err != nil || n.String() != name {
			t.Errorf("%q: %v, %v", name, n, err)
		}
	}
	if _, err := ParseNormalize("Window"); !errors.Is(err, ErrOptions) {
		t.Errorf("names are case-sensitive: %v", err)
	}
}

func TestErrors(t *testing.T) {
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name   string
		f      Format
		floats []float32
		bytes  []uint8
		w, h   int
		mod    string
		opts   Options
		err    error
		msg    string
	}{
		{"nan", Float, []float32{0, nan}, nil, 2, 1, "CT", DefaultOptions(), ErrInput, "pixel 1 (x 1, y 0) is NaN"},
		{"inf", Float, []float32{float32(math.Inf(-1))}, nil, 1, 1, "MR", DefaultOptions(), ErrInput, "is -Inf"},
		{"short floats", Float, []float32{0}, nil, 2, 1, "CT", DefaultOptions(), ErrInput, "1 values for 2×1"},
		{"short grey", Grey8, nil, []uint8{0}, 2, 1, "", DefaultOptions(), ErrInput, "1 bytes for 2×1 grey"},
		{"short rgb", RGB8, nil, []uint8{0, 0, 0}, 2, 1, "", DefaultOptions(), ErrInput, "3 bytes for 2×1 RGB"},
		{"empty", Grey8, nil, nil, 0, 1, "", DefaultOptions(), ErrInput, "size 0×1"},
		{"zero width", Float, []float32{0}, nil, 1, 1, "CT", Options{Normalize: Window}, ErrOptions, "width must be positive"},
		{"window on colour", RGB8, nil, []uint8{1, 2, 3}, 1, 1, "", Options{Normalize: Window, Width: 10}, ErrOptions, "not to colour"},
		{"none out of range", Float, []float32{0, 2}, nil, 2, 1, "CT", Options{Normalize: None}, ErrInput, "pixel 1 is 2"},
		{"bad normalisation", Grey8, nil, []uint8{1}, 1, 1, "", Options{Normalize: 9}, ErrOptions, "Normalize(9)"},
		{"bad format", 0, nil, []uint8{1}, 1, 1, "", DefaultOptions(), ErrInput, "Format(0)"},
	} {
		_, err := Prepare(tc.f, tc.floats, tc.bytes, tc.w, tc.h, tc.mod, "", tc.opts)
		if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err %v, want %v mentioning %q", tc.name, err, tc.err, tc.msg)
		}
	}
}

// Luminance against Pillow's convert('L') (ITU-R 601-2, rounded to
// integers by Pillow) on a real PH2 image.
func TestLuminanceAgainstPillow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Python")
	}
	py := "/usr/bin/python3"
	if _, err := exec.LookPath(py); err != nil {
		if shareddata.InCI() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	path := shareddata.Path(t, "ph2/images/IMD004.jpg")
	// Pillow decodes the JPEG and converts it; both results come back as
	// text on a 7×5 grid of pixels.
	script := `
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert('RGB')
L = im.convert('L')
w, h = im.size
for y in range(0, h, h // 5):
    for x in range(0, w, w // 7):
        r, g, b = im.getpixel((x, y))
        print(r, g, b, L.getpixel((x, y)))
`
	out, err := exec.Command(py, "-c", script, path).Output()
	if err != nil {
		if shareddata.InCI() {
			t.Fatal(err)
		}
		t.Skip("Pillow:", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 30 {
		t.Fatalf("Pillow gave %d lines", len(lines))
	}
	var px []uint8
	var want []int
	for _, line := range lines {
		f := strings.Fields(line)
		for i, s := range f {
			v, err := strconv.Atoi(s)
			if err != nil {
				t.Fatal(err)
			}
			if i < 3 {
				px = append(px, uint8(v))
			} else {
				want = append(want, v)
			}
		}
	}
	im, err := Prepare(RGB8, nil, px, len(want), 1, "XC", "RGB", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if d := math.Abs(float64(im.Intensity[i]) - float64(w)); d > 0.5+1e-3 {
			t.Errorf("pixel %d (RGB %v): luminance %.3f, Pillow %d", i, px[3*i:3*i+3], im.Intensity[i], w)
		}
	}
}

func FuzzPrepare(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5}, uint8(2), uint8(0), false)
	f.Add([]byte{255, 0, 128}, uint8(1), uint8(3), true)
	f.Fuzz(func(t *testing.T, data []byte, width, norm uint8, colour bool) {
		w := int(width%8) + 1
		format, per := Grey8, 1
		if colour {
			format, per = RGB8, 3
		}
		h := len(data) / (w * per)
		if h == 0 {
			return
		}
		opts := Options{Normalize: Normalize(norm % 4), Level: 128, Width: 100}
		im, err := Prepare(format, nil, data[:w*h*per], w, h, "", "", opts)
		if err != nil {
			if !errors.Is(err, ErrOptions) {
				t.Fatal(err)
			}
			return
		}
		for ch := range im.Planes {
			for i, v := range im.Planes[ch] {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("plane %d pixel %d: %g", ch, i, v)
				}
			}
		}
		if len(im.Intensity) != w*h {
			t.Fatalf("%d intensities for %d pixels", len(im.Intensity), w*h)
		}
	})
}
