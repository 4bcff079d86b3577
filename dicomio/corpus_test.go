package dicomio

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/codec"
	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// The expected outcome of every DICOM file of the shared corpus, each read
// on its own (DICOM-MANIFEST.md says what each file is). A file either
// loads — one series of the stated slices, every slice readable — or is
// skipped with the stated error. Compressed files whose syntax this build
// cannot decode must fail with ErrUnsupportedTransferSyntax instead (a
// build without cgo has no JPEG-LS or JPEG 2000).
type fileExpect struct {
	pattern    string // path.Match pattern, relative to the corpus
	count      int    // files the pattern must match
	skip       error  // the file is skipped with this error
	slices     int    // slices when it loads
	rows, cols int
	volumeErr  error // VolumeErr of the file's series alone (nil: a valid volume)
	readErr    error // error of every ReadSlice whatever the build
}

var corpusFiles = []fileExpect{
	{pattern: "ct-lidc/LIDC-IDRI-0001/*.dcm", count: 133, slices: 1, rows: 512, cols: 512},
	{pattern: "ct-totalsegmentator/example_ct_dicom/CT.*", count: 20, slices: 1, rows: 512, cols: 512},
	// Siemens mosaics: 35 tiles of 64×64 each.
	{pattern: "dicom-dcm_qa_ts/In/*.dcm", count: 9, slices: 35, rows: 64, cols: 64},

	{pattern: "dicom-dicom2nifti/failing/gantrytilting/001/*.dcm", count: 4, slices: 1, rows: 512, cols: 512},
	{pattern: "dicom-dicom2nifti/failing/notavolume/001/*.dcm", count: 4, slices: 1, rows: 512, cols: 512},
	{pattern: "dicom-dicom2nifti/failing/slicecount/001/*.dcm", count: 2, slices: 1, rows: 256, cols: 256},
	{pattern: "dicom-dicom2nifti/failing/sliceincrement/00[12]/*.dcm", count: 8, slices: 1, rows: 512, cols: 512},
	{pattern: "dicom-dicom2nifti/failing/sliceorientation/001/*.dcm", count: 4, slices: 1, rows: 288, cols: 288},
	{pattern: "dicom-dicom2nifti/ge/anatomical/001_single_slice/*.dcm", count: 1, slices: 1, rows: 256, cols: 256},
	{pattern: "dicom-dicom2nifti/ge/fmri/001/*.dcm", count: 8, slices: 1, rows: 64, cols: 64},
	{pattern: "dicom-dicom2nifti/generic/anatomical/002_non_isotropic/*.dcm", count: 4, slices: 1, rows: 28, cols: 64},
	{pattern: "dicom-dicom2nifti/generic/compressed_jpeg/001/*.dcm", count: 4, slices: 1, rows: 256, cols: 256},
	{pattern: "dicom-dicom2nifti/generic/rgb/001/*.dcm", count: 4, slices: 1, rows: 77, cols: 52},
	{pattern: "dicom-dicom2nifti/hitachi/anatomical/001/*.dcm", count: 4, slices: 1, rows: 64, cols: 64},
	{pattern: "dicom-dicom2nifti/hyperfine/anatomical/001/001.dcm", count: 1, slices: 8, rows: 138, cols: 112},
	{pattern: "dicom-dicom2nifti/philips_enhanced/fmri/001/*.dcm", count: 1, slices: 32, rows: 64, cols: 64},

	{pattern: "dicom-pydicom/CT_small.dcm", count: 1, slices: 1, rows: 128, cols: 128},
	{pattern: "dicom-pydicom/MR_small*.dcm", count: 6, slices: 1, rows: 64, cols: 64},
	{pattern: "dicom-pydicom/MR_truncated.dcm", count: 1, skip: ErrTruncated},
	{pattern: "dicom-pydicom/no_meta.dcm", count: 1, skip: ErrNotDICOM},
	{pattern: "dicom-pydicom/ExplVR_*NoMeta.dcm", count: 2, skip: ErrNotImage},
	{pattern: "dicom-pydicom/meta_missing_tsyntax.dcm", count: 1, skip: ErrMalformed},
	{pattern: "dicom-pydicom/rtplan_truncated.dcm", count: 1, skip: ErrTruncated},
	{pattern: "dicom-pydicom/emri_small_jpeg_2k_lossless_too_short.dcm", count: 1, skip: ErrTruncated},
	{pattern: "dicom-pydicom/emri_small*.dcm", count: 5, slices: 10, rows: 64, cols: 64, volumeErr: ErrNoGeometry},
	{pattern: "dicom-pydicom/eCT_Supplemental.dcm", count: 1, slices: 2, rows: 512, cols: 512},
	{pattern: "dicom-pydicom/JPGExtended.dcm", count: 1, slices: 1, rows: 1024, cols: 256},
	{pattern: "dicom-pydicom/JPEG-LL.dcm", count: 1, slices: 1, rows: 1024, cols: 256},
	{pattern: "dicom-pydicom/JPEG2000.dcm", count: 1, slices: 1, rows: 1024, cols: 256},
	{pattern: "dicom-pydicom/JPGLosslessP14SV1_1s_1f_8b.dcm", count: 1, slices: 1, rows: 768, cols: 1024},
	{pattern: "dicom-pydicom/693_J2KI.dcm", count: 1, slices: 1, rows: 512, cols: 512},
	{pattern: "dicom-pydicom/J2K_pixelrep_mismatch.dcm", count: 1, slices: 1, rows: 512, cols: 512},
	{pattern: "dicom-pydicom/JPEGLSNearLossless_08.dcm", count: 1, slices: 1, rows: 45, cols: 10},
	{pattern: "dicom-pydicom/JPEGLSNearLossless_16.dcm", count: 1, slices: 1, rows: 50, cols: 10},
	{pattern: "dicom-pydicom/RG3_J2KI.dcm", count: 1, slices: 1, rows: 1760, cols: 1760},
	{pattern: "dicom-pydicom/SC_rgb_small_odd*.dcm", count: 2, slices: 1, rows: 3, cols: 3},
	{pattern: "dicom-pydicom/SC_*.dcm", count: 6, slices: 1, rows: 100, cols: 100},
	{pattern: "dicom-pydicom/ExplVR_BigEnd.dcm", count: 1, slices: 1, rows: 60, cols: 80},
	{pattern: "dicom-pydicom/color-p[lx].dcm", count: 2, slices: 1, rows: 120, cols: 256},
	{pattern: "dicom-pydicom/image_dfl.dcm", count: 1, slices: 1, rows: 512, cols: 512},
	{pattern: "dicom-pydicom/rtdose.dcm", count: 1, slices: 15, rows: 10, cols: 10},
	{pattern: "dicom-pydicom/examples_ybr_color.dcm", count: 1, slices: 30, rows: 240, cols: 320, volumeErr: ErrNoGeometry},
	{pattern: "dicom-pydicom/dicomdirtests/DICOMDIR", count: 1, skip: ErrNotImage},
	// Two CT localizers (ImageType LOCALIZER): dropped.
	{pattern: "dicom-pydicom/dicomdirtests/98892001/CT2N/*", count: 2, skip: ErrLocalizer},
	{pattern: "dicom-pydicom/dicomdirtests/*/*/*", count: 29, slices: 1, rows: 16, cols: 16},

	{pattern: "seg-dcmqi/ct-3slice/*.dcm", count: 3, slices: 1, rows: 512, cols: 512},
	{pattern: "seg-dcmqi/2[34]x38x3/image/*.dcm", count: 6, slices: 1, rows: 38},
	{pattern: "seg-dcmqi/2[34]x38x3/multiframe/mf.dcm", count: 2, slices: 3, rows: 38},
	{pattern: "seg-dcmqi/*/seg/label.seg", count: 2, skip: ErrNotImage},
	{pattern: "seg-dcmqi/*.dcm", count: 4, skip: ErrNotImage},
	{pattern: "seg-dcmqi/sr-example/seg.dcm", count: 1, skip: ErrNotImage},
	{pattern: "seg-highdicom/seg_*.dcm", count: 8, skip: ErrNotImage},
	{pattern: "seg-highdicom/ct_image.dcm", count: 1, slices: 1, rows: 128, cols: 128},
	{pattern: "seg-highdicom/dx_image.dcm", count: 1, slices: 1, rows: 169, cols: 211},
	{pattern: "seg-highdicom/source_ct2/*", count: 4, slices: 1, rows: 16, cols: 16},
	{pattern: "seg-pydicom-data/*.dcm", count: 10, skip: ErrNotImage},
}

// corpusDICOMFiles lists every file of the DICOM folders of the corpus that
// is not a reference NIfTI, NRRD, JSON or text.
func corpusDICOMFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"ct-lidc", "ct-totalsegmentator", "dicom-dcm_qa_ts", "dicom-dicom2nifti", "dicom-pydicom", "seg-dcmqi", "seg-highdicom", "seg-pydicom-data"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			name := d.Name()
			for _, suffix := range []string{".nii", ".nii.gz", ".json", ".nrrd", ".md", ".txt"} {
				if strings.HasSuffix(name, suffix) {
					return nil
				}
			}
			for _, prefix := range []string{"LICENSE", "README", "ATTRIBUTION"} {
				if strings.HasPrefix(name, prefix) {
					return nil
				}
			}
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func TestCorpusExpectations(t *testing.T) {
	t.Parallel()
	root := shareddata.Path(t, ".")
	files := corpusDICOMFiles(t, root)
	if len(files) != 328 {
		t.Errorf("%d DICOM files in the corpus, the table was written for 328", len(files))
	}
	matched := make([]int, len(corpusFiles))
	for _, rel := range files {
		i := -1
		for j, e := range corpusFiles {
			if ok, _ := path.Match(e.pattern, rel); ok {
				i = j
				break
			}
		}
		if i < 0 {
			t.Errorf("%s: no expectation", rel)
			continue
		}
		matched[i]++
		e := corpusFiles[i]
		checkFile(t, filepath.Join(root, filepath.FromSlash(rel)), rel, e)
	}
	for i, e := range corpusFiles {
		if matched[i] != e.count {
			t.Errorf("pattern %s matched %d files, want %d", e.pattern, matched[i], e.count)
		}
	}
}

func checkFile(t *testing.T, p, rel string, e fileExpect) {
	t.Helper()
	res, err := Scan(context.Background(), []string{p}, ScanOptions{Workers: 1})
	if err != nil {
		t.Errorf("%s: Scan: %v", rel, err)
		return
	}
	if e.skip != nil {
		if len(res.Series) != 0 || len(res.Skipped) != 1 || !errors.Is(res.Skipped[0].Err, e.skip) {
			t.Errorf("%s: %d series, skipped %+v; want skipped with %v", rel, len(res.Series), res.Skipped, e.skip)
		} else if res.Skipped[0].Reason == "" || res.Skipped[0].Path != p {
			t.Errorf("%s: skipped without a reason or path: %+v", rel, res.Skipped[0])
		}
		return
	}
	if len(res.Series) != 1 || len(res.Skipped) != 0 {
		t.Errorf("%s: %d series, skipped %+v; want it to load", rel, len(res.Series), res.Skipped)
		return
	}
	s := res.Series[0]
	if len(s.Slices) != e.slices || s.Rows != e.rows || (e.cols != 0 && s.Columns != e.cols) {
		t.Errorf("%s: %d slices of %d×%d, want %d of %d×%d", rel, len(s.Slices), s.Rows, s.Columns, e.slices, e.rows, e.cols)
	}
	if e.volumeErr == nil && s.VolumeErr != nil || e.volumeErr != nil && !errors.Is(s.VolumeErr, e.volumeErr) {
		t.Errorf("%s: VolumeErr %v, want %v", rel, s.VolumeErr, e.volumeErr)
	}
	want := e.readErr
	if want == nil {
		for _, ts := range s.TransferSyntaxes {
			if !nativeSyntax(ts) && !codec.Supported(ts) {
				want = ErrUnsupportedTransferSyntax
			}
		}
	}
	for k := range s.Slices {
		sl, err := s.ReadSlice(context.Background(), k)
		switch {
		case want != nil && !errors.Is(err, want):
			t.Errorf("%s slice %d: %v, want %v", rel, k, err, want)
		case want != nil && !errors.Is(err, codec.ErrUnsupported):
			t.Errorf("%s slice %d: %v does not wrap codec.ErrUnsupported", rel, k, err)
		case want == nil && err != nil:
			t.Errorf("%s slice %d: %v", rel, k, err)
		case want == nil && len(sl.Grey)+len(sl.RGB)/3 != sl.Rows*sl.Columns:
			t.Errorf("%s slice %d: %d grey and %d RGB values for %d×%d", rel, k, len(sl.Grey), len(sl.RGB), sl.Rows, sl.Columns)
		}
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Errorf("%s: the error does not name the file: %v", rel, err)
			}
			break
		}
	}
}

func nativeSyntax(ts string) bool {
	switch ts {
	case tsImplicitLE, tsExplicitLE, tsExplicitBE, tsDeflated:
		return true
	}
	return false
}

// The expected outcome of folders read as series.
var corpusSeries = []struct {
	dir       string
	slices    int
	volumes   int
	volumeErr error
	skipped   int
}{
	{"ct-lidc/LIDC-IDRI-0001", 133, 1, nil, 0},
	{"ct-totalsegmentator/example_ct_dicom", 20, 1, nil, 0},
	{"dicom-dcm_qa_ts/In", 35, 9, nil, 0},
	{"dicom-dicom2nifti/failing/gantrytilting/001", 4, 1, ErrGantryTilt, 0},
	{"dicom-dicom2nifti/failing/notavolume/001", 1, 4, ErrSamePosition, 0},
	{"dicom-dicom2nifti/failing/slicecount/001", 2, 1, ErrTooFewSlices, 0},
	{"dicom-dicom2nifti/failing/sliceincrement/001", 4, 1, ErrIrregularSpacing, 0},
	{"dicom-dicom2nifti/failing/sliceincrement/002", 4, 1, ErrIrregularSpacing, 0},
	{"dicom-dicom2nifti/failing/sliceorientation/001", 4, 1, ErrMixedOrientation, 0},
	{"dicom-dicom2nifti/ge/anatomical/001_single_slice", 1, 1, nil, 0},
	{"dicom-dicom2nifti/ge/fmri/001", 4, 2, nil, 0},
	{"dicom-dicom2nifti/generic/anatomical/002_non_isotropic", 4, 1, nil, 0},
	{"dicom-dicom2nifti/generic/compressed_jpeg/001", 4, 1, nil, 0},
	{"dicom-dicom2nifti/generic/rgb/001", 4, 1, nil, 0},
	{"dicom-dicom2nifti/hitachi/anatomical/001", 4, 1, nil, 0},
	{"dicom-dicom2nifti/hyperfine/anatomical/001", 8, 1, nil, 0},
	{"dicom-dicom2nifti/philips_enhanced/fmri/001", 8, 4, nil, 0},
	{"seg-dcmqi/ct-3slice", 3, 1, nil, 0},
	{"seg-dcmqi/23x38x3/image", 3, 1, nil, 0},
	{"seg-dcmqi/23x38x3/multiframe", 3, 1, nil, 0},
	{"seg-highdicom/source_ct2", 4, 1, ErrIrregularSpacing, 0},
	{"dicom-pydicom/dicomdirtests/98892001/CT5N", 5, 1, nil, 0},
	{"dicom-pydicom/dicomdirtests/98892001/CT2N", 0, 0, nil, 2}, // two localizers only
	{"dicom-pydicom/dicomdirtests/98892003/MR2", 1, 1, ErrMixedOrientation, 0},
}

func TestCorpusSeries(t *testing.T) {
	t.Parallel()
	for _, c := range corpusSeries {
		dir := shareddata.Path(t, c.dir)
		res, err := Scan(context.Background(), []string{dir}, ScanOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.dir, err)
		}
		if len(res.Skipped) != c.skipped {
			t.Errorf("%s: skipped %+v", c.dir, res.Skipped)
		}
		if c.slices == 0 {
			if len(res.Series) != 0 {
				t.Errorf("%s: %d series, want none", c.dir, len(res.Series))
			}
			continue
		}
		if c.dir == "dicom-pydicom/dicomdirtests/98892003/MR2" {
			// Several series; the one of interest mixes three orientations.
			found := false
			for _, s := range res.Series {
				found = found || errors.Is(s.VolumeErr, ErrMixedOrientation)
			}
			if !found {
				t.Errorf("%s: no series with mixed orientations", c.dir)
			}
			continue
		}
		if len(res.Series) != 1 {
			t.Errorf("%s: %d series", c.dir, len(res.Series))
			continue
		}
		s := res.Series[0]
		if s.Grid.Slices != c.slices || s.Volumes != c.volumes || len(s.Slices) != c.slices*c.volumes {
			t.Errorf("%s: %d slices × %d volumes (%d refs), want %d × %d", c.dir, s.Grid.Slices, s.Volumes, len(s.Slices), c.slices, c.volumes)
		}
		if c.volumeErr == nil && s.VolumeErr != nil || c.volumeErr != nil && !errors.Is(s.VolumeErr, c.volumeErr) {
			t.Errorf("%s: VolumeErr %v, want %v", c.dir, s.VolumeErr, c.volumeErr)
		}
		if s.VolumeErr == nil {
			if err := s.Grid.Validate(); err != nil {
				t.Errorf("%s: grid: %v", c.dir, err)
			}
		}
	}
}

// TestPixelFrameOnSegmentations reads the frames of the SEG corpus through
// Dataset.PixelFrame, the entry point the SEG reader uses: 1-bit frames
// packed across byte boundaries, big endian, RLE, JPEG 2000 and Deflated
// Image Frame Compression must all give the foreground counts the manifest
// states.
func TestPixelFrameOnSegmentations(t *testing.T) {
	liver := []int{36233, 35645, 35220}
	cases := []struct {
		file string
		want []int
	}{
		{"seg-dcmqi/liver.dcm", liver},
		{"seg-pydicom-data/liver_expb.dcm", liver},
		{"seg-pydicom-data/liver_rle.dcm", liver},
		{"seg-pydicom-data/liver_j2k.dcm", liver},
		{"seg-pydicom-data/liver_deflate.dcm", liver},
		{"seg-pydicom-data/liver_nonbyte_aligned.dcm", nil},
		{"seg-pydicom-data/liver_nonbyte_aligned_rle.dcm", nil},
		{"seg-pydicom-data/liver_nonbyte_aligned_j2k.dcm", nil},
		{"seg-pydicom-data/liver_nonbyte_aligned_deflate.dcm", nil},
		{"seg-pydicom-data/liver_1frame.dcm", liver[:1]},
		{"seg-pydicom-data/liver_expb_1frame.dcm", liver[:1]},
	}
	var aligned []int // per-frame counts of liver_nonbyte_aligned.dcm
	for _, c := range cases {
		ds, err := ReadFile(shareddata.Path(t, c.file), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		info, n, err := ds.PixelFormat()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if info.BitsAllocated != 1 {
			t.Fatalf("%s: BitsAllocated %d", c.file, info.BitsAllocated)
		}
		var counts []int
		total := 0
		for k := 0; k < n; k++ {
			f, _, err := ds.PixelFrame(k)
			if err != nil {
				if !codec.Supported(ds.TransferSyntax()) && errors.Is(err, ErrUnsupportedTransferSyntax) {
					break
				}
				t.Fatalf("%s frame %d: %v", c.file, k, err)
			}
			if len(f) != info.Rows*info.Columns {
				t.Fatalf("%s frame %d: %d bytes", c.file, k, len(f))
			}
			cnt := 0
			for _, v := range f {
				if v > 1 {
					t.Fatalf("%s: value %d in a 1-bit frame", c.file, v)
				}
				cnt += int(v)
			}
			counts = append(counts, cnt)
			total += cnt
		}
		if len(counts) == 0 {
			continue // not decodable in this build
		}
		want := c.want
		if want == nil {
			if aligned == nil {
				aligned = counts
				if total != 107098 {
					t.Errorf("%s: %d foreground pixels, want 107098", c.file, total)
				}
			}
			want = aligned
		}
		if fmt.Sprint(counts) != fmt.Sprint(want) {
			t.Errorf("%s: foreground per frame %v, want %v", c.file, counts, want)
		}
	}
}

// TestDICOMDIR parses pydicom's DICOMDIR: 52 directory records, whose 31
// IMAGE records name files that exist.
func TestDICOMDIR(t *testing.T) {
	p := shareddata.Path(t, "dicom-pydicom/dicomdirtests/DICOMDIR")
	ds, err := ReadFile(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.String(tag.FileSetID) != "PYDICOM_TEST" {
		t.Errorf("FileSetID %q", ds.String(tag.FileSetID))
	}
	recs := ds.Items(tag.DirectoryRecordSequence)
	kinds := map[string]int{}
	for _, r := range recs {
		kind := r.String(tag.DirectoryRecordType)
		kinds[kind]++
		if kind != "IMAGE" {
			continue
		}
		parts := r.Strings(tag.ReferencedFileID)
		f := filepath.Join(append([]string{filepath.Dir(p)}, parts...)...)
		if _, err := os.Stat(f); err != nil {
			t.Errorf("record names %v: %v", parts, err)
		}
	}
	if len(recs) != 52 || kinds["PATIENT"] != 2 || kinds["STUDY"] != 6 || kinds["SERIES"] != 13 || kinds["IMAGE"] != 31 {
		t.Errorf("%d records: %v", len(recs), kinds)
	}
}
