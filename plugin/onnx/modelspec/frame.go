package modelspec

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/mmcseg/mmcseg/sdk"
)

// Frame does the per-slice work a Spec describes for the slices of one
// series (one size and pixel format): Input turns a slice into the
// model's input tensor, Labels turns the model's output into the slice's
// mask. It keeps scratch buffers between slices and is not safe for
// concurrent use.
type Frame struct {
	spec       *Spec
	rows, cols int
	format     sdk.PixelFormat
	channels   int
	classes    int

	// Resize: bilinear weights from model to slice coordinates (input)
	// and back (output).
	toModelY, toModelX []tap
	toSliceY, toSliceX []tap

	// Pad: per axis, the slice range [s, s+n) sits at model [m, m+n).
	sy, my, ny int
	sx, mx, nx int

	planes [][]float64 // channels × rows×cols, preprocessed
	tmp    []float64   // resampling scratch
	scores [][]float64 // classes × rows×cols, mapped back
	model  []float64   // one model-size plane
}

// tap is one output sample of a bilinear resampling along an axis:
// (1−t)·src[i0] + t·src[i1].
type tap struct {
	i0, i1 int
	t      float64
}

// taps returns bilinear weights for resampling n samples to m with
// half-pixel centres: output o reads input (o+½)·n/m − ½, clamped to the
// edges (PyTorch's interpolate with align_corners=False, no antialias).
func taps(n, m int) []tap {
	out := make([]tap, m)
	scale := float64(n) / float64(m)
	for o := range out {
		src := (float64(o)+0.5)*scale - 0.5
		src = min(max(src, 0), float64(n-1))
		i0 := int(math.Floor(src))
		i1 := min(i0+1, n-1)
		out[o] = tap{i0: i0, i1: i1, t: src - float64(i0)}
	}
	return out
}

// padCrop places an axis of n slice samples into m model samples: centred,
// padded when n < m (the extra sample at the end), cropped when n > m.
func padCrop(n, m int) (s, mo, length int) {
	if n <= m {
		return 0, (m - n) / 2, n
	}
	return (n - m) / 2, 0, m
}

func channelsOf(f sdk.PixelFormat) int {
	if f == sdk.RGB8 {
		return 3
	}
	return 1
}

// NewFrame prepares the per-slice work for slices of rows×cols pixels in
// format f. The spec must already agree with the model (CheckModel).
func (s *Spec) NewFrame(rows, cols int, f sdk.PixelFormat) (*Frame, error) {
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("%w: slice size %d×%d", sdk.ErrInvalidInput, cols, rows)
	}
	if f.BytesPerPixel() == 0 {
		return nil, fmt.Errorf("%w: unknown pixel format %v", sdk.ErrInvalidInput, f)
	}
	h, w := s.Input.Height, s.Input.Width
	fr := &Frame{spec: s, rows: rows, cols: cols, format: f, channels: s.Input.Channels, classes: s.Classes()}
	n := rows * cols
	fr.planes = make([][]float64, fr.channels)
	for c := range fr.planes {
		fr.planes[c] = make([]float64, n)
	}
	fr.scores = make([][]float64, fr.classes)
	for k := range fr.scores {
		fr.scores[k] = make([]float64, n)
	}
	fr.model = make([]float64, h*w)
	switch s.Fit {
	case Resize:
		fr.toModelY, fr.toModelX = taps(rows, h), taps(cols, w)
		fr.toSliceY, fr.toSliceX = taps(h, rows), taps(w, cols)
		fr.tmp = make([]float64, max(h*cols, rows*w))
	case Pad:
		fr.sy, fr.my, fr.ny = padCrop(rows, h)
		fr.sx, fr.mx, fr.nx = padCrop(cols, w)
	default:
		return nil, fmt.Errorf("%w: fit %q", ErrBadSidecar, s.Fit)
	}
	return fr, nil
}

// Cropped reports whether slices are larger than the model's input and
// fit is "pad": the pixels outside the centred window are not seen by the
// model and are labelled background.
func (f *Frame) Cropped() bool {
	return f.spec.Fit == Pad && (f.rows > f.spec.Input.Height || f.cols > f.spec.Input.Width)
}

// Converted says how slices are converted to the model's channels: ""
// when they match, otherwise a sentence for the user (colour slices become
// grey by Rec. 601 luma for a one-channel model; grey slices are repeated
// in all three channels of a colour model).
func (f *Frame) Converted() string {
	switch {
	case channelsOf(f.format) == f.channels:
		return ""
	case f.channels == 1:
		return "RGB slices are converted to grey (0.299 R + 0.587 G + 0.114 B) for the model's one input channel"
	}
	return "grey slices are repeated in the model's three input channels"
}

// InputLen is the number of values of the model's input tensor.
func (f *Frame) InputLen() int { return f.spec.Input.Height * f.spec.Input.Width * f.channels }

// OutputLen is the number of values of the model's output tensor.
func (f *Frame) OutputLen() int { return f.spec.Input.Height * f.spec.Input.Width * f.classes }

// Input decodes slice sl, preprocesses it, fits it to the model's input
// size and writes the input tensor into dst (InputLen values, in the
// input's layout).
func (f *Frame) Input(sl sdk.Slice, dst []float32) error {
	if sl.Format != f.format || sl.Rows != f.rows || sl.Columns != f.cols {
		return fmt.Errorf("%w %d: %d×%d %v, the series is %d×%d %v", sdk.ErrBadSlice, sl.Index, sl.Columns, sl.Rows, sl.Format, f.cols, f.rows, f.format)
	}
	if err := sl.Check(); err != nil {
		return err
	}
	if len(dst) != f.InputLen() {
		return fmt.Errorf("input buffer of %d values, want %d", len(dst), f.InputLen())
	}
	f.decode(sl)
	for c, p := range f.planes {
		f.preprocess(c, p)
	}
	h, w := f.spec.Input.Height, f.spec.Input.Width
	for c, p := range f.planes {
		switch f.spec.Fit {
		case Resize:
			resample(p, f.rows, f.cols, f.toModelY, f.toModelX, f.tmp, f.model)
		case Pad:
			fill := minOf(p)
			for i := range f.model {
				f.model[i] = fill
			}
			for y := range f.ny {
				src := p[(f.sy+y)*f.cols+f.sx:][:f.nx]
				copy(f.model[(f.my+y)*w+f.mx:][:f.nx], src)
			}
		}
		f.put(dst, c, f.channels, h*w, f.model)
	}
	return nil
}

// put writes plane c of k into a tensor in the spec's layout.
func (f *Frame) put(dst []float32, c, k, hw int, plane []float64) {
	if f.spec.Input.Layout == NHWC {
		for i, v := range plane {
			dst[i*k+c] = float32(v)
		}
		return
	}
	out := dst[c*hw : (c+1)*hw]
	for i, v := range plane {
		out[i] = float32(v)
	}
}

func (f *Frame) decode(sl sdk.Slice) {
	p := f.planes[0]
	switch sl.Format {
	case sdk.Float32:
		for i := range p {
			p[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(sl.Data[4*i:])))
		}
	case sdk.Uint8:
		for i, v := range sl.Data {
			p[i] = float64(v)
		}
	case sdk.RGB8:
		if f.channels == 1 {
			for i := range p {
				p[i] = 0.299*float64(sl.Data[3*i]) + 0.587*float64(sl.Data[3*i+1]) + 0.114*float64(sl.Data[3*i+2])
			}
			return
		}
		for i := range p {
			for c := range 3 {
				f.planes[c][i] = float64(sl.Data[3*i+c])
			}
		}
		return
	}
	for c := 1; c < f.channels; c++ {
		copy(f.planes[c], p)
	}
}

// preprocess maps plane c in place. Values that are not finite (NaN in a
// CT slice) become the smallest preprocessed value of the plane, the
// background of nearly every medical image.
func (f *Frame) preprocess(c int, p []float64) {
	pp := f.spec.Preprocess
	lo, hi := math.Inf(1), math.Inf(-1)
	if pp.Kind == MinMax {
		for _, v := range p {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	bad := false
	for i, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			bad = true
			p[i] = math.NaN()
			continue
		}
		switch pp.Kind {
		case Window:
			v = min(max((v-(pp.Level-pp.Width/2))/pp.Width, 0), 1)
		case MinMax:
			if hi > lo {
				v = (v - lo) / (hi - lo)
			} else {
				v = 0
			}
		case MeanStd:
			v = (v*pp.Scale - pp.Mean[c]) / pp.Std[c]
		}
		p[i] = v
	}
	if bad {
		fill := minOf(p)
		if math.IsInf(fill, 1) {
			fill = 0
		}
		for i, v := range p {
			if math.IsNaN(v) {
				p[i] = fill
			}
		}
	}
}

// minOf returns the smallest value of p, ignoring NaN (+Inf if none).
func minOf(p []float64) float64 {
	m := math.Inf(1)
	for _, v := range p {
		if v < m {
			m = v
		}
	}
	return m
}

// resample resamples src (rows×cols) through the taps ty (output rows) and
// tx (output columns) into dst, rows first as gen.py does; tmp holds the
// intermediate len(ty)×cols plane.
func resample(src []float64, rows, cols int, ty, tx []tap, tmp, dst []float64) {
	w := len(tx)
	tmp = tmp[:len(ty)*cols]
	for o, t := range ty {
		a, b := src[t.i0*cols:][:cols], src[t.i1*cols:][:cols]
		out := tmp[o*cols:][:cols]
		for j := range out {
			out[j] = a[j]*(1-t.t) + b[j]*t.t
		}
	}
	for o := range ty {
		row := tmp[o*cols:][:cols]
		out := dst[o*w:][:w]
		for j, t := range tx {
			out[j] = row[t.i0]*(1-t.t) + row[t.i1]*t.t
		}
	}
}

// mapBack maps the model's output (OutputLen values in the output layout)
// to the slice's size, into f.scores, and reports which slice pixels the
// model saw.
func (f *Frame) mapBack(out []float32) {
	h, w := f.spec.Input.Height, f.spec.Input.Width
	hw := h * w
	nhwc := f.spec.Input.Layout == NHWC
	for k := range f.classes {
		for i := range f.model {
			if nhwc {
				f.model[i] = float64(out[i*f.classes+k])
			} else {
				f.model[i] = float64(out[k*hw+i])
			}
		}
		s := f.scores[k]
		switch f.spec.Fit {
		case Resize:
			resample(f.model, h, w, f.toSliceY, f.toSliceX, f.tmp, s)
		case Pad:
			clear(s)
			for y := range f.ny {
				copy(s[(f.sy+y)*f.cols+f.sx:][:f.nx], f.model[(f.my+y)*w+f.mx:][:f.nx])
			}
		}
	}
}

func (f *Frame) covered(y, x int) bool {
	if f.spec.Fit != Pad {
		return true
	}
	return y >= f.sy && y < f.sy+f.ny && x >= f.sx && x < f.sx+f.nx
}

// Labels turns the model's output into the slice's mask (rows×cols
// labels): segment 1 where the Sigmoid probability is ≥ the threshold, or
// the argmax class for Softmax (the first of equal scores; class 0 is
// background). Pixels cropped away by a pad fit are background.
func (f *Frame) Labels(out []float32, labels []uint8) error {
	return f.LabelsThreshold(out, f.spec.Output.Threshold, labels)
}

// LabelsThreshold is Labels with another Sigmoid threshold (0 < t < 1).
func (f *Frame) LabelsThreshold(out []float32, threshold float64, labels []uint8) error {
	if len(out) != f.OutputLen() || len(labels) != f.rows*f.cols {
		return fmt.Errorf("output of %d values and %d labels, want %d and %d", len(out), len(labels), f.OutputLen(), f.rows*f.cols)
	}
	f.mapBack(out)
	if f.spec.Output.Kind == Sigmoid {
		t := threshold
		if f.spec.Output.Logits {
			t = math.Log(t / (1 - t)) // sigmoid(x) ≥ t ⇔ x ≥ logit(t)
		}
		for i, v := range f.scores[0] {
			labels[i] = 0
			if v >= t {
				labels[i] = 1
			}
		}
	} else {
		for i := range labels {
			best, bestK := f.scores[0][i], 0
			for k := 1; k < f.classes; k++ {
				if v := f.scores[k][i]; v > best {
					best, bestK = v, k
				}
			}
			labels[i] = uint8(bestK)
		}
	}
	if f.spec.Fit == Pad {
		for y := range f.rows {
			for x := range f.cols {
				if !f.covered(y, x) {
					labels[y*f.cols+x] = 0
				}
			}
		}
	}
	return nil
}

// Scores maps the model's output back to the slice and returns it, one
// rows×cols plane per class, as the labels are decided from it (zero where
// a pad fit cropped the slice). The planes are reused by the next call.
func (f *Frame) Scores(out []float32) ([][]float64, error) {
	if len(out) != f.OutputLen() {
		return nil, fmt.Errorf("output of %d values, want %d", len(out), f.OutputLen())
	}
	f.mapBack(out)
	return f.scores, nil
}
