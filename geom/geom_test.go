package geom

import (
	"errors"
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// lidc is the geometry of the LIDC-IDRI-0001 series as recorded in
// ../shared/data/DICOM-MANIFEST.md, whose expected NIfTI affine we check.
var lidc = Grid{
	Columns: 512, Rows: 512, Slices: 133,
	Origin:     Vec3{-166.0, -171.699997, -340.0},
	RowDir:     Vec3{1, 0, 0},
	ColDir:     Vec3{0, 1, 0},
	SliceDir:   Vec3{0, 0, 1},
	RowSpacing: 0.703125, ColSpacing: 0.703125, SliceSpacing: 2.5,
}

func TestRASMatchesManifest(t *testing.T) {
	want := Affine{
		{-0.703125, 0, 0, 166.0},
		{0, -0.703125, 0, 171.699997},
		{0, 0, 2.5, -340.0},
		{0, 0, 0, 1},
	}
	got := lidc.RAS()
	for r := range 4 {
		for c := range 4 {
			if !near(got[r][c], want[r][c], 1e-9) {
				t.Fatalf("RAS()[%d][%d] = %g, want %g\n%v", r, c, got[r][c], want[r][c], got)
			}
		}
	}
}

func TestNonSquarePixelSpacingOrder(t *testing.T) {
	// dicom2nifti 002_non_isotropic: PixelSpacing 4.0\6.39996 (row, column)
	// gives NIfTI zooms (6.39996, 4.0, …): the i (column) axis steps by the
	// column spacing.
	g := Grid{Columns: 64, Rows: 28, Slices: 4, RowDir: Vec3{1, 0, 0}, ColDir: Vec3{0, 1, 0}, SliceDir: Vec3{0, 0, 1},
		RowSpacing: 4.0, ColSpacing: 6.39996, SliceSpacing: 0.5}
	p := g.Position(1, 0, 0)
	if !near(p[0], 6.39996, 1e-12) {
		t.Fatalf("one column step moved %v, want 6.39996 mm along x", p)
	}
	p = g.Position(0, 1, 0)
	if !near(p[1], 4.0, 1e-12) {
		t.Fatalf("one row step moved %v, want 4 mm along y", p)
	}
}

func TestFromRASRoundTrip(t *testing.T) {
	c, s := math.Cos(0.3), math.Sin(0.3)
	g := Grid{
		Columns: 7, Rows: 5, Slices: 3,
		Origin:     Vec3{10, -20, 30},
		RowDir:     Vec3{c, s, 0},
		ColDir:     Vec3{0, 0, -1},
		RowSpacing: 0.5, ColSpacing: 0.75, SliceSpacing: 3,
	}
	g.SliceDir = g.Normal().Scale(-1)
	back, err := FromRAS(g.RAS(), 7, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, ijk := range []Vec3{{0, 0, 0}, {6, 0, 0}, {0, 4, 0}, {0, 0, 2}, {3.5, 1, 2}} {
		a, b := g.Position(ijk[0], ijk[1], ijk[2]), back.Position(ijk[0], ijk[1], ijk[2])
		if a.Sub(b).Norm() > 1e-9 {
			t.Fatalf("voxel %v: %v before, %v after round trip", ijk, a, b)
		}
	}
}

func TestValidateAndTilt(t *testing.T) {
	bad := lidc
	bad.ColDir = Vec3{0.5, 1, 0}
	if err := bad.Validate(); !errors.Is(err, ErrBadOrientation) {
		t.Fatalf("Validate() = %v, want ErrBadOrientation", err)
	}
	bad = lidc
	bad.SliceSpacing = 0
	if err := bad.Validate(); !errors.Is(err, ErrBadSpacing) {
		t.Fatalf("Validate() = %v, want ErrBadSpacing", err)
	}
	if err := lidc.Validate(); err != nil {
		t.Fatal(err)
	}
	tilted := lidc
	a := 15.5 * math.Pi / 180
	tilted.SliceDir = Vec3{0, math.Sin(a), math.Cos(a)}
	if got := tilted.Tilt(); !near(got, 15.5, 1e-9) {
		t.Fatalf("Tilt() = %g, want 15.5", got)
	}
	if lidc.Plane() != "axial" || tilted.Plane() != "axial" {
		t.Fatalf("Plane() = %q", lidc.Plane())
	}
}
