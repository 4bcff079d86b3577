package host

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
	"github.com/mmcseg/mmcseg/sdk"
)

// evalPython returns /usr/bin/python3 if it imports every module given;
// when it does not, the test fails in CI and is skipped elsewhere.
func evalPython(t *testing.T, modules ...string) string {
	t.Helper()
	const py = "/usr/bin/python3"
	_, err := exec.LookPath(py)
	if err == nil {
		err = exec.Command(py, "-c", "import "+strings.Join(modules, ", ")).Run()
	}
	if err != nil {
		if shareddata.InCI() {
			t.Fatalf("%s with %s is needed: %v", py, strings.Join(modules, ", "), err)
		}
		t.Skipf("no %s with %s: %v", py, strings.Join(modules, ", "), err)
	}
	return py
}

// evalRunPython runs a script with args and returns its stdout.
func evalRunPython(t *testing.T, py, script string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	return out
}

// Signed 16-bit TIFFs written by Pillow (with libtiff for the compressed
// ones), which golang.org/x/image/tiff refuses, read back value for value.
func TestReadSignedTIFFFromPillow(t *testing.T) {
	py := evalPython(t, "numpy", "PIL")
	dir := t.TempDir()
	const script = `
import sys, numpy as np
from PIL import Image, TiffImagePlugin
d = sys.argv[1]
rng = np.random.default_rng(7)
a = rng.integers(-32768, 32768, (37, 53)).astype(np.int16)
a[0, :4] = [-32768, -1, 0, 32767]
a.astype('<i2').tofile(d + '/values.raw')
im = Image.frombuffer('I;16', (53, 37), a.view(np.uint16).tobytes(), 'raw', 'I;16', 0, 1)
for name, comp, extra in [('raw', 'raw', {}), ('lzw', 'tiff_lzw', {}), ('deflate', 'tiff_adobe_deflate', {}),
                          ('lzw-pred', 'tiff_lzw', {317: 2}), ('strips', 'raw', {278: 5})]:
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[339] = 2
    for k, v in extra.items():
        info[k] = v
    im.save(d + '/' + name + '.tif', compression=comp, tiffinfo=info)
    back = np.array(Image.open(d + '/' + name + '.tif'))
    assert (back == a).all(), name
    print(name)
`
	names := strings.Fields(string(evalRunPython(t, py, script, dir)))
	if len(names) != 5 {
		t.Fatalf("python wrote %q", names)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "values.raw"))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, len(raw)/2)
	for i := range want {
		want[i] = float32(int16(binary.LittleEndian.Uint16(raw[2*i:])))
	}
	for _, name := range names {
		path := filepath.Join(dir, name+".tif")
		if _, err := ReadImage(path, ImageOptions{}); err == nil {
			t.Errorf("%s: ReadImage (x/image/tiff) read a signed TIFF; the premise of readSignedTIFF is gone", name)
		}
		im, err := readEvalImage(path, 12345) // the offset is for unsigned data only
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if im.w != 53 || im.h != 37 || im.format != sdk.Float32 || !slices.Equal(im.grey, want) {
			t.Fatalf("%s: %d×%d %v, values differ: %v… want %v…", name, im.w, im.h, im.format, im.grey[:4], want[:4])
		}
		gt, w, h, err := readGroundTruth(path)
		if err != nil || w != 53 || h != 37 || gt[0] != 0 || gt[3] != 255 {
			t.Fatalf("%s as a mask: %v %d×%d %v", name, err, w, h, gt[:4])
		}
	}
}

// evalTIFFEntry is one directory entry for evalBuildTIFF.
type evalTIFFEntry struct {
	tag, typ uint16
	vals     []uint32
}

// evalBuildTIFF writes a one-directory TIFF with the strips given, in the byte
// order given, for tests of the cases Pillow does not write.
func evalBuildTIFF(bo binary.ByteOrder, entries []evalTIFFEntry, strips [][]byte) []byte {
	var b bytes.Buffer
	if bo == binary.LittleEndian {
		b.WriteString("II*\x00")
	} else {
		b.WriteString("MM\x00*")
	}
	_ = binary.Write(&b, bo, uint32(8))
	// Directory first, then out-of-line values, then strips.
	n := len(entries) + 2
	dirEnd := 8 + 2 + 12*n + 4
	var extra bytes.Buffer
	stripAt := make([]uint32, len(strips))
	counts := make([]uint32, len(strips))
	for i, s := range strips {
		counts[i] = uint32(len(s))
	}
	all := append(entries, evalTIFFEntry{tiffStripOffsets, 4, stripAt}, evalTIFFEntry{tiffStripByteCounts, 4, counts})
	slices.SortFunc(all, func(a, c evalTIFFEntry) int { return int(a.tag) - int(c.tag) })
	// Layout: values that do not fit, then strips.
	valuesSize := 0
	for _, e := range all {
		if sz := evalTIFFSize(e.typ) * len(e.vals); sz > 4 {
			valuesSize += sz
		}
	}
	off := uint32(dirEnd + valuesSize)
	for i, s := range strips {
		stripAt[i] = off
		off += uint32(len(s))
	}
	_ = binary.Write(&b, bo, uint16(n))
	valAt := uint32(dirEnd)
	for _, e := range all {
		_ = binary.Write(&b, bo, e.tag)
		_ = binary.Write(&b, bo, e.typ)
		_ = binary.Write(&b, bo, uint32(len(e.vals)))
		var v bytes.Buffer
		for _, x := range e.vals {
			switch e.typ {
			case 3:
				_ = binary.Write(&v, bo, uint16(x))
			default:
				_ = binary.Write(&v, bo, x)
			}
		}
		if v.Len() <= 4 {
			pad := make([]byte, 4-v.Len())
			b.Write(v.Bytes())
			b.Write(pad)
		} else {
			_ = binary.Write(&b, bo, valAt)
			valAt += uint32(v.Len())
			extra.Write(v.Bytes())
		}
	}
	_ = binary.Write(&b, bo, uint32(0))
	b.Write(extra.Bytes())
	for _, s := range strips {
		b.Write(s)
	}
	return b.Bytes()
}

func evalTIFFSize(typ uint16) int {
	switch typ {
	case 3:
		return 2
	case 4:
		return 4
	}
	return 1
}

// Big-endian files, horizontal prediction, 8-bit samples, WhiteIsZero and
// padded strips, on files built by hand; broken files give errors.
func TestReadSignedTIFFByHand(t *testing.T) {
	vals := []int16{-1000, -1, 0, 1, 2000, -32768, 32767, 7, -7, 100, 200, -300}
	const w, h = 4, 3
	enc := func(bo binary.ByteOrder, pred bool) []byte {
		var b bytes.Buffer
		for y := range h {
			var prev uint16
			for x := range w {
				u := uint16(vals[y*w+x])
				if pred {
					u, prev = u-prev, u
				}
				_ = binary.Write(&b, bo, u)
			}
		}
		return b.Bytes()
	}
	base := func(extra ...evalTIFFEntry) []evalTIFFEntry {
		return append([]evalTIFFEntry{
			{tiffImageWidth, 3, []uint32{w}}, {tiffImageLength, 3, []uint32{h}}, {tiffBitsPerSample, 3, []uint32{16}},
			{tiffCompression, 3, []uint32{1}}, {tiffPhotometric, 3, []uint32{1}}, {tiffSamplesPerPixel, 3, []uint32{1}},
			{tiffRowsPerStrip, 4, []uint32{h}}, {tiffSampleFormat, 3, []uint32{2}},
		}, extra...)
	}
	want := make([]float32, len(vals))
	for i, v := range vals {
		want[i] = float32(v)
	}
	deflated := func(b []byte) []byte {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		return z.Bytes()
	}
	set := func(es []evalTIFFEntry, tag uint16, v uint32) []evalTIFFEntry {
		out := slices.Clone(es)
		for i := range out {
			if out[i].tag == tag {
				out[i].vals = []uint32{v}
			}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		want   []float32
		errMsg string
	}{
		{"big-endian", evalBuildTIFF(binary.BigEndian, base(), [][]byte{enc(binary.BigEndian, false)}), want, ""},
		{"predictor", evalBuildTIFF(binary.LittleEndian, base(evalTIFFEntry{tiffPredictor, 3, []uint32{2}}), [][]byte{enc(binary.LittleEndian, true)}), want, ""},
		{"deflate+predictor big-endian", evalBuildTIFF(binary.BigEndian, set(base(evalTIFFEntry{tiffPredictor, 3, []uint32{2}}), tiffCompression, 8),
			[][]byte{deflated(enc(binary.BigEndian, true))}), want, ""},
		{"padded strip", evalBuildTIFF(binary.LittleEndian, base(), [][]byte{append(enc(binary.LittleEndian, false), 0, 0, 0)}), want, ""},
		{"white is zero", evalBuildTIFF(binary.LittleEndian, set(base(), tiffPhotometric, 0), [][]byte{enc(binary.LittleEndian, false)}),
			func() []float32 {
				n := make([]float32, len(want))
				for i, v := range want {
					n[i] = -v
				}
				return n
			}(), ""},
		{"8-bit", evalBuildTIFF(binary.LittleEndian, set(base(), tiffBitsPerSample, 8), [][]byte{{0x80, 0xff, 0, 1, 0x7f, 2, 3, 4, 5, 6, 7, 8}}),
			[]float32{-128, -1, 0, 1, 127, 2, 3, 4, 5, 6, 7, 8}, ""},
		{"truncated strip", evalBuildTIFF(binary.LittleEndian, base(), [][]byte{enc(binary.LittleEndian, false)[:20]}), nil, "20 bytes, want 24"},
		{"strip past end", evalBuildTIFF(binary.LittleEndian, base(), [][]byte{enc(binary.LittleEndian, false)})[:60], nil, "runs past the end"},
		{"RGB", evalBuildTIFF(binary.LittleEndian, set(base(), tiffSamplesPerPixel, 3), [][]byte{enc(binary.LittleEndian, false)}), nil, "3 samples per pixel"},
		{"JPEG", evalBuildTIFF(binary.LittleEndian, set(base(), tiffCompression, 7), [][]byte{enc(binary.LittleEndian, false)}), nil, "compression 7"},
		{"32-bit", evalBuildTIFF(binary.LittleEndian, set(base(), tiffBitsPerSample, 32), [][]byte{enc(binary.LittleEndian, false)}), nil, "32 bits per sample"},
		{"no strips", evalBuildTIFF(binary.LittleEndian, base(), nil), nil, "0 strip offsets"},
		{"huge", evalBuildTIFF(binary.LittleEndian, set(base(), tiffImageWidth, 1<<20), [][]byte{}), nil, "not a usable size"},
		{"not TIFF", []byte("GIF89a..."), nil, "no TIFF signature"},
		{"unsigned", evalBuildTIFF(binary.LittleEndian, set(base(), tiffSampleFormat, 1), [][]byte{enc(binary.LittleEndian, false)}), nil, errTIFFNotSigned.Error()},
	} {
		w, h, px, err := readSignedTIFF(tc.data)
		if tc.errMsg != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errMsg) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.errMsg)
			}
			if tc.errMsg != errTIFFNotSigned.Error() && !errors.Is(err, ErrImage) {
				t.Errorf("%s: error %v does not wrap ErrImage", tc.name, err)
			}
			continue
		}
		if err != nil || w != 4 || h != 3 || !slices.Equal(px, tc.want) {
			t.Errorf("%s: %v %d×%d %v, want %v", tc.name, err, w, h, px, tc.want)
		}
	}
}

// The 16-bit PNGs of lung-ct-2d reach the plugin as CT values with the
// offset the dataset needs, and the PH2 JPEGs as RGB.
func TestReadEvalImageSharedData(t *testing.T) {
	lung := shareddata.Path(t, "lung-ct-2d/images/ID_0000_Z_0142.png")
	im, err := readEvalImage(lung, -32768)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := slices.Min(im.grey), slices.Max(im.grey)
	// The manifest: values of the subset lie in −2619 … 2601; air about −800.
	if im.format != sdk.Float32 || im.w != 512 || im.h != 512 || lo < -2619 || hi > 2601 || lo > -700 {
		t.Fatalf("lung slice: %v %d×%d values %g…%g", im.format, im.w, im.h, lo, hi)
	}
	ph2, err := readEvalImage(shareddata.Path(t, "ph2/images/IMD002.jpg"), 0)
	if err != nil || ph2.format != sdk.RGB8 || len(ph2.rgb) != 3*ph2.w*ph2.h {
		t.Fatalf("PH2 image: %v %+v", err, ph2)
	}
}

// FuzzReadSignedTIFF: no input panics the reader or makes it allocate more
// than the file justifies.
func FuzzReadSignedTIFF(f *testing.F) {
	base := []evalTIFFEntry{
		{tiffImageWidth, 3, []uint32{3}}, {tiffImageLength, 3, []uint32{2}}, {tiffBitsPerSample, 3, []uint32{16}},
		{tiffCompression, 3, []uint32{1}}, {tiffSamplesPerPixel, 3, []uint32{1}}, {tiffRowsPerStrip, 4, []uint32{1}},
		{tiffSampleFormat, 3, []uint32{2}}, {tiffPredictor, 3, []uint32{2}},
	}
	f.Add(evalBuildTIFF(binary.LittleEndian, base, [][]byte{make([]byte, 6), {1, 0, 2, 0, 3, 0}}))
	f.Add(evalBuildTIFF(binary.BigEndian, base, [][]byte{make([]byte, 6), make([]byte, 6)}))
	lzwBase := slices.Clone(base)
	lzwBase[3].vals = []uint32{5}
	f.Add(evalBuildTIFF(binary.LittleEndian, lzwBase, [][]byte{{0x80, 0, 0x40}, {0x80}}))
	f.Add([]byte("II*\x00\x08\x00\x00\x00\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, h, px, err := readSignedTIFF(data)
		if err == nil && len(px) != w*h {
			t.Fatalf("%d values for %d×%d", len(px), w, h)
		}
	})
}
