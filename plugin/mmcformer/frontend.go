package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/segmenter/foreground"
	"github.com/mmcseg/mmcseg/segmenter/prep"
)

// frontEnd is what this plugin shares with the kmeans plugin: the slice
// prepared by package prep, the foreground chosen by package foreground,
// both set up from the series and the parameters normalize, window_level,
// window_width, rule and min_area.
type frontEnd struct {
	format prep.Format
	kind   prep.Kind
	info   sdk.SeriesInfo
	prep   prep.Options
	rule   foreground.Options
}

func newFrontEnd(info sdk.SeriesInfo, p sdk.Params) (*frontEnd, error) {
	f := &frontEnd{info: info}
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

// prepare converts a slice; unusable pixels are the slice's error.
func (f *frontEnd) prepare(sl sdk.Slice) (*prep.Image, error) {
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

// foreground chooses the foreground of a cluster map at the slice's size;
// an empty choice is a warning, not an error.
func (f *frontEnd) foreground(ctx context.Context, labels []uint8, im *prep.Image) ([]uint8, error) {
	fg, err := foreground.Select(labels, im.Intensity, im.Width, im.Height, f.rule)
	if err != nil {
		return nil, err
	}
	if fg.Reason != "" {
		sdk.Warn(ctx, "some slices have no foreground: "+fg.Reason)
	}
	return fg.Mask, nil
}
