package nifti

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// Debian's Python, the one with nibabel (the python3 first on PATH has none).
const python = "/usr/bin/python3"

var (
	nibabelOnce sync.Once
	nibabelErr  error
)

// needNibabel skips the test (fails it in CI) when nibabel is unavailable.
func needNibabel(t testing.TB) {
	t.Helper()
	nibabelOnce.Do(func() {
		if _, err := exec.LookPath(python); err != nil {
			nibabelErr = err
			return
		}
		out, err := exec.Command(python, "-c", "import nibabel, numpy; print(nibabel.__version__)").CombinedOutput()
		if err != nil {
			nibabelErr = fmt.Errorf("%s cannot import nibabel: %v: %s", python, err, out)
		}
	})
	if nibabelErr != nil {
		if shareddata.InCI() {
			t.Fatalf("nibabel reference unavailable: %v", nibabelErr)
		}
		t.Skipf("nibabel reference unavailable (skipping outside CI): %v", nibabelErr)
	}
}

// nib is what testdata/nibabel_ref.py reports for one file.
type nib struct {
	Path       string      `json:"path"`
	Error      string      `json:"error"`
	Class      string      `json:"class"`
	Shape      []int       `json:"shape"`
	Dtype      string      `json:"dtype"`
	Affine     [][]float64 `json:"affine"`
	Sform      [][]float64 `json:"sform"`
	Qform      [][]float64 `json:"qform"`
	QformError string      `json:"qform_error"`
	SformCode  int         `json:"sform_code"`
	QformCode  int         `json:"qform_code"`
	IntentCode int         `json:"intent_code"`
	Zooms      []float64   `json:"zooms"`
	Descrip    string      `json:"descrip"`
	CalMin     float64     `json:"cal_min"`
	CalMax     float64     `json:"cal_max"`
	XYZTUnits  int         `json:"xyzt_units"`
	VoxOffset  int64       `json:"vox_offset"`
	Slope      float64     `json:"slope"`
	Inter      float64     `json:"inter"`
	Endian     string      `json:"endian"`
	SizeofHdr  int         `json:"sizeof_hdr"`
	DataError  string      `json:"data_error"`
	NaN        int         `json:"nan"`
	Sum        float64     `json:"sum"`

	dump []byte // voxel values nibabel read (see nibabel_ref.py)
}

func runNibabel(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	needNibabel(t)
	cmd := exec.Command(python, append([]string{filepath.Join("testdata", "nibabel_ref.py")}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nibabel_ref.py %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// inspect asks nibabel about files; with dump it also fetches the voxel
// values nibabel reads.
func inspect(t testing.TB, paths []string, dump bool) map[string]*nib {
	t.Helper()
	dir := t.TempDir()
	type job struct {
		Path string `json:"path"`
		Dump string `json:"dump,omitempty"`
	}
	var jobs []job
	for i, p := range paths {
		j := job{Path: p}
		if dump {
			j.Dump = filepath.Join(dir, fmt.Sprintf("%d.raw", i))
		}
		jobs = append(jobs, j)
	}
	in, _ := json.Marshal(jobs)
	var res []*nib
	if err := json.Unmarshal(runNibabel(t, in, "inspect"), &res); err != nil {
		t.Fatal(err)
	}
	m := map[string]*nib{}
	for i, r := range res {
		if dump && r.Error == "" && r.DataError == "" && jobs[i].Dump != "" {
			if b, err := os.ReadFile(jobs[i].Dump); err == nil {
				r.dump = b
			}
		}
		m[r.Path] = r
	}
	return m
}

// affineDiff returns the largest absolute difference of the top three rows.
func affineDiff(a geom.Affine, b [][]float64) float64 {
	if len(b) < 3 {
		return math.Inf(1)
	}
	var d float64
	for r := range 3 {
		for c := range 4 {
			d = math.Max(d, math.Abs(a[r][c]-b[r][c]))
		}
	}
	return d
}

func toAffine(b [][]float64) geom.Affine {
	var a geom.Affine
	for r := range 4 {
		copy(a[r][:], b[r])
	}
	return a
}

// checkVoxels compares every voxel of every volume that ReadFile returns
// with nibabel's values: float32 values identical (NaN where nibabel has
// NaN), RGB bytes identical.
func checkVoxels(t *testing.T, path string, ref *nib) {
	t.Helper()
	if ref.DataError != "" || ref.dump == nil {
		t.Fatalf("nibabel could not read the data of %s: %s", path, ref.DataError)
	}
	var first *Image
	for v := 0; first == nil || v < first.Volumes; v++ {
		im, err := ReadFile(context.Background(), path, ReadOptions{Volume: v})
		if err != nil {
			t.Fatalf("volume %d: %v", v, err)
		}
		if first == nil {
			first = im
		}
		g := im.Grid
		n := g.Columns * g.Rows
		if im.Header.Datatype.IsRGB() {
			per := im.Header.Datatype.Size() // 3, or 4 with alpha, which SliceRGB drops
			if want := n * g.Slices * im.Volumes * per; len(ref.dump) != want {
				t.Fatalf("nibabel dumped %d bytes, want %d", len(ref.dump), want)
			}
			for k := range g.Slices {
				got, err := im.SliceRGB(k, nil)
				if err != nil {
					t.Fatal(err)
				}
				off := ((v*g.Slices + k) * n) * per
				for p := range n {
					if !bytes.Equal(got[3*p:3*p+3], ref.dump[off+per*p:off+per*p+3]) {
						t.Fatalf("volume %d slice %d pixel %d: RGB %v, nibabel %v", v, k, p, got[3*p:3*p+3], ref.dump[off+per*p:off+per*p+per])
					}
				}
			}
			continue
		}
		if want := n * g.Slices * im.Volumes * 4; len(ref.dump) != want {
			t.Fatalf("nibabel dumped %d bytes, want %d (%d×%d×%d×%d float32)", len(ref.dump), want, g.Columns, g.Rows, g.Slices, im.Volumes)
		}
		var buf []float32
		for k := range g.Slices {
			buf, err = im.Slice(k, buf)
			if err != nil {
				t.Fatal(err)
			}
			off := (v*g.Slices + k) * n * 4
			for p, got := range buf {
				want := math.Float32frombits(binary.LittleEndian.Uint32(ref.dump[off+4*p:]))
				if got != want && !(isNaN32(got) && isNaN32(want)) {
					t.Fatalf("volume %d voxel (%d,%d,%d) = %v, nibabel %v", v, p%g.Columns, p/g.Columns, k, got, want)
				}
			}
		}
	}
}

func isNaN32(f float32) bool { return f != f }

// corpusFact is what ../shared/data/DICOM-MANIFEST.md records about a file of
// nifti-nibabel (read byte by byte there, independently of nibabel), or
// the error it must give.
type corpusFact struct {
	err                error
	version            int
	bigEndian          bool
	shape              [4]int // nx, ny, nz, volumes
	voxOffset          int64
	slope, inter       float64
	source             Source
	nan                int
	mean               float64 // scaled mean over all volumes, when not 0
	rawMin, rawMax     float64 // value range when rawMax != 0
	errorMentions      string
	headerOnlyAffine   bool // .hdr whose header still reads (ReadHeaderFile)
	manifestAffineDiag []float64
}

var corpus = map[string]corpusFact{
	"anatomical.nii":            {version: 1, bigEndian: true, shape: [4]int{33, 41, 25, 1}, voxOffset: 352, slope: 1, source: FromSform, rawMin: -610, rawMax: 30393},
	"functional.nii":            {version: 1, shape: [4]int{17, 21, 3, 20}, voxOffset: 352, slope: 0.075406969, inter: 3100.7617, source: FromSform, mean: 3637.4085},
	"example4d.nii.gz":          {version: 1, shape: [4]int{128, 96, 24, 2}, voxOffset: 416, slope: 1, source: FromSform},
	"example_nifti2.nii.gz":     {version: 2, shape: [4]int{32, 20, 12, 2}, voxOffset: 608, slope: 1, source: FromSform},
	"reoriented_anat_moved.nii": {version: 1, bigEndian: true, shape: [4]int{21, 26, 22, 1}, voxOffset: 352, slope: 1, source: FromSform},
	"resampled_anat_moved.nii":  {version: 1, bigEndian: true, shape: [4]int{17, 21, 3, 1}, voxOffset: 352, slope: 1, source: FromSform, nan: 153},
	"standard.nii.gz":           {version: 1, shape: [4]int{4, 5, 7, 1}, voxOffset: 352, slope: 1, source: FromSform, manifestAffineDiag: []float64{1, 3, 2}},
	"someones_anatomy.nii.gz":   {version: 1, shape: [4]int{57, 67, 56, 1}, voxOffset: 352, slope: 0.352459, inter: 6.678364, source: FromSform},
	"nifti1.hdr":                {err: ErrMissingImage, errorMentions: "nifti1.img", headerOnlyAffine: true},
	"nifti2.hdr":                {err: ErrMissingImage, errorMentions: "nifti2.img", headerOnlyAffine: true},
	"analyze.hdr":               {err: ErrNotNIfTI, errorMentions: "Analyze"},
	"row_major.dconn.nii":       {err: ErrUnsupported, errorMentions: "not a 3-D/4-D image"},
	"COPYING":                   {err: ErrNotNIfTI, errorMentions: "sizeof_hdr"},
}

// TestNibabelCorpus reads every file of ../shared/data/nifti-nibabel and
// checks it against nibabel (affine within 1e-4, every voxel value of every
// volume) and against the facts the manifest records.
func TestNibabelCorpus(t *testing.T) {
	dir := shareddata.Path(t, "nifti-nibabel")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		if _, ok := corpus[e.Name()]; !ok {
			t.Errorf("%s: file in the corpus without an expectation in this test", e.Name())
		}
		paths = append(paths, filepath.Join(dir, e.Name()))
	}
	refs := inspect(t, paths, true)
	for _, p := range paths {
		name := filepath.Base(p)
		fact := corpus[name]
		t.Run(name, func(t *testing.T) {
			ref := refs[p]
			im, err := ReadFile(context.Background(), p, ReadOptions{})
			if fact.err != nil {
				if !errors.Is(err, fact.err) {
					t.Fatalf("ReadFile error = %v, want %v", err, fact.err)
				}
				if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), fact.errorMentions) {
					t.Fatalf("error %q should name the file and say %q", err, fact.errorMentions)
				}
				if fact.headerOnlyAffine {
					checkHeaderOnly(t, p, ref)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h := im.Header
			if h.Version != fact.version || (h.ByteOrder == binary.BigEndian) != fact.bigEndian {
				t.Errorf("NIfTI-%d %v, manifest says NIfTI-%d big endian=%v", h.Version, h.ByteOrder, fact.version, fact.bigEndian)
			}
			got := [4]int{im.Grid.Columns, im.Grid.Rows, im.Grid.Slices, im.Volumes}
			if got != fact.shape {
				t.Errorf("shape %v, manifest %v", got, fact.shape)
			}
			if h.VoxOffset != fact.voxOffset || h.VoxOffset != ref.VoxOffset {
				t.Errorf("vox_offset %d, manifest %d, nibabel %d", h.VoxOffset, fact.voxOffset, ref.VoxOffset)
			}
			if !near(h.SclSlope, fact.slope, 1e-6) || !near(h.SclInter, fact.inter, 1e-4) {
				t.Errorf("scl_slope/inter %g/%g, manifest %g/%g", h.SclSlope, h.SclInter, fact.slope, fact.inter)
			}
			if im.Source != fact.source {
				t.Errorf("geometry from %v, want %v", im.Source, fact.source)
			}
			if d := affineDiff(im.Grid.RAS(), ref.Affine); d > 1e-4 {
				t.Errorf("affine differs from nibabel's by %g:\nours    %v\nnibabel %v", d, im.Grid.RAS(), ref.Affine)
			}
			if fact.manifestAffineDiag != nil {
				a := im.Grid.RAS()
				for i, v := range fact.manifestAffineDiag {
					if a[i][i] != v || a[i][3] != 0 {
						t.Errorf("affine %v, manifest says diag%v", a, fact.manifestAffineDiag)
					}
				}
			}
			if len(im.Warnings) > 0 {
				t.Errorf("warnings %q", im.Warnings)
			}
			checkQform(t, &im.Header, ref)
			checkVoxels(t, p, ref)
			checkStats(t, p, fact, ref)
		})
	}
}

// checkQform compares the qform matrix we compute from the quaternion with
// nibabel's get_qform, whatever the codes say, so that quaternion decoding
// is checked on every file, not only on those whose geometry comes from it.
func checkQform(t *testing.T, h *Header, ref *nib) {
	t.Helper()
	if ref.Qform == nil {
		t.Fatalf("nibabel has no qform: %s", ref.QformError)
	}
	q, _, err := h.QformAffine()
	if err != nil {
		t.Fatal(err)
	}
	if d := affineDiff(q, ref.Qform); d > 1e-4 {
		t.Errorf("qform differs from nibabel's by %g:\nours    %v\nnibabel %v", d, q, ref.Qform)
	}
}

// checkStats recomputes the manifest's whole-image figures from our reads.
func checkStats(t *testing.T, p string, fact corpusFact, ref *nib) {
	t.Helper()
	var sum float64
	var n, nan int
	lo, hi := math.Inf(1), math.Inf(-1)
	for v := 0; v < fact.shape[3]; v++ {
		im, err := ReadFile(context.Background(), p, ReadOptions{Volume: v})
		if err != nil {
			t.Fatal(err)
		}
		var buf []float32
		for k := range im.Grid.Slices {
			buf, _ = im.Slice(k, buf)
			for _, x := range buf {
				if isNaN32(x) {
					nan++
					continue
				}
				sum += float64(x)
				n++
				lo, hi = math.Min(lo, float64(x)), math.Max(hi, float64(x))
			}
		}
	}
	if nan != fact.nan || nan != ref.NaN {
		t.Errorf("%d NaN voxels, manifest %d, nibabel %d", nan, fact.nan, ref.NaN)
	}
	if !near(sum, ref.Sum, 1e-6*math.Abs(ref.Sum)) {
		t.Errorf("sum %f, nibabel %f", sum, ref.Sum)
	}
	if fact.mean != 0 && !near(sum/float64(n), fact.mean, 1e-4) {
		t.Errorf("mean %.6f, manifest %.4f", sum/float64(n), fact.mean)
	}
	if fact.rawMax != 0 && (lo != fact.rawMin || hi != fact.rawMax) {
		t.Errorf("range %g…%g, manifest %g…%g", lo, hi, fact.rawMin, fact.rawMax)
	}
}

// checkHeaderOnly: a .hdr whose .img is missing still has a readable header
// whose geometry matches nibabel's.
func checkHeaderOnly(t *testing.T, p string, ref *nib) {
	t.Helper()
	h, err := ReadHeaderFile(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	g, src, _, err := h.Grid()
	if err != nil {
		t.Fatal(err)
	}
	if src != FromSform || h.SformCode != XformMNI152 {
		t.Errorf("geometry from %v with sform_code %d, manifest says sform_code 4", src, h.SformCode)
	}
	if d := affineDiff(g.RAS(), ref.Affine); d > 1e-4 {
		t.Errorf("header affine differs from nibabel's by %g", d)
	}
}

// TestNibabelWrittenFiles reads a matrix of files that nibabel writes
// (every datatype, both byte orders, NIfTI-1 and -2, pairs, gzip, scaling,
// 4-D, each transform choice, extensions) and compares with nibabel's own
// reading of them.
func TestNibabelWrittenFiles(t *testing.T) {
	dir := t.TempDir()
	var cases []struct {
		Path   string `json:"path"`
		Expect string `json:"expect"`
	}
	if err := json.Unmarshal(runNibabel(t, nil, "generate", dir), &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("nibabel generated only %d files", len(cases))
	}
	var paths []string
	for _, c := range cases {
		paths = append(paths, c.Path)
	}
	refs := inspect(t, paths, true)
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(filepath.Base(c.Path), func(t *testing.T) {
			ref := refs[c.Path]
			if ref.Error != "" {
				t.Fatalf("nibabel cannot read its own file: %s", ref.Error)
			}
			im, err := ReadFile(context.Background(), c.Path, ReadOptions{})
			switch c.Expect {
			case "geometry":
				if !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), "shear") {
					t.Fatalf("error = %v, want ErrGeometry about shear", err)
				}
				return
			case "unsupported":
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("error = %v, want ErrUnsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			seen[fmt.Sprintf("v%d %s %v %v", im.Header.Version, im.Header.Datatype, im.Header.ByteOrder, im.Source)] = true
			if im.Header.VoxOffset != ref.VoxOffset {
				t.Errorf("vox_offset %d, nibabel %d", im.Header.VoxOffset, ref.VoxOffset)
			}
			if d := affineDiff(im.Grid.RAS(), ref.Affine); d > 1e-4 {
				t.Errorf("affine (%v) differs from nibabel's by %g:\nours    %v\nnibabel %v", im.Source, d, im.Grid.RAS(), ref.Affine)
			}
			slope, inter := 1.0, 0.0
			if im.Scaled() {
				slope, inter = im.Header.SclSlope, im.Header.SclInter
			}
			if !near(slope, ref.Slope, 1e-12) || !near(inter, ref.Inter, 1e-12) {
				t.Errorf("scaling %g/%g, nibabel %g/%g", slope, inter, ref.Slope, ref.Inter)
			}
			if strings.HasPrefix(filepath.Base(c.Path), "no_xform") {
				if im.Source != FromPixdim || len(im.Warnings) == 0 {
					t.Errorf("no transform: source %v, warnings %q", im.Source, im.Warnings)
				}
			}
			checkQform(t, &im.Header, ref)
			checkVoxels(t, c.Path, ref)
		})
	}
	// The matrix must really cover both versions, byte orders and sources.
	for _, want := range []string{"v1 int16 LittleEndian sform", "v2 float64 LittleEndian sform", "v1 uint64 BigEndian sform",
		"v1 rgb24 BigEndian sform", "v2 float32 BigEndian sform", "v1 int16 LittleEndian qform", "v1 int16 LittleEndian pixdim"} {
		if !seen[want] {
			t.Errorf("no generated file read as %q (have %v)", want, seen)
		}
	}
}

// TestReferenceNIfTIs reads the reference NIfTIs that the DICOM → NIfTI
// conversion will be compared with (dcm2niix's dcm_qa_ts/Ref, dicom2nifti's
// ground truths, TotalSegmentator's label map) and checks them against
// nibabel and against the facts DICOM-MANIFEST.md records.
func TestReferenceNIfTIs(t *testing.T) {
	facts := map[string]struct {
		shape  [4]int
		dtype  Datatype
		sum    float64 // voxel sum over all volumes, when not 0
		labels int     // distinct values, when not 0
		affine [3][4]float64
	}{
		"dicom-dcm_qa_ts/Ref/1.nii": {shape: [4]int{64, 64, 35, 1}, dtype: Int16, sum: 38036663,
			affine: [3][4]float64{{-3.25, 0, 0, 104.0}, {0, 3.231, -0.3888, -58.6843}, {0, 0.351, 3.5789, -84.798}}},
		"ct-totalsegmentator/example_seg_dicom.nii.gz": {shape: [4]int{512, 512, 20, 1}, dtype: Uint8, labels: 32,
			affine: [3][4]float64{{-0.9766, 0, 0, 249.5117}, {0, 0.9766, 0, -61.5117}, {0, 0, 2, -804.5}}},
		"dicom-dicom2nifti/generic/rgb/001_ground_truth.nii.gz":                      {shape: [4]int{52, 77, 4, 1}, dtype: RGBA32},
		"dicom-dicom2nifti/ge/fmri/001_ground_truth.nii.gz":                          {shape: [4]int{64, 64, 4, 2}, dtype: Int16},
		"dicom-dicom2nifti/philips_enhanced/fmri/001_ground_truth.nii.gz":            {shape: [4]int{64, 64, 8, 4}, dtype: Float32},
		"dicom-dicom2nifti/generic/anatomical/002_non_isotropic_ground_truth.nii.gz": {shape: [4]int{64, 28, 4, 1}, dtype: Float64},
		"dicom-dicom2nifti/ge/anatomical/001_single_slice_ground_truth.nii.gz":       {shape: [4]int{256, 256, 1, 1}, dtype: Int16},
	}
	root := shareddata.Path(t, "")
	var paths []string
	for _, pattern := range []string{"dicom-dcm_qa_ts/Ref/*.nii", "dicom-dicom2nifti/*/*/*_ground_truth.nii.gz", "ct-totalsegmentator/*.nii.gz"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if len(paths) != 19 {
		t.Fatalf("found %d reference NIfTIs, the manifest lists 19", len(paths))
	}
	refs := inspect(t, paths, true)
	for _, p := range paths {
		rel, _ := filepath.Rel(root, p)
		t.Run(rel, func(t *testing.T) {
			ref := refs[p]
			im, err := ReadFile(context.Background(), p, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if d := affineDiff(im.Grid.RAS(), ref.Affine); d > 1e-4 {
				t.Errorf("affine differs from nibabel's by %g", d)
			}
			checkVoxels(t, p, ref)
			f, ok := facts[filepath.ToSlash(rel)]
			if !ok {
				return
			}
			if got := [4]int{im.Grid.Columns, im.Grid.Rows, im.Grid.Slices, im.Volumes}; got != f.shape || im.Header.Datatype != f.dtype {
				t.Errorf("%v %v, manifest %v %v", got, im.Header.Datatype, f.shape, f.dtype)
			}
			a := im.Grid.RAS()
			for r := range 3 {
				for c := range 4 {
					if f.affine != ([3][4]float64{}) && !near(a[r][c], f.affine[r][c], 1e-4) {
						t.Errorf("affine %v, manifest %v", a, f.affine)
					}
				}
			}
			if f.sum != 0 && ref.Sum != f.sum {
				t.Errorf("nibabel's voxel sum %f, manifest %f", ref.Sum, f.sum)
			}
			if f.labels != 0 {
				var seen [256]bool
				distinct := 0
				for k := range im.Grid.Slices {
					s, _ := im.Slice(k, nil)
					for _, v := range s {
						if !seen[uint8(v)] {
							seen[uint8(v)] = true
							distinct++
						}
					}
				}
				if distinct != f.labels {
					t.Errorf("%d distinct labels, manifest %d", distinct, f.labels)
				}
			}
		})
	}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
