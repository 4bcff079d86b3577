package dicomio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/codec"
)

func TestPackUnpackBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// DICOM packs LSB first: 0x05 is pixels 0 and 2.
	got := make([]byte, 8)
	UnpackBits(got, []byte{0x05}, 0)
	if !bytes.Equal(got, []byte{1, 0, 1, 0, 0, 0, 0, 0}) {
		t.Fatalf("UnpackBits(0x05) = %v", got)
	}
	if p := PackBits([]byte{1, 0, 1, 0, 0, 0, 0, 0, 7}); !bytes.Equal(p, []byte{0x05, 0x01}) {
		t.Fatalf("PackBits = %x", p)
	}
	for _, n := range []int{1, 7, 8, 9, 874, 912, 260100} {
		px := make([]byte, 3*n)
		for i := range px {
			px[i] = byte(rng.IntN(2))
		}
		packed := PackBits(px)
		if len(packed) != (3*n+7)/8 {
			t.Fatalf("n=%d: %d packed bytes", n, len(packed))
		}
		// Frames of n pixels, back to back across byte boundaries.
		for k := 0; k < 3; k++ {
			f, err := NativeFrame(packed, k, codec.FrameInfo{Rows: 1, Columns: n, SamplesPerPixel: 1, BitsAllocated: 1, BitsStored: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f, px[k*n:(k+1)*n]) {
				t.Fatalf("n=%d frame %d differs", n, k)
			}
			// The naive definition: bit b of the stream is byte b/8, bit b%8.
			for i := 0; i < n; i++ {
				b := k*n + i
				if f[i] != packed[b/8]>>(b%8)&1 {
					t.Fatalf("n=%d frame %d pixel %d", n, k, i)
				}
			}
		}
		if (4*n+7)/8 <= len(packed) {
			continue // a fourth frame would fit in the padding bits
		}
		if _, err := NativeFrame(packed, 3, codec.FrameInfo{Rows: 1, Columns: n, SamplesPerPixel: 1, BitsAllocated: 1, BitsStored: 1}); !errors.Is(err, ErrMalformed) {
			t.Errorf("n=%d: frame past the end: %v", n, err)
		}
	}
}

func TestNativeFrame(t *testing.T) {
	data := make([]byte, 2*2*3*4) // 4 frames of 2×3 16-bit
	for i := range data {
		data[i] = byte(i)
	}
	info := codec.FrameInfo{Rows: 2, Columns: 3, SamplesPerPixel: 1, BitsAllocated: 16, BitsStored: 16}
	f, err := NativeFrame(data, 2, info)
	if err != nil || !bytes.Equal(f, data[24:36]) {
		t.Fatalf("frame 2 = %v, %v", f, err)
	}
	f[0] = 99
	if data[24] == 99 {
		t.Error("NativeFrame did not copy")
	}
	if _, err := NativeFrame(data, 0, codec.FrameInfo{Rows: 65535, Columns: 65535, SamplesPerPixel: 3, BitsAllocated: 32, BitsStored: 32}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge frame: %v", err)
	}
	if _, err := NativeFrame(data, 0, codec.FrameInfo{Rows: 2, Columns: 3, SamplesPerPixel: 1, BitsAllocated: 12}); !errors.Is(err, ErrUnsupportedImage) {
		t.Errorf("12-bit allocation: %v", err)
	}
}

func TestSplitFrames(t *testing.T) {
	frags := func(lens ...int) []fragment {
		var out []fragment
		var rel int64
		for i, n := range lens {
			d := make([]byte, n)
			d[0] = byte(i)
			out = append(out, fragment{rel: rel, n: int64(n), data: d})
			rel += 8 + int64(n)
		}
		return out
	}
	bot := func(offs ...uint32) []byte {
		var b []byte
		for _, o := range offs {
			b = binary.LittleEndian.AppendUint32(b, o)
		}
		return b
	}
	jpeg := func(fr []fragment, starts ...int) []fragment {
		for _, i := range starts {
			fr[i].data[0], fr[i].data[1] = 0xFF, 0xD8
		}
		return fr
	}
	head := func(fr []fragment) func(int) []byte { return func(i int) []byte { return fr[i].data[:2] } }
	cases := []struct {
		name   string
		frags  []fragment
		bot    []byte
		eot    []uint64
		frames int
		ts     string
		want   []frameRange
		err    error
	}{
		{"offset table", frags(10, 10, 20, 4), bot(0, 36, 64), nil, 3, codec.RLELossless, []frameRange{{0, 2}, {2, 3}, {3, 4}}, nil},
		{"extended offset table wins", frags(10, 10, 20, 4), bot(0, 18, 36), []uint64{0, 36, 64}, 3, codec.RLELossless, []frameRange{{0, 2}, {2, 3}, {3, 4}}, nil},
		{"one per frame", frags(4, 4, 4), nil, nil, 3, codec.RLELossless, []frameRange{{0, 1}, {1, 2}, {2, 3}}, nil},
		{"single frame, many fragments", frags(4, 4, 4), nil, nil, 1, codec.JPEG2000Lossless, []frameRange{{0, 3}}, nil},
		{"bad offset table ignored", frags(4, 4, 4), bot(0, 5, 99), nil, 3, codec.RLELossless, []frameRange{{0, 1}, {1, 2}, {2, 3}}, nil},
		{"JPEG by SOI", jpeg(frags(4, 4, 4, 4, 4), 0, 3), nil, nil, 2, codec.JPEGBaseline8Bit, []frameRange{{0, 3}, {3, 5}}, nil},
		{"JPEG markers disagree", jpeg(frags(4, 4, 4, 4, 4), 0, 3), nil, nil, 3, codec.JPEGBaseline8Bit, nil, ErrMalformed},
		{"RLE cannot be split", frags(4, 4, 4, 4), nil, nil, 2, codec.RLELossless, nil, ErrMalformed},
		{"more frames than fragments", frags(4, 4), nil, nil, 3, codec.RLELossless, nil, ErrMalformed},
		{"no fragments", nil, nil, nil, 1, codec.RLELossless, nil, ErrMalformed},
	}
	for _, c := range cases {
		got, err := splitFrames(c.frags, c.bot, c.eot, c.frames, c.ts, head(c.frags))
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: error %v, want %v", c.name, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
}

func TestGreyConversion(t *testing.T) {
	le := binary.LittleEndian
	px := func(vals ...uint16) []byte {
		var b []byte
		for _, v := range vals {
			b = le.AppendUint16(b, v)
		}
		return b
	}
	f := pixelFormat{}
	f.BitsAllocated, f.SamplesPerPixel = 16, 1
	cases := []struct {
		name      string
		bs, pr    int
		shift     int
		data      []byte
		mod       modality
		invert    bool
		want      []float32
		highBit   int
		allocated int
	}{
		{"signed 16, CT rescale", 16, 1, 0, px(0xFC00, 0, 1024, 0x7FFF), modality{slope: 1, intercept: -1024}, false, []float32{-2048, -1024, 0, 31743}, 0, 16},
		{"unsigned 12 bits, garbage above", 12, 0, 0, px(0xF123, 0x0FFF), modality{slope: 1}, false, []float32{0x123, 4095}, 0, 16},
		{"signed 12 bits", 12, 1, 0, px(0x0800, 0x07FF, 0x0FFF), modality{slope: 1}, false, []float32{-2048, 2047, -1}, 0, 16},
		{"high bit 15 of 12", 12, 0, 4, px(0x1230, 0xFFF0), modality{slope: 1}, false, []float32{0x123, 4095}, 0, 16},
		{"decimal slope", 16, 0, 0, px(1000), modality{slope: 0.0010346, intercept: 33.90}, false, []float32{float32(1000*0.0010346 + 33.90)}, 0, 16},
		{"MONOCHROME1 10 bits", 10, 0, 0, px(0, 1023, 100), modality{slope: 1}, true, []float32{1023, 0, 923}, 0, 16},
		{"MONOCHROME1 with rescale", 8, 0, 0, px(0, 255), modality{slope: 2, intercept: 10}, true, []float32{520, 10}, 0, 16},
		{"modality LUT", 16, 0, 0, px(0, 5, 7, 100), modality{lut: []float64{10, 20, 30}, lutFirst: 5}, false, []float32{10, 10, 30, 30}, 0, 16},
		{"8-bit", 8, 0, 0, []byte{0, 200, 255}, modality{slope: 1}, false, []float32{0, 200, 255}, 0, 8},
		{"32-bit signed", 32, 1, 0, le.AppendUint32(le.AppendUint32(nil, 0xFFFFFFFF), 100000), modality{slope: 1e-6}, false, []float32{-1e-6, 0.1}, 0, 32},
	}
	for _, c := range cases {
		ff := f
		ff.BitsAllocated = c.allocated
		ff.BitsStored, ff.PixelRepresentation = c.bs, c.pr
		dst := make([]float32, len(c.want))
		if err := toGrey(dst, c.data, ff, c.shift, c.mod, c.invert); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i := range dst {
			if d := dst[i] - c.want[i]; d > 1e-5 || d < -1e-5 {
				t.Errorf("%s: %v, want %v", c.name, dst, c.want)
				break
			}
		}
	}
}

func TestColourConversion(t *testing.T) {
	f := pixelFormat{}
	f.Rows, f.Columns, f.SamplesPerPixel, f.BitsAllocated, f.BitsStored = 1, 2, 3, 8, 8
	// YBR_FULL of pure red and grey (PS3.3 C.7.6.3.1.2: Y=76.245 Cb=84.972 Cr=255 for red).
	rgb, err := toRGB([]byte{76, 85, 255, 128, 128, 128}, "YBR_FULL", f, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{255, 0, 0, 128, 128, 128}
	for i := range want {
		if d := int(rgb[i]) - int(want[i]); d > 1 || d < -1 {
			t.Fatalf("YBR_FULL → %v, want %v", rgb, want)
		}
	}
	// Native 4:2:2: Y1 Y2 Cb Cr.
	rgb, err = toRGB([]byte{128, 64, 128, 128}, "YBR_FULL_422", f, nil)
	if err != nil || !bytes.Equal(rgb, []byte{128, 128, 128, 64, 64, 64}) {
		t.Fatalf("YBR_FULL_422 → %v, %v", rgb, err)
	}
	// 16-bit RGB keeps the top 8 of BitsStored bits.
	f16 := f
	f16.BitsAllocated, f16.BitsStored = 16, 12
	rgb, err = toRGB([]byte{0xFF, 0x0F, 0, 0, 0x00, 0x08, 0, 0, 0, 0, 0, 0}, "RGB", f16, nil)
	if err != nil || !bytes.Equal(rgb, []byte{255, 0, 128, 0, 0, 0}) {
		t.Fatalf("16-bit RGB → %v, %v", rgb, err)
	}
	// Palette.
	pal := &palette{r: []uint8{1, 2}, g: []uint8{3, 4}, b: []uint8{5, 6}, first: 10}
	g := f
	g.SamplesPerPixel = 1
	rgb, err = toRGB([]byte{10, 11}, "PALETTE COLOR", g, pal)
	if err != nil || !bytes.Equal(rgb, []byte{1, 3, 5, 2, 4, 6}) {
		t.Fatalf("palette → %v, %v", rgb, err)
	}
	if _, err := toRGB([]byte{1, 2, 3, 4, 5, 6}, "HSV", f, nil); !errors.Is(err, ErrUnsupportedImage) {
		t.Errorf("HSV: %v", err)
	}
	// Planar configuration 1.
	if got := interleave([]byte{1, 2, 3, 4, 5, 6}, 1); !bytes.Equal(got, []byte{1, 3, 5, 2, 4, 6}) {
		t.Errorf("interleave = %v", got)
	}
}
