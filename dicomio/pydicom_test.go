package dicomio

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// pydicomFrames decodes files with pydicom (GDCM and Pillow handlers) and
// returns, per file, the frames after pydicom's modality LUT (per-frame
// rescale for enhanced objects) and, for colour, after pydicom's YBR → RGB
// conversion: shape (frames, rows, columns[, 3]), C order.
func pydicomFrames(t *testing.T, paths []string) [][]float64 {
	t.Helper()
	py := python(t)
	dir := t.TempDir()
	const script = `
import sys, json, warnings, numpy as np, pydicom
from pydicom.pixel_data_handlers.util import apply_color_lut, apply_modality_lut, convert_color_space
warnings.simplefilter('ignore')
out = sys.argv[1]
for i, p in enumerate(sys.argv[2:]):
    ds = pydicom.dcmread(p)
    a = ds.pixel_array
    n = int(ds.get('NumberOfFrames', 1) or 1)
    if n == 1:
        a = a[None]
    if ds.PhotometricInterpretation == 'PALETTE COLOR':
        a = apply_color_lut(a, ds)
    elif int(ds.get('SamplesPerPixel', 1)) == 1:
        shared = ds.get('SharedFunctionalGroupsSequence')
        perframe = ds.get('PerFrameFunctionalGroupsSequence')
        if shared is not None or perframe is not None:
            a = a.astype('f8')
            for f in range(n):
                slope, icpt = 1.0, 0.0
                for item in ([shared[0]] if shared else []) + ([perframe[f]] if perframe else []):
                    if 'PixelValueTransformationSequence' in item:
                        t = item.PixelValueTransformationSequence[0]
                        slope, icpt = float(t.RescaleSlope), float(t.RescaleIntercept)
                a[f] = a[f] * slope + icpt
        else:
            a = np.asarray(apply_modality_lut(a, ds), dtype='f8')
    elif ds.PhotometricInterpretation.startswith('YBR'):
        a = convert_color_space(a, 'YBR_FULL', 'RGB')
    np.asarray(a, dtype='<f8').tofile('%s/%d.raw' % (out, i))
`
	out, err := exec.Command(py, append([]string{"-c", script, dir}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("pydicom: %v\n%s", err, out)
	}
	res := make([][]float64, len(paths))
	for i := range paths {
		raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.raw", i)))
		if err != nil {
			t.Fatal(err)
		}
		res[i] = make([]float64, len(raw)/8)
		for k := range res[i] {
			res[i][k] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*k:]))
		}
	}
	return res
}

// TestPixelsAgainstPydicom decodes a representative set of files both ways
// and compares every value. tol is the largest difference allowed (lossy
// JPEG colour may round differently); monochrome1 files are compared after
// our documented inversion.
func TestPixelsAgainstPydicom(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file        string
		tol         float64
		monochrome1 bool
	}{
		{"dicom-pydicom/CT_small.dcm", 0, false},
		{"dicom-pydicom/MR_small.dcm", 0, false},
		{"dicom-pydicom/MR_small_implicit.dcm", 0, false},
		{"dicom-pydicom/MR_small_bigendian.dcm", 0, false},
		{"dicom-pydicom/MR_small_RLE.dcm", 0, false},
		{"dicom-pydicom/MR_small_jp2klossless.dcm", 0, false},
		{"dicom-pydicom/MR_small_jpeg_ls_lossless.dcm", 0, false},
		{"dicom-pydicom/emri_small.dcm", 0, false},
		{"dicom-pydicom/emri_small_big_endian.dcm", 0, false},
		{"dicom-pydicom/emri_small_RLE.dcm", 0, false},
		{"dicom-pydicom/emri_small_jpeg_2k_lossless.dcm", 0, false},
		{"dicom-pydicom/emri_small_jpeg_ls_lossless.dcm", 0, false},
		{"dicom-pydicom/eCT_Supplemental.dcm", 0, false},
		{"dicom-pydicom/rtdose.dcm", 0, false},
		{"dicom-pydicom/image_dfl.dcm", 0, false},
		{"dicom-pydicom/JPEG-LL.dcm", 0, false},
		{"dicom-pydicom/JPGLosslessP14SV1_1s_1f_8b.dcm", 0, false},
		{"dicom-pydicom/JPEGLSNearLossless_08.dcm", 0, false},
		{"dicom-pydicom/JPEGLSNearLossless_16.dcm", 0, false},
		{"dicom-pydicom/JPEG2000.dcm", 1, false},
		{"dicom-pydicom/JPGExtended.dcm", 1, false}, // lossy 12-bit: IDCTs may round differently
		{"dicom-pydicom/RG3_J2KI.dcm", 1, true},
		{"seg-highdicom/dx_image.dcm", 0, true},
		{"dicom-pydicom/SC_rgb.dcm", 0, false},
		{"dicom-pydicom/SC_rgb_rle.dcm", 0, false},
		{"dicom-pydicom/color-px.dcm", 0, false},
		{"dicom-pydicom/color-pl.dcm", 0, false},
		{"dicom-pydicom/ExplVR_BigEnd.dcm", 0, false},
		{"dicom-pydicom/SC_ybr_full_422_uncompressed.dcm", 1, false},
		{"dicom-pydicom/SC_rgb_jpeg_dcmtk.dcm", 3, false},
		{"dicom-pydicom/SC_rgb_dcmtk_+eb+cy+np.dcm", 3, false},
		{"dicom-pydicom/examples_ybr_color.dcm", 3, false},
		{"ct-lidc/LIDC-IDRI-0001/000038.dcm", 0, false},
		{"ct-totalsegmentator/example_ct_dicom/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016580", 0, false},
		{"dicom-dicom2nifti/hitachi/anatomical/001/002.dcm", 0, false},
		{"dicom-dicom2nifti/generic/compressed_jpeg/001/IM-0001-0002-0001.dcm", 0, false},
		{"dicom-dicom2nifti/generic/anatomical/002_non_isotropic/003.dcm", 1e-7, false}, // float32 output
		{"seg-dcmqi/ct-3slice/02.dcm", 0, false},
		{"seg-dcmqi/23x38x3/multiframe/mf.dcm", 0, false},
		{"dicom-pydicom/dicomdirtests/98892003/MR700/4528", 0, false},
	}
	var paths []string
	var series []*Series
	for _, c := range cases {
		p := shareddata.Path(t, c.file)
		res, err := Scan(context.Background(), []string{p}, ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := only(t, res)
		if !decodes(s) {
			continue
		}
		paths = append(paths, p)
		series = append(series, s)
	}
	ref := pydicomFrames(t, paths)
	j := 0
	for _, c := range cases {
		if j == len(paths) || paths[j] != shareddata.Path(t, c.file) {
			t.Logf("%s: not decodable in this build", c.file)
			continue
		}
		s, want := series[j], ref[j]
		j++
		perFrame := s.Rows * s.Columns * s.SamplesPerPixel
		if len(want) != perFrame*len(s.Slices) {
			t.Errorf("%s: pydicom has %d values, we have %d slices of %d", c.file, len(want), len(s.Slices), perFrame)
			continue
		}
		lo, hi := 0.0, float64(int(1)<<s.BitsStored-1)
		maxd, nbad := 0.0, 0
		for k, ref := range s.Slices {
			sl, err := s.ReadSlice(context.Background(), k)
			if err != nil {
				t.Fatalf("%s: %v", c.file, err)
			}
			w := want[ref.Frame*perFrame : (ref.Frame+1)*perFrame]
			for i := range w {
				var got float64
				if sl.RGB != nil {
					got = float64(sl.RGB[i])
				} else {
					got = float64(sl.Grey[i])
				}
				exp := w[i]
				if c.monochrome1 {
					exp = lo + hi - exp
				}
				d := math.Abs(got - exp)
				if c.tol < 1 {
					d /= math.Max(1, math.Abs(exp))
				}
				if d > c.tol {
					nbad++
					if nbad <= 3 {
						t.Errorf("%s frame %d value %d: %v, pydicom %v", c.file, ref.Frame, i, got, exp)
					}
				}
				maxd = math.Max(maxd, d)
			}
		}
		if nbad > 0 {
			t.Errorf("%s: %d values differ (largest %v)", c.file, nbad, maxd)
		}
	}
}

// TestManifestPixelFacts checks values DICOM-MANIFEST.md states, including
// the files that trip up other decoders.
func TestManifestPixelFacts(t *testing.T) {
	t.Parallel()
	stats := func(file string) (sum, lo, hi float64, s *Series) {
		t.Helper()
		res, err := Scan(context.Background(), []string{shareddata.Path(t, file)}, ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s = only(t, res)
		lo, hi = math.Inf(1), math.Inf(-1)
		if !decodes(s) {
			return 0, 0, 0, s
		}
		for k := range s.Slices {
			sl, err := s.ReadSlice(context.Background(), k)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			for _, v := range sl.Grey {
				sum += float64(v)
				lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
			}
		}
		return sum, lo, hi, s
	}
	if sum, lo, hi, _ := stats("dicom-pydicom/MR_small.dcm"); sum != 2125338 || lo != 127 || hi != 2145 {
		t.Errorf("MR_small: sum %v range %v…%v", sum, lo, hi)
	}
	if sum, _, _, _ := stats("dicom-pydicom/CT_small.dcm"); sum != 14826310-1024*128*128 {
		t.Errorf("CT_small: HU sum %v", sum)
	}
	if sum, _, _, _ := stats("dicom-pydicom/emri_small_RLE.dcm"); sum != 4493276 {
		t.Errorf("emri_small_RLE: sum %v", sum)
	}
	// The codestream is unsigned but PixelRepresentation says signed: the
	// stored values must come out signed.
	if _, lo, hi, s := stats("dicom-pydicom/J2K_pixelrep_mismatch.dcm"); decodes(s) && (lo != -2000 || hi != 1896) {
		t.Errorf("J2K_pixelrep_mismatch: %v…%v, want −2000…1896 (RescaleIntercept 0)", lo, hi)
	}
	// Codestream precision differs from BitsStored 14 (pydicom #693).
	if _, lo, hi, s := stats("dicom-pydicom/693_J2KI.dcm"); decodes(s) && (lo != -2971-1024 || hi != 2836-1024) {
		t.Errorf("693_J2KI: HU %v…%v, want stored −2971…2836 − 1024", lo, hi)
	}
	// 12-bit lossy JPEG (Process 4).
	if _, lo, hi, s := stats("dicom-pydicom/JPGExtended.dcm"); decodes(s) && (lo != 0 || hi != 264) {
		t.Errorf("JPGExtended: %v…%v, want 0…264", lo, hi)
	}
	// 8-bit RGB stored as OW in big endian: pairs of samples are swapped.
	want := []byte{}
	for _, px := range [][3]byte{{166, 141, 52}, {63, 87, 176}, {158, 158, 158}} {
		for i := 0; i < 3; i++ {
			want = append(want, px[:]...)
		}
	}
	for _, f := range []string{"dicom-pydicom/SC_rgb_small_odd.dcm", "dicom-pydicom/SC_rgb_small_odd_big_endian.dcm"} {
		res, err := Scan(context.Background(), []string{shareddata.Path(t, f)}, ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sl, err := only(t, res).ReadSlice(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if string(sl.RGB) != string(want) {
			t.Errorf("%s: %v, want %v", f, sl.RGB, want)
		}
	}
	// JPEG baseline YBR_FULL_422 against dcmtk's decompression of the same
	// file.
	a, b := shareddata.Path(t, "dicom-pydicom/SC_rgb_dcmtk_+eb+cy+np.dcm"), shareddata.Path(t, "dicom-pydicom/SC_rgb_dcmtk_ebcynp_dcmd.dcm")
	var rgb [2][]uint8
	for i, p := range []string{a, b} {
		res, err := Scan(context.Background(), []string{p}, ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sl, err := only(t, res).ReadSlice(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		rgb[i] = sl.RGB
	}
	for i := range rgb[0] {
		if d := int(rgb[0][i]) - int(rgb[1][i]); d > 2 || d < -2 {
			t.Fatalf("JPEG YBR_FULL_422 sample %d: %d, dcmtk %d", i, rgb[0][i], rgb[1][i])
		}
	}
}

// TestLUTsAgainstPydicom writes images with a Modality LUT Sequence and
// with a palette, and checks what we read against pydicom's
// apply_modality_lut and apply_color_lut.
func TestLUTsAgainstPydicom(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Modality LUT: 100 entries for stored values 10…109; values outside are
	// clamped to the first and last entries.
	lut := make([]int, 100)
	for i := range lut {
		lut[i] = 3*i*i%4000 + 7
	}
	m := img{rows: 8, cols: 32, noGeom: true, bits: 12, value: func(r, c int) int { return r*32 + c - 20 }}
	mds := m.dataset()
	mds.Delete(tag.RescaleSlope)
	mds.Delete(tag.RescaleIntercept)
	mds.Set(NewSequence(tag.ModalityLUTSequence, NewDataset(
		NewInts(tag.LUTDescriptor, VRUS, 100, 10, 16),
		NewStrings(tag.ModalityLUTType, VRLO, "US"),
		NewInts(tag.LUTData, VRUS, lut...),
	)))
	mpath := filepath.Join(dir, "lut.dcm")
	writeTS(t, mpath, mds, tsExplicitLE)
	// Palette: 8-bit indices, 16-bit entries.
	var r, g, b []byte
	for i := 0; i < 256; i++ {
		r = binary.LittleEndian.AppendUint16(r, uint16(i*257))
		g = binary.LittleEndian.AppendUint16(g, uint16((255-i)*257))
		b = binary.LittleEndian.AppendUint16(b, uint16((i*7%256)<<8|0x3F))
	}
	px := make([]byte, 6*7)
	for i := range px {
		px[i] = byte(i * 6)
	}
	pds := NewDataset(
		NewStrings(tag.SOPClassUID, VRUI, "1.2.840.10008.5.1.4.1.1.7"),
		NewStrings(tag.SOPInstanceUID, VRUI, NewUID()),
		NewInts(tag.SamplesPerPixel, VRUS, 1),
		NewStrings(tag.PhotometricInterpretation, VRCS, "PALETTE COLOR"),
		NewInts(tag.Rows, VRUS, 6), NewInts(tag.Columns, VRUS, 7),
		NewInts(tag.BitsAllocated, VRUS, 8), NewInts(tag.BitsStored, VRUS, 8), NewInts(tag.HighBit, VRUS, 7),
		NewInts(tag.PixelRepresentation, VRUS, 0),
		NewInts(tag.RedPaletteColorLookupTableDescriptor, VRUS, 256, 0, 16),
		NewInts(tag.GreenPaletteColorLookupTableDescriptor, VRUS, 256, 0, 16),
		NewInts(tag.BluePaletteColorLookupTableDescriptor, VRUS, 256, 0, 16),
		NewBytes(tag.RedPaletteColorLookupTableData, VROW, r),
		NewBytes(tag.GreenPaletteColorLookupTableData, VROW, g),
		NewBytes(tag.BluePaletteColorLookupTableData, VROW, b),
		NewBytes(tag.PixelData, VROB, px),
	)
	ppath := filepath.Join(dir, "palette.dcm")
	writeTS(t, ppath, pds, tsExplicitLE)

	ref := pydicomFrames(t, []string{mpath, ppath})
	for i, p := range []string{mpath, ppath} {
		res, err := Scan(context.Background(), []string{p}, ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sl, err := only(t, res).ReadSlice(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		n := len(sl.Grey) + len(sl.RGB)
		if n != len(ref[i]) {
			t.Fatalf("%s: %d values, pydicom %d", filepath.Base(p), n, len(ref[i]))
		}
		for j, want := range ref[i] {
			var got float64
			if sl.RGB != nil {
				got, want = float64(sl.RGB[j]), float64(int(want)>>8)
			} else {
				got = float64(sl.Grey[j])
			}
			if got != want {
				t.Fatalf("%s value %d: %v, pydicom %v", filepath.Base(p), j, got, want)
			}
		}
	}
}
