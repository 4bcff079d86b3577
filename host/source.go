package host

import (
	"context"
	"fmt"

	"github.com/mmcseg/mmcseg/nifti"
	"github.com/mmcseg/mmcseg/sdk"
)

// pixels are one slice's values: grey (Float32/Uint8 inputs, as float32)
// or RGB.
type pixels struct {
	grey []float32
	rgb  []uint8
}

// source reads the slices of a unit.
type source struct {
	u     *unit
	nii   *nifti.Image
	image *Image2D
}

// openSource prepares to read u's slices: a DICOM series reads each slice
// from its file on demand; a NIfTI volume and a 2D image are read whole.
func openSource(ctx context.Context, u *unit, imgOpts ImageOptions) (*source, error) {
	src := &source{u: u}
	switch u.source {
	case SourceNIfTI:
		im, err := nifti.ReadFile(ctx, u.niftiPath, nifti.ReadOptions{})
		if err != nil {
			return nil, err
		}
		if im.Grid.Columns != u.info.Columns || im.Grid.Rows != u.info.Rows || im.Grid.Slices != u.info.Slices {
			return nil, fmt.Errorf("%s changed while the batch ran", u.niftiPath)
		}
		src.nii = im
	case SourceImage:
		im, err := ReadImage(u.imagePath, imgOpts)
		if err != nil {
			return nil, err
		}
		if im.Width != u.info.Columns || im.Height != u.info.Rows {
			return nil, fmt.Errorf("%s changed while the batch ran", u.imagePath)
		}
		src.image = im
	}
	return src, nil
}

// format is the pixel format the slices are sent in.
func (s *source) format() sdk.PixelFormat {
	if s.image != nil {
		return s.image.PixelFormat()
	}
	return s.u.info.Format
}

// pixels reads slice k.
func (s *source) pixels(ctx context.Context, k int) (pixels, error) {
	switch {
	case s.u.dicom != nil:
		sl, err := s.u.dicom.ReadSlice(ctx, k)
		if err != nil {
			return pixels{}, err
		}
		if sl.Rows != s.u.info.Rows || sl.Columns != s.u.info.Columns {
			return pixels{}, fmt.Errorf("slice %d (%s) is %d×%d, not %d×%d like the series", k, sl.Ref.Path, sl.Columns, sl.Rows, s.u.info.Columns, s.u.info.Rows)
		}
		return pixels{grey: sl.Grey, rgb: sl.RGB}, nil
	case s.nii != nil:
		if s.u.info.Format == sdk.RGB8 {
			rgb, err := s.nii.SliceRGB(k, nil)
			return pixels{rgb: rgb}, err
		}
		grey, err := s.nii.Slice(k, nil)
		return pixels{grey: grey}, err
	case s.image != nil:
		return pixels{grey: s.image.Grey, rgb: s.image.RGB}, nil
	}
	return pixels{}, fmt.Errorf("series %s has no source", s.u.key)
}

// slice reads slice k for the plugin.
func (s *source) slice(ctx context.Context, k int) (sdk.Slice, error) {
	if s.image != nil {
		return s.image.Slice(k), nil
	}
	px, err := s.pixels(ctx, k)
	if err != nil {
		return sdk.Slice{}, err
	}
	var sl sdk.Slice
	if px.rgb != nil {
		sl = sdk.NewRGB8Slice(k, s.u.info.Rows, s.u.info.Columns, px.rgb)
	} else {
		sl = sdk.NewFloat32Slice(k, s.u.info.Rows, s.u.info.Columns, px.grey)
	}
	switch {
	case s.u.dicom != nil:
		pos := s.u.dicom.Slices[k].Position
		sl.Position = &pos
	case s.u.grid != nil:
		pos := s.u.grid.SlicePosition(k)
		sl.Position = &pos
	}
	return sl, nil
}
