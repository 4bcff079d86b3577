package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// High-Throughput JPEG 2000: the corpus has no HTJ2K file, so OpenJPH (a
// separate implementation, Debian package openjph-tools) encodes native
// pixels, OpenJPEG decodes them through Decode, and the result must equal
// the input (reversible) or OpenJPH's own decode within one level
// (irreversible: both use floating-point 9/7 wavelets).
//
// Signed input is left out on purpose: Debian's OpenJPH 0.9.0 encodes signed
// samples into a codestream that both OpenJPEG 2.5.0 and Grok 10 decode to
// clipped values while only OpenJPH's own decoder reads it back, so the
// fault is in that encoder, not in what we test. Signed JPEG 2000 Part 1 is
// covered by the corpus and the GDCM round trips.

func TestHTJ2KFromOpenJPH(t *testing.T) {
	mosaic, err := readTestFile(shareddata.Path(t, "dicom-dcm_qa_ts/In/1.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	rgb, err := readTestFile(shareddata.Path(t, "dicom-pydicom/SC_rgb.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		f     *testFile
		info  FrameInfo
		uid   string
		args  []string
		phot  string
		lossy bool
	}{
		{name: "12bit-reversible", f: mosaic, info: mosaic.info, uid: HTJ2KLossless, args: []string{"-reversible", "true"}, phot: "MONOCHROME2"},
		{name: "12bit-reversible-lrcp", f: mosaic, info: mosaic.info, uid: HTJ2KLosslessRPCL, args: []string{"-reversible", "true", "-prog_order", "LRCP", "-tile_size", "{128,128}"}, phot: "MONOCHROME2"},
		{name: "rgb-reversible-rct", f: rgb, info: withPhot(rgb.info, "YBR_RCT"), uid: HTJ2KLossless, args: []string{"-reversible", "true"}, phot: "RGB"},
		{name: "12bit-irreversible", f: mosaic, info: mosaic.info, uid: HTJ2K, args: []string{"-reversible", "false", "-qstep", "0.002"}, phot: "MONOCHROME2", lossy: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			in, err := writeNetpbm(dir, c.f.native, c.info)
			if err != nil {
				t.Fatal(err)
			}
			cs := filepath.Join(dir, "out.j2c")
			run(t, "ojph_compress", append([]string{"-i", in, "-o", cs}, c.args...)...)
			frame, err := os.ReadFile(cs)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decode(c.uid, frame, c.info)
			if !cgoBuild {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("got %v, want ErrUnsupported without cgo", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Photometric != c.phot {
				t.Errorf("Photometric %q, want %q", d.Photometric, c.phot)
			}
			want := canonicalSamples(c.f.native, c.info)
			tol := 0
			if c.lossy {
				// OpenJPH's decoder writes PGM (big-endian 16-bit).
				out := filepath.Join(dir, "ojph.pgm")
				run(t, "ojph_expand", "-i", cs, "-o", out)
				want, err = readPGM16(out, len(want))
				if err != nil {
					t.Fatal(err)
				}
				tol = 1
			}
			gv, wv := sampleValues(d.Data, c.info), sampleValues(want, c.info)
			if len(gv) != len(wv) {
				t.Fatalf("decoded %d samples, want %d", len(gv), len(wv))
			}
			maxDiff := 0
			for i := range gv {
				maxDiff = max(maxDiff, abs(gv[i]-wv[i]))
			}
			t.Logf("%s: %d bytes of codestream, max |diff| %d", Name(c.uid), len(frame), maxDiff)
			if maxDiff > tol {
				t.Errorf("max |diff| %d, allowed %d", maxDiff, tol)
			}
		})
	}
}

func withPhot(info FrameInfo, p string) FrameInfo { info.Photometric = p; return info }

// writeNetpbm writes unsigned native samples as PGM/PPM (maxval
// 2^BitsStored-1, 16-bit samples big-endian).
func writeNetpbm(dir string, native []byte, info FrameInfo) (string, error) {
	n := info.Rows * info.Columns * info.SamplesPerPixel
	magic, ext := "P5", "pgm"
	if info.SamplesPerPixel == 3 {
		magic, ext = "P6", "ppm"
	}
	b := fmt.Appendf(nil, "%s\n%d %d\n%d\n", magic, info.Columns, info.Rows, 1<<info.BitsStored-1)
	if info.BitsAllocated == 8 {
		b = append(b, native[:n]...)
	} else {
		for i := 0; i < n; i++ {
			b = binary.BigEndian.AppendUint16(b, binary.LittleEndian.Uint16(native[2*i:]))
		}
	}
	p := filepath.Join(dir, "in."+ext)
	return p, os.WriteFile(p, b, 0o644)
}

// readPGM16 reads a 16-bit PGM and returns its samples little-endian.
func readPGM16(path string, size int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < size {
		return nil, fmt.Errorf("%s: %d bytes", path, len(b))
	}
	px := b[len(b)-size:] // the header is text before the samples
	out := make([]byte, size)
	for i := 0; i+1 < size; i += 2 {
		out[i], out[i+1] = px[i+1], px[i]
	}
	return out, nil
}
