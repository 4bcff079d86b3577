package host

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/internal/shareddata"
	"github.com/mmcseg/mmcseg/nifti"
)

// niiVolume is a NIfTI file read for comparison: its affine (as a reader
// chooses it) and every volume's voxels.
type niiVolume struct {
	path   string
	aff    geom.Affine
	dims   [3]int
	grey   [][]float32 // per volume, i fastest
	rgb    [][]uint8
	dtype  nifti.Datatype
	scaled bool
}

func readNII(t *testing.T, path string) *niiVolume {
	t.Helper()
	ctx := context.Background()
	h, err := nifti.ReadHeaderFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	aff, _, _, err := h.Affine()
	if err != nil {
		t.Fatal(err)
	}
	v := &niiVolume{path: path, aff: aff, dtype: h.Datatype}
	for vol := 0; ; vol++ {
		im, err := nifti.ReadFile(ctx, path, nifti.ReadOptions{Volume: vol})
		if err != nil {
			t.Fatal(err)
		}
		g := im.Grid
		v.dims = [3]int{g.Columns, g.Rows, g.Slices}
		v.scaled = im.Scaled()
		var grey []float32
		var rgb []uint8
		for k := range g.Slices {
			if h.Datatype.IsRGB() {
				s, err := im.SliceRGB(k, nil)
				if err != nil {
					t.Fatal(err)
				}
				rgb = append(rgb, s...)
			} else {
				s, err := im.Slice(k, nil)
				if err != nil {
					t.Fatal(err)
				}
				grey = append(grey, s...)
			}
		}
		v.grey, v.rgb = append(v.grey, grey), append(v.rgb, rgb)
		if vol+1 >= im.Volumes {
			return v
		}
	}
}

// inverse inverts an affine whose 3×3 part is invertible.
func inverse(a geom.Affine) geom.Affine {
	m := [3][3]float64{{a[0][0], a[0][1], a[0][2]}, {a[1][0], a[1][1], a[1][2]}, {a[2][0], a[2][1], a[2][2]}}
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	var inv geom.Affine
	for i := range 3 {
		for j := range 3 {
			// cofactor of m[j][i]
			r0, r1 := (j+1)%3, (j+2)%3
			c0, c1 := (i+1)%3, (i+2)%3
			inv[i][j] = (m[r0][c0]*m[r1][c1] - m[r0][c1]*m[r1][c0]) / det
		}
	}
	for i := range 3 {
		inv[i][3] = -(inv[i][0]*a[0][3] + inv[i][1]*a[1][3] + inv[i][2]*a[2][3])
	}
	inv[3][3] = 1
	return inv
}

func mul(a, b geom.Affine) geom.Affine {
	var c geom.Affine
	for i := range 4 {
		for j := range 4 {
			for k := range 4 {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
}

// voxelMap finds how the reference's voxel indices map onto ours: a
// signed permutation of the axes plus a whole-voxel shift (a reorientation,
// such as dcm2niix's flipped rows). It fails the test if the two grids do
// not place the same voxels at the same points within tol mm: the
// reference's eight corner voxels are compared in the world.
func voxelMap(t *testing.T, ours, ref *niiVolume, tol float64) func(i, j, k int) (int, int, int, bool) {
	t.Helper()
	m := mul(inverse(ours.aff), ref.aff)
	var perm [3]int
	var sign [3]int
	var shift [3]int
	for r := range 3 {
		found := 0
		for c := range 3 {
			switch v := m[r][c]; {
			case math.Abs(v-1) < 1e-3:
				perm[r], sign[r] = c, 1
				found++
			case math.Abs(v+1) < 1e-3:
				perm[r], sign[r] = c, -1
				found++
			case math.Abs(v) > 1e-3:
				t.Fatalf("%s: the grids are not a reorientation of each other: ours⁻¹·ref =\n%v", ref.path, m)
			}
		}
		if found != 1 {
			t.Fatalf("%s: ours⁻¹·ref is not a signed permutation:\n%v", ref.path, m)
		}
		shift[r] = int(math.Round(m[r][3]))
	}
	f := func(i, j, k int) (int, int, int, bool) {
		in := [3]int{i, j, k}
		var o [3]int
		for r := range 3 {
			o[r] = sign[r]*in[perm[r]] + shift[r]
			if o[r] < 0 || o[r] >= ours.dims[r] {
				return 0, 0, 0, false
			}
		}
		return o[0], o[1], o[2], true
	}
	// The corners, in millimetres.
	worst := 0.0
	for _, c := range [][3]int{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {1, 0, 1}, {0, 1, 1}, {1, 1, 1}} {
		i, j, k := c[0]*(ref.dims[0]-1), c[1]*(ref.dims[1]-1), c[2]*(ref.dims[2]-1)
		oi, oj, ok2, ok := f(i, j, k)
		if !ok {
			t.Fatalf("%s: reference voxel (%d,%d,%d) falls outside our %v grid", ref.path, i, j, k, ours.dims)
		}
		pr := ref.aff.Apply(geom.Vec3{float64(i), float64(j), float64(k)})
		po := ours.aff.Apply(geom.Vec3{float64(oi), float64(oj), float64(ok2)})
		d := pr.Sub(po).Norm()
		if d > tol {
			t.Fatalf("%s: voxel (%d,%d,%d) is at %v in the reference and %v in ours (%.2g mm apart)", ref.path, i, j, k, pr, po, d)
		}
		worst = max(worst, d)
	}
	t.Logf("%s: %v voxels, index map %v·%v+%v, corners agree within %.2g mm", filepath.Base(ref.path), ref.dims, sign, perm, shift, worst)
	if ours.dims[0]*ours.dims[1]*ours.dims[2] != ref.dims[0]*ref.dims[1]*ref.dims[2] {
		t.Fatalf("%s: %v voxels, ours %v", ref.path, ref.dims, ours.dims)
	}
	return f
}

// compareNII checks our conversion against a reference: the same affine
// after the reference's reorientation (1e-3 mm) and the same values at
// every voxel of every volume.
func compareNII(t *testing.T, ours, ref *niiVolume) {
	t.Helper()
	f := voxelMap(t, ours, ref, 1e-3)
	if len(ours.grey) != len(ref.grey) {
		t.Fatalf("%s: %d volumes, ours %d", ref.path, len(ref.grey), len(ours.grey))
	}
	od, rd := ours.dims, ref.dims
	bad := 0
	for v := range ref.grey {
		for k := range rd[2] {
			for j := range rd[1] {
				for i := range rd[0] {
					oi, oj, ok, _ := f(i, j, k)
					r := i + rd[0]*(j+rd[1]*k)
					o := oi + od[0]*(oj+od[1]*ok)
					if ref.rgb[v] != nil {
						if ours.rgb[v] == nil || [3]uint8(ref.rgb[v][3*r:3*r+3]) != [3]uint8(ours.rgb[v][3*o:3*o+3]) {
							bad++
						}
						continue
					}
					a, b := float64(ref.grey[v][r]), float64(ours.grey[v][o])
					if math.Abs(a-b) > 1e-5*max(1, math.Abs(a)) {
						if bad < 3 {
							t.Errorf("%s: volume %d voxel (%d,%d,%d) is %g, ours (%d,%d,%d) %g", ref.path, v, i, j, k, a, oi, oj, ok, b)
						}
						bad++
					}
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d voxels differ", ref.path, bad)
	} else {
		t.Logf("%s: all %d voxels × %d volumes equal", filepath.Base(ref.path), rd[0]*rd[1]*rd[2], len(ref.grey))
	}
}

func convertTo(t *testing.T, in []string, opts ConvertOptions) (*ConvertResult, *niiVolume) {
	t.Helper()
	opts.Inputs = in
	if opts.Out == "" {
		opts.Out = filepath.Join(t.TempDir(), "out.nii.gz")
	}
	res, err := Convert(context.Background(), opts)
	if err != nil {
		t.Fatalf("convert %v: %v", in, err)
	}
	return res, readNII(t, res.Files[0])
}

// TestConvertReferences converts every series of the corpus that comes
// with a reference NIfTI and compares geometry and voxels with it:
// dcm2niix's references of one Siemens mosaic in nine transfer syntaxes,
// and dicom2nifti's references of vendor series (compressed, oblique,
// enhanced multi-frame, 4-D, RGB, per-slice rescale, single slice).
func TestConvertReferences(t *testing.T) {
	qa := shareddata.Path(t, "dicom-dcm_qa_ts")
	d2n := shareddata.Path(t, "dicom-dicom2nifti")
	type tc struct {
		name, in, ref string
		volumes       int
		dtype         nifti.Datatype
	}
	var cases []tc
	for n := 1; n <= 9; n++ {
		cases = append(cases, tc{fmt.Sprintf("dcm_qa_ts/%d", n), filepath.Join(qa, "In", fmt.Sprintf("%d.dcm", n)), filepath.Join(qa, "Ref", fmt.Sprintf("%d.nii", n)), 1, nifti.Int16})
	}
	for _, c := range []struct {
		dir     string
		volumes int
		dtype   nifti.Datatype
	}{
		{"generic/compressed_jpeg/001", 1, nifti.Int16},
		{"philips_enhanced/fmri/001", 4, nifti.Float32},
		{"hyperfine/anatomical/001", 1, nifti.Int16},
		{"ge/fmri/001", 2, nifti.Int16},
		{"generic/rgb/001", 1, nifti.RGB24},
		{"hitachi/anatomical/001", 1, nifti.Int16},
		{"generic/anatomical/002_non_isotropic", 1, nifti.Float32},
		{"ge/anatomical/001_single_slice", 1, nifti.Int16},
	} {
		cases = append(cases, tc{"dicom2nifti/" + c.dir, filepath.Join(d2n, c.dir), filepath.Join(d2n, c.dir+"_ground_truth.nii.gz"), c.volumes, c.dtype})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, ours := convertTo(t, []string{c.in}, ConvertOptions{})
			ref := readNII(t, c.ref)
			if res.Volumes != c.volumes || res.FourD != (c.volumes > 1) || len(ours.grey) != c.volumes || res.Datatype != c.dtype {
				t.Errorf("%d volumes (4-D %v, %d read back), %v; want %d volumes, %v", res.Volumes, res.FourD, len(ours.grey), res.Datatype, c.volumes, c.dtype)
			}
			compareNII(t, ours, ref)
		})
	}
}

// TestConvertSplit writes a 4-D series as one file per volume, each equal
// to that volume of the reference.
func TestConvertSplit(t *testing.T) {
	d2n := shareddata.Path(t, "dicom-dicom2nifti")
	out := filepath.Join(t.TempDir(), "fmri.nii.gz")
	res, err := Convert(context.Background(), ConvertOptions{Inputs: []string{filepath.Join(d2n, "ge/fmri/001")}, Out: out, Split: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(out)
	if len(res.Files) != 2 || res.FourD || res.Files[0] != filepath.Join(dir, "fmri_vol1.nii.gz") || res.Files[1] != filepath.Join(dir, "fmri_vol2.nii.gz") {
		t.Fatalf("split: %+v", res)
	}
	ref := readNII(t, filepath.Join(d2n, "ge/fmri/001_ground_truth.nii.gz"))
	for v, f := range res.Files {
		one := *ref
		one.grey, one.rgb = ref.grey[v:v+1], ref.rgb[v:v+1]
		compareNII(t, readNII(t, f), &one)
	}
}

// TestConvertRefusals: series that are not volumes are refused with the
// reason (dicom2nifti refuses the same ones), and so are ambiguous inputs.
func TestConvertRefusals(t *testing.T) {
	d2n := shareddata.Path(t, "dicom-dicom2nifti")
	for dir, want := range map[string]error{
		"failing/slicecount/001":       dicomio.ErrTooFewSlices,
		"failing/notavolume/001":       dicomio.ErrSamePosition,
		"failing/sliceincrement/001":   dicomio.ErrIrregularSpacing,
		"failing/sliceorientation/001": dicomio.ErrMixedOrientation,
	} {
		out := filepath.Join(t.TempDir(), "x.nii.gz")
		_, err := Convert(context.Background(), ConvertOptions{Inputs: []string{filepath.Join(d2n, dir)}, Out: out})
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", dir, err, want)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("%s: a file was written", dir)
		}
	}
	// Gantry tilt is written, with the exact sheared sform.
	out := filepath.Join(t.TempDir(), "tilt.nii.gz")
	res, err := Convert(context.Background(), ConvertOptions{Inputs: []string{filepath.Join(d2n, "failing/gantrytilting/001")}, Out: out})
	if err != nil {
		t.Fatalf("gantry tilt: %v", err)
	}
	if h, err := nifti.ReadHeaderFile(context.Background(), out); err != nil || h.QformCode != 0 || h.SformCode != 1 || math.Abs(res.Grid.Tilt()-14) > 0.1 {
		t.Errorf("gantry tilt: %v, qform %d sform %d, tilt %.2f°", err, h.QformCode, h.SformCode, res.Grid.Tilt())
	}
	// Two series and no choice.
	_, err = Convert(context.Background(), ConvertOptions{Inputs: []string{filepath.Join(d2n, "ge"), filepath.Join(d2n, "hitachi")}, Out: filepath.Join(t.TempDir(), "y.nii")})
	if !errors.Is(err, ErrConvert) {
		t.Errorf("several series: %v", err)
	}
	if _, err := Convert(context.Background(), ConvertOptions{Inputs: []string{d2n}, Out: "x.mgz"}); !errors.Is(err, ErrConvert) {
		t.Errorf("bad output name: %v", err)
	}
}

// TestConvertTotalSegmentator compares the geometry of our conversion of
// the TotalSegmentator CT (JPEG 2000, empty UIDs) with TotalSegmentator's
// label map of it, which is stored with flipped rows.
func TestConvertTotalSegmentator(t *testing.T) {
	dir := shareddata.Path(t, "ct-totalsegmentator")
	res, ours := convertTo(t, []string{filepath.Join(dir, "example_ct_dicom")}, ConvertOptions{})
	ref := readNII(t, filepath.Join(dir, "example_seg_dicom.nii.gz"))
	f := voxelMap(t, ours, ref, 1e-3)
	// The rows are flipped: reference j = 511 is our row 0.
	if _, oj, _, _ := f(0, 511, 0); oj != 0 {
		t.Errorf("reference row 511 maps to our row %d, want 0", oj)
	}
	if res.Grid.Slices != 20 || res.Grid.SliceSpacing != 2 || res.Datatype != nifti.Int16 {
		t.Errorf("grid %+v, %v", res.Grid, res.Datatype)
	}
}

// TestConvertLIDCAgainstDcm2niix runs Debian's dcm2niix on the LIDC series
// and compares its output with ours: affine (after its row flip) and
// every voxel.
func TestConvertLIDCAgainstDcm2niix(t *testing.T) {
	lidc := shareddata.Path(t, "ct-lidc/LIDC-IDRI-0001")
	bin, err := exec.LookPath("dcm2niix")
	if err != nil {
		if shareddata.InCI() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	if out, err := exec.Command(bin, "-z", "n", "-b", "n", "-f", "lidc", "-o", dir, lidc).CombinedOutput(); err != nil {
		t.Fatalf("dcm2niix: %v\n%s", err, out)
	}
	ref := readNII(t, filepath.Join(dir, "lidc.nii"))
	_, ours := convertTo(t, []string{lidc}, ConvertOptions{})
	want := geom.Affine{{-0.703125, 0, 0, 166.0}, {0, -0.703125, 0, 171.699997}, {0, 0, 2.5, -340.0}, {0, 0, 0, 1}}
	for i := range 3 {
		for j := range 4 {
			if math.Abs(ours.aff[i][j]-want[i][j]) > 1e-4 {
				t.Fatalf("our affine %v, the manifest says %v", ours.aff, want)
			}
		}
	}
	compareNII(t, ours, ref)
}

// TestConvertPhantomRoundTrip: the asymmetric phantom goes DICOM → NIfTI →
// slices with every voxel in place, which no flip of any axis would give.
func TestConvertPhantomRoundTrip(t *testing.T) {
	ph, err := WritePhantom(context.Background(), t.TempDir(), PhantomOptions{Columns: 48, Rows: 40, Slices: 6, PixelSpacing: 7, SliceSpacing: 9})
	if err != nil {
		t.Fatal(err)
	}
	res, ours := convertTo(t, []string{ph.Dir}, ConvertOptions{})
	if res.Datatype != nifti.Int16 || ours.dims != [3]int{48, 40, 6} || ours.aff != ph.Grid.RAS() {
		t.Fatalf("%v %v, affine %v, want %v", res.Datatype, ours.dims, ours.aff, ph.Grid.RAS())
	}
	c, r, s := 48, 40, 6
	at := func(v []float32, i, j, k int) float32 { return v[i+c*(j+r*k)] }
	same, flips := true, [3]bool{}
	for k := range s {
		for j := range r {
			for i := range c {
				x := at(ph.HU, i, j, k)
				same = same && at(ours.grey[0], i, j, k) == x
				flips[0] = flips[0] || at(ph.HU, c-1-i, j, k) != x
				flips[1] = flips[1] || at(ph.HU, i, r-1-j, k) != x
				flips[2] = flips[2] || at(ph.HU, i, j, s-1-k) != x
			}
		}
	}
	if !same {
		t.Error("the NIfTI slices differ from the phantom")
	}
	if flips != [3]bool{true, true, true} {
		t.Errorf("the phantom is symmetric along some axis (%v): a flip would go unnoticed", flips)
	}
}
