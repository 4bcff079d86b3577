package foreground

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/mmcseg/mmcseg/segmenter/prep"
)

// Rule chooses how the foreground is picked.
type Rule int

const (
	// Lesion: the skin lesion of a dermoscopy image (or any dark object on
	// a brighter background): the darker clusters inside the field of
	// view.
	Lesion Rule = iota + 1
	// Lung: both lungs of a chest CT slice: the low-density clusters
	// inside the body, without the airways.
	Lung
	// Largest: the largest region of one cluster that does not touch the
	// image border; for images no other rule fits.
	Largest
)

var ruleNames = [...]string{Lesion: "lesion", Lung: "lung", Largest: "largest"}

func (r Rule) String() string {
	if r > 0 && int(r) < len(ruleNames) {
		return ruleNames[r]
	}
	return fmt.Sprintf("Rule(%d)", int(r))
}

// RuleNames are the names ParseRule accepts besides "auto", in order.
func RuleNames() []string { return ruleNames[1:] }

// ParseRule reads a rule by name: "lesion", "lung", "largest", or "auto"
// (returned as 0: the caller applies RuleFor).
func ParseRule(s string) (Rule, error) {
	if s == "auto" {
		return 0, nil
	}
	for i, name := range ruleNames {
		if i > 0 && s == name {
			return Rule(i), nil
		}
	}
	return 0, fmt.Errorf("%w: rule %q: want auto or one of %s", ErrInput, s, strings.Join(RuleNames(), ", "))
}

// RuleFor is the rule for a kind of input: Lung for CT, Lesion for colour
// and grey photographs.
func RuleFor(k prep.Kind) Rule {
	if k == prep.CT {
		return Lung
	}
	return Lesion
}

// Options tune a rule. Zero values mean the documented defaults.
type Options struct {
	Rule Rule
	// MinArea drops regions smaller than this fraction of the image;
	// default 0.001.
	MinArea float64
	// MaxComponents is how many of the largest regions are kept; default
	// 1 for Lesion and Largest, 2 for Lung (two lungs).
	MaxComponents int
	// Smooth is the radius, as a fraction of the shorter image side, of
	// the disk by which Lesion opens its candidate region to cut hairs and
	// thin bridges; default 0.01 (about 6 pixels on PH2's 768×576). A
	// negative value switches it off.
	Smooth float64
	// NoFieldOfView makes Lesion keep pixels outside a detected circular
	// field of view (see FieldOfView).
	NoFieldOfView bool
	// LowDensityMax is the mean (HU) below which a cluster is a Lung
	// candidate; 0 means the default, −400 HU.
	LowDensityMax float64
	// BodyMin is the value (HU) above which a pixel is body tissue for
	// Lung's body outline; 0 means the default, −500 HU.
	BodyMin float64
	// KeepAirways keeps the small midline air regions (trachea, main
	// bronchi, oesophagus) that Lung otherwise drops.
	KeepAirways bool
}

func (o Options) withDefaults() Options {
	if o.MinArea <= 0 {
		o.MinArea = 0.001
	}
	if o.MaxComponents <= 0 {
		o.MaxComponents = 1
		if o.Rule == Lung {
			o.MaxComponents = 2
		}
	}
	if o.Smooth == 0 {
		o.Smooth = 0.01
	}
	if o.LowDensityMax == 0 {
		o.LowDensityMax = -400
	}
	if o.BodyMin == 0 {
		o.BodyMin = -500
	}
	return o
}

// Result is the chosen foreground.
type Result struct {
	// Mask holds 1 for foreground, 0 for background, row-major.
	Mask []uint8
	// Clusters are the cluster labels the foreground was taken from.
	Clusters []int
	// Area is the number of foreground pixels.
	Area int
	// Reason says why the mask is empty; "" when it is not.
	Reason string
	// FieldOfView is the circular field of view Lesion found, nil when
	// none was found or looked for.
	FieldOfView *Circle
}

// Label is any integer type a label map may use.
type Label interface {
	~uint8 | ~uint16 | ~int32 | ~int
}

// MaxLabel bounds label values.
const MaxLabel = 1 << 16

// ErrInput reports inconsistent arguments.
var ErrInput = errors.New("foreground: bad input")

// Select picks the foreground of a width×height label map. intensity holds
// each pixel's physical brightness (prep.Image.Intensity: HU for CT,
// luminance for colour), used to judge the clusters; NaN pixels are
// ignored in the judging. Every label is an ordinary cluster, 0 included.
func Select[L Label](labels []L, intensity []float32, width, height int, opts Options) (Result, error) {
	n := width * height
	if width <= 0 || height <= 0 || len(labels) != n || len(intensity) != n {
		return Result{}, fmt.Errorf("%w: %d labels and %d intensities for a %d×%d image", ErrInput, len(labels), len(intensity), width, height)
	}
	if opts.Rule < Lesion || opts.Rule > Largest {
		return Result{}, fmt.Errorf("%w: unknown rule %v", ErrInput, opts.Rule)
	}
	opts = opts.withDefaults()
	lab, orig, err := compact(labels)
	if err != nil {
		return Result{}, err
	}
	im := &image{w: width, h: height}
	s := &selection{im: im, labels: lab, k: len(orig), orig: orig, intensity: intensity, opts: opts,
		minArea: int(math.Ceil(opts.MinArea * float64(n)))}
	var res Result
	switch opts.Rule {
	case Lesion:
		res = s.lesion()
	case Lung:
		res = s.lung()
	case Largest:
		res = s.largest()
	}
	if res.Mask == nil {
		res.Mask = make([]uint8, n)
	}
	for i, c := range res.Clusters {
		res.Clusters[i] = s.orig[c]
	}
	sort.Ints(res.Clusters)
	res.Area = 0
	for _, v := range res.Mask {
		res.Area += int(v)
	}
	if res.Area == 0 && res.Reason == "" {
		res.Reason = "no region is left after the clean-up"
	}
	return res, nil
}

// selection is one Select call's state: labels renumbered 0..k−1.
type selection struct {
	im        *image
	labels    []int32
	k         int
	orig      []int // original label of each compact one
	intensity []float32
	opts      Options
	minArea   int
}

// compact renumbers the labels present as 0..k−1 in increasing order and
// returns the original label of each.
func compact[L Label](labels []L) ([]int32, []int, error) {
	present := make([]int32, MaxLabel)
	for i, l := range labels {
		if l < 0 || int(l) >= MaxLabel {
			return nil, nil, fmt.Errorf("%w: label %d at pixel %d outside 0..%d", ErrInput, int(l), i, MaxLabel-1)
		}
		present[l] = 1
	}
	var orig []int
	for l, p := range present {
		if p != 0 {
			present[l] = int32(len(orig))
			orig = append(orig, l)
		}
	}
	out := make([]int32, len(labels))
	for i, l := range labels {
		out[i] = present[l]
	}
	return out, orig, nil
}

// cluster is one cluster's statistics over the pixels considered.
type cluster struct {
	label int // compact label
	count int
	mean  float64 // mean intensity, +Inf when all its pixels are NaN
}

// stats returns the clusters with pixels where within is nil or 1,
// darkest first (ties by label).
func (s *selection) stats(within []uint8) []cluster {
	count := make([]int, s.k)
	valid := make([]int, s.k)
	sum := make([]float64, s.k)
	for i, l := range s.labels {
		if within != nil && within[i] == 0 {
			continue
		}
		count[l]++
		if v := float64(s.intensity[i]); !math.IsNaN(v) {
			valid[l]++
			sum[l] += v
		}
	}
	var out []cluster
	for l, c := range count {
		if c == 0 {
			continue
		}
		mean := math.Inf(1)
		if valid[l] > 0 {
			mean = sum[l] / float64(valid[l])
		}
		out = append(out, cluster{label: l, count: c, mean: mean})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].mean < out[b].mean })
	return out
}

// maskOf returns the pixels whose cluster is in set (and within, if not
// nil).
func (s *selection) maskOf(set []bool, within []uint8) []uint8 {
	m := make([]uint8, len(s.labels))
	for i, l := range s.labels {
		if set[l] && (within == nil || within[i] == 1) {
			m[i] = 1
		}
	}
	return m
}

func (s *selection) result(mask []uint8, set []bool) Result {
	res := Result{Mask: mask}
	for l, in := range set {
		if in {
			res.Clusters = append(res.Clusters, l)
		}
	}
	return res
}
