package host

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mmcseg/mmcseg/sdk"
)

// evalImage is an image to evaluate as the plugin receives it: grey values
// (FLOAT32 or UINT8) or RGB.
type evalImage struct {
	w, h   int
	format sdk.PixelFormat
	grey   []float32 // FLOAT32 and UINT8 images
	rgb    []uint8   // RGB8 images
}

// maxEvalFile bounds the size of an image or mask file read whole.
const maxEvalFile = 1 << 30

// readEvalImage reads an image for evaluation: signed grey TIFFs (which
// ReadImage cannot read) as FLOAT32 values, 16-bit grey files as FLOAT32
// stored values + offset, 8-bit grey as UINT8, colour as RGB8.
func readEvalImage(path string, offset float64) (*evalImage, error) {
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".tif" || ext == ".tiff" {
		data, err := evalReadFile(path)
		if err != nil {
			return nil, err
		}
		w, h, px, err := readSignedTIFF(data)
		switch {
		case err == nil:
			return &evalImage{w: w, h: h, format: sdk.Float32, grey: px}, nil
		case !errors.Is(err, errTIFFNotSigned):
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	im, err := ReadImage(path, ImageOptions{})
	if err != nil {
		return nil, err
	}
	out := &evalImage{w: im.Width, h: im.Height, grey: im.Grey, rgb: im.RGB}
	switch {
	case im.RGB != nil:
		out.format = sdk.RGB8
	case im.Depth == 16:
		out.format = sdk.Float32
		if offset != 0 {
			for i, v := range out.grey {
				out.grey[i] = float32(float64(v) + offset)
			}
		}
	default:
		out.format = sdk.Uint8
	}
	return out, nil
}

func evalReadFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrImage, err)
	}
	if fi.Size() > maxEvalFile {
		return nil, fmt.Errorf("%s: %w: %d bytes is too large", path, ErrImage, fi.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrImage, err)
	}
	return data, nil
}

// slice returns the image as slice 0 of a one-slice series.
func (im *evalImage) slice() sdk.Slice {
	switch im.format {
	case sdk.RGB8:
		return sdk.NewRGB8Slice(0, im.h, im.w, im.rgb)
	case sdk.Uint8:
		px := make([]uint8, len(im.grey))
		for i, v := range im.grey {
			px[i] = uint8(v)
		}
		return sdk.NewUint8Slice(0, im.h, im.w, px)
	}
	return sdk.NewFloat32Slice(0, im.h, im.w, im.grey)
}

// readGroundTruth reads a reference mask as 8-bit grey, as OpenCV's
// cv2.imread(path, 0) does: 8-bit grey as is, 16-bit grey by its high byte,
// colour by OpenCV's BGR→grey weights (0.299 R + 0.587 G + 0.114 B in
// 14-bit fixed point); signed TIFF values are cut to 0..255.
func readGroundTruth(path string) (grey []uint8, w, h int, err error) {
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".tif" || ext == ".tiff" {
		data, err := evalReadFile(path)
		if err != nil {
			return nil, 0, 0, err
		}
		w, h, px, err := readSignedTIFF(data)
		switch {
		case err == nil:
			grey = make([]uint8, len(px))
			for i, v := range px {
				grey[i] = uint8(min(max(v, 0), 255))
			}
			return grey, w, h, nil
		case !errors.Is(err, errTIFFNotSigned):
			return nil, 0, 0, fmt.Errorf("%s: %w", path, err)
		}
	}
	im, err := ReadImage(path, ImageOptions{})
	if err != nil {
		return nil, 0, 0, err
	}
	grey = make([]uint8, im.Width*im.Height)
	switch {
	case im.RGB != nil:
		for i := range grey {
			r, g, b := int32(im.RGB[3*i]), int32(im.RGB[3*i+1]), int32(im.RGB[3*i+2])
			grey[i] = uint8((r*4899 + g*9617 + b*1868 + 1<<13) >> 14)
		}
	case im.Depth == 16:
		for i, v := range im.Grey {
			grey[i] = uint8(uint16(v) >> 8)
		}
	default:
		for i, v := range im.Grey {
			grey[i] = uint8(v)
		}
	}
	return grey, im.Width, im.Height, nil
}
