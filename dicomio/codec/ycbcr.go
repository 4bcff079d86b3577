package codec

import "image"

// Conversion of a decoded YCbCr JPEG to interleaved RGB.
//
// Chroma is upsampled the way the IJG library does by default ("fancy"
// upsampling: a triangle filter for 2:1 horizontal and 2:1×2:1 subsampling,
// replication otherwise), and YCbCr→RGB uses the JFIF equations in 16-bit
// fixed point rounded to nearest. That is what dcmtk and GDCM (both built on
// IJG code) produce, so frames decoded here agree with theirs as far as the
// inverse DCT allows.

const (
	ycbcrScale = 16
	ycbcrHalf  = 1 << (ycbcrScale - 1)
)

func fix(x float64) int32 { return int32(x*(1<<ycbcrScale) + 0.5) }

var (
	crR, cbB [256]int32 // R and B offsets, already scaled down
	crG, cbG [256]int32 // G contributions, still scaled up
)

func init() {
	for i := range 256 {
		x := int32(i - 128)
		crR[i] = (fix(1.40200)*x + ycbcrHalf) >> ycbcrScale
		cbB[i] = (fix(1.77200)*x + ycbcrHalf) >> ycbcrScale
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + ycbcrHalf
	}
}

func clamp8(v int32) byte {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return byte(v)
}

// ycbcrToRGB writes m as interleaved RGB into dst (3 bytes per pixel).
func ycbcrToRGB(dst []byte, m *image.YCbCr) error {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	cb := upsampleChroma(m.Cb, m.CStride, w, h, m.SubsampleRatio)
	cr := upsampleChroma(m.Cr, m.CStride, w, h, m.SubsampleRatio)
	if cb == nil || cr == nil {
		return unsupportedf("JPEG chroma subsampling %v", m.SubsampleRatio)
	}
	for y := 0; y < h; y++ {
		yrow := m.Y[y*m.YStride : y*m.YStride+w]
		out := dst[3*y*w : 3*(y+1)*w]
		crow, rrow := cb[y*w:(y+1)*w], cr[y*w:(y+1)*w]
		for x, yy := range yrow {
			Y := int32(yy)
			b, r := crow[x], rrow[x]
			out[3*x] = clamp8(Y + crR[r])
			out[3*x+1] = clamp8(Y + (cbG[b]+crG[r])>>ycbcrScale)
			out[3*x+2] = clamp8(Y + cbB[b])
		}
	}
	return nil
}

// upsampleChroma returns a w×h plane from a subsampled chroma plane, or nil
// for a subsampling it does not know.
func upsampleChroma(c []byte, stride, w, h int, ratio image.YCbCrSubsampleRatio) []byte {
	var fh, fv int // horizontal and vertical factors
	switch ratio {
	case image.YCbCrSubsampleRatio444:
		fh, fv = 1, 1
	case image.YCbCrSubsampleRatio422:
		fh, fv = 2, 1
	case image.YCbCrSubsampleRatio420:
		fh, fv = 2, 2
	case image.YCbCrSubsampleRatio440:
		fh, fv = 1, 2
	case image.YCbCrSubsampleRatio411:
		fh, fv = 4, 1
	case image.YCbCrSubsampleRatio410:
		fh, fv = 4, 2
	default:
		return nil
	}
	cw, ch := (w+fh-1)/fh, (h+fv-1)/fv
	out := make([]byte, w*h)
	row := func(y int) []byte { return c[y*stride : y*stride+cw] }
	switch {
	case fh == 1 && fv == 1:
		for y := 0; y < h; y++ {
			copy(out[y*w:(y+1)*w], row(y))
		}
	case fh == 2 && fv == 1:
		wide := make([]byte, 2*cw)
		for y := 0; y < h; y++ {
			fancyH2(wide, row(y))
			copy(out[y*w:(y+1)*w], wide)
		}
	case fh == 2 && fv == 2:
		wide := make([]byte, 2*cw)
		for y := 0; y < h; y++ {
			near := y / 2
			// Even output rows lean on the chroma row above, odd ones on
			// the row below; the image edge repeats the outermost row.
			far := near - 1
			if y%2 == 1 {
				far = near + 1
			}
			far = max(0, min(far, ch-1))
			fancyH2V2(wide, row(near), row(far))
			copy(out[y*w:(y+1)*w], wide)
		}
	default: // replication, as the IJG library does for other ratios
		for y := 0; y < h; y++ {
			src := row(y / fv)
			o := out[y*w : (y+1)*w]
			for x := range o {
				o[x] = src[x/fh]
			}
		}
	}
	return out
}

// fancyH2 doubles a row horizontally: each output sample is 3/4 of the
// nearer input sample plus 1/4 of the farther one, with alternating rounding
// bias; the end samples are copied.
func fancyH2(out, in []byte) {
	n := len(in)
	if n == 1 {
		out[0], out[1] = in[0], in[0]
		return
	}
	out[0] = in[0]
	out[1] = byte((int(in[0])*3 + int(in[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := int(in[i]) * 3
		out[2*i] = byte((v + int(in[i-1]) + 1) >> 2)
		out[2*i+1] = byte((v + int(in[i+1]) + 2) >> 2)
	}
	v := int(in[n-1]) * 3
	out[2*n-2] = byte((v + int(in[n-2]) + 1) >> 2)
	out[2*n-1] = in[n-1]
}

// fancyH2V2 makes one output row of 2×2 upsampling: a vertical 3/4-1/4 blend
// of the nearer and farther chroma rows, then the same horizontally, with the
// IJG rounding biases (8 and 7 over 16).
func fancyH2V2(out, near, far []byte) {
	n := len(near)
	sum := func(i int) int { return int(near[i])*3 + int(far[i]) }
	if n == 1 {
		s := sum(0)
		out[0] = byte((s*4 + 8) >> 4)
		out[1] = byte((s*4 + 7) >> 4)
		return
	}
	this, next := sum(0), sum(1)
	out[0] = byte((this*4 + 8) >> 4)
	out[1] = byte((this*3 + next + 7) >> 4)
	last := this
	this = next
	for i := 1; i < n-1; i++ {
		next = sum(i + 1)
		out[2*i] = byte((this*3 + last + 8) >> 4)
		out[2*i+1] = byte((this*3 + next + 7) >> 4)
		last, this = this, next
	}
	out[2*n-2] = byte((this*3 + last + 8) >> 4)
	out[2*n-1] = byte((this*4 + 7) >> 4)
}
