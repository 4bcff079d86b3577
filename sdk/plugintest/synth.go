package plugintest

import (
	"fmt"
	"math"

	"github.com/mmcseg/mmcseg/sdk"
)

// input is a kind of series: modality, pixel format and photometric
// interpretation.
type input struct {
	Modality    string
	Format      sdk.PixelFormat
	Photometric string
}

func (in input) String() string { return fmt.Sprintf("%s-%v", in.Modality, in.Format) }

func (in input) series(uid string, rows, cols, slices int) sdk.SeriesInfo {
	return sdk.SeriesInfo{
		UID:                       uid,
		Modality:                  in.Modality,
		PhotometricInterpretation: in.Photometric,
		Format:                    in.Format,
		Rows:                      rows,
		Columns:                   cols,
		Slices:                    slices,
		Threads:                   2,
	}
}

// noise returns a deterministic pseudo-random value in [-1, 1).
func noise(seed uint64, k, i int) float64 {
	x := seed*0x9e3779b97f4a7c15 ^ uint64(k)*0xbf58476d1ce4e5b9 ^ uint64(i)*0x94d049bb133111eb
	x ^= x >> 31
	x *= 0xd6e8feb86659fd39
	x ^= x >> 28
	return float64(x>>11)/float64(1<<52) - 1
}

// synthSlice draws a plausible slice of the given kind: a CT chest with two
// lungs, a bright blob for other grey modalities, a dark lesion on skin
// with a dark vignette for colour. Sizes down to 1×1 work.
func synthSlice(in input, seed uint64, k, rows, cols int) sdk.Slice {
	n := rows * cols
	// inside reports whether pixel (x, y) lies in the ellipse centred at
	// (cx, cy) (fractions of the size) with radii (rx, ry).
	inside := func(x, y int, cx, cy, rx, ry float64) bool {
		dx := (float64(x)+0.5)/float64(cols) - cx
		dy := (float64(y)+0.5)/float64(rows) - cy
		return dx*dx/(rx*rx)+dy*dy/(ry*ry) <= 1
	}
	grow := 1 + 0.03*float64(k%5)
	switch in.Format {
	case sdk.Float32:
		px := make([]float32, n)
		for y := 0; y < rows; y++ {
			for x := 0; x < cols; x++ {
				i := y*cols + x
				e := noise(seed, k, i)
				var v float64
				if in.Modality == "CT" {
					switch {
					case inside(x, y, 0.32, 0.5, 0.12*grow, 0.22*grow), inside(x, y, 0.68, 0.5, 0.12*grow, 0.22*grow):
						v = -820 + 30*e
					case inside(x, y, 0.5, 0.5, 0.42, 0.38):
						v = 40 + 20*e
					default:
						v = -1000 + 20*e
					}
				} else {
					switch {
					case inside(x, y, 0.5, 0.5, 0.2*grow, 0.2*grow):
						v = 900 + 30*e
					case inside(x, y, 0.5, 0.5, 0.42, 0.38):
						v = 300 + 30*e
					default:
						v = 5 + 5*e
					}
				}
				px[i] = float32(v)
			}
		}
		return sdk.NewFloat32Slice(k, rows, cols, px)
	case sdk.Uint8:
		px := make([]uint8, n)
		for y := 0; y < rows; y++ {
			for x := 0; x < cols; x++ {
				i := y*cols + x
				v := 200 + 10*noise(seed, k, i)
				if inside(x, y, 0.5, 0.5, 0.25*grow, 0.2*grow) {
					v = 70 + 10*noise(seed, k, i)
				}
				px[i] = uint8(math.Round(v))
			}
		}
		return sdk.NewUint8Slice(k, rows, cols, px)
	default: // RGB8
		px := make([]uint8, 3*n)
		for y := 0; y < rows; y++ {
			for x := 0; x < cols; x++ {
				i := y*cols + x
				rgb := [3]float64{215, 165, 145}
				switch {
				case !inside(x, y, 0.5, 0.5, 0.62, 0.62):
					rgb = [3]float64{15, 15, 15}
				case inside(x, y, 0.5, 0.5, 0.22*grow, 0.17*grow):
					rgb = [3]float64{95, 60, 50}
				}
				for c := 0; c < 3; c++ {
					px[3*i+c] = uint8(math.Round(rgb[c] + 8*noise(seed, k*3+c, i)))
				}
			}
		}
		return sdk.NewRGB8Slice(k, rows, cols, px)
	}
}
