package nifti

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/geom"
)

// smallNII returns the bytes of a valid little-endian NIfTI-1 file: the
// phantom grid with int16 values 0, 1, 2, …
func smallNII(t testing.TB) []byte {
	t.Helper()
	g := phantomGrid()
	data := make([]int16, g.Columns*g.Rows*g.Slices)
	for i := range data {
		data[i] = int16(i)
	}
	p := filepath.Join(t.TempDir(), "small.nii")
	if _, err := Write(context.Background(), p, g, data, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// n2File builds a little-endian NIfTI-2 single file (header, empty
// extension flag, data) with dim = dims (dims[0] = number of axes) and the
// sform diag(2, 3, -4).
func n2File(dims []int64, dt Datatype, data []byte) []byte {
	b := make([]byte, n2HeaderSize+4)
	o := binary.LittleEndian
	o.PutUint32(b[0:], n2HeaderSize)
	copy(b[4:], "n+2\x00\r\n\x1a\n")
	o.PutUint16(b[12:], uint16(dt))
	o.PutUint16(b[14:], uint16(8*dt.Size()))
	for i, d := range dims { // dims[0] is dim[0]
		o.PutUint64(b[16+8*i:], uint64(d))
	}
	for i := range 8 {
		o.PutUint64(b[104+8*i:], math.Float64bits(1))
	}
	o.PutUint64(b[168:], n2HeaderSize+4)
	o.PutUint64(b[176:], math.Float64bits(1))
	o.PutUint32(b[348:], 1)                    // sform_code
	o.PutUint64(b[400:], math.Float64bits(2))  // srow_x[0]
	o.PutUint64(b[440:], math.Float64bits(3))  // srow_y[1]
	o.PutUint64(b[480:], math.Float64bits(-4)) // srow_z[2]
	return append(b, data...)
}

// patch returns a copy of b changed by f.
func patch(b []byte, f func(b []byte)) []byte {
	c := bytes.Clone(b)
	f(c)
	return c
}

func put16(b []byte, off int, v int16) { binary.LittleEndian.PutUint16(b[off:], uint16(v)) }
func putF32(b []byte, off int, v float64) {
	binary.LittleEndian.PutUint32(b[off:], math.Float32bits(float32(v)))
}

// noSize hides a reader's Size method, so that Read cannot know the length.
type noSize struct{ r io.Reader }

func (n noSize) Read(p []byte) (int, error) { return n.r.Read(p) }

// TestReadRejects feeds damaged and hostile inputs to Read, with and
// without a known length, and checks the error kind, its message and that
// nothing large was allocated before the sizes were checked.
func TestReadRejects(t *testing.T) {
	ok := smallNII(t)
	huge := func(nx, ny, nz int16, dt Datatype) []byte {
		return patch(ok[:352], func(b []byte) {
			put16(b, 42, nx)
			put16(b, 44, ny)
			put16(b, 46, nz)
			put16(b, 70, int16(dt))
			put16(b, 72, int16(8*dt.Size()))
		})
	}
	cases := []struct {
		name    string
		in      []byte
		want    error
		mention string
	}{
		{"empty", nil, ErrNotNIfTI, "empty"},
		{"text", []byte(strings.Repeat("not an image\n", 50)), ErrNotNIfTI, "sizeof_hdr"},
		{"analyze (no magic)", patch(ok, func(b []byte) { copy(b[344:], "\x00\x00\x00\x00") }), ErrNotNIfTI, "Analyze"},
		{"NIfTI-2 magic mangled by a text transfer", patch(n2File([]int64{2, 2, 2}, Uint8, make([]byte, 8)), func(b []byte) { b[8] = '\n' }), ErrNotNIfTI, "n+2"},
		{"header cut", ok[:200], ErrTruncated, "header"},
		{"data cut", ok[:len(ok)-10], ErrTruncated, "file has"},
		{"gzip data cut", gz(ok)[:len(gz(ok))-40], ErrTruncated, ""},
		{"negative dim", patch(ok, func(b []byte) { put16(b, 44, -3) }), ErrBadHeader, "dim[2] = -3"},
		{"dim[0] = 8", patch(ok, func(b []byte) { put16(b, 40, 8) }), ErrBadHeader, "dim[0] = 8"},
		{"vox_offset inside the header", patch(ok, func(b []byte) { putF32(b, 108, 100) }), ErrBadHeader, "vox_offset"},
		{"vox_offset not whole", patch(ok, func(b []byte) { putF32(b, 108, 352.5) }), ErrBadHeader, "vox_offset"},
		{"complex datatype", patch(ok, func(b []byte) { put16(b, 70, 32) }), ErrUnsupported, "datatype 32"},
		{"6-D", patch(ok, func(b []byte) {
			for i, d := range []int16{6, 2, 2, 2, 1, 2, 2} {
				put16(b, 40+2*i, d)
			}
		}), ErrUnsupported, "not a 3-D/4-D image"},
		{"pair header without its image", patch(ok, func(b []byte) { copy(b[344:], "ni1\x00") }), ErrUnsupported, "pair"},
		{"finite slope, NaN intercept", patch(ok, func(b []byte) { putF32(b, 112, 2); putF32(b, 116, math.NaN()) }), ErrBadHeader, "scl_inter"},
		{"not a unit quaternion", patch(ok, func(b []byte) {
			put16(b, 254, 0) // sform_code 0: the qform decides
			putF32(b, 256, 0.9)
			putF32(b, 260, 0.9)
		}), ErrGeometry, "quaternion"},
		{"zero voxel size (qform)", patch(ok, func(b []byte) { put16(b, 254, 0); putF32(b, 80, 0) }), ErrGeometry, "qform"},
		{"NaN in the sform", patch(ok, func(b []byte) { putF32(b, 284, math.NaN()) }), ErrGeometry, "non-finite"},
		{"volume beyond 8 GiB", huge(32767, 32767, 32767, Int16), ErrTooLarge, "MaxBytes"},
		{"1.6 GB promised, 352 bytes present", huge(2000, 2000, 400, Uint8), ErrTruncated, "header promises"},
		{"1.6 GB promised by a small gzip", gz(huge(2000, 2000, 400, Uint8)), ErrTruncated, "more than a gzip file"},
		{"NIfTI-2 size overflows 64 bits", n2File([]int64{4, 1 << 31, 1 << 31, 1 << 31, 1 << 31}, Float64, nil), ErrTooLarge, "overflows"},
		{"NIfTI-2 dim beyond 2^31", n2File([]int64{3, 1 << 40, 1, 1}, Uint8, nil), ErrBadHeader, "dim[1]"},
	}
	for _, c := range cases {
		for _, sized := range []bool{true, false} {
			name := c.name
			if !sized {
				name += " (length unknown)"
			}
			t.Run(name, func(t *testing.T) {
				var r io.Reader = bytes.NewReader(c.in)
				if !sized {
					r = noSize{r}
				}
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				_, err := Read(context.Background(), r, ReadOptions{})
				runtime.ReadMemStats(&after)
				if !errors.Is(err, c.want) {
					t.Fatalf("error = %v, want %v", err, c.want)
				}
				// Without a length the shortage shows only when the data ends.
				if sized && !strings.Contains(err.Error(), c.mention) {
					t.Errorf("error %q does not mention %q", err, c.mention)
				}
				if a := after.TotalAlloc - before.TotalAlloc; a > 16<<20 {
					t.Errorf("allocated %d MiB before failing", a>>20)
				}
			})
		}
	}
}

// TestReadScaling: slope 0 or NaN means unscaled (nibabel's rule); a real
// slope and intercept apply.
func TestReadScaling(t *testing.T) {
	ok := smallNII(t)
	for _, c := range []struct {
		slope, inter float64
		a, b         float64 // value = raw·a + b
	}{{0, 5, 1, 0}, {math.NaN(), 5, 1, 0}, {math.Inf(1), 0, 1, 0}, {0.5, -3, 0.5, -3}, {1, -1024, 1, -1024}} {
		in := patch(ok, func(b []byte) { putF32(b, 112, c.slope); putF32(b, 116, c.inter) })
		im, err := Read(context.Background(), bytes.NewReader(in), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := im.Slice(1, nil)
		n := im.Grid.Columns * im.Grid.Rows
		for i, v := range s {
			if want := float32(float64(n+i)*c.a + c.b); v != want {
				t.Fatalf("slope %g inter %g: voxel %d = %v, want %v", c.slope, c.inter, i, v, want)
			}
		}
		if im.Scaled() != (c.a != 1 || c.b != 0) {
			t.Errorf("slope %g inter %g: Scaled() = %v", c.slope, c.inter, im.Scaled())
		}
	}
}

// TestNIfTI2Synthetic reads the hand-built NIfTI-2 file used above when it is
// valid, gzip or not.
func TestNIfTI2Synthetic(t *testing.T) {
	data := make([]byte, 2*3*4*8)
	for i := range 2 * 3 * 4 {
		binary.LittleEndian.PutUint64(data[8*i:], math.Float64bits(float64(i)-0.5))
	}
	f := n2File([]int64{3, 2, 3, 4}, Float64, data)
	for _, in := range [][]byte{f, gz(f)} {
		im, err := Read(context.Background(), bytes.NewReader(in), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := geom.Affine{{2, 0, 0, 0}, {0, 3, 0, 0}, {0, 0, -4, 0}, {0, 0, 0, 1}}
		if im.Header.Version != 2 || im.Grid.RAS() != want {
			t.Fatalf("NIfTI-%d, affine %v", im.Header.Version, im.Grid.RAS())
		}
		s, _ := im.Slice(3, nil)
		if len(s) != 6 || s[5] != 23-0.5 {
			t.Fatalf("slice 3 = %v", s)
		}
	}
}

// TestPairFiles splits a .nii into a .hdr/.img pair: both names read it, and
// without its .img the error names the missing file.
func TestPairFiles(t *testing.T) {
	ok := smallNII(t)
	dir := t.TempDir()
	hdr := patch(ok[:352], func(b []byte) {
		copy(b[344:], "ni1\x00")
		putF32(b, 108, 0)
	})
	hp, ip := filepath.Join(dir, "x.hdr"), filepath.Join(dir, "x.img")
	if err := os.WriteFile(hp, hdr, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ip, ok[352:], 0o644); err != nil {
		t.Fatal(err)
	}
	single, err := Read(context.Background(), bytes.NewReader(ok), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := single.Slice(2, nil)
	for _, p := range []string{hp, ip} {
		im, err := ReadFile(context.Background(), p, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := im.Slice(2, nil)
		if !im.Header.IsPair() || im.Grid != single.Grid || !equalF32(got, want) {
			t.Fatalf("%s: pair reads differently from the single file", p)
		}
	}
	if h, err := ReadHeaderFile(context.Background(), ip); err != nil || !h.IsPair() {
		t.Fatalf("ReadHeaderFile by the .img name: %v", err)
	}
	os.Remove(ip)
	_, err = ReadFile(context.Background(), hp, ReadOptions{})
	if !errors.Is(err, ErrMissingImage) || !strings.Contains(err.Error(), ip) {
		t.Fatalf("error = %v, want ErrMissingImage naming %s", err, ip)
	}
	// A pair header in a file not named .hdr cannot find its image.
	odd := filepath.Join(dir, "x.nii")
	os.WriteFile(odd, hdr, 0o644)
	if _, err := ReadFile(context.Background(), odd, ReadOptions{}); err == nil || !strings.Contains(err.Error(), ".hdr") {
		t.Fatalf("pair header named .nii: %v", err)
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReadFileErrors: files that cannot be opened, cancellation, and the
// slice accessors' own errors.
func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadFile(context.Background(), filepath.Join(dir, "none.nii"), ReadOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadFile(context.Background(), dir, ReadOptions{}); err == nil || !strings.Contains(err.Error(), "regular file") {
		t.Errorf("directory: %v", err)
	}
	p := filepath.Join(dir, "small.nii.gz")
	os.WriteFile(p, gz(smallNII(t)), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadFile(ctx, p, ReadOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	im, err := ReadFile(context.Background(), p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := im.SliceRGB(0, nil); !errors.Is(err, ErrRGB) {
		t.Errorf("SliceRGB of int16: %v", err)
	}
	if _, err := im.Slice(im.Grid.Slices, nil); err == nil {
		t.Error("slice past the end: no error")
	}
	if _, err := ReadFile(context.Background(), p, ReadOptions{Volume: -1}); err == nil {
		t.Error("volume -1: no error")
	}
	if _, err := ReadFile(context.Background(), p, ReadOptions{MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxBytes 100: %v", err)
	}
	h, err := ReadHeaderFile(context.Background(), p)
	if err != nil || h.Datatype != Int16 || h.Dim[1] != int64(im.Grid.Columns) {
		t.Errorf("ReadHeaderFile: %v, %+v", err, h)
	}
}

// bigVolume writes a 6 MiB uint8 volume (more than the first allocation of
// a buffer that grows) and returns the uncompressed file.
func bigVolume(t *testing.T) []byte {
	t.Helper()
	g := lidcGrid(256, 256, 96)
	data := make([]uint8, g.Columns*g.Rows*g.Slices)
	for i := range data {
		data[i] = uint8(i / 1000)
	}
	p := filepath.Join(t.TempDir(), "big.nii")
	if _, err := Write(context.Background(), p, g, data, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMultiMemberGzip: a .nii.gz made of several gzip members (as bgzip
// writes) reads like the plain file, through the growing buffer since its
// trailer does not give the whole length.
func TestMultiMemberGzip(t *testing.T) {
	plain := bigVolume(t)
	var multi []byte
	for off := 0; off < len(plain); off += 1 << 20 {
		multi = append(multi, gz(plain[off:min(off+1<<20, len(plain))])...)
	}
	dir := t.TempDir()
	pp, pm := filepath.Join(dir, "plain.nii"), filepath.Join(dir, "multi.nii.gz")
	os.WriteFile(pp, plain, 0o644)
	os.WriteFile(pm, multi, 0o644)
	a, err := ReadFile(context.Background(), pp, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadFile(context.Background(), pm, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.data, b.data) || a.Grid != b.Grid {
		t.Fatal("multi-member gzip reads differently")
	}
}

// TestGzipChecksum: a .nii.gz whose data no longer matches its CRC fails.
func TestGzipChecksum(t *testing.T) {
	z := gz(bigVolume(t))
	bad := patch(z, func(b []byte) { b[len(b)-8] ^= 0xff }) // CRC-32 in the trailer
	p := filepath.Join(t.TempDir(), "bad.nii.gz")
	os.WriteFile(p, bad, 0o644)
	if _, err := ReadFile(context.Background(), p, ReadOptions{}); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("corrupted CRC: %v", err)
	}
}

// TestQformSformDisagree: a file whose qform and sform place voxels apart
// is read with the sform (nibabel's rule) and a warning that names the gap.
func TestQformSformDisagree(t *testing.T) {
	ok := smallNII(t)
	for _, c := range []struct {
		shift float64
		warn  bool
	}{{5, true}, {0.001, false}} {
		in := patch(ok, func(b []byte) {
			putF32(b, 268, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[268:])))+c.shift)
		})
		im, err := Read(context.Background(), bytes.NewReader(in), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w := strings.Join(im.Warnings, "\n")
		if im.Source != FromSform || strings.Contains(w, "disagree") != c.warn {
			t.Errorf("qoffset_x moved %g mm: source %v, warnings %q", c.shift, im.Source, im.Warnings)
		}
		if c.warn && !strings.Contains(w, "5 mm") {
			t.Errorf("warning %q does not give the 5 mm gap", w)
		}
	}
}
