package dicomio

import "math"

// DICOM stores recommended display colours as CIELab scaled to 16 bits
// (PS3.3 C.10.7.1.1): L* 0…100 → 0…0xFFFF, a* and b* −128…127 → 0…0xFFFF,
// so that 0x8080 is a* = b* = 0. As dcmqi and DCMTK 3.6 do, colours are
// converted from sRGB with its own D65 white: the white point is the XYZ of
// sRGB white under the IEC 61966-2-1 matrix, so that sRGB white is exactly
// L* 100, a* = b* = 0. (Newer tools are moving to the D50 white of the ICC
// profile connection space; the colours differ by a few units.)

// sRGB primaries to CIE XYZ, IEC 61966-2-1 (the matrix of the standard).
var srgbToXYZ = [3][3]float64{
	{0.4124, 0.3576, 0.1805},
	{0.2126, 0.7152, 0.0722},
	{0.0193, 0.1192, 0.9505},
}

// whiteD65 is the XYZ of sRGB white, and xyzToSRGB the inverse matrix.
var whiteD65, xyzToSRGB = func() ([3]float64, [3][3]float64) {
	m := srgbToXYZ
	var w [3]float64
	for i := range w {
		w[i] = m[i][0] + m[i][1] + m[i][2]
	}
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	var inv [3][3]float64
	for i := range 3 {
		for j := range 3 {
			// Cofactor of m[j][i] over the determinant.
			a, b := (j+1)%3, (j+2)%3
			c, d := (i+1)%3, (i+2)%3
			inv[i][j] = (m[a][c]*m[b][d] - m[a][d]*m[b][c]) / det
		}
	}
	return w, inv
}()

const (
	labEpsilon = 216.0 / 24389.0 // (6/29)³
	labKappa   = 24389.0 / 27.0  // (29/3)³
)

// labFromSRGB converts an 8-bit sRGB colour to CIELab (L* 0…100).
func labFromSRGB(c [3]uint8) (l, a, b float64) {
	var lin [3]float64
	for i, v := range c {
		x := float64(v) / 255
		if x <= 0.04045 {
			lin[i] = x / 12.92
		} else {
			lin[i] = math.Pow((x+0.055)/1.055, 2.4)
		}
	}
	var f [3]float64
	for i := range f {
		t := (srgbToXYZ[i][0]*lin[0] + srgbToXYZ[i][1]*lin[1] + srgbToXYZ[i][2]*lin[2]) / whiteD65[i]
		if t > labEpsilon {
			f[i] = math.Cbrt(t)
		} else {
			f[i] = (labKappa*t + 16) / 116
		}
	}
	return 116*f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])
}

// srgbFromLab converts CIELab back to 8-bit sRGB, clipping colours outside
// the sRGB gamut.
func srgbFromLab(l, a, b float64) [3]uint8 {
	fy := (l + 16) / 116
	f := [3]float64{fy + a/500, fy, fy - b/200}
	var xyz [3]float64
	for i, v := range f {
		if v3 := v * v * v; v3 > labEpsilon {
			xyz[i] = v3
		} else {
			xyz[i] = (116*v - 16) / labKappa
		}
		xyz[i] *= whiteD65[i]
	}
	var out [3]uint8
	for i := range out {
		x := xyzToSRGB[i][0]*xyz[0] + xyzToSRGB[i][1]*xyz[1] + xyzToSRGB[i][2]*xyz[2]
		if x <= 0.0031308 {
			x *= 12.92
		} else {
			x = 1.055*math.Pow(x, 1/2.4) - 0.055
		}
		out[i] = uint8(math.Round(math.Max(0, math.Min(1, x)) * 255))
	}
	return out
}

// dicomLab scales CIELab to the 16-bit DICOM encoding.
func dicomLab(l, a, b float64) [3]int {
	scale := func(v, lo, hi float64) int {
		v = math.Max(lo, math.Min(hi, v))
		return int(math.Round((v - lo) / (hi - lo) * 0xFFFF))
	}
	return [3]int{scale(l, 0, 100), scale(a, -128, 127), scale(b, -128, 127)}
}

// labFromDICOM undoes dicomLab.
func labFromDICOM(v [3]int) (l, a, b float64) {
	return float64(v[0]) / 0xFFFF * 100, float64(v[1])/0xFFFF*255 - 128, float64(v[2])/0xFFFF*255 - 128
}

// cielabFromSRGB returns the RecommendedDisplayCIELabValue of an sRGB
// colour.
func cielabFromSRGB(c [3]uint8) [3]int { return dicomLab(labFromSRGB(c)) }

// srgbFromCIELab returns the sRGB colour of a RecommendedDisplayCIELabValue.
func srgbFromCIELab(v [3]int) [3]uint8 { return srgbFromLab(labFromDICOM(v)) }

// defaultSegmentColors are colours for segments given without one: twelve
// hues far apart, bright enough to see on CT grey.
var defaultSegmentColors = [...][3]uint8{
	{230, 25, 75}, {60, 180, 75}, {255, 225, 25}, {0, 130, 200},
	{245, 130, 48}, {145, 30, 180}, {70, 240, 240}, {240, 50, 230},
	{210, 245, 60}, {250, 190, 212}, {0, 128, 128}, {170, 110, 40},
}
