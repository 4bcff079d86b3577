package geom

import (
	"errors"
	"fmt"
	"math"
)

// Vec3 is a point or direction in patient space, in millimetres.
type Vec3 [3]float64

// Add returns a+b.
func (a Vec3) Add(b Vec3) Vec3 { return Vec3{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }

// Sub returns a-b.
func (a Vec3) Sub(b Vec3) Vec3 { return Vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

// Scale returns s·a.
func (a Vec3) Scale(s float64) Vec3 { return Vec3{s * a[0], s * a[1], s * a[2]} }

// Dot returns the scalar product a·b.
func (a Vec3) Dot(b Vec3) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

// Cross returns the vector product a×b.
func (a Vec3) Cross(b Vec3) Vec3 {
	return Vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// Norm returns the Euclidean length of a.
func (a Vec3) Norm() float64 { return math.Sqrt(a.Dot(a)) }

// Unit returns a scaled to length 1, or the zero vector if a is zero.
func (a Vec3) Unit() Vec3 {
	n := a.Norm()
	if n == 0 {
		return Vec3{}
	}
	return a.Scale(1 / n)
}

// Grid is the geometry of a stack of equally sized, parallel image slices in
// DICOM patient coordinates (LPS: +x towards the patient's left, +y towards
// the posterior, +z towards the head). Voxel (i, j, k) is column i, row j of
// slice k, and its centre lies at
//
//	Origin + i·ColSpacing·RowDir + j·RowSpacing·ColDir + k·SliceSpacing·SliceDir.
//
// The field names follow DICOM: RowDir is the first ImageOrientationPatient
// triplet (the direction along a row, in which the column index grows) and
// RowSpacing is PixelSpacing[0] (the distance between adjacent rows).
type Grid struct {
	Columns, Rows, Slices int

	Origin   Vec3 // centre of the first pixel of slice 0
	RowDir   Vec3 // unit vector, ImageOrientationPatient[0:3]
	ColDir   Vec3 // unit vector, ImageOrientationPatient[3:6]
	SliceDir Vec3 // unit vector from slice k to slice k+1

	RowSpacing   float64 // PixelSpacing[0]: mm between rows
	ColSpacing   float64 // PixelSpacing[1]: mm between columns
	SliceSpacing float64 // mm between slice centres along SliceDir (> 0)
}

// Errors reported by Validate.
var (
	ErrBadSize        = errors.New("geometry: non-positive size")
	ErrBadSpacing     = errors.New("geometry: non-positive or non-finite spacing")
	ErrBadOrientation = errors.New("geometry: orientation vectors are not unit length and orthogonal")
)

// orthoTol is the tolerance on unit length and orthogonality of direction
// vectors. DICOM writers commonly round IOP to 5–6 digits.
const orthoTol = 1e-3

// Validate reports whether g describes a usable grid.
func (g Grid) Validate() error {
	if g.Columns <= 0 || g.Rows <= 0 || g.Slices <= 0 {
		return fmt.Errorf("%w: %d×%d×%d", ErrBadSize, g.Columns, g.Rows, g.Slices)
	}
	for _, s := range []float64{g.RowSpacing, g.ColSpacing, g.SliceSpacing} {
		if !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("%w: %g/%g/%g", ErrBadSpacing, g.RowSpacing, g.ColSpacing, g.SliceSpacing)
		}
	}
	for _, v := range []Vec3{g.RowDir, g.ColDir, g.SliceDir} {
		if math.Abs(v.Norm()-1) > orthoTol {
			return fmt.Errorf("%w: |%v| = %g", ErrBadOrientation, v, v.Norm())
		}
	}
	if math.Abs(g.RowDir.Dot(g.ColDir)) > orthoTol {
		return fmt.Errorf("%w: row·column = %g", ErrBadOrientation, g.RowDir.Dot(g.ColDir))
	}
	return nil
}

// Normal returns RowDir × ColDir, the slice normal implied by the in-plane
// orientation. For an untilted, ascending stack SliceDir equals Normal; a
// descending stack has SliceDir = −Normal.
func (g Grid) Normal() Vec3 { return g.RowDir.Cross(g.ColDir).Unit() }

// Tilt returns the angle in degrees between SliceDir and ±Normal: zero for an
// orthogonal stack, the gantry tilt for a tilted CT acquisition.
func (g Grid) Tilt() float64 {
	c := math.Abs(g.SliceDir.Dot(g.Normal()))
	if c > 1 {
		c = 1
	}
	return math.Acos(c) * 180 / math.Pi
}

// Position returns the LPS centre of voxel (i, j, k). Fractional indices are
// allowed.
func (g Grid) Position(i, j, k float64) Vec3 {
	return g.Origin.
		Add(g.RowDir.Scale(i * g.ColSpacing)).
		Add(g.ColDir.Scale(j * g.RowSpacing)).
		Add(g.SliceDir.Scale(k * g.SliceSpacing))
}

// SlicePosition returns the LPS centre of the first pixel of slice k, i.e.
// the ImagePositionPatient that slice has.
func (g Grid) SlicePosition(k int) Vec3 { return g.Position(0, 0, float64(k)) }

// Affine is a 4×4 homogeneous matrix mapping voxel indices (i, j, k, 1) to
// millimetre coordinates.
type Affine [4][4]float64

// Apply maps the voxel index v through a.
func (a Affine) Apply(v Vec3) Vec3 {
	var r Vec3
	for row := 0; row < 3; row++ {
		r[row] = a[row][0]*v[0] + a[row][1]*v[1] + a[row][2]*v[2] + a[row][3]
	}
	return r
}

// LPS returns the affine from voxel (i=column, j=row, k=slice) to DICOM
// patient coordinates.
func (g Grid) LPS() Affine {
	var a Affine
	cols := [3]Vec3{g.RowDir.Scale(g.ColSpacing), g.ColDir.Scale(g.RowSpacing), g.SliceDir.Scale(g.SliceSpacing)}
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			a[r][c] = cols[c][r]
		}
		a[r][3] = g.Origin[r]
	}
	a[3][3] = 1
	return a
}

// RAS returns the affine from voxel (i=column, j=row, k=slice) to NIfTI/RAS
// world coordinates (+x right→left flipped, +y anterior). It is the one place
// where the LPS→RAS sign change is made: x and y change sign, z does not.
func (g Grid) RAS() Affine { return LPSToRAS(g.LPS()) }

// LPSToRAS converts an index→LPS affine to index→RAS (and, because the
// change is its own inverse, RAS to LPS).
func LPSToRAS(a Affine) Affine {
	for c := 0; c < 4; c++ {
		a[0][c] = -a[0][c]
		a[1][c] = -a[1][c]
	}
	return a
}

// FromRAS builds a Grid of the given size from an index→RAS affine whose
// first three columns are orthogonal (any shear is rejected). It is the
// inverse of Grid.RAS.
func FromRAS(a Affine, columns, rows, slices int) (Grid, error) {
	l := LPSToRAS(a)
	var dirs [3]Vec3
	var sp [3]float64
	for c := 0; c < 3; c++ {
		v := Vec3{l[0][c], l[1][c], l[2][c]}
		sp[c] = v.Norm()
		dirs[c] = v.Unit()
	}
	g := Grid{
		Columns: columns, Rows: rows, Slices: slices,
		Origin: Vec3{l[0][3], l[1][3], l[2][3]},
		RowDir: dirs[0], ColDir: dirs[1], SliceDir: dirs[2],
		ColSpacing: sp[0], RowSpacing: sp[1], SliceSpacing: sp[2],
	}
	if err := g.Validate(); err != nil {
		return Grid{}, err
	}
	if math.Abs(g.SliceDir.Dot(g.RowDir)) > orthoTol || math.Abs(g.SliceDir.Dot(g.ColDir)) > orthoTol {
		return Grid{}, fmt.Errorf("%w: sheared affine (slice axis not orthogonal to the slice plane)", ErrBadOrientation)
	}
	return g, nil
}

// VoxelVolume returns the volume of one voxel in mm³.
func (g Grid) VoxelVolume() float64 { return g.RowSpacing * g.ColSpacing * g.SliceSpacing }

// Plane names the anatomical plane closest to the slice plane: "axial",
// "coronal" or "sagittal", or "oblique" when the normal is more than 10°
// away from every patient axis.
func (g Grid) Plane() string {
	n := g.Normal()
	names := [3]string{"sagittal", "coronal", "axial"}
	best, bestAbs := 0, 0.0
	for i, v := range n {
		if math.Abs(v) > bestAbs {
			best, bestAbs = i, math.Abs(v)
		}
	}
	if bestAbs < math.Cos(10*math.Pi/180) {
		return "oblique"
	}
	return names[best]
}
