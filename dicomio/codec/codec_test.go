package codec

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

func TestName(t *testing.T) {
	for uid, want := range map[string]string{
		ExplicitVRLittleEndian:    "Explicit VR Little Endian",
		ImplicitVRLittleEndian:    "Implicit VR Little Endian",
		JPEG2000Lossless:          "JPEG 2000 Lossless",
		RLELossless:               "RLE Lossless",
		DeflatedImageFrame:        "Deflated Image Frame Compression",
		JPEGLosslessSV1:           "JPEG Lossless (Process 14, Selection Value 1)",
		"1.2.840.10008.1.2.4.100": "MPEG2 Main Profile / Main Level",
		"1.2.3.4":                 "unknown transfer syntax",
	} {
		if got := Name(uid); got != want {
			t.Errorf("Name(%s) = %q, want %q", uid, got, want)
		}
	}
}

func TestSupported(t *testing.T) {
	for uid, want := range map[string]bool{
		RLELossless: true, JPEGBaseline8Bit: true, JPEGExtended12Bit: true, JPEGLossless: true, JPEGLosslessSV1: true,
		DeflatedImageFrame: true,
		JPEGLSLossless:     cgoBuild, JPEGLSNearLossless: cgoBuild, JPEG2000Lossless: cgoBuild, JPEG2000: cgoBuild,
		HTJ2KLossless: cgoBuild, HTJ2KLosslessRPCL: cgoBuild, HTJ2K: cgoBuild,
		ExplicitVRLittleEndian: false, ImplicitVRLittleEndian: false, "1.2.840.10008.1.2.4.102": false, "1.2.3": false,
	} {
		if got := Supported(uid); got != want {
			t.Errorf("Supported(%s) = %v, want %v", uid, got, want)
		}
	}
}

var mr16 = FrameInfo{Rows: 64, Columns: 64, SamplesPerPixel: 1, BitsAllocated: 16, BitsStored: 16, PixelRepresentation: 1, Photometric: "MONOCHROME2"}

func TestDecodeUnsupportedSyntaxNamesIt(t *testing.T) {
	for _, uid := range []string{"1.2.3.4", ExplicitVRLittleEndian, "1.2.840.10008.1.2.4.102", "1.2.840.10008.1.2.4.92"} {
		_, err := Decode(uid, []byte{1, 2, 3}, mr16)
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: got %v, want ErrUnsupported", uid, err)
			continue
		}
		if !strings.Contains(err.Error(), Name(uid)+" ("+uid+")") {
			t.Errorf("%s: error %q does not name the syntax", uid, err)
		}
	}
	if !cgoBuild {
		_, err := Decode(JPEG2000Lossless, []byte{0xFF, 0x4F, 0xFF, 0x51}, mr16)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "JPEG 2000 Lossless (1.2.840.10008.1.2.4.90)") {
			t.Errorf("without cgo: %v", err)
		}
	}
}

func TestDecodeRejectsBadFrameInfo(t *testing.T) {
	ok := mr16
	for name, mod := range map[string]func(*FrameInfo){
		"zero rows":          func(f *FrameInfo) { f.Rows = 0 },
		"negative columns":   func(f *FrameInfo) { f.Columns = -4 },
		"rows over 65535":    func(f *FrameInfo) { f.Rows = 70000 },
		"2 samples":          func(f *FrameInfo) { f.SamplesPerPixel = 2 },
		"BitsAllocated 12":   func(f *FrameInfo) { f.BitsAllocated = 12 },
		"BitsStored 0":       func(f *FrameInfo) { f.BitsStored = 0 },
		"BitsStored > alloc": func(f *FrameInfo) { f.BitsStored = 17 },
		"PixelRep 2":         func(f *FrameInfo) { f.PixelRepresentation = 2 },
		"1-bit colour": func(f *FrameInfo) {
			f.BitsAllocated, f.BitsStored, f.PixelRepresentation, f.SamplesPerPixel = 1, 1, 0, 3
		},
		"over MaxFrameBytes": func(f *FrameInfo) {
			f.Rows, f.Columns, f.SamplesPerPixel, f.BitsAllocated, f.BitsStored = 65535, 65535, 3, 32, 32
		},
		"1-bit signed":         func(f *FrameInfo) { f.BitsAllocated, f.BitsStored = 1, 1 },
		"8-bit, 9 bits stored": func(f *FrameInfo) { f.BitsAllocated, f.BitsStored = 8, 9 },
	} {
		info := ok
		mod(&info)
		for _, uid := range []string{RLELossless, JPEGLosslessSV1, DeflatedImageFrame} {
			_, err := Decode(uid, make([]byte, 100), info)
			if !errors.Is(err, ErrFrameInfo) {
				t.Errorf("%s, %s: got %v, want ErrFrameInfo", name, Name(uid), err)
			}
		}
	}
}

// realFrame reads frame k of a corpus file with the test reader.
func realFrame(tb testing.TB, rel string, k int) (string, []byte, FrameInfo) {
	tb.Helper()
	f, err := readTestFile(shareddata.Path(tb, rel))
	if err != nil {
		tb.Fatal(err)
	}
	return f.ts, f.frames[k], f.info
}

// damageCases are real frames of each syntax; cgo marks the ones that need
// CharLS/OpenJPEG.
var damageCases = []struct {
	file string
	cgo  bool
}{
	{file: "dicom-pydicom/MR_small_RLE.dcm"},
	{file: "dicom-pydicom/SC_rgb_rle.dcm"},
	{file: "seg-pydicom-data/liver_rle.dcm"},
	{file: "dicom-dicom2nifti/generic/compressed_jpeg/001/IM-0001-0001-0001.dcm"},
	{file: "dicom-pydicom/JPEG-LL.dcm"},
	{file: "dicom-pydicom/SC_rgb_dcmtk_+eb+cy+np.dcm"},
	{file: "dicom-pydicom/JPGExtended.dcm"},
	{file: "seg-pydicom-data/liver_deflate.dcm"},
	{file: "dicom-pydicom/MR_small_jpeg_ls_lossless.dcm", cgo: true},
	{file: "dicom-pydicom/MR_small_jp2klossless.dcm", cgo: true},
	{file: "seg-pydicom-data/liver_j2k.dcm", cgo: true},
}

// Truncated frames must fail with ErrCorrupt, never decode to something.
func TestDecodeTruncated(t *testing.T) {
	for _, c := range damageCases {
		if c.cgo && !cgoBuild {
			continue
		}
		ts, frame, info := realFrame(t, c.file, 0)
		for _, n := range []int{0, 1, 2, 10, len(frame) / 3, len(frame) / 2, len(frame) * 9 / 10} {
			_, err := Decode(ts, frame[:n], info)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s cut to %d of %d bytes: got %v, want ErrCorrupt", c.file, n, len(frame), err)
			}
		}
	}
}

// A stream whose size or sample count disagrees with FrameInfo is
// ErrMismatch, found before decoding.
func TestDecodeMismatch(t *testing.T) {
	for _, c := range damageCases {
		if c.cgo && !cgoBuild {
			continue
		}
		ts, frame, info := realFrame(t, c.file, 0)
		for name, mod := range map[string]func(*FrameInfo){
			"one row more":    func(f *FrameInfo) { f.Rows++ },
			"one column less": func(f *FrameInfo) { f.Columns-- },
		} {
			bad := info
			mod(&bad)
			_, err := Decode(ts, frame, bad)
			if ts == RLELossless || ts == DeflatedImageFrame {
				// These streams carry no size: a wrong size shows as a
				// segment or inflated length that does not fit. RLE, like
				// pydicom, tolerates segments that decode longer than the
				// frame (encoders pad rows), so only a frame larger than
				// the data is caught there.
				if err == nil && !(ts == RLELossless && bad.Rows*bad.Columns < info.Rows*info.Columns) {
					t.Errorf("%s with %s: decoded", c.file, name)
				}
				continue
			}
			if !errors.Is(err, ErrMismatch) {
				t.Errorf("%s with %s: got %v, want ErrMismatch", c.file, name, err)
			}
		}
	}
	// Wrong sample count.
	ts, frame, info := realFrame(t, "dicom-pydicom/SC_rgb_rle.dcm", 0)
	info.SamplesPerPixel = 1
	if _, err := Decode(ts, frame, info); !errors.Is(err, ErrMismatch) {
		t.Errorf("RGB RLE as greyscale: %v, want ErrMismatch", err)
	}
	ts, frame, info = realFrame(t, "dicom-pydicom/JPEG-LL.dcm", 0)
	info.BitsAllocated, info.BitsStored, info.PixelRepresentation = 8, 8, 0
	if _, err := Decode(ts, frame, info); !errors.Is(err, ErrMismatch) {
		t.Errorf("16-bit lossless JPEG into 8 bits: %v, want ErrMismatch", err)
	}
}

// A header that claims a huge image must not make Decode allocate for it:
// the claim is compared with FrameInfo first.
func TestDecodeHugeHeaderDoesNotAllocate(t *testing.T) {
	type tc struct {
		name  string
		uid   string
		frame []byte
		cgo   bool
	}
	var cases []tc
	_, ll, _ := realFrame(t, "dicom-pydicom/JPEG-LL.dcm", 0)
	cases = append(cases, tc{"lossless JPEG SOF3", JPEGLosslessSV1, patchJPEGSize(t, ll), false})
	_, bl, _ := realFrame(t, "dicom-pydicom/SC_rgb_dcmtk_+eb+cy+np.dcm", 0)
	cases = append(cases, tc{"baseline JPEG SOF0", JPEGBaseline8Bit, patchJPEGSize(t, bl), false})
	_, ex, _ := realFrame(t, "dicom-pydicom/JPGExtended.dcm", 0)
	cases = append(cases, tc{"12-bit JPEG SOF1", JPEGExtended12Bit, patchJPEGSize(t, ex), false})
	if cgoBuild {
		_, jl, _ := realFrame(t, "dicom-pydicom/MR_small_jpeg_ls_lossless.dcm", 0)
		cases = append(cases, tc{"JPEG-LS SOF55", JPEGLSLossless, patchJPEGSize(t, jl), true})
		_, j2, _ := realFrame(t, "dicom-pydicom/MR_small_jp2klossless.dcm", 0)
		big := append([]byte(nil), j2...)
		// SIZ: FF51 Lsiz Rsiz Xsiz Ysiz ...: Xsiz at 8, Ysiz at 12 from SOC.
		binary.BigEndian.PutUint32(big[8:], 60000)
		binary.BigEndian.PutUint32(big[12:], 60000)
		cases = append(cases, tc{"JPEG 2000 SIZ", JPEG2000Lossless, big, true})
	}
	// Deflate bomb: 64 MiB of zeros squeezed into a few KiB.
	var bomb bytes.Buffer
	w, _ := flate.NewWriter(&bomb, flate.BestCompression)
	w.Write(make([]byte, 64<<20))
	w.Close()
	cases = append(cases, tc{"deflate bomb", DeflatedImageFrame, bomb.Bytes(), false})

	for _, c := range cases {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Decode(c.uid, c.frame, mr16)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: decoded", c.name)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
			t.Errorf("%s: allocated %d bytes for a 64×64 frame (%v)", c.name, got, err)
		}
		t.Logf("%s: %v", c.name, err)
	}
}

// patchJPEGSize sets the frame header of a JPEG stream to 60000×60000.
func patchJPEGSize(t *testing.T, frame []byte) []byte {
	t.Helper()
	out := append([]byte(nil), frame...)
	r := segmentReader{data: out, pos: 2}
	for {
		start := r.pos
		m, _, err := r.next()
		if err != nil {
			t.Fatal(err)
		}
		if isSOF(m) {
			// FFxx Lf(2) P(1) Y(2) X(2)
			binary.BigEndian.PutUint16(out[start+5:], 60000)
			binary.BigEndian.PutUint16(out[start+7:], 60000)
			return out
		}
	}
}

func TestRLEHeaderErrors(t *testing.T) {
	info := FrameInfo{Rows: 2, Columns: 2, SamplesPerPixel: 1, BitsAllocated: 8, BitsStored: 8, Photometric: "MONOCHROME2"}
	hdr := func(n uint32, offs ...uint32) []byte {
		b := make([]byte, 64)
		binary.LittleEndian.PutUint32(b, n)
		for i, o := range offs {
			binary.LittleEndian.PutUint32(b[4+4*i:], o)
		}
		return b
	}
	good := append(hdr(1, 64), 3, 1, 2, 3, 4) // literal run of 4 bytes
	d, err := Decode(RLELossless, good, info)
	if err != nil || !bytes.Equal(d.Data, []byte{1, 2, 3, 4}) {
		t.Fatalf("literal run: %v %v", d.Data, err)
	}
	rep := append(hdr(1, 64), 0xFD, 9) // repeat 9 four times
	if d, err := Decode(RLELossless, rep, info); err != nil || !bytes.Equal(d.Data, []byte{9, 9, 9, 9}) {
		t.Fatalf("replicate run: %v %v", d.Data, err)
	}
	noop := append(hdr(1, 64), 0x80, 0xFE, 7, 0x80, 0) // -128 is a no-op; then 3×7 then literal 1 byte... cut
	if _, err := Decode(RLELossless, noop, info); !errors.Is(err, ErrCorrupt) {
		t.Errorf("no-op then short: %v", err)
	}
	for name, frame := range map[string][]byte{
		"short header":      make([]byte, 10),
		"zero segments":     append(hdr(0), 0),
		"16 segments":       append(hdr(16, 64), 0),
		"offset in header":  append(hdr(1, 12), 0, 0, 0, 0),
		"offset past end":   append(hdr(1, 900), 0),
		"literal past end":  append(hdr(1, 64), 10, 1, 2),
		"replicate no byte": append(hdr(1, 64), 0xFD),
		"segment too short": append(hdr(1, 64), 1, 5, 5),
	} {
		_, err := Decode(RLELossless, frame, info)
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
	// Two segments for an 8-bit greyscale frame is a mismatch with FrameInfo.
	if _, err := Decode(RLELossless, append(hdr(2, 64, 66), 0xFD, 1, 0xFD, 2), info); !errors.Is(err, ErrMismatch) {
		t.Errorf("2 segments for 8-bit grey: %v", err)
	}
}

func TestDeflateLengths(t *testing.T) {
	info := FrameInfo{Rows: 3, Columns: 5, SamplesPerPixel: 1, BitsAllocated: 16, BitsStored: 12, Photometric: "MONOCHROME2"}
	deflate := func(b []byte) []byte {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, 5)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	raw := make([]byte, 30)
	for i := range raw {
		raw[i] = byte(i * 37)
	}
	d, err := Decode(DeflatedImageFrame, deflate(raw), info)
	if err != nil {
		t.Fatal(err)
	}
	want := canonicalSamples(raw, info) // the high 4 bits are cleared
	if !bytes.Equal(d.Data, want) {
		t.Errorf("got %v, want %v", d.Data, want)
	}
	if _, err := Decode(DeflatedImageFrame, deflate(append(raw, 0)), info); err != nil {
		t.Errorf("one pad byte: %v", err)
	}
	for name, frame := range map[string][]byte{
		"short":     deflate(raw[:29]),
		"long":      deflate(append(raw, 0, 0)),
		"truncated": deflate(raw)[:10],
		"garbage":   {0xFF, 0xFF, 0xFF, 0xFF},
	} {
		if _, err := Decode(DeflatedImageFrame, frame, info); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
}

func TestCanonicalize(t *testing.T) {
	// 12 bits stored in 16: 0xF800 unsigned keeps 0x800; signed makes -2048.
	b := []byte{0x00, 0xF8, 0xFF, 0x07}
	canonicalize(b, FrameInfo{BitsAllocated: 16, BitsStored: 12})
	if !bytes.Equal(b, []byte{0x00, 0x08, 0xFF, 0x07}) {
		t.Errorf("unsigned: % x", b)
	}
	b = []byte{0x00, 0x08, 0xFF, 0x07}
	canonicalize(b, FrameInfo{BitsAllocated: 16, BitsStored: 12, PixelRepresentation: 1})
	if !bytes.Equal(b, []byte{0x00, 0xF8, 0xFF, 0x07}) {
		t.Errorf("signed: % x", b)
	}
	b = []byte{0x10, 0x0F}
	canonicalize(b, FrameInfo{BitsAllocated: 8, BitsStored: 4, PixelRepresentation: 1})
	if !bytes.Equal(b, []byte{0x00, 0xFF}) {
		t.Errorf("signed 4 of 8: % x", b)
	}
	b = []byte{0xFF, 0xFF, 0x0F, 0x00}
	canonicalize(b, FrameInfo{BitsAllocated: 32, BitsStored: 20, PixelRepresentation: 1})
	if !bytes.Equal(b, []byte{0xFF, 0xFF, 0xFF, 0xFF}) {
		t.Errorf("signed 20 of 32: % x", b)
	}
}

// Decode keeps no state: many goroutines decoding different syntaxes at
// once must each get what a lone call gets (run with -race).
func TestDecodeConcurrent(t *testing.T) {
	type job struct {
		ts    string
		frame []byte
		info  FrameInfo
		want  []byte
	}
	var jobs []job
	for _, c := range damageCases {
		if c.cgo && !cgoBuild {
			continue
		}
		ts, frame, info := realFrame(t, c.file, 0)
		d, err := Decode(ts, frame, info)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		jobs = append(jobs, job{ts, frame, info, d.Data})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(jobs))
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range len(jobs) {
				j := jobs[(g+i)%len(jobs)]
				d, err := Decode(j.ts, j.frame, j.info)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(d.Data, j.want) {
					errs <- errors.New(Name(j.ts) + ": concurrent decode differs")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The JPEG syntaxes dispatch on the stream's own frame header: a lossless
// stream under the baseline UID (a common labelling fault) still decodes,
// and an 8-bit DCT stream fills 16-bit samples when the dataset asks.
func TestJPEGDispatchAndWidening(t *testing.T) {
	c := llCases()[0]
	planes := testImage(c.rows, c.cols, c.nf, c.p.precision, 0)
	ll := encodeLossless(planes, c.rows, c.cols, c.p)
	for _, uid := range []string{JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLossless, JPEGLosslessSV1} {
		d, err := Decode(uid, ll, c.info())
		if err != nil || !bytes.Equal(d.Data, c.want(planes)) {
			t.Errorf("lossless stream under %s: %v", Name(uid), err)
		}
	}

	img := image.NewGray(image.Rect(0, 0, 13, 7))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 29)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	ref, err := jpeg.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	info := FrameInfo{Rows: 7, Columns: 13, SamplesPerPixel: 1, BitsAllocated: 8, BitsStored: 8, Photometric: "MONOCHROME2"}
	g := ref.(*image.Gray)
	var want []byte
	for y := range 7 {
		want = append(want, g.Pix[y*g.Stride:y*g.Stride+13]...)
	}
	d8, err := Decode(JPEGBaseline8Bit, buf.Bytes(), info)
	if err != nil || !bytes.Equal(d8.Data, want) {
		t.Fatalf("8-bit greyscale: %v", err)
	}
	info.BitsAllocated = 16
	d16, err := Decode(JPEGBaseline8Bit, buf.Bytes(), info)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range d8.Data {
		if d16.Data[2*i] != v || d16.Data[2*i+1] != 0 {
			t.Fatalf("16-bit sample %d: % x, want %02x 00", i, d16.Data[2*i:2*i+2], v)
		}
	}
	info.SamplesPerPixel = 3
	if _, err := Decode(JPEGBaseline8Bit, buf.Bytes(), info); !errors.Is(err, ErrMismatch) {
		t.Errorf("greyscale JPEG as colour: %v", err)
	}
}
