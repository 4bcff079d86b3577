package codec

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// Round trips through encoders we did not write: dcmtk (dcmcjpeg, dcmcrle,
// dcmcjpls) and GDCM (gdcmconv) compress a native file; Decode must give
// back the native pixels exactly, or, for lossy settings, exactly what the
// same toolkit's own decoder gives. This covers what the shared corpus does
// not: JPEG lossless predictors 2..7, point transforms, colour lossless
// JPEG, 16-bit colour RLE, 32-bit RLE, non-interleaved JPEG-LS, frames split
// over several fragments.

// tool finds an executable, skipping (failing in CI) when it is missing.
func tool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if shareddata.InCI() {
			tb.Fatalf("%s not found: %v", name, err)
		}
		tb.Skipf("%s not found (skipping outside CI)", name)
	}
	return p
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// synthScript writes small native images that the corpus lacks, with pydicom.
const synthScript = `
import sys
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

def save(path, arr, ba, bs, pr, phot, frames=1):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "OT"
    ds.PatientName = "Synthetic"
    ds.PatientID = "synthetic"
    spp = 3 if phot == "RGB" else 1
    ds.SamplesPerPixel = spp
    if spp == 3:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = phot
    ds.Rows, ds.Columns = arr.shape[-3:-1] if spp == 3 else arr.shape[-2:]
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = ba, bs, bs - 1, pr
    ds.PixelData = arr.tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(path, write_like_original=False)

rng = np.random.default_rng(7)
out = sys.argv[1]
y, x = np.mgrid[0:23, 0:37]
# Smooth structure plus noise, so every predictor sees real gradients.
rgb16 = np.stack([(x * 1500 + y * 700) % 65536, (x * y * 37) % 65536, 65535 - (y * 2800) % 65536], -1)
rgb16 = (rgb16 + rng.integers(0, 64, rgb16.shape)).clip(0, 65535).astype("<u2")
save(out + "/rgb16.dcm", rgb16, 16, 16, 0, "RGB")
g12 = ((x * 97 - y * 131) % 4096 - 2048 + rng.integers(-5, 5, x.shape)).clip(-2048, 2047).astype("<i2")
save(out + "/grey12s.dcm", g12, 16, 12, 1, "MONOCHROME2")
g8 = ((x * 7 + y * 5) % 256 ^ rng.integers(0, 4, x.shape)).astype("u1")
save(out + "/grey8.dcm", g8, 8, 8, 0, "MONOCHROME2")
f32 = (np.arange(3 * 23 * 37).reshape(3, 23, 37) * 2654435761 % 4294967296).astype("<u4")
save(out + "/grey32x3.dcm", f32, 32, 32, 0, "MONOCHROME2", frames=3)
`

type roundTrip struct {
	name  string
	src   string   // corpus file, or "synth:NAME" for a file synthScript writes
	tool  string   // encoder
	args  []string // options before the input and output file
	lossy bool     // compare with the toolkit's own decode instead of the source
	// fragments: frames are split over several fragments (checked).
	fragments bool
	photo     string // expected Decoded.Photometric ("" = the encoded file's)
	cgo       bool   // needs the cgo codecs
	tol       int    // allowed |difference| (DCT JPEG: image/jpeg's IDCT is not IJG's)
}

var roundTrips = []roundTrip{
	{name: "jpegll-sv1-ct", src: "ct-lidc/LIDC-IDRI-0001/000038.dcm", tool: "dcmcjpeg", args: []string{"+e1"}},
	{name: "jpegll-sv2-ct", src: "ct-lidc/LIDC-IDRI-0001/000038.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "2"}},
	{name: "jpegll-sv3-ct", src: "ct-lidc/LIDC-IDRI-0001/000038.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "3"}},
	{name: "jpegll-sv4-ct", src: "ct-lidc/LIDC-IDRI-0001/000038.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "4"}},
	{name: "jpegll-sv5-ct", src: "ct-lidc/LIDC-IDRI-0001/000038.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "5"}},
	{name: "jpegll-sv6-ct", src: "ct-lidc/LIDC-IDRI-0001/000038.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "6"}},
	{name: "jpegll-sv7-ct", src: "ct-lidc/LIDC-IDRI-0001/000038.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "7"}},
	{name: "jpegll-sv4-pt3-ct", src: "ct-lidc/LIDC-IDRI-0001/000038.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "4", "+pt", "3"}, lossy: true},
	{name: "jpegll-sv7-12bit-mosaic", src: "dicom-dcm_qa_ts/In/1.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "7"}},
	{name: "jpegll-sv5-12bit-signed", src: "synth:grey12s.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "5"}},
	{name: "jpegll-sv6-8bit", src: "synth:grey8.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "6"}},
	{name: "jpegll-sv6-pt2-8bit", src: "synth:grey8.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "6", "+pt", "2"}, lossy: true},
	{name: "jpegll-sv4-rgb8", src: "dicom-pydicom/SC_rgb.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "4"}},
	{name: "jpegll-sv1-rgb16", src: "synth:rgb16.dcm", tool: "dcmcjpeg", args: []string{"+e1"}},
	{name: "jpegll-gdcm-rgb8", src: "dicom-pydicom/SC_rgb.dcm", tool: "gdcmconv", args: []string{"-J"}},
	{name: "jpegll-gdcm-signed-ct", src: "dicom-pydicom/CT_small.dcm", tool: "gdcmconv", args: []string{"-J"}},
	{name: "jpegll-fragmented-multiframe", src: "dicom-pydicom/emri_small.dcm", tool: "dcmcjpeg", args: []string{"+el", "+sv", "3", "+fs", "1"}, fragments: true},
	{name: "jpeg-baseline-grey8", src: "synth:grey8.dcm", tool: "dcmcjpeg", args: []string{"+eb"}, lossy: true, tol: 1},
	{name: "jpeg-progressive-8bit-retired", src: "synth:grey8.dcm", tool: "dcmcjpeg", args: []string{"+ep"}, lossy: true, tol: 1},
	{name: "jpeg-spectral-rgb8-retired", src: "dicom-pydicom/SC_rgb.dcm", tool: "dcmcjpeg", args: []string{"+es"}, lossy: true, tol: 2},
	{name: "jpeg-extended-12bit-mosaic", src: "dicom-dcm_qa_ts/In/1.dcm", tool: "dcmcjpeg", args: []string{"+ee"}, lossy: true, tol: 1},
	{name: "jpeg-extended-12bit-signed", src: "synth:grey12s.dcm", tool: "dcmcjpeg", args: []string{"+ee", "+q", "75"}, lossy: true, tol: 1},
	{name: "jpeg-extended-12bit-multiframe", src: "dicom-pydicom/emri_small.dcm", tool: "dcmcjpeg", args: []string{"+ee", "+q", "95"}, lossy: true, tol: 1},

	{name: "rle-rgb16", src: "synth:rgb16.dcm", tool: "dcmcrle"},
	{name: "rle-32bit-multiframe", src: "synth:grey32x3.dcm", tool: "dcmcrle"},
	{name: "rle-ct-fragmented", src: "ct-lidc/LIDC-IDRI-0001/000038.dcm", tool: "dcmcrle", args: []string{"+fs", "8"}, fragments: true},
	{name: "rle-gdcm-rgb8", src: "dicom-pydicom/SC_rgb.dcm", tool: "gdcmconv", args: []string{"-R"}},
	{name: "rle-8bit", src: "synth:grey8.dcm", tool: "dcmcrle"},

	{name: "jls-rgb8-none", src: "dicom-pydicom/SC_rgb.dcm", tool: "dcmcjpls", args: []string{"+in"}, cgo: true},
	{name: "jls-rgb8-sample", src: "dicom-pydicom/SC_rgb.dcm", tool: "dcmcjpls", args: []string{"+is"}, cgo: true},
	{name: "jls-rgb16-line", src: "synth:rgb16.dcm", tool: "dcmcjpls", args: []string{"+il"}, cgo: true},
	{name: "jls-near-12bit", src: "dicom-dcm_qa_ts/In/1.dcm", tool: "dcmcjpls", args: []string{"+en", "+md", "3"}, lossy: true, cgo: true},
	{name: "jls-near-8bit", src: "synth:grey8.dcm", tool: "dcmcjpls", args: []string{"+en", "+md", "2"}, lossy: true, cgo: true},
	{name: "jls-12bit-signed", src: "synth:grey12s.dcm", tool: "dcmcjpls", cgo: true},

	{name: "j2k-rgb8-mct", src: "dicom-pydicom/SC_rgb.dcm", tool: "gdcmconv", args: []string{"-K"}, cgo: true},
	{name: "j2k-rgb16", src: "synth:rgb16.dcm", tool: "gdcmconv", args: []string{"-K"}, cgo: true},
	{name: "j2k-ct-signed", src: "ct-lidc/LIDC-IDRI-0001/000038.dcm", tool: "gdcmconv", args: []string{"-K"}, cgo: true},
	{name: "j2k-ct-irreversible", src: "ct-lidc/LIDC-IDRI-0001/000038.dcm", tool: "gdcmconv", args: []string{"-K", "--irreversible", "-q", "30"}, lossy: true, cgo: true},
	{name: "j2k-12bit-signed", src: "synth:grey12s.dcm", tool: "gdcmconv", args: []string{"-K"}, cgo: true},
	{name: "j2k-8bit", src: "synth:grey8.dcm", tool: "gdcmconv", args: []string{"-K"}, cgo: true},
}

func TestRoundTripWithOtherEncoders(t *testing.T) {
	dir := t.TempDir()
	synth := filepath.Join(dir, "synth")
	if err := os.Mkdir(synth, 0o755); err != nil {
		t.Fatal(err)
	}
	sf := filepath.Join(dir, "synth.py")
	if err := os.WriteFile(sf, []byte(synthScript), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(python(t), "-W", "ignore", sf, synth).CombinedOutput(); err != nil {
		t.Fatalf("making synthetic images: %v\n%s", err, out)
	}
	for _, rt := range roundTrips {
		t.Run(rt.name, func(t *testing.T) {
			src := strings.TrimPrefix(rt.src, "synth:")
			if src != rt.src {
				src = filepath.Join(synth, src)
			} else {
				src = shareddata.Path(t, rt.src)
			}
			work := t.TempDir()
			enc := filepath.Join(work, "enc.dcm")
			run(t, rt.tool, append(append([]string{}, rt.args...), src, enc)...)
			ef, err := readTestFile(enc)
			if err != nil {
				t.Fatal(err)
			}
			if ef.frames == nil {
				t.Fatalf("%s wrote native pixel data (transfer syntax %s)", rt.tool, ef.ts)
			}
			if rt.fragments {
				if frags := countFragments(t, enc); frags <= len(ef.frames) {
					t.Fatalf("wanted frames split over several fragments, got %d fragments for %d frames", frags, len(ef.frames))
				}
			}
			// The reference: the source's native pixels, or for lossy
			// settings the toolkit's own decode of what it wrote.
			refFile := src
			if rt.lossy {
				refFile = filepath.Join(work, "dec.dcm")
				switch rt.tool {
				case "gdcmconv":
					run(t, "gdcmconv", "--raw", enc, refFile)
				case "dcmcjpls":
					run(t, "dcmdjpls", enc, refFile)
				default:
					run(t, "dcmdjpeg", enc, refFile)
				}
			}
			rf, err := readTestFile(refFile)
			if err != nil {
				t.Fatal(err)
			}
			if rf.native == nil {
				t.Fatalf("reference %s is not native", refFile)
			}
			info := ef.info
			var got []byte
			var phot string
			for k, fr := range ef.frames {
				d, err := Decode(ef.ts, fr, info)
				if rt.cgo && !cgoBuild {
					if !errors.Is(err, ErrUnsupported) {
						t.Fatalf("frame %d: %v, want ErrUnsupported without cgo", k, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("frame %d of %s: %v", k, Name(ef.ts), err)
				}
				got = append(got, d.Data...)
				phot = d.Photometric
			}
			if want := rt.photo; want != "" && phot != want {
				t.Errorf("Photometric %q, want %q", phot, want)
			}
			if info.SamplesPerPixel == 3 && phot != "RGB" {
				t.Errorf("colour frame came back %q, want RGB", phot)
			}
			want := canonicalSamples(rf.native[:min(len(rf.native), len(got))], info)
			gv, wv := sampleValues(got, info), sampleValues(want, info)
			if len(gv) != len(wv) {
				t.Fatalf("decoded %d bytes, reference %d", len(got), len(want))
			}
			n, first, maxDiff := 0, -1, 0
			for i := range gv {
				d := abs(gv[i] - wv[i])
				maxDiff = max(maxDiff, d)
				if d > rt.tol {
					n++
					if first < 0 {
						first = i
					}
				}
			}
			if first >= 0 {
				t.Fatalf("%s (%s): %d of %d samples differ from the reference by more than %d; first at %d: got %d, want %d",
					Name(ef.ts), rt.tool, n, len(gv), rt.tol, first, gv[first], wv[first])
			}
			t.Logf("%s, %d frame(s) %dx%dx%d %d/%d bits: max |diff| %d", Name(ef.ts), len(ef.frames), info.Rows, info.Columns, info.SamplesPerPixel, info.BitsAllocated, info.BitsStored, maxDiff)
		})
	}
}

func countFragments(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := &dsParser{b: b, pos: 132, explicit: true}
	for p.pos < len(b) {
		tag, _, _, err := p.element()
		if err != nil {
			t.Fatal(err)
		}
		if tag == 0x7FE00010 {
			return len(p.fragments) - 1
		}
	}
	t.Fatal("no pixel data")
	return 0
}
