package dicomio

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/codec"
	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// niftiRef is a reference volume as nibabel reads it.
type niftiRef struct {
	Shape  []int
	Affine [4][4]float64
	Data   []float64 // Fortran order (first index fastest); RGB has a last axis of 3
}

// loadNIfTI reads NIfTI files with nibabel, which applies the scaling, so
// that our volumes are compared against an independent reader.
func loadNIfTI(t *testing.T, paths ...string) []*niftiRef { return nibabel(t, true, paths) }

// niftiAffine reads only the shape and affine.
func niftiAffine(t *testing.T, path string) *niftiRef { return nibabel(t, false, []string{path})[0] }

func nibabel(t *testing.T, withData bool, paths []string) []*niftiRef {
	t.Helper()
	py := python(t)
	if err := exec.Command(py, "-c", "import nibabel").Run(); err != nil {
		if shareddata.InCI() {
			t.Fatalf("nibabel: %v", err)
		}
		t.Skipf("nibabel missing: %v", err)
	}
	dir := t.TempDir()
	const script = `
import sys, json, numpy as np, nibabel as nib
out, with_data = sys.argv[1], sys.argv[2] == '1'
for i, p in enumerate(sys.argv[3:]):
    img = nib.load(p)
    shape = list(img.shape)
    if with_data:
        d = np.asanyarray(img.dataobj)
        if d.dtype.names:  # RGB(A)
            d = np.stack([d['R'], d['G'], d['B']], axis=-1)
        shape = list(d.shape)
        np.asarray(d, dtype='<f8').ravel(order='F').tofile('%s/%d.raw' % (out, i))
    json.dump({'Shape': shape, 'Affine': img.affine.tolist()}, open('%s/%d.json' % (out, i), 'w'))
`
	flag := "0"
	if withData {
		flag = "1"
	}
	out, err := exec.Command(py, append([]string{"-c", script, dir, flag}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("nibabel: %v\n%s", err, out)
	}
	refs := make([]*niftiRef, len(paths))
	for i := range paths {
		r := &niftiRef{}
		j, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.json", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(j, r); err != nil {
			t.Fatal(err)
		}
		refs[i] = r
		if !withData {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.raw", i)))
		if err != nil {
			t.Fatal(err)
		}
		r.Data = make([]float64, len(raw)/8)
		for k := range r.Data {
			r.Data[k] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*k:]))
		}
	}
	return refs
}

// invert inverts the 3×4 part of an affine.
func invert(a [4][4]float64) [4][4]float64 {
	m := [3][3]float64{{a[0][0], a[0][1], a[0][2]}, {a[1][0], a[1][1], a[1][2]}, {a[2][0], a[2][1], a[2][2]}}
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	var inv [4][4]float64
	inv[0][0] = (m[1][1]*m[2][2] - m[1][2]*m[2][1]) / det
	inv[0][1] = (m[0][2]*m[2][1] - m[0][1]*m[2][2]) / det
	inv[0][2] = (m[0][1]*m[1][2] - m[0][2]*m[1][1]) / det
	inv[1][0] = (m[1][2]*m[2][0] - m[1][0]*m[2][2]) / det
	inv[1][1] = (m[0][0]*m[2][2] - m[0][2]*m[2][0]) / det
	inv[1][2] = (m[0][2]*m[1][0] - m[0][0]*m[1][2]) / det
	inv[2][0] = (m[1][0]*m[2][1] - m[1][1]*m[2][0]) / det
	inv[2][1] = (m[0][1]*m[2][0] - m[0][0]*m[2][1]) / det
	inv[2][2] = (m[0][0]*m[1][1] - m[0][1]*m[1][0]) / det
	for r := 0; r < 3; r++ {
		inv[r][3] = -(inv[r][0]*a[0][3] + inv[r][1]*a[1][3] + inv[r][2]*a[2][3])
	}
	inv[3][3] = 1
	return inv
}

// compareWorld checks every voxel of every slice of s against the
// reference voxel at the same place in patient space: the geometry must put
// each of our voxels on a reference voxel centre (within 0.02 voxel), the
// two must cover the same voxels, and the values must agree within tol
// (relative to max(1, |value|)).
func compareWorld(t *testing.T, name string, s *Series, ref *niftiRef, tol float64) {
	t.Helper()
	nx, ny, nz, nt := ref.Shape[0], ref.Shape[1], 1, 1
	rgb := s.SamplesPerPixel == 3
	dims := ref.Shape
	if rgb {
		dims = dims[:len(dims)-1]
	}
	if len(dims) > 2 {
		nz = dims[2]
	}
	if len(dims) > 3 {
		nt = dims[3]
	}
	if nt != s.Volumes || nx*ny*nz != s.Grid.Rows*s.Grid.Columns*s.Grid.Slices {
		t.Fatalf("%s: reference %v, ours %d×%d×%d × %d volumes", name, ref.Shape, s.Grid.Columns, s.Grid.Rows, s.Grid.Slices, s.Volumes)
	}
	ours := s.Grid.RAS()
	inv := invert(ref.Affine)
	seen := make([]bool, nx*ny*nz)
	bad := 0
	for i, sl := range s.Slices {
		v, k := i/s.Grid.Slices, i%s.Grid.Slices
		slice, err := s.ReadSlice(context.Background(), i)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for r := 0; r < slice.Rows; r++ {
			for c := 0; c < slice.Columns; c++ {
				w := ours.Apply(geom.Vec3{float64(c), float64(r), float64(k)})
				idx := geom.Affine(inv).Apply(w)
				var ix [3]int
				for d := 0; d < 3; d++ {
					ix[d] = int(math.Round(idx[d]))
					if math.Abs(idx[d]-float64(ix[d])) > 0.02 {
						t.Fatalf("%s: voxel (%d,%d,%d) of %s lands between reference voxels at %v", name, c, r, k, sl.Path, idx)
					}
				}
				if ix[0] < 0 || ix[0] >= nx || ix[1] < 0 || ix[1] >= ny || ix[2] < 0 || ix[2] >= nz {
					t.Fatalf("%s: voxel (%d,%d,%d) maps outside the reference, to %v", name, c, r, k, ix)
				}
				lin := ix[0] + nx*(ix[1]+ny*ix[2])
				if v == 0 {
					seen[lin] = true
				}
				vol := nx * ny * nz
				if rgb {
					for ch := 0; ch < 3; ch++ {
						want := ref.Data[lin+vol*ch]
						got := float64(slice.RGB[3*(r*slice.Columns+c)+ch])
						if math.Abs(got-want) > tol {
							bad++
							if bad < 5 {
								t.Errorf("%s: voxel (%d,%d,%d) channel %d = %v, reference %v", name, c, r, k, ch, got, want)
							}
						}
					}
					continue
				}
				want := ref.Data[lin+vol*v]
				got := float64(slice.Grey[r*slice.Columns+c])
				if math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
					bad++
					if bad < 5 {
						t.Errorf("%s: volume %d voxel (%d,%d,%d) = %v, reference %v", name, v, c, r, k, got, want)
					}
				}
			}
		}
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("%s: reference voxel %d is not covered", name, i)
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d values differ", name, bad)
	}
}

func scanDir(t *testing.T, rel string) *Series {
	t.Helper()
	res, err := Scan(context.Background(), []string{shareddata.Path(t, rel)}, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return only(t, res)
}

// decodes reports whether this build decodes every slice of s.
func decodes(s *Series) bool {
	for _, ts := range s.TransferSyntaxes {
		if !nativeSyntax(ts) && !codec.Supported(ts) {
			return false
		}
	}
	return true
}

// TestDicom2niftiReferences compares the series that must load with the
// NIfTI files dicom2nifti wrote for them, in patient space: geometry, slice
// order, 4-D splitting, rescale and colour.
func TestDicom2niftiReferences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		dir string
		tol float64
	}{
		{"ge/anatomical/001_single_slice", 0},
		{"ge/fmri/001", 0},
		{"generic/anatomical/002_non_isotropic", 1e-6},
		{"generic/compressed_jpeg/001", 0},
		{"generic/rgb/001", 0},
		{"hitachi/anatomical/001", 0},
		{"hyperfine/anatomical/001", 0},
		{"philips_enhanced/fmri/001", 1e-6},
		{"failing/slicecount/001", 0}, // rejected as a volume, but its slices match
	}
	var series []*Series
	var refs []string
	for _, c := range cases {
		s := scanDir(t, "dicom-dicom2nifti/"+c.dir)
		series = append(series, s)
		refs = append(refs, shareddata.Path(t, "dicom-dicom2nifti/"+c.dir+"_ground_truth.nii.gz"))
	}
	loaded := loadNIfTI(t, refs...)
	for i, c := range cases {
		if !decodes(series[i]) {
			t.Logf("%s: %s not decodable in this build", c.dir, series[i].TransferSyntaxes)
			continue
		}
		compareWorld(t, c.dir, series[i], loaded[i], c.tol)
	}
}

// TestMosaicAgainstDcm2niix de-mosaics the same Siemens EPI in 9 transfer
// syntaxes and compares each with dcm2niix's NIfTI, voxel by voxel in
// patient space.
func TestMosaicAgainstDcm2niix(t *testing.T) {
	t.Parallel()
	var series []*Series
	var refs []string
	for n := 1; n <= 9; n++ {
		p := shareddata.Path(t, fmt.Sprintf("dicom-dcm_qa_ts/In/%d.dcm", n))
		res, err := Scan(context.Background(), []string{p}, ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := only(t, res)
		if !s.Mosaic || s.VolumeErr != nil || s.Grid.Slices != 35 || math.Abs(s.Grid.SliceSpacing-3.6) > 1e-6 {
			t.Fatalf("%d.dcm: mosaic=%v %d slices, spacing %v, %v", n, s.Mosaic, s.Grid.Slices, s.Grid.SliceSpacing, s.VolumeErr)
		}
		series = append(series, s)
		refs = append(refs, shareddata.Path(t, fmt.Sprintf("dicom-dcm_qa_ts/Ref/%d.nii", n)))
	}
	loaded := loadNIfTI(t, refs...)
	var first []float32
	for i, s := range series {
		if !decodes(s) {
			t.Logf("%d.dcm: %s not decodable in this build", i+1, s.TransferSyntaxes)
			continue
		}
		compareWorld(t, fmt.Sprintf("%d.dcm", i+1), s, loaded[i], 0)
		v, err := s.Volume(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, x := range v.Grey {
			sum += float64(x)
		}
		if sum != 38036663 {
			t.Errorf("%d.dcm: voxel sum %v, want 38036663", i+1, sum)
		}
		if first == nil {
			first = v.Grey
		} else {
			for j := range first {
				if first[j] != v.Grey[j] {
					t.Fatalf("%d.dcm differs from 1.dcm at %d", i+1, j)
				}
			}
		}
	}
}

func TestLIDC(t *testing.T) {
	t.Parallel()
	s := scanDir(t, "ct-lidc/LIDC-IDRI-0001")
	g := s.Grid
	if s.VolumeErr != nil || g.Slices != 133 || g.Rows != 512 || g.Columns != 512 || g.SliceSpacing != 2.5 ||
		g.RowSpacing != 0.703125 || g.ColSpacing != 0.703125 || !s.Signed || s.Modality != "CT" {
		t.Fatalf("LIDC: %+v signed=%v %v", g, s.Signed, s.VolumeErr)
	}
	if s.Slices[0].Position[2] != -340 || s.Slices[132].Position[2] != -10 || s.Slices[0].InstanceNumber != 133 || s.Slices[132].InstanceNumber != 1 {
		t.Errorf("order: first z %v (#%d), last z %v (#%d)", s.Slices[0].Position[2], s.Slices[0].InstanceNumber, s.Slices[132].Position[2], s.Slices[132].InstanceNumber)
	}
	for k := 1; k < 133; k++ {
		if d := s.Slices[k].Position[2] - s.Slices[k-1].Position[2]; d != 2.5 {
			t.Fatalf("slice %d: step %v", k, d)
		}
	}
	// The affine the manifest gives for NIfTI (RAS, i = column, j = row).
	want := [4][4]float64{{-0.703125, 0, 0, 166.0}, {0, -0.703125, 0, 171.699997}, {0, 0, 2.5, -340.0}, {0, 0, 0, 1}}
	got := g.RAS()
	for r := 0; r < 4; r++ {
		for c := 0; c < 4; c++ {
			if math.Abs(got[r][c]-want[r][c]) > 1e-9 {
				t.Errorf("RAS affine %v, want %v", got, want)
			}
		}
	}
	v, err := s.Volume(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sum, stored float64
	for _, x := range v.Grey {
		sum += float64(x)
		stored += float64(x) + 1024
	}
	if stored != 6870389871 {
		t.Errorf("sum of stored values %v, want 6870389871", stored)
	}
	if mean := sum / float64(len(v.Grey)); math.Abs(mean-(-826.9439)) > 5e-5 {
		t.Errorf("mean HU %v, want -826.9439", mean)
	}
	// Slice at z = −175 (file 000038.dcm): HU at row 256, column 256 is 399.
	k := int((-175 - -340) / 2.5)
	if !strings.HasSuffix(s.Slices[k].Path, "000038.dcm") {
		t.Errorf("slice at z=-175 is %s", s.Slices[k].Path)
	}
	if hu := v.Grey[(k*512+256)*512+256]; hu != 399 {
		t.Errorf("HU at (256,256) of z=-175: %v, want 399", hu)
	}
}

func TestTotalSegmentator(t *testing.T) {
	t.Parallel()
	s := scanDir(t, "ct-totalsegmentator/example_ct_dicom")
	g := s.Grid
	if s.VolumeErr != nil || !strings.HasPrefix(s.Key, "synthetic-") || g.Slices != 20 || g.SliceSpacing != 2 || g.Origin[2] != -804.5 {
		t.Fatalf("%s: %+v %v", s.Key, g, s.VolumeErr)
	}
	warned := false
	for _, w := range s.Warnings {
		warned = warned || strings.Contains(w, "SeriesInstanceUID is empty")
	}
	if !warned {
		t.Errorf("no warning about the empty UID: %q", s.Warnings)
	}
	// TotalSegmentator's label map of this CT stores y flipped against
	// DICOM rows: its voxel (i, j, k) is our (column i, row 511−j, slice k).
	ref := niftiAffine(t, shareddata.Path(t, "ct-totalsegmentator/example_seg_dicom.nii.gz"))
	ours := g.RAS()
	for _, ijk := range [][3]float64{{0, 0, 0}, {511, 0, 0}, {0, 511, 19}, {100, 200, 7}} {
		w := ours.Apply(geom.Vec3{ijk[0], 511 - ijk[1], ijk[2]})
		r := geom.Affine(ref.Affine).Apply(geom.Vec3(ijk))
		if !near(w, r, 1e-3) {
			t.Errorf("voxel %v: ours at %v, reference at %v", ijk, w, r)
		}
	}
	if !decodes(s) {
		t.Skipf("JPEG 2000 not decodable in this build")
	}
	// The top slice is InstanceNumber 267 at z = −766.5; the first file
	// decodes to stored values 0…2460, HU = stored − 1024.
	if top := s.Slices[19]; top.InstanceNumber != 267 || top.Position[2] != -766.5 {
		t.Errorf("top slice #%d at z %v", top.InstanceNumber, top.Position[2])
	}
	k := -1
	for i, ref := range s.Slices {
		if strings.HasSuffix(ref.Path, "16573") {
			k = i
		}
	}
	sl, err := s.ReadSlice(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range sl.Grey {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != -1024 || hi != 2460-1024 {
		t.Errorf("HU range %v…%v, want -1024…1436", lo, hi)
	}
}
