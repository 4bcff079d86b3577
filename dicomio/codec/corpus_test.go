package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

type outcome int

const (
	exact       outcome = iota // every sample equals the reference
	within                     // every sample within tol of the reference
	unsupported                // Decode wraps ErrUnsupported
)

// corpusCase is one file of ../shared/data and what decoding it must give.
type corpusCase struct {
	file string // relative to the corpus; a trailing "/*" means every file of the folder
	ref  string // uncompressed (or differently encoded) file with the same pixels; "" = pydicom's decode of file
	ybr  bool   // the reference decodes to YBR_FULL: pydicom converts it to RGB
	want outcome
	tol  int
	cgo  bool   // needs the cgo codecs
	phot string // expected Decoded.Photometric, "" = the dataset's
	min  int    // when min < max: the decoded sample range must be exactly min..max (manifest facts)
	max  int
	// sums: foreground pixels per frame (1-bit frames), from the manifest.
	sums []int
}

var corpus = []corpusCase{
	// One Siemens mosaic in every transfer syntax; all equal the explicit LE file.
	{file: "dicom-dcm_qa_ts/In/4.dcm", ref: "dicom-dcm_qa_ts/In/1.dcm", min: 0, max: 2362},
	{file: "dicom-dcm_qa_ts/In/5.dcm", ref: "dicom-dcm_qa_ts/In/1.dcm", min: 0, max: 2362},
	{file: "dicom-dcm_qa_ts/In/6.dcm", ref: "dicom-dcm_qa_ts/In/1.dcm", min: 0, max: 2362},
	{file: "dicom-dcm_qa_ts/In/7.dcm", ref: "dicom-dcm_qa_ts/In/1.dcm", cgo: true, min: 0, max: 2362},
	{file: "dicom-dcm_qa_ts/In/8.dcm", ref: "dicom-dcm_qa_ts/In/1.dcm", cgo: true, min: 0, max: 2362},
	{file: "dicom-dcm_qa_ts/In/9.dcm", ref: "dicom-dcm_qa_ts/In/1.dcm", cgo: true, min: 0, max: 2362},

	{file: "dicom-pydicom/MR_small_RLE.dcm", ref: "dicom-pydicom/MR_small.dcm", min: 127, max: 2145},
	{file: "dicom-pydicom/MR_small_jp2klossless.dcm", ref: "dicom-pydicom/MR_small.dcm", cgo: true},
	{file: "dicom-pydicom/MR_small_jpeg_ls_lossless.dcm", ref: "dicom-pydicom/MR_small.dcm", cgo: true},
	{file: "dicom-pydicom/emri_small_RLE.dcm", ref: "dicom-pydicom/emri_small.dcm"},
	{file: "dicom-pydicom/emri_small_jpeg_2k_lossless.dcm", ref: "dicom-pydicom/emri_small.dcm", cgo: true},
	{file: "dicom-pydicom/emri_small_jpeg_ls_lossless.dcm", ref: "dicom-pydicom/emri_small.dcm", cgo: true},
	{file: "dicom-pydicom/SC_rgb_rle.dcm", ref: "dicom-pydicom/SC_rgb.dcm"},
	{file: "dicom-pydicom/JPEG-LL.dcm"},
	{file: "dicom-pydicom/JPGLosslessP14SV1_1s_1f_8b.dcm"},
	{file: "dicom-dicom2nifti/generic/compressed_jpeg/001/*"},

	// JPEG baseline colour. The dcmtk-decoded reference is the one the brief
	// names; image/jpeg's inverse DCT is not IJG's, so a difference of a
	// few levels remains (see TestJPEGBaselineAgainstDcmtk for the figures).
	{file: "dicom-pydicom/SC_rgb_dcmtk_+eb+cy+np.dcm", ref: "dicom-pydicom/SC_rgb_dcmtk_ebcynp_dcmd.dcm", want: within, tol: 1, phot: "RGB"},
	{file: "dicom-pydicom/SC_rgb_jpeg_dcmtk.dcm", ybr: true, want: within, tol: 1, phot: "RGB"},
	{file: "dicom-pydicom/examples_ybr_color.dcm", ybr: true, want: within, tol: 2, phot: "RGB"},
	{file: "dicom-pydicom/JPGExtended.dcm", want: within, tol: 1, min: 0, max: 264},

	// JPEG-LS near-lossless: CharLS here and in GDCM decode the same stream.
	{file: "dicom-pydicom/JPEGLSNearLossless_08.dcm", cgo: true},
	{file: "dicom-pydicom/JPEGLSNearLossless_16.dcm", cgo: true},

	// JPEG 2000: GDCM's decoder is OpenJPEG too, so even lossy streams agree exactly.
	{file: "dicom-pydicom/JPEG2000.dcm", cgo: true},
	{file: "dicom-pydicom/693_J2KI.dcm", cgo: true, min: -2971, max: 2836},
	{file: "dicom-pydicom/J2K_pixelrep_mismatch.dcm", cgo: true, min: -2000, max: 1896},
	{file: "dicom-pydicom/RG3_J2KI.dcm", cgo: true, phot: "MONOCHROME1"},
	{file: "dicom-dicom2nifti/generic/rgb/001/*", cgo: true, phot: "RGB"},
	{file: "ct-totalsegmentator/example_ct_dicom/*", cgo: true},

	// 1-bit SEG frames; pydicom decodes the uncompressed masters.
	{file: "seg-pydicom-data/liver_rle.dcm", ref: "seg-dcmqi/liver.dcm", sums: []int{36233, 35645, 35220}},
	{file: "seg-pydicom-data/liver_deflate.dcm", ref: "seg-dcmqi/liver.dcm", sums: []int{36233, 35645, 35220}},
	{file: "seg-pydicom-data/liver_j2k.dcm", ref: "seg-dcmqi/liver.dcm", cgo: true, sums: []int{36233, 35645, 35220}},
	{file: "seg-pydicom-data/liver_nonbyte_aligned_rle.dcm", ref: "seg-pydicom-data/liver_nonbyte_aligned.dcm"},
	{file: "seg-pydicom-data/liver_nonbyte_aligned_deflate.dcm", ref: "seg-pydicom-data/liver_nonbyte_aligned.dcm"},
	{file: "seg-pydicom-data/liver_nonbyte_aligned_j2k.dcm", ref: "seg-pydicom-data/liver_nonbyte_aligned.dcm", cgo: true},
}

// expandCorpus resolves folder entries into one case per file.
func expandCorpus(t *testing.T) []corpusCase {
	var out []corpusCase
	for _, c := range corpus {
		if !strings.HasSuffix(c.file, "/*") {
			shareddata.Path(t, c.file)
			out = append(out, c)
			continue
		}
		dir := shareddata.Path(t, strings.TrimSuffix(c.file, "/*"))
		names, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil || len(names) == 0 {
			t.Fatalf("%s: no files (%v)", c.file, err)
		}
		sort.Strings(names)
		for _, n := range names {
			cc := c
			cc.file = strings.TrimSuffix(c.file, "*") + filepath.Base(n)
			out = append(out, cc)
		}
	}
	return out
}

func TestDecodeCorpus(t *testing.T) {
	cases := expandCorpus(t)
	jobs := make([]pyJob, len(cases))
	for i, c := range cases {
		jobs[i] = pyJob{Src: shareddata.Path(t, c.file), YBR: c.ybr}
		if c.ref != "" {
			jobs[i].Ref = shareddata.Path(t, c.ref)
		}
	}
	refs := runPydicom(t, jobs)
	for i, c := range cases {
		ref := refs[i]
		t.Run(c.file, func(t *testing.T) {
			if ref.meta.Error != "" {
				t.Fatalf("pydicom could not make the reference: %s", ref.meta.Error)
			}
			info := ref.info()
			if len(ref.frames) != ref.meta.NFrames {
				t.Fatalf("pydicom cut %d frames, NumberOfFrames is %d", len(ref.frames), ref.meta.NFrames)
			}
			// The test's own DICOM reader must cut the same frames (it feeds
			// the benchmarks and fuzz seeds).
			if tf, err := readTestFile(jobs[i].Src); err != nil {
				t.Errorf("test reader: %v", err)
			} else if len(tf.frames) != len(ref.frames) || tf.info != info || tf.ts != ref.meta.TS {
				t.Errorf("test reader: %d frames %+v %s; pydicom: %d frames %+v %s", len(tf.frames), tf.info, tf.ts, len(ref.frames), info, ref.meta.TS)
			} else {
				for k := range tf.frames {
					if !bytes.Equal(tf.frames[k], ref.frames[k]) {
						t.Errorf("test reader: frame %d differs from pydicom's", k)
					}
				}
			}

			needCgo := c.cgo && !cgoBuild
			if got := Supported(ref.meta.TS); got != !needCgo && c.want != unsupported {
				t.Errorf("Supported(%s) = %v", ref.meta.TS, got)
			}
			var got []byte
			var phot string
			for k, fr := range ref.frames {
				d, err := Decode(ref.meta.TS, fr, info)
				if c.want == unsupported || needCgo {
					if !errors.Is(err, ErrUnsupported) {
						t.Fatalf("frame %d: got error %v, want ErrUnsupported", k, err)
					}
					if !strings.Contains(err.Error(), ref.meta.TS) || !strings.Contains(err.Error(), Name(ref.meta.TS)) {
						t.Errorf("error %q does not name the transfer syntax", err)
					}
					t.Logf("as expected: %v", err)
					return
				}
				if err != nil {
					t.Fatalf("frame %d: %v", k, err)
				}
				got = append(got, d.Data...)
				phot = d.Photometric
			}
			wantPhot := c.phot
			if wantPhot == "" {
				wantPhot = info.Photometric
			}
			if phot != wantPhot {
				t.Errorf("Photometric = %q, want %q", phot, wantPhot)
			}
			want := canonicalSamples(ref.expected, info)
			if len(got) != len(want) {
				t.Fatalf("decoded %d bytes, reference has %d", len(got), len(want))
			}
			gv, wv := sampleValues(got, info), sampleValues(want, info)
			maxDiff, nDiff, first := 0, 0, -1
			for j := range gv {
				if d := abs(gv[j] - wv[j]); d > 0 {
					nDiff++
					if first < 0 {
						first = j
					}
					maxDiff = max(maxDiff, d)
				}
			}
			t.Logf("%d frame(s) %dx%dx%d, %d-bit: max |diff| %d over %d samples (%d differ)", len(ref.frames), info.Rows, info.Columns, info.SamplesPerPixel, info.BitsAllocated, maxDiff, len(gv), nDiff)
			switch {
			case c.want == exact && nDiff > 0:
				t.Errorf("%d samples differ from the reference; first at %d: got %d, want %d", nDiff, first, gv[first], wv[first])
			case c.want == within && maxDiff > c.tol:
				t.Errorf("max |diff| %d exceeds the tolerance %d", maxDiff, c.tol)
			}
			if c.min < c.max {
				lo, hi := gv[0], gv[0]
				for _, v := range gv {
					lo, hi = min(lo, v), max(hi, v)
				}
				if lo != c.min || hi != c.max {
					t.Errorf("decoded range %d..%d, manifest says %d..%d", lo, hi, c.min, c.max)
				}
			}
			if c.sums != nil {
				per := info.Rows * info.Columns
				for k := range c.sums {
					s := 0
					for _, v := range gv[k*per : (k+1)*per] {
						s += v
					}
					if s != c.sums[k] {
						t.Errorf("frame %d has %d foreground pixels, manifest says %d", k, s, c.sums[k])
					}
				}
			}
		})
	}
}

// sampleValues reads native little-endian samples as integers, signed when
// PixelRepresentation is 1.
func sampleValues(b []byte, info FrameInfo) []int {
	signed := info.PixelRepresentation == 1
	switch info.BitsAllocated {
	case 1, 8:
		v := make([]int, len(b))
		for i, x := range b {
			if signed {
				v[i] = int(int8(x))
			} else {
				v[i] = int(x)
			}
		}
		return v
	case 16:
		v := make([]int, len(b)/2)
		for i := range v {
			x := binary.LittleEndian.Uint16(b[2*i:])
			if signed {
				v[i] = int(int16(x))
			} else {
				v[i] = int(x)
			}
		}
		return v
	case 32:
		v := make([]int, len(b)/4)
		for i := range v {
			x := binary.LittleEndian.Uint32(b[4*i:])
			if signed {
				v[i] = int(int32(x))
			} else {
				v[i] = int(x)
			}
		}
		return v
	}
	panic("bad BitsAllocated")
}

// canonicalSamples applies the documented output rule to reference samples
// written by the BitsAllocated width: keep the low BitsStored bits, sign
// extended for PixelRepresentation 1. Arithmetic here, unlike the shifts in
// canonicalize, so the two implementations check each other.
func canonicalSamples(b []byte, info FrameInfo) []byte {
	if info.BitsAllocated == 1 || info.BitsStored == info.BitsAllocated {
		return b
	}
	out := append([]byte(nil), b...)
	mod := 1 << info.BitsStored
	width := info.BitsAllocated / 8
	for i := 0; i+width <= len(out); i += width {
		var u uint64
		for k := width - 1; k >= 0; k-- {
			u = u<<8 | uint64(out[i+k])
		}
		v := int(u % uint64(mod))
		if info.PixelRepresentation == 1 && v >= mod/2 {
			v -= mod
		}
		w := uint64(v) // two's complement at 64 bits; the low bytes are what we want
		for k := 0; k < width; k++ {
			out[i+k] = byte(w >> (8 * k))
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
