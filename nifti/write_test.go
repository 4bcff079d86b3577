package nifti

import (
	"context"
	"encoding/binary"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/geom"
)

// rotated returns the unit vectors x, y, z turned by angles a, b, c about
// x, y and z in turn.
func rotated(a, b, c float64) (x, y, z geom.Vec3) {
	rot := func(v geom.Vec3) geom.Vec3 {
		// about x
		v = geom.Vec3{v[0], v[1]*math.Cos(a) - v[2]*math.Sin(a), v[1]*math.Sin(a) + v[2]*math.Cos(a)}
		// about y
		v = geom.Vec3{v[0]*math.Cos(b) + v[2]*math.Sin(b), v[1], -v[0]*math.Sin(b) + v[2]*math.Cos(b)}
		// about z
		return geom.Vec3{v[0]*math.Cos(c) - v[1]*math.Sin(c), v[0]*math.Sin(c) + v[1]*math.Cos(c), v[2]}
	}
	return rot(geom.Vec3{1, 0, 0}), rot(geom.Vec3{0, 1, 0}), rot(geom.Vec3{0, 0, 1})
}

// phantomGrid is deliberately asymmetric: non-square pixels, different
// sizes on every axis, double-oblique directions and descending slices
// (SliceDir = −Normal, a left-handed voxel frame, so qfac is −1).
func phantomGrid() geom.Grid {
	r, c, _ := rotated(0.35, -0.25, 0.6)
	g := geom.Grid{
		Columns: 7, Rows: 5, Slices: 4,
		Origin: geom.Vec3{-120.25, 35.5, 210.75},
		RowDir: r, ColDir: c,
		RowSpacing: 0.6, ColSpacing: 0.9, SliceSpacing: 2.5,
	}
	g.SliceDir = g.Normal().Scale(-1)
	return g
}

// lidcGrid has the orientation, spacing and origin of LIDC-IDRI-0001
// (DICOM-MANIFEST.md), with fewer voxels to keep the test small.
func lidcGrid(cols, rows, slices int) geom.Grid {
	return geom.Grid{
		Columns: cols, Rows: rows, Slices: slices,
		Origin: geom.Vec3{-166.0, -171.699997, -340.0},
		RowDir: geom.Vec3{1, 0, 0}, ColDir: geom.Vec3{0, 1, 0}, SliceDir: geom.Vec3{0, 0, 1},
		RowSpacing: 0.703125, ColSpacing: 0.703125, SliceSpacing: 2.5,
	}
}

// tiltedGrid is an axial CT stack with a 15° gantry tilt: slices move along
// a direction that is not perpendicular to them.
func tiltedGrid() geom.Grid {
	g := lidcGrid(16, 12, 6)
	a := 15 * math.Pi / 180
	g.SliceDir = geom.Vec3{0, math.Sin(a), math.Cos(a)}
	return g
}

// roundedGrid has ImageOrientationPatient rounded to 5 decimals, as some
// scanners write it: almost, not exactly, orthonormal.
func roundedGrid() geom.Grid {
	r, c, _ := rotated(0.2, 0.1, -0.3)
	round := func(v geom.Vec3) geom.Vec3 {
		for i := range v {
			v[i] = math.Round(v[i]*1e5) / 1e5
		}
		return v
	}
	g := geom.Grid{Columns: 64, Rows: 64, Slices: 30, Origin: geom.Vec3{-100, -110, 50},
		RowDir: round(r), ColDir: round(c), RowSpacing: 0.9375, ColSpacing: 0.9375, SliceSpacing: 4}
	g.SliceDir = g.Normal()
	return g
}

// lpsToRASByHand computes the RAS position of voxel (i, j, k) straight from
// the Grid's definition, without geom's affines: an independent statement
// of what every file must encode.
func lpsToRASByHand(g geom.Grid, i, j, k float64) geom.Vec3 {
	var p geom.Vec3
	for a := range 3 {
		p[a] = g.Origin[a] + i*g.ColSpacing*g.RowDir[a] + j*g.RowSpacing*g.ColDir[a] + k*g.SliceSpacing*g.SliceDir[a]
	}
	return geom.Vec3{-p[0], -p[1], p[2]}
}

// pattern fills n voxels with values that differ at every position.
func pattern(n int, f func(i int) float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = f(i)
	}
	return v
}

type writeCase struct {
	name     string
	grid     geom.Grid
	volumes  int
	write    func(ctx context.Context, path string) (Info, error)
	want     []float32 // the values nibabel must read (scaled), or nil for RGB
	rgb      []byte
	dtype    string
	intent   int
	calMax   float64
	qform    bool // qform_code 1 expected
	exactQ   bool // qform equal to sform within 1e-5 entrywise
	tr       float64
	descrip  string
	warnings string // a substring Info.Warnings must hold
}

func writeCases() []writeCase {
	var cases []writeCase

	{ // label map with LIDC geometry, written as mmcseg writes masks
		g := lidcGrid(40, 30, 12)
		n := g.Columns * g.Rows * g.Slices
		labels := make([]uint8, n)
		for i := range labels {
			labels[i] = uint8((i * 7 / 13) % 4) // 0..3
		}
		table := LabelTable{{Value: 1, Name: "lung", Color: [3]uint8{255, 0, 0}},
			{Value: 2, Name: "vessel", Color: [3]uint8{0, 0, 255}}, {Value: 3, Name: "nodule", Color: [3]uint8{0, 255, 0}}}
		cases = append(cases, writeCase{name: "label_lidc.nii.gz", grid: g, dtype: "uint8", intent: 1002, calMax: 3,
			qform: true, exactQ: true, descrip: "mmcseg dev kmeans", want: toF32(labels),
			write: func(ctx context.Context, p string) (Info, error) {
				return WriteLabels(ctx, p, g, labels, table, WriteOptions{Descrip: "mmcseg dev kmeans"})
			}})
	}
	{ // label map on the asymmetric phantom
		g := phantomGrid()
		labels := make([]uint8, g.Columns*g.Rows*g.Slices)
		for i := range labels {
			labels[i] = uint8(i % 251)
		}
		cases = append(cases, writeCase{name: "label_phantom.nii", grid: g, dtype: "uint8", intent: 1002, calMax: 139,
			qform: true, exactQ: true, want: toF32(labels),
			write: func(ctx context.Context, p string) (Info, error) {
				return WriteLabels(ctx, p, g, labels, nil, WriteOptions{})
			}})
	}
	{ // CT in stored values with the rescale intercept in the header
		g := lidcGrid(20, 18, 5)
		v := pattern(g.Columns*g.Rows*g.Slices, func(i int) float64 { return float64((i*37)%4000 - 1000) })
		stored := make([]int16, len(v))
		want := make([]float32, len(v))
		for i, x := range v {
			stored[i] = int16(x)
			want[i] = float32(x - 1024)
		}
		cases = append(cases, writeCase{name: "ct_int16.nii", grid: g, dtype: "int16", qform: true, exactQ: true, want: want,
			write: func(ctx context.Context, p string) (Info, error) {
				return Write(ctx, p, g, stored, WriteOptions{SclSlope: 1, SclInter: -1024})
			}})
	}
	{ // uint16 MR on the phantom
		g := phantomGrid()
		data := make([]uint16, g.Columns*g.Rows*g.Slices)
		for i := range data {
			data[i] = uint16(65535 - i*401)
		}
		cases = append(cases, writeCase{name: "mr_uint16.nii.gz", grid: g, dtype: "uint16", qform: true, exactQ: true, want: toF32(data),
			write: func(ctx context.Context, p string) (Info, error) { return Write(ctx, p, g, data, WriteOptions{}) }})
	}
	{ // float32 with NaN and infinities
		g := phantomGrid()
		data := make([]float32, g.Columns*g.Rows*g.Slices)
		for i := range data {
			data[i] = float32(math.Sin(float64(i))) * 1e3
		}
		data[3], data[10], data[11] = float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))
		cases = append(cases, writeCase{name: "float32.nii.gz", grid: g, dtype: "float32", qform: true, exactQ: true, want: data,
			write: func(ctx context.Context, p string) (Info, error) { return Write(ctx, p, g, data, WriteOptions{}) }})
	}
	{ // colour
		g := lidcGrid(9, 7, 3)
		rgb := make([]byte, 3*g.Columns*g.Rows*g.Slices)
		for i := range rgb {
			rgb[i] = byte(i * 13)
		}
		cases = append(cases, writeCase{name: "rgb.nii", grid: g, dtype: "rgb", qform: true, exactQ: true, rgb: rgb,
			write: func(ctx context.Context, p string) (Info, error) { return WriteRGB(ctx, p, g, rgb, WriteOptions{}) }})
	}
	{ // 4-D
		g := phantomGrid()
		data := make([]int16, g.Columns*g.Rows*g.Slices*3)
		for i := range data {
			data[i] = int16(i*3 - 500)
		}
		cases = append(cases, writeCase{name: "fmri_4d.nii.gz", grid: g, volumes: 3, tr: 2.5, dtype: "int16", qform: true, exactQ: true, want: toF32(data),
			write: func(ctx context.Context, p string) (Info, error) {
				return Write(ctx, p, g, data, WriteOptions{Volumes: 3, TR: 2.5})
			}})
	}
	{ // gantry tilt: sform only
		g := tiltedGrid()
		data := make([]int16, g.Columns*g.Rows*g.Slices)
		for i := range data {
			data[i] = int16(i)
		}
		cases = append(cases, writeCase{name: "tilted.nii.gz", grid: g, dtype: "int16", qform: false, want: toF32(data), warnings: "gantry tilt",
			write: func(ctx context.Context, p string) (Info, error) { return Write(ctx, p, g, data, WriteOptions{}) }})
	}
	{ // rounded orientation: qform kept, agreeing within QformTolerance
		g := roundedGrid()
		data := make([]uint8, g.Columns*g.Rows*g.Slices)
		cases = append(cases, writeCase{name: "rounded_iop.nii.gz", grid: g, dtype: "uint8", intent: 1002, qform: true, want: toF32(data),
			write: func(ctx context.Context, p string) (Info, error) {
				return WriteLabels(ctx, p, g, data, nil, WriteOptions{})
			}})
	}
	return cases
}

func toF32[T Voxel](v []T) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// TestWrittenFilesReadByNibabel writes each kind of file mmcseg produces and
// has nibabel read it: the affine we meant (sform, and qform equal to it),
// codes, intent, units, descrip, zooms, and every voxel value.
func TestWrittenFilesReadByNibabel(t *testing.T) {
	needNibabel(t)
	dir := t.TempDir()
	cases := writeCases()
	var paths []string
	infos := map[string]Info{}
	for _, c := range cases {
		p := filepath.Join(dir, c.name)
		info, err := c.write(context.Background(), p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		infos[c.name] = info
		paths = append(paths, p)
	}
	refs := inspect(t, paths, true)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref, info := refs[paths[i]], infos[c.name]
			if ref.Error != "" {
				t.Fatalf("nibabel cannot read it: %s", ref.Error)
			}
			g := c.grid
			vols := max(c.volumes, 1)
			wantShape := []int{g.Columns, g.Rows, g.Slices}
			if vols > 1 {
				wantShape = append(wantShape, vols)
			}
			if !equalInts(ref.Shape, wantShape) {
				t.Errorf("nibabel shape %v, want %v", ref.Shape, wantShape)
			}
			if c.dtype == "rgb" {
				if !strings.Contains(ref.Dtype, "'R', 'u1'") {
					t.Errorf("nibabel dtype %s, want RGB", ref.Dtype)
				}
			} else if ref.Dtype != c.dtype {
				t.Errorf("nibabel dtype %s, want %s", ref.Dtype, c.dtype)
			}
			if ref.SizeofHdr != 348 || ref.Endian != "<" || ref.VoxOffset != 352 {
				t.Errorf("sizeof_hdr %d endian %s vox_offset %d", ref.SizeofHdr, ref.Endian, ref.VoxOffset)
			}

			// Geometry: the sform and the affine nibabel uses are the RAS
			// positions we meant, checked at the corners against the
			// by-hand LPS→RAS.
			for _, m := range [][][]float64{ref.Sform, ref.Affine} {
				a := toAffine(m)
				for _, ijk := range corners(g) {
					want := lpsToRASByHand(g, ijk[0], ijk[1], ijk[2])
					if d := a.Apply(ijk).Sub(want).Norm(); d > 1e-3 {
						t.Errorf("voxel %v at %v, want %v (%g mm off)", ijk, a.Apply(ijk), want, d)
					}
				}
			}
			if d := affineDiff(g.RAS(), ref.Sform); d > 1e-4 {
				t.Errorf("sform differs from Grid.RAS() by %g", d)
			}
			if ref.SformCode != 1 {
				t.Errorf("sform_code %d, want 1", ref.SformCode)
			}
			wantQ := 0
			if c.qform {
				wantQ = 1
			}
			if ref.QformCode != wantQ || int(info.QformCode) != wantQ || info.SformCode != 1 {
				t.Errorf("qform_code %d (Info %d), want %d", ref.QformCode, info.QformCode, wantQ)
			}
			if c.qform {
				q := toAffine(ref.Qform)
				if d := maxCornerDistance(q, toAffine(ref.Sform), g.Columns, g.Rows, g.Slices); d > QformTolerance {
					t.Errorf("nibabel's qform and sform place voxels %g mm apart", d)
				}
				if d := affineDiff(q, ref.Sform); c.exactQ && d > 1e-5 {
					t.Errorf("nibabel's get_qform and get_sform differ by %g:\n%v\n%v", d, ref.Qform, ref.Sform)
				}
			}
			if c.warnings != "" && !strings.Contains(strings.Join(info.Warnings, "\n"), c.warnings) {
				t.Errorf("warnings %q lack %q", info.Warnings, c.warnings)
			}
			if c.warnings == "" && len(info.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", info.Warnings)
			}

			// Zooms are the lengths of the affine's columns: the spacings,
			// times the length of a direction vector that is not quite unit.
			zooms := []float64{g.ColSpacing * g.RowDir.Norm(), g.RowSpacing * g.ColDir.Norm(), g.SliceSpacing * g.SliceDir.Norm()}
			if g.Tilt() > 0.01 {
				zooms = zooms[:2] // the tilted slice axis has no single zoom
			}
			for a, z := range zooms {
				if !near(ref.Zooms[a], z, 1e-6*z) {
					t.Errorf("zoom %d = %g, want %g", a, ref.Zooms[a], z)
				}
			}
			if c.tr != 0 && (len(ref.Zooms) < 4 || ref.Zooms[3] != c.tr) {
				t.Errorf("zooms %v, want TR %g", ref.Zooms, c.tr)
			}
			if ref.IntentCode != c.intent || ref.CalMax != c.calMax || ref.CalMin != 0 {
				t.Errorf("intent %d cal %g..%g, want %d cal 0..%g", ref.IntentCode, ref.CalMin, ref.CalMax, c.intent, c.calMax)
			}
			if ref.XYZTUnits != 10 || ref.Descrip != c.descrip {
				t.Errorf("xyzt_units %d descrip %q, want 10 (mm, s) and %q", ref.XYZTUnits, ref.Descrip, c.descrip)
			}

			if c.rgb != nil {
				if string(ref.dump) != string(c.rgb) {
					t.Errorf("nibabel's RGB bytes differ from what we wrote")
				}
				return
			}
			if len(ref.dump) != 4*len(c.want) {
				t.Fatalf("nibabel read %d values, we wrote %d", len(ref.dump)/4, len(c.want))
			}
			for p, w := range c.want {
				got := math.Float32frombits(binary.LittleEndian.Uint32(ref.dump[4*p:]))
				if got != w && !(isNaN32(got) && isNaN32(w)) {
					t.Fatalf("voxel %d: nibabel reads %v, we wrote %v", p, got, w)
				}
			}
		})
	}
}

func corners(g geom.Grid) []geom.Vec3 {
	var out []geom.Vec3
	for _, i := range []float64{0, float64(g.Columns - 1)} {
		for _, j := range []float64{0, float64(g.Rows - 1)} {
			for _, k := range []float64{0, float64(g.Slices - 1)} {
				out = append(out, geom.Vec3{i, j, k})
			}
		}
	}
	return out
}

func equalInts(a, b []int) bool {
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
