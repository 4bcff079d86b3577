package frontend

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/segmenter/foreground"
	"github.com/mmcseg/mmcseg/segmenter/prep"
)

// FrontEnd is what the kmeans and mmcformer plugins share around their
// clustering: the slice prepared by package prep and the foreground chosen
// by package foreground, both set up from the series and the parameters
// normalize, window_level, window_width, rule and min_area.
type FrontEnd struct {
	format prep.Format
	kind   prep.Kind
	info   sdk.SeriesInfo
	prep   prep.Options
	rule   foreground.Options
}

// Parameters returns the parameters New reads, for the plugin's
// Description.
func Parameters() []sdk.Parameter {
	return []sdk.Parameter{
		{Name: "normalize", Type: sdk.ParamEnum, Default: "auto", Choices: prep.NormalizeNames(),
			Description: "how pixels become the model's input: auto (CT: window; colour: as is; other grey: min–max), window, minmax, none"},
		{Name: "window_level", Type: sdk.ParamFloat, Default: strconv.FormatFloat(prep.DefaultLevel, 'g', -1, 64),
			Description: "centre of the window (HU for CT) mapped to 0..1; the lung window by default (our choice, not the authors')"},
		{Name: "window_width", Type: sdk.ParamFloat, Default: strconv.FormatFloat(prep.DefaultWidth, 'g', -1, 64), Min: sdk.Bound(1),
			Description: "width of that window"},
		{Name: "rule", Type: sdk.ParamEnum, Default: "auto", Choices: append([]string{"auto"}, foreground.RuleNames()...),
			Description: "how the foreground cluster is chosen: auto (CT: lung; photographs: lesion), lesion, lung, largest"},
		{Name: "min_area", Type: sdk.ParamFloat, Default: "0.001", Min: sdk.Bound(0), Max: sdk.Bound(0.5),
			Description: "foreground regions smaller than this fraction of the slice are dropped"},
	}
}

// New sets up the front end of series info from the parameters p; a
// parameter that does not suit the series is an sdk.ErrBadParam.
func New(info sdk.SeriesInfo, p sdk.Params) (*FrontEnd, error) {
	f := &FrontEnd{info: info}
	switch info.Format {
	case sdk.Float32:
		f.format = prep.Float
	case sdk.Uint8:
		f.format = prep.Grey8
	case sdk.RGB8:
		f.format = prep.RGB8
	default:
		return nil, fmt.Errorf("%w: pixel format %v", sdk.ErrUnsupported, info.Format)
	}
	f.kind = prep.KindOf(f.format, info.Modality)
	norm, err := prep.ParseNormalize(p.Get("normalize"))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", sdk.ErrBadParam, err)
	}
	if norm == prep.Window && f.kind == prep.Colour {
		return nil, fmt.Errorf("%w: normalize=window applies to grey images, not to the colour series %s", sdk.ErrBadParam, info.UID)
	}
	f.prep = prep.Options{Normalize: norm, Level: p.Float("window_level"), Width: p.Float("window_width")}
	rule, err := foreground.ParseRule(p.Get("rule"))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", sdk.ErrBadParam, err)
	}
	if rule == 0 {
		rule = foreground.RuleFor(f.kind)
	}
	if rule == foreground.Lung && f.kind != prep.CT {
		return nil, fmt.Errorf("%w: rule=lung needs CT in Hounsfield units; series %s is %v %s", sdk.ErrBadParam, info.UID, info.Format, info.Modality)
	}
	f.rule = foreground.Options{Rule: rule, MinArea: p.Float("min_area")}
	return f, nil
}

// Prepare converts a slice; unusable pixels are the slice's error.
func (f *FrontEnd) Prepare(sl sdk.Slice) (*prep.Image, error) {
	var im *prep.Image
	var err error
	if f.format == prep.Float {
		var px []float32
		if px, err = sl.Float32s(); err == nil {
			im, err = prep.Prepare(f.format, px, nil, sl.Columns, sl.Rows, f.info.Modality, f.info.PhotometricInterpretation, f.prep)
		}
	} else {
		im, err = prep.Prepare(f.format, nil, sl.Data, sl.Columns, sl.Rows, f.info.Modality, f.info.PhotometricInterpretation, f.prep)
	}
	if err != nil {
		if errors.Is(err, prep.ErrOptions) {
			return nil, fmt.Errorf("%w: %w", sdk.ErrBadParam, err)
		}
		return nil, &sdk.SliceError{Index: sl.Index, Code: sdk.SliceInvalidInput, Message: err.Error()}
	}
	return im, nil
}

// Foreground chooses the foreground of a cluster map at the slice's size;
// an empty choice is a warning, not an error.
func (f *FrontEnd) Foreground(ctx context.Context, labels []uint8, im *prep.Image) ([]uint8, error) {
	fg, err := foreground.Select(labels, im.Intensity, im.Width, im.Height, f.rule)
	if err != nil {
		return nil, err
	}
	if fg.Reason != "" {
		sdk.Warn(ctx, "some slices have no foreground: "+fg.Reason)
	}
	return fg.Mask, nil
}
