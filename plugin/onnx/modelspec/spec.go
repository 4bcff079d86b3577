package modelspec

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/mmcseg/mmcseg/sdk"
)

// ErrBadSidecar reports a sidecar that does not follow the schema; the
// joined *FieldErrors say where and why.
var ErrBadSidecar = errors.New("bad sidecar")

// MaxSidecarSize bounds the sidecar files Load reads.
const MaxSidecarSize = 1 << 20

// Layouts of the input (and output) tensor.
const (
	NCHW = "NCHW"
	NHWC = "NHWC"
)

// Preprocessing kinds.
const (
	Window  = "window"
	MinMax  = "minmax"
	MeanStd = "meanstd"
)

// Fitting of a slice to the model's input size.
const (
	Resize = "resize"
	Pad    = "pad"
)

// Output kinds.
const (
	Sigmoid = "sigmoid"
	Softmax = "softmax"
)

// MaxInputSize bounds the height and width of a model's input.
const MaxInputSize = 8192

// Spec is a parsed sidecar: what a model needs and what its output means.
type Spec struct {
	// Name is the model's name (the SegmentAlgorithmName of its
	// segments); Version and Description are free text.
	Name, Version, Description string
	// Modalities the model applies to (DICOM Modality values); empty
	// means any.
	Modalities []string
	Input      Input
	Preprocess Preprocess
	// Fit is Resize or Pad.
	Fit    string
	Output Output
	// Segments are numbered 1..N. With a Sigmoid output N is 1; with
	// Softmax, class c of the model's N+1 is segment c (class 0 is
	// background).
	Segments []sdk.SegmentInfo
}

// Input is the model's input tensor: 1×Channels×Height×Width (NCHW) or
// 1×Height×Width×Channels (NHWC).
type Input struct {
	Layout                  string
	Height, Width, Channels int
}

// Preprocess maps a slice's values into what the model was trained on.
type Preprocess struct {
	// Kind is Window, MinMax or MeanStd.
	Kind string
	// Level and Width of a Window: v ↦ clamp((v − (Level − Width/2)) / Width, 0, 1).
	Level, Width float64
	// Mean and Std, one per channel, and Scale for MeanStd:
	// v ↦ (v·Scale − Mean[c]) / Std[c].
	Mean, Std []float64
	Scale     float64
}

// Output says how the model's output becomes labels.
type Output struct {
	// Kind is Sigmoid (one channel, a pixel is segment 1 where the
	// probability is ≥ Threshold) or Softmax (argmax over the classes).
	Kind      string
	Threshold float64
	// Logits says the Sigmoid model outputs logits, not probabilities.
	Logits bool
}

var modalityRE = regexp.MustCompile(`^[A-Z0-9_ ]{1,16}$`)

// Load reads and parses the sidecar file at path.
func Load(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sidecar %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSidecarSize+1))
	if err != nil {
		return nil, fmt.Errorf("sidecar %s: %w", path, err)
	}
	if len(data) > MaxSidecarSize {
		return nil, fmt.Errorf("sidecar %s: %w: larger than %d KiB", path, ErrBadSidecar, MaxSidecarSize>>10)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("sidecar %s: %w", path, err)
	}
	return s, nil
}

// Parse parses a sidecar strictly: unknown fields, duplicate keys, values
// of the wrong type or out of range are errors. All problems are reported
// together, each as a *FieldError naming its JSON path, joined under
// ErrBadSidecar.
func Parse(data []byte) (*Spec, error) {
	tree, err := decodeTree(data)
	if err != nil {
		return nil, fmt.Errorf("%w: not valid JSON: %v", ErrBadSidecar, err)
	}
	var c checker
	s := &Spec{}
	top := c.obj("", tree,
		[]string{"input", "preprocess", "fit", "output", "segments"},
		[]string{"name", "version", "description", "modalities"})
	if top == nil {
		return nil, c.err()
	}
	for _, k := range []string{"name", "version", "description"} {
		if v, ok := top.get(k); ok {
			var dst *string
			switch k {
			case "name":
				dst = &s.Name
			case "version":
				dst = &s.Version
			default:
				dst = &s.Description
			}
			if k == "name" {
				*dst, _ = c.nonEmpty(k, v)
			} else {
				*dst, _ = c.str(k, v)
			}
		}
	}
	if v, ok := top.get("modalities"); ok {
		if a, ok := c.array("modalities", v); ok {
			for i, m := range a {
				p := fmt.Sprintf("modalities[%d]", i)
				if str, ok := c.str(p, m); ok {
					if !modalityRE.MatchString(str) {
						c.fail(p, "%q is not a DICOM Modality value (such as \"CT\")", str)
					} else {
						s.Modalities = append(s.Modalities, str)
					}
				}
			}
		}
	}
	if v, ok := top.get("input"); ok {
		s.Input = c.input(v)
	}
	if v, ok := top.get("preprocess"); ok {
		s.Preprocess = c.preprocess(v, s.Input.Channels)
	}
	if v, ok := top.get("fit"); ok {
		s.Fit, _ = c.enum("fit", v, Resize, Pad)
	}
	if v, ok := top.get("output"); ok {
		s.Output = c.output(v)
	}
	if v, ok := top.get("segments"); ok {
		s.Segments = c.segments(v, s.Output.Kind)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	for i := range s.Segments {
		s.Segments[i].AlgorithmName = s.Name
	}
	return s, nil
}

func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrBadSidecar, errors.Join(c.errs...))
}

func (c *checker) input(v any) Input {
	var in Input
	o := c.obj("input", v, []string{"layout", "height", "width", "channels"}, nil)
	if x, ok := o.get("layout"); ok {
		in.Layout, _ = c.enum("input.layout", x, NCHW, NHWC)
	}
	if x, ok := o.get("height"); ok {
		in.Height, _ = c.integer("input.height", x, 1, MaxInputSize)
	}
	if x, ok := o.get("width"); ok {
		in.Width, _ = c.integer("input.width", x, 1, MaxInputSize)
	}
	if x, ok := o.get("channels"); ok {
		if n, ok := c.integer("input.channels", x, 1, 3); ok {
			if n == 2 {
				c.fail("input.channels", "must be 1 (grey or CT) or 3 (RGB), got 2")
			} else {
				in.Channels = n
			}
		}
	}
	return in
}

func (c *checker) preprocess(v any, channels int) Preprocess {
	var p Preprocess
	o, ok := v.(*object)
	if !ok {
		c.fail("preprocess", "want an object, got %s", typeName(v))
		return p
	}
	kv, ok := o.get("kind")
	if !ok {
		c.obj("preprocess", v, []string{"kind"}, []string{"level", "width", "mean", "std", "scale"})
		return p
	}
	p.Kind, ok = c.enum("preprocess.kind", kv, Window, MinMax, MeanStd)
	if !ok {
		return p
	}
	switch p.Kind {
	case Window:
		o = c.obj("preprocess", v, []string{"kind", "level", "width"}, nil)
		if x, ok := o.get("level"); ok {
			p.Level, _ = c.num("preprocess.level", x)
		}
		if x, ok := o.get("width"); ok {
			if w, ok := c.num("preprocess.width", x); ok {
				if w <= 0 {
					c.fail("preprocess.width", "must be > 0, got %v", x)
				}
				p.Width = w
			}
		}
	case MinMax:
		c.obj("preprocess", v, []string{"kind"}, nil)
	case MeanStd:
		o = c.obj("preprocess", v, []string{"kind", "mean", "std"}, []string{"scale"})
		p.Scale = 1
		if x, ok := o.get("scale"); ok {
			if sc, ok := c.num("preprocess.scale", x); ok {
				if sc == 0 {
					c.fail("preprocess.scale", "must not be 0")
				}
				p.Scale = sc
			}
		}
		p.Mean = c.perChannel("preprocess.mean", o, "mean", channels, false)
		p.Std = c.perChannel("preprocess.std", o, "std", channels, true)
	}
	return p
}

func (c *checker) perChannel(path string, o *object, key string, channels int, positive bool) []float64 {
	v, ok := o.get(key)
	if !ok {
		return nil
	}
	a, ok := c.array(path, v)
	if !ok {
		return nil
	}
	if channels > 0 && len(a) != channels {
		c.fail(path, "has %d values; want one per input channel (input.channels is %d)", len(a), channels)
	}
	out := make([]float64, 0, len(a))
	for i, x := range a {
		p := fmt.Sprintf("%s[%d]", path, i)
		if f, ok := c.num(p, x); ok {
			if positive && f <= 0 {
				c.fail(p, "must be > 0, got %v", x)
			}
			out = append(out, f)
		}
	}
	return out
}

func (c *checker) output(v any) Output {
	var out Output
	o, ok := v.(*object)
	if !ok {
		c.fail("output", "want an object, got %s", typeName(v))
		return out
	}
	kv, ok := o.get("kind")
	if !ok {
		c.obj("output", v, []string{"kind"}, []string{"threshold", "logits"})
		return out
	}
	out.Kind, ok = c.enum("output.kind", kv, Sigmoid, Softmax)
	if !ok {
		return out
	}
	switch out.Kind {
	case Sigmoid:
		o = c.obj("output", v, []string{"kind", "threshold"}, []string{"logits"})
		if x, ok := o.get("threshold"); ok {
			if t, ok := c.num("output.threshold", x); ok {
				if t <= 0 || t >= 1 {
					c.fail("output.threshold", "must be between 0 and 1 (exclusive), got %v", x)
				}
				out.Threshold = t
			}
		}
		if x, ok := o.get("logits"); ok {
			out.Logits, _ = c.boolean("output.logits", x)
		}
	case Softmax:
		c.obj("output", v, []string{"kind"}, nil)
	}
	return out
}

func (c *checker) segments(v any, kind string) []sdk.SegmentInfo {
	a, ok := c.array("segments", v)
	if !ok {
		return nil
	}
	if len(a) == 0 {
		c.fail("segments", "must list at least one segment")
		return nil
	}
	if kind == Sigmoid && len(a) != 1 {
		c.fail("segments", "a sigmoid output has one segment, got %d", len(a))
	}
	var segs []sdk.SegmentInfo
	seen := map[int]int{}
	for i, x := range a {
		p := fmt.Sprintf("segments[%d]", i)
		o := c.obj(p, x, []string{"number", "label", "color", "category", "type"}, []string{"description", "anatomic_region"})
		if o == nil {
			continue
		}
		var s sdk.SegmentInfo
		if y, ok := o.get("number"); ok {
			if n, ok := c.integer(p+".number", y, 1, 255); ok {
				if j, dup := seen[n]; dup {
					c.fail(p+".number", "%d is also the number of segments[%d]", n, j)
				}
				seen[n] = i
				s.Number = n
			}
		}
		if y, ok := o.get("label"); ok {
			s.Label, _ = c.nonEmpty(p+".label", y)
		}
		if y, ok := o.get("description"); ok {
			s.Description, _ = c.str(p+".description", y)
		}
		if y, ok := o.get("color"); ok {
			if rgb, ok := c.array(p+".color", y); ok {
				if len(rgb) != 3 {
					c.fail(p+".color", "want [r, g, b], got %d values", len(rgb))
				} else {
					for k := range 3 {
						n, _ := c.integer(fmt.Sprintf("%s.color[%d]", p, k), rgb[k], 0, 255)
						s.Color[k] = uint8(n)
					}
				}
			}
		}
		if y, ok := o.get("category"); ok {
			s.Category = c.code(p+".category", y)
		}
		if y, ok := o.get("type"); ok {
			s.Type = c.code(p+".type", y)
		}
		if y, ok := o.get("anatomic_region"); ok {
			s.AnatomicRegion = c.code(p+".anatomic_region", y)
		}
		segs = append(segs, s)
	}
	// Class c of the model is segment c: the numbers must be 1..N.
	for n := 1; n <= len(a); n++ {
		if _, ok := seen[n]; !ok && len(seen) == len(a) {
			c.fail("segments", "numbers must be 1..%d (class c of the model is segment c); %d is missing", len(a), n)
			break
		}
	}
	slices.SortFunc(segs, func(x, y sdk.SegmentInfo) int { return x.Number - y.Number })
	return segs
}

func (c *checker) code(path string, v any) sdk.Code {
	var code sdk.Code
	o := c.obj(path, v, []string{"scheme", "value", "meaning"}, nil)
	if x, ok := o.get("scheme"); ok {
		code.Scheme, _ = c.nonEmpty(path+".scheme", x)
	}
	if x, ok := o.get("value"); ok {
		code.Value, _ = c.nonEmpty(path+".value", x)
	}
	if x, ok := o.get("meaning"); ok {
		code.Meaning, _ = c.nonEmpty(path+".meaning", x)
	}
	return code
}

// Classes returns the number of channels the model's output must have:
// 1 for Sigmoid, the number of segments + 1 (background) for Softmax.
func (s *Spec) Classes() int {
	if s.Output.Kind == Softmax {
		return len(s.Segments) + 1
	}
	return 1
}

// InputShape returns the input tensor's shape.
func (s *Spec) InputShape() []int {
	if s.Input.Layout == NHWC {
		return []int{1, s.Input.Height, s.Input.Width, s.Input.Channels}
	}
	return []int{1, s.Input.Channels, s.Input.Height, s.Input.Width}
}

// PixelFormats returns the slice formats the model takes: FLOAT32 and
// UINT8 grey for one channel, RGB8 for three.
func (s *Spec) PixelFormats() []sdk.PixelFormat {
	if s.Input.Channels == 3 {
		return []sdk.PixelFormat{sdk.RGB8}
	}
	return []sdk.PixelFormat{sdk.Float32, sdk.Uint8}
}

// CheckModel checks the sidecar against a model's input and output shapes
// (as onnxmodel reports them) and says which field disagrees.
func (s *Spec) CheckModel(in, out []int) error {
	if !slices.Equal(in, s.InputShape()) {
		return fmt.Errorf("%w: input (layout %s, height %d, width %d, channels %d) says the model takes %s, but its input is %s",
			ErrBadSidecar, s.Input.Layout, s.Input.Height, s.Input.Width, s.Input.Channels, dims(s.InputShape()), dims(in))
	}
	h, w, k, ok := s.outputDims(out)
	if !ok || h != s.Input.Height || w != s.Input.Width {
		return fmt.Errorf("%w: the model's output is %s; this plugin needs scores at the input's size, 1×classes×%d×%d (%s)",
			ErrBadSidecar, dims(out), s.Input.Height, s.Input.Width, s.layoutHint())
	}
	if k != s.Classes() {
		if s.Output.Kind == Softmax {
			return fmt.Errorf("%w: the model's output %s has %d classes; segments lists %d, so the sidecar wants %d (class 0 is background)",
				ErrBadSidecar, dims(out), k, len(s.Segments), s.Classes())
		}
		return fmt.Errorf("%w: output.kind is sigmoid, but the model's output %s has %d channels (want 1; use softmax for several classes)",
			ErrBadSidecar, dims(out), k)
	}
	return nil
}

func (s *Spec) layoutHint() string {
	if s.Input.Layout == NHWC {
		return "NHWC: 1×height×width×classes"
	}
	return "NCHW"
}

// outputDims reads height, width and classes from an output shape: rank 4
// in the input's layout, or rank 3 (1×H×W, one class).
func (s *Spec) outputDims(out []int) (h, w, k int, ok bool) {
	switch {
	case len(out) == 4 && out[0] == 1 && s.Input.Layout == NHWC:
		return out[1], out[2], out[3], true
	case len(out) == 4 && out[0] == 1:
		return out[2], out[3], out[1], true
	case len(out) == 3 && out[0] == 1:
		return out[1], out[2], 1, true
	}
	return 0, 0, 0, false
}

func dims(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "×")
}
