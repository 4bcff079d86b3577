package prep

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Format is how a slice's pixels arrive.
type Format int

const (
	// Float: one float32 per pixel (CT in HU, MR, NIfTI data).
	Float Format = iota + 1
	// Grey8: one byte per pixel.
	Grey8
	// RGB8: three bytes per pixel, R, G, B.
	RGB8
)

func (f Format) String() string {
	switch f {
	case Float:
		return "float"
	case Grey8:
		return "grey8"
	case RGB8:
		return "rgb8"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Kind is what an input is, as far as preprocessing and the choice of a
// foreground rule go.
type Kind int

const (
	// CT: floating-point Hounsfield units.
	CT Kind = iota + 1
	// Colour: an RGB photograph.
	Colour
	// Grey: any other grey image.
	Grey
)

func (k Kind) String() string {
	switch k {
	case CT:
		return "ct"
	case Colour:
		return "colour"
	case Grey:
		return "grey"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// KindOf says what a series is from its pixel format and DICOM modality:
// CT for floating-point values of modality CT, Colour for RGB, Grey for
// the rest (an 8-bit CT export no longer holds HU).
func KindOf(f Format, modality string) Kind {
	switch {
	case f == RGB8:
		return Colour
	case f == Float && strings.EqualFold(strings.TrimSpace(modality), "CT"):
		return CT
	}
	return Grey
}

// Normalize chooses how pixel values become the planes.
type Normalize int

const (
	// Auto: Window for CT, None for colour, MinMax for grey.
	Auto Normalize = iota
	// Window maps [Level − Width/2, Level + Width/2] linearly onto [0, 1],
	// clamping outside.
	Window
	// MinMax maps the slice's smallest value to 0 and its largest to 1.
	MinMax
	// None divides 8-bit values by 255 and takes floating-point values as
	// they are (they must lie in [0, 1]).
	None
)

var normalizeNames = [...]string{Auto: "auto", Window: "window", MinMax: "minmax", None: "none"}

func (n Normalize) String() string {
	if n >= 0 && int(n) < len(normalizeNames) {
		return normalizeNames[n]
	}
	return fmt.Sprintf("Normalize(%d)", int(n))
}

// NormalizeNames are the names ParseNormalize accepts, in order.
func NormalizeNames() []string { return normalizeNames[:] }

// ParseNormalize reads a Normalize by name ("auto", "window", "minmax",
// "none").
func ParseNormalize(s string) (Normalize, error) {
	for i, name := range normalizeNames {
		if s == name {
			return Normalize(i), nil
		}
	}
	return 0, fmt.Errorf("%w: normalisation %q: want one of %s", ErrOptions, s, strings.Join(normalizeNames[:], ", "))
}

// Options configure Prepare. Start from DefaultOptions: a zero Width is
// an error wherever a window is used.
type Options struct {
	Normalize Normalize
	// Level and Width are the window's centre and width, in the input's
	// units (HU for CT).
	Level, Width float64
}

// Default window: the lung window.
const (
	DefaultLevel = -600
	DefaultWidth = 1500
)

// DefaultOptions returns automatic normalisation with the lung window.
func DefaultOptions() Options {
	return Options{Normalize: Auto, Level: DefaultLevel, Width: DefaultWidth}
}

// Errors: ErrOptions for unusable options, ErrInput for pixels that cannot
// be prepared (the message names the pixel).
var (
	ErrOptions = errors.New("prep: bad options")
	ErrInput   = errors.New("prep: bad input")
)

// Image is a prepared slice.
type Image struct {
	Width, Height int
	Kind          Kind
	// Normalize is the normalisation applied (never Auto).
	Normalize Normalize
	// Planes are R, G, B in [0, 1], row-major; a grey image has the same
	// slice three times.
	Planes [3][]float32
	// Intensity is each pixel's physical brightness: HU for CT, luminance
	// 0..255 for colour, the value as displayed for grey.
	Intensity []float32
}

// Grey reports whether the planes are one plane repeated.
func (im *Image) Grey() bool { return im.Kind != Colour }

// Prepare prepares one slice of width×height pixels given as floats (Float)
// or bytes (Grey8, RGB8; floats is then nil). modality and photometric are
// the series' DICOM Modality and PhotometricInterpretation ("" when
// unknown).
func Prepare(f Format, floats []float32, bytes []uint8, width, height int, modality, photometric string, opts Options) (*Image, error) {
	n := width * height
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("%w: size %d×%d", ErrInput, width, height)
	}
	kind := KindOf(f, modality)
	norm := opts.Normalize
	if norm == Auto {
		norm = map[Kind]Normalize{CT: Window, Colour: None, Grey: MinMax}[kind]
	}
	if norm < Window || norm > None {
		return nil, fmt.Errorf("%w: normalisation %v", ErrOptions, opts.Normalize)
	}
	if norm == Window && !(opts.Width > 0 && !math.IsInf(opts.Width, 0) && !math.IsNaN(opts.Level) && !math.IsInf(opts.Level, 0)) {
		return nil, fmt.Errorf("%w: window level %g width %g: the width must be positive and both finite", ErrOptions, opts.Level, opts.Width)
	}
	im := &Image{Width: width, Height: height, Kind: kind, Normalize: norm}
	// Inverted grey (MONOCHROME1) is negated so that larger means brighter
	// as displayed; HU keep their physical meaning.
	invert := kind == Grey && strings.EqualFold(strings.TrimSpace(photometric), "MONOCHROME1")
	switch f {
	case Float:
		if len(floats) != n {
			return nil, fmt.Errorf("%w: %d values for %d×%d pixels", ErrInput, len(floats), width, height)
		}
		in := make([]float32, n)
		for i, v := range floats {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("%w: pixel %d (x %d, y %d) is %g", ErrInput, i, i%width, i/width, v)
			}
			if invert {
				v = -v
			}
			in[i] = v
		}
		im.Intensity = in
		p, err := plane(in, norm, opts, 1)
		if err != nil {
			return nil, err
		}
		im.Planes = [3][]float32{p, p, p}
	case Grey8:
		if len(bytes) != n {
			return nil, fmt.Errorf("%w: %d bytes for %d×%d grey pixels", ErrInput, len(bytes), width, height)
		}
		in := make([]float32, n)
		for i, v := range bytes {
			in[i] = float32(v)
			if invert {
				in[i] = 255 - float32(v)
			}
		}
		im.Intensity = in
		p, err := plane(in, norm, opts, 255)
		if err != nil {
			return nil, err
		}
		im.Planes = [3][]float32{p, p, p}
	case RGB8:
		if len(bytes) != 3*n {
			return nil, fmt.Errorf("%w: %d bytes for %d×%d RGB pixels", ErrInput, len(bytes), width, height)
		}
		if norm == Window {
			return nil, fmt.Errorf("%w: a window applies to grey values, not to colour", ErrOptions)
		}
		lum := make([]float32, n)
		for ch := range im.Planes {
			im.Planes[ch] = make([]float32, n)
		}
		lo, hi := uint8(255), uint8(0)
		for _, v := range bytes {
			lo, hi = min(lo, v), max(hi, v)
		}
		for i := range n {
			r, g, b := bytes[3*i], bytes[3*i+1], bytes[3*i+2]
			lum[i] = 0.299*float32(r) + 0.587*float32(g) + 0.114*float32(b)
			for ch, v := range [3]uint8{r, g, b} {
				x := float32(v) / 255
				switch {
				case norm == MinMax && hi == lo:
					x = 0
				case norm == MinMax:
					x = to8(float64(v)-float64(lo), float64(hi-lo))
				}
				im.Planes[ch][i] = x
			}
		}
		im.Intensity = lum
	default:
		return nil, fmt.Errorf("%w: pixel format %v", ErrInput, f)
	}
	return im, nil
}

// plane maps grey values to [0, 1]. unit is the value None divides by (1
// for floats, 255 for bytes).
func plane(in []float32, norm Normalize, opts Options, unit float32) ([]float32, error) {
	out := make([]float32, len(in))
	switch norm {
	case Window:
		lo := opts.Level - opts.Width/2
		for i, v := range in {
			out[i] = to8(float64(v)-lo, opts.Width)
		}
	case MinMax:
		lo, hi := in[0], in[0]
		for _, v := range in {
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi == lo {
			return out, nil // a constant slice carries nothing: all 0
		}
		d := float64(hi) - float64(lo)
		for i, v := range in {
			out[i] = to8(float64(v)-float64(lo), d)
		}
	case None:
		for i, v := range in {
			x := v / unit
			if unit == 1 && (x < 0 || x > 1) {
				return nil, fmt.Errorf("%w: normalisation none needs values in [0, 1]; pixel %d is %g (use window or minmax)", ErrInput, i, v)
			}
			out[i] = x
		}
	}
	return out, nil
}

// to8 returns x/span clamped to [0, 1] and rounded to a multiple of 1/255,
// as an 8-bit file would hold it (round(255·x/span), halves away from 0).
func to8(x, span float64) float32 {
	g := math.Round(255 * x / span)
	return float32(min(max(g, 0), 255) / 255)
}

// WindowValue is the plane value Window gives v: the same arithmetic as
// Prepare, exposed so that callers can map thresholds (say, a HU value)
// onto the planes.
func WindowValue(v, level, width float64) float32 {
	return to8(v-(level-width/2), width)
}
