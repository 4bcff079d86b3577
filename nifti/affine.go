package nifti

import (
	"fmt"
	"math"

	"github.com/mmcseg/mmcseg/geom"
)

// Source says which of the header's transforms gave an image its geometry.
type Source int

// The three methods of the NIfTI standard, chosen in nibabel's order (see
// Header.Affine).
const (
	FromPixdim Source = 1 // method 1: voxel sizes only, no orientation
	FromQform  Source = 2 // method 2: quaternion + offsets + pixdim
	FromSform  Source = 3 // method 3: the general affine srow_x/y/z
)

func (s Source) String() string {
	switch s {
	case FromPixdim:
		return "pixdim"
	case FromQform:
		return "qform"
	case FromSform:
		return "sform"
	}
	return fmt.Sprintf("source %d", int(s))
}

// quaternionEps is the tolerance on b²+c²+d² > 1 for quaternions stored as
// float32 (three float32 epsilons, as nibabel allows).
const quaternionEps = 3 * 1.1920929e-07

// quatRule is how a reader turns the stored b, c, d into a rotation. The
// rules differ only when a = √(1−b²−c²−d²) is tiny, i.e. for rotations
// within a few hundredths of a degree of 180°.
type quatRule int

const (
	// ruleNibabel: a = √max(w², 0) with w² = 1−b²−c²−d², an error if w² <
	// −quaternionEps, and the quaternion normalised (nibabel's
	// fillpositive and quat2mat).
	ruleNibabel quatRule = iota
	// ruleNiftiIO: w² < 1e-7 counts as a = 0 with b, c, d normalised
	// (nifti1_io's nifti_quatern_to_mat44, used by ITK, FSL and AFNI).
	ruleNiftiIO
)

// rotation returns the rotation matrix a reader following rule computes
// from the stored quaternion (b, c, d), or false if the reader rejects it.
func rotation(b, c, d float64, rule quatRule) ([3][3]float64, bool) {
	w2 := 1 - (b*b + c*c + d*d)
	var a float64
	switch {
	case math.IsNaN(w2) || math.IsInf(w2, 0):
		return [3][3]float64{}, false
	case rule == ruleNibabel:
		if w2 < -quaternionEps {
			return [3][3]float64{}, false
		}
		a = math.Sqrt(math.Max(w2, 0))
	case w2 < 1e-7:
		a = 0
	default:
		a = math.Sqrt(w2)
	}
	n := a*a + b*b + c*c + d*d
	if n < 1e-300 {
		return [3][3]float64{}, false
	}
	s := 2 / n
	return [3][3]float64{
		{1 - s*(c*c+d*d), s * (b*c - a*d), s * (b*d + a*c)},
		{s * (b*c + a*d), 1 - s*(b*b+d*d), s * (c*d - a*b)},
		{s * (b*d - a*c), s * (c*d + a*b), 1 - s*(b*b+c*c)},
	}, true
}

// QformAffine returns the index→RAS affine that the qform fields describe,
// whatever QformCode says. As in nibabel, pixdim[0] (qfac) other than ±1 is
// read as 1 and negative voxel sizes as their absolute value, each with a
// warning; a quaternion with b²+c²+d² > 1 is an error.
func (h *Header) QformAffine() (geom.Affine, []string, error) {
	return h.qformAffine(ruleNibabel)
}

func (h *Header) qformAffine(rule quatRule) (geom.Affine, []string, error) {
	var warn []string
	b, c, d := h.QuaternB, h.QuaternC, h.QuaternD
	r, ok := rotation(b, c, d, rule)
	if !ok {
		return geom.Affine{}, nil, fmt.Errorf("%w: qform quaternion (b, c, d) = (%g, %g, %g) is not a unit quaternion", ErrGeometry, b, c, d)
	}
	qfac := h.Pixdim[0]
	if qfac != 1 && qfac != -1 {
		warn = append(warn, fmt.Sprintf("pixdim[0] (qfac) is %g, not ±1; using 1", qfac))
		qfac = 1
	}
	var zoom [3]float64
	for i := range 3 {
		zoom[i] = h.Pixdim[i+1]
		if zoom[i] < 0 {
			warn = append(warn, fmt.Sprintf("pixdim[%d] is negative (%g); using its absolute value", i+1, zoom[i]))
			zoom[i] = -zoom[i]
		}
	}
	zoom[2] *= qfac
	var m geom.Affine
	for row := range 3 {
		for col := range 3 {
			m[row][col] = r[row][col] * zoom[col]
		}
	}
	m[0][3], m[1][3], m[2][3] = h.QoffsetX, h.QoffsetY, h.QoffsetZ
	m[3][3] = 1
	return m, warn, nil
}

// SformAffine returns the affine in srow_x/y/z, whatever SformCode says.
func (h *Header) SformAffine() geom.Affine {
	return geom.Affine{h.SrowX, h.SrowY, h.SrowZ, {0, 0, 0, 1}}
}

// BaseAffine returns the affine nibabel uses when neither transform is set:
// voxel sizes from pixdim, x flipped (radiological), and the origin at the
// centre of the volume. The NIfTI standard's method 1 (no flip, origin at
// voxel 0) differs; nibabel's is used so that both tools agree.
func (h *Header) BaseAffine() geom.Affine {
	var m geom.Affine
	for i := range 3 {
		zoom, n := h.Pixdim[i+1], float64(1)
		if int64(i+1) <= h.Dim[0] {
			n = float64(h.Dim[i+1])
		} else {
			zoom = 1
		}
		if i == 0 {
			zoom = -zoom
		}
		m[i][i] = zoom
		m[i][3] = -(n - 1) / 2 * zoom
	}
	m[3][3] = 1
	return m
}

// disagreement is the distance (mm) between where the qform and the sform
// of a file put a voxel beyond which reading warns. Files written with
// float32 quaternions by other tools commonly differ by hundredths of a
// millimetre (nibabel's example4d.nii.gz: 0.017 mm), which matters to no
// one; a tenth of a millimetre is a visible fraction of a fine voxel.
const disagreement = 0.1

// validCode reports whether c is one of the xform codes of the standard;
// nibabel treats any other value as 0 (unknown).
func validCode(c XformCode) bool { return c >= XformUnknown && c <= XformTemplate }

// Affine returns the index→RAS affine a reader should use and where it came
// from, by nibabel's rule (get_best_affine): the sform if sform_code > 0,
// else the qform if qform_code > 0, else BaseAffine. Codes outside 0..5 are
// treated as 0, with a warning, as nibabel does. When both transforms are
// set but place some voxel more than 0.1 mm apart, a warning says so.
func (h *Header) Affine() (geom.Affine, Source, []string, error) {
	var warn []string
	sc, qc := h.SformCode, h.QformCode
	if !validCode(sc) {
		warn = append(warn, fmt.Sprintf("sform_code %d is not a valid code; ignoring the sform", sc))
		sc = XformUnknown
	}
	if !validCode(qc) {
		warn = append(warn, fmt.Sprintf("qform_code %d is not a valid code; ignoring the qform", qc))
		qc = XformUnknown
	}
	switch {
	case sc > 0:
		if qc > 0 {
			// Both set: readers that prefer the qform (ITK) would place
			// the voxels elsewhere if the two disagree; say so.
			if q, _, err := h.QformAffine(); err == nil {
				n := [3]int{1, 1, 1}
				for i := range 3 {
					if int64(i+1) <= h.Dim[0] && h.Dim[i+1] > 0 && h.Dim[i+1] <= maxDim {
						n[i] = int(h.Dim[i+1])
					}
				}
				if d := maxCornerDistance(q, h.SformAffine(), n[0], n[1], n[2]); d > disagreement {
					warn = append(warn, fmt.Sprintf("qform and sform disagree by up to %.3g mm; using the sform, as nibabel and FSL do (ITK-based tools use the qform)", d))
				}
			}
		}
		return h.SformAffine(), FromSform, warn, nil
	case qc > 0:
		m, w, err := h.QformAffine()
		return m, FromQform, append(warn, w...), err
	}
	warn = append(warn, "neither sform nor qform is set (both codes 0): orientation unknown; using voxel sizes only, x flipped, origin at the centre (as nibabel does)")
	return h.BaseAffine(), FromPixdim, warn, nil
}

// Grid returns the image geometry the header describes: the affine chosen
// by Affine, as a geom.Grid of dim[1]×dim[2]×dim[3] voxels. A sheared or
// degenerate affine fails with ErrGeometry.
func (h *Header) Grid() (geom.Grid, Source, []string, error) {
	l, err := h.validate()
	if err != nil {
		return geom.Grid{}, 0, nil, err
	}
	g, src, warn, err := h.grid(l)
	return g, src, append(l.warnings, warn...), err
}

// grid turns the chosen affine into the image's geom.Grid.
func (h *Header) grid(l layout) (geom.Grid, Source, []string, error) {
	a, src, warn, err := h.Affine()
	if err != nil {
		return geom.Grid{}, src, warn, err
	}
	for _, row := range a[:3] {
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return geom.Grid{}, src, warn, fmt.Errorf("%w: the %s holds a non-finite value", ErrGeometry, src)
			}
		}
	}
	g, err := geom.FromRAS(a, l.nx, l.ny, l.nz)
	if err != nil {
		return geom.Grid{}, src, warn, fmt.Errorf("%w: %s %v: %w (a sheared or degenerate affine cannot be read as slices; resample the image first)", ErrGeometry, src, a[:3], err)
	}
	return g, src, warn, nil
}

// quaternion returns the NIfTI qform parameters of an index→RAS matrix:
// the unit quaternion (b, c, d with a ≥ 0), qfac and the voxel sizes. The
// columns are normalised; if they are not orthogonal the result is only the
// nearest representable rotation, and the caller must check it.
func quaternion(m geom.Affine) (b, c, d, qfac float64, zoom [3]float64) {
	var r [3][3]float64
	for col := range 3 {
		v := geom.Vec3{m[0][col], m[1][col], m[2][col]}
		zoom[col] = v.Norm()
		u := v.Unit()
		for row := range 3 {
			r[row][col] = u[row]
		}
	}
	det := r[0][0]*(r[1][1]*r[2][2]-r[1][2]*r[2][1]) -
		r[0][1]*(r[1][0]*r[2][2]-r[1][2]*r[2][0]) +
		r[0][2]*(r[1][0]*r[2][1]-r[1][1]*r[2][0])
	qfac = 1
	if det < 0 {
		qfac = -1
		for row := range 3 {
			r[row][2] = -r[row][2]
		}
	}
	var a float64
	// Shepperd's method: divide by the largest of the four candidates so
	// that no 180° rotation loses precision.
	switch tr := r[0][0] + r[1][1] + r[2][2]; {
	case tr > 0:
		s := 2 * math.Sqrt(tr+1)
		a, b, c, d = s/4, (r[2][1]-r[1][2])/s, (r[0][2]-r[2][0])/s, (r[1][0]-r[0][1])/s
	case r[0][0] >= r[1][1] && r[0][0] >= r[2][2]:
		s := 2 * math.Sqrt(1+r[0][0]-r[1][1]-r[2][2])
		a, b, c, d = (r[2][1]-r[1][2])/s, s/4, (r[0][1]+r[1][0])/s, (r[0][2]+r[2][0])/s
	case r[1][1] >= r[2][2]:
		s := 2 * math.Sqrt(1+r[1][1]-r[0][0]-r[2][2])
		a, b, c, d = (r[0][2]-r[2][0])/s, (r[0][1]+r[1][0])/s, s/4, (r[1][2]+r[2][1])/s
	default:
		s := 2 * math.Sqrt(1+r[2][2]-r[0][0]-r[1][1])
		a, b, c, d = (r[1][0]-r[0][1])/s, (r[0][2]+r[2][0])/s, (r[1][2]+r[2][1])/s, s/4
	}
	n := math.Sqrt(a*a + b*b + c*c + d*d)
	if a < 0 {
		n = -n
	}
	return b / n, c / n, d / n, qfac, zoom
}

// storeQuaternion sets h's quaternion to the float32 values (b, c, d), each
// rounded either way, that make the qform closest to the sform for every
// reader rule, and returns that worst-case distance in mm over the nx×ny×nz
// volume (+Inf if no rounding is accepted by all readers). Plain rounding
// is not enough near 180° rotations — the axial LPS→RAS flip is one —
// where a reader's a = √(1−b²−c²−d²) magnifies the float32 error of b, c
// and d by orders of magnitude.
func storeQuaternion(h *Header, b, c, d float64, nx, ny, nz int) float64 {
	cands := func(x float64) [3]float64 {
		f := float32(x)
		return [3]float64{float64(f), float64(math.Nextafter32(f, 2)), float64(math.Nextafter32(f, -2))}
	}
	cb, cc, cd := cands(b), cands(c), cands(d)
	s := h.SformAffine()
	best, bb, bc, bd := math.Inf(1), cb[0], cc[0], cd[0]
	for _, qb := range cb {
		for _, qc := range cc {
			for _, qd := range cd {
				h.QuaternB, h.QuaternC, h.QuaternD = qb, qc, qd
				worst := 0.0
				for _, rule := range []quatRule{ruleNibabel, ruleNiftiIO} {
					q, _, err := h.qformAffine(rule)
					if err != nil {
						worst = math.Inf(1)
						break
					}
					worst = math.Max(worst, maxCornerDistance(q, s, nx, ny, nz))
				}
				if worst < best {
					best, bb, bc, bd = worst, qb, qc, qd
				}
			}
		}
	}
	h.QuaternB, h.QuaternC, h.QuaternD = bb, bc, bd
	return best
}

// maxCornerDistance returns the largest distance in mm between where a and
// b put the corners of an nx×ny×nz grid. Because the difference of two
// affine maps is affine, its maximum over the volume is at a corner.
func maxCornerDistance(a, b geom.Affine, nx, ny, nz int) float64 {
	var worst float64
	for _, i := range []float64{0, float64(nx - 1)} {
		for _, j := range []float64{0, float64(ny - 1)} {
			for _, k := range []float64{0, float64(nz - 1)} {
				v := geom.Vec3{i, j, k}
				worst = math.Max(worst, a.Apply(v).Sub(b.Apply(v)).Norm())
			}
		}
	}
	return worst
}
