package nifti

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/geom"
)

// code gives every voxel of the phantom its own value, so that any flip,
// transposition or shift moves a value to a position where it is wrong.
func code(i, j, k int) int { return 1 + i + 10*j + 100*k }

// TestPhantomRoundTrip writes an asymmetric phantom (non-square pixels,
// different size on every axis, double-oblique, descending slices) and
// reads it back as slices: the grid must be the same, and every voxel must
// come back at the same (i, j, k) and the same patient position — no flip
// on any axis.
func TestPhantomRoundTrip(t *testing.T) {
	g := phantomGrid()
	g.Columns, g.Rows, g.Slices = 9, 6, 5
	n := g.Columns * g.Rows * g.Slices
	vals := make([]int16, n)
	for k := range g.Slices {
		for j := range g.Rows {
			for i := range g.Columns {
				vals[i+g.Columns*(j+g.Rows*k)] = int16(code(i, j, k))
			}
		}
	}
	for _, name := range []string{"phantom.nii", "phantom.nii.gz"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), name)
			if _, err := Write(context.Background(), p, g, vals, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			im, err := ReadFile(context.Background(), p, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkSameGrid(t, im.Grid, g)
			if im.Source != FromSform || len(im.Warnings) != 0 {
				t.Errorf("source %v, warnings %q", im.Source, im.Warnings)
			}
			var buf []float32
			for k := range g.Slices {
				// A slice's first pixel is where a DICOM slice's
				// ImagePositionPatient would be.
				if d := im.Grid.SlicePosition(k).Sub(g.SlicePosition(k)).Norm(); d > 1e-4 {
					t.Errorf("slice %d starts %g mm away from where it was written", k, d)
				}
				if buf, err = im.Slice(k, buf); err != nil {
					t.Fatal(err)
				}
				for j := range g.Rows {
					for i := range g.Columns {
						if got, want := buf[j*g.Columns+i], float32(code(i, j, k)); got != want {
							t.Fatalf("voxel (%d,%d,%d) = %v, want %v", i, j, k, got, want)
						}
						fi, fj, fk := float64(i), float64(j), float64(k)
						if d := im.Grid.Position(fi, fj, fk).Sub(g.Position(fi, fj, fk)).Norm(); d > 1e-4 {
							t.Fatalf("voxel (%d,%d,%d) moved %g mm", i, j, k, d)
						}
					}
				}
			}
		})
	}
}

// checkSameGrid compares grids read from a file (float32 storage) with the
// grid written.
func checkSameGrid(t *testing.T, got, want geom.Grid) {
	t.Helper()
	if got.Columns != want.Columns || got.Rows != want.Rows || got.Slices != want.Slices {
		t.Fatalf("size %d×%d×%d, want %d×%d×%d", got.Columns, got.Rows, got.Slices, want.Columns, want.Rows, want.Slices)
	}
	for _, s := range [][2]float64{{got.RowSpacing, want.RowSpacing}, {got.ColSpacing, want.ColSpacing}, {got.SliceSpacing, want.SliceSpacing}} {
		if !near(s[0], s[1], 1e-6*s[1]) {
			t.Errorf("spacing %g, want %g", s[0], s[1])
		}
	}
	for _, v := range [][2]geom.Vec3{{got.RowDir, want.RowDir}, {got.ColDir, want.ColDir}, {got.SliceDir, want.SliceDir}} {
		if v[0].Sub(v[1]).Norm() > 1e-6 {
			t.Errorf("direction %v, want %v", v[0], v[1])
		}
	}
	if got.Origin.Sub(want.Origin).Norm() > 1e-4 {
		t.Errorf("origin %v, want %v", got.Origin, want.Origin)
	}
}

// TestOrientationsRoundTrip writes grids in every standard orientation and
// in random ones, with both slice orders, and reads their geometry back.
// The 180° rotations (axial LPS→RAS is one) are where quaternion code
// usually loses precision or sign.
func TestOrientationsRoundTrip(t *testing.T) {
	dirs := [][2]geom.Vec3{
		{{1, 0, 0}, {0, 1, 0}},  // axial
		{{1, 0, 0}, {0, 0, -1}}, // coronal
		{{0, 1, 0}, {0, 0, -1}}, // sagittal
		{{-1, 0, 0}, {0, -1, 0}},
		{{0, -1, 0}, {1, 0, 0}},
		{{0, 0, 1}, {0, 1, 0}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		r, c, _ := rotated(rng.Float64()*2*math.Pi, rng.Float64()*2*math.Pi, rng.Float64()*2*math.Pi)
		dirs = append(dirs, [2]geom.Vec3{r, c})
	}
	dir := t.TempDir()
	for n, d := range dirs {
		for _, sign := range []float64{1, -1} {
			g := geom.Grid{Columns: 3, Rows: 4, Slices: 2, Origin: geom.Vec3{float64(n), -7.25, 3.5},
				RowDir: d[0], ColDir: d[1], RowSpacing: 0.5 + float64(n%3), ColSpacing: 1.25, SliceSpacing: 3}
			g.SliceDir = g.Normal().Scale(sign)
			p := filepath.Join(dir, fmt.Sprintf("o%d_%v.nii", n, sign))
			info, err := Write(context.Background(), p, g, make([]uint8, 24), WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if info.QformCode != XformScannerAnat || len(info.Warnings) > 0 {
				t.Fatalf("%v: qform_code %d, warnings %q", d, info.QformCode, info.Warnings)
			}
			im, err := ReadFile(context.Background(), p, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkSameGrid(t, im.Grid, g)
			// The qform alone must give the same grid.
			q, _, err := im.Header.QformAffine()
			if err != nil {
				t.Fatal(err)
			}
			if d := maxCornerDistance(q, g.RAS(), g.Columns, g.Rows, g.Slices); d > 1e-4 {
				t.Errorf("orientation %v, slice sign %v: qform places corners %g mm off", dirs[n], sign, d)
			}
			if want := math.Copysign(1, determinant(g.RAS())); im.Header.Pixdim[0] != want {
				t.Errorf("qfac %v for a frame with determinant %g", im.Header.Pixdim[0], determinant(g.RAS()))
			}
		}
	}
}

func determinant(a geom.Affine) float64 {
	return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) - a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) + a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
}

// TestQuaternionReaders checks the stored qform of many orientations under
// both reader rules (nibabel's and nifti1_io's, which ITK, FSL and AFNI
// use) over a CT-sized 512×512×300 grid: generic and standard orientations
// must keep their qform and place every voxel within 1e-3 mm of the sform;
// rotations within hundredths of a degree of 180°, where the float32
// quaternion is ambiguous between the rules, may instead drop it
// (qform_code 0), but a qform that is written always meets QformTolerance.
func TestQuaternionReaders(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	type orient struct {
		r, c geom.Vec3
		keep bool    // the qform must be written
		max  float64 // and place voxels this close (mm)
	}
	var cases []orient
	for _, d := range [][2]geom.Vec3{{{1, 0, 0}, {0, 1, 0}}, {{1, 0, 0}, {0, 0, -1}}, {{0, 1, 0}, {0, 0, -1}}, {{-1, 0, 0}, {0, 1, 0}}} {
		cases = append(cases, orient{d[0], d[1], true, 1e-3})
	}
	for range 300 {
		r, c, _ := rotated(rng.Float64()*2*math.Pi, rng.Float64()*2*math.Pi, rng.Float64()*2*math.Pi)
		cases = append(cases, orient{r, c, true, 1e-3})
	}
	// Axial slightly rotated in plane: RAS rotation within ε of 180° about z.
	for _, eps := range []float64{1e-2, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 1e-6} {
		for _, s := range []float64{1, -1} {
			r, c, _ := rotated(0, 0, s*eps)
			cases = append(cases, orient{r, c, eps >= 1e-2, QformTolerance})
		}
	}
	dropped := 0
	for _, o := range cases {
		for _, sign := range []float64{1, -1} {
			g := geom.Grid{Columns: 512, Rows: 512, Slices: 300, Origin: geom.Vec3{-180, -200, -400},
				RowDir: o.r, ColDir: o.c, RowSpacing: 0.7, ColSpacing: 0.75, SliceSpacing: 1.25}
			g.SliceDir = g.Normal().Scale(sign)
			h, warn, err := newHeader(g, Uint8, 512*512*300, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if h.QformCode == XformUnknown {
				dropped++
				if o.keep || len(warn) != 1 {
					t.Errorf("orientation %v/%v: qform dropped (%q)", o.r, o.c, warn)
				}
				continue
			}
			for _, rule := range []quatRule{ruleNibabel, ruleNiftiIO} {
				q, _, err := h.qformAffine(rule)
				if err != nil {
					t.Fatalf("orientation %v/%v, rule %d: %v", o.r, o.c, rule, err)
				}
				if d := maxCornerDistance(q, g.RAS(), g.Columns, g.Rows, g.Slices); d > QformTolerance {
					t.Errorf("orientation %v/%v, rule %d: qform %g mm from the grid", o.r, o.c, rule, d)
				}
				if d := maxCornerDistance(q, g.RAS(), g.Columns, g.Rows, g.Slices); d > o.max {
					t.Errorf("orientation %v/%v, rule %d: qform %g mm from the grid", o.r, o.c, rule, d)
				}
			}
		}
	}
	t.Logf("%d of %d orientations written with sform only", dropped, 2*len(cases))
}

// Test4DVolumes reads each volume of a 4-D file and rejects one past the
// end.
func Test4DVolumes(t *testing.T) {
	g := phantomGrid()
	n := g.Columns * g.Rows * g.Slices
	data := make([]float32, 3*n)
	for i := range data {
		data[i] = float32(i)
	}
	p := filepath.Join(t.TempDir(), "4d.nii.gz")
	if _, err := Write(context.Background(), p, g, data, WriteOptions{Volumes: 3, TR: 2}); err != nil {
		t.Fatal(err)
	}
	for v := range 3 {
		im, err := ReadFile(context.Background(), p, ReadOptions{Volume: v})
		if err != nil {
			t.Fatal(err)
		}
		if im.Volumes != 3 || im.Volume != v || im.Header.Pixdim[4] != 2 {
			t.Fatalf("volume %d of %d, TR %g", im.Volume, im.Volumes, im.Header.Pixdim[4])
		}
		s, err := im.Slice(g.Slices-1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := float32(v*n + (g.Slices-1)*g.Columns*g.Rows); s[0] != want {
			t.Fatalf("volume %d last slice starts with %v, want %v", v, s[0], want)
		}
	}
	_, err := ReadFile(context.Background(), p, ReadOptions{Volume: 3})
	if err == nil || !strings.Contains(err.Error(), "volume 3 requested, the image has 3") {
		t.Fatalf("volume 3: %v", err)
	}
}
