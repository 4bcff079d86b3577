package host

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registered for image.Decode
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/mmcseg/mmcseg/sdk"
)

// ErrImage reports a 2D image file that cannot be read.
var ErrImage = errors.New("unreadable image")

// MaxImagePixels bounds the size of a 2D image (width × height) read by
// ReadImage; larger headers are refused before decoding.
const MaxImagePixels = 16384 * 16384

// imageExts are the file extensions taken as 2D images.
var imageExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".bmp": true, ".tif": true, ".tiff": true, ".webp": true, ".gif": true,
}

// IsImageFile reports whether path has the extension of a 2D image format
// ReadImage handles.
func IsImageFile(path string) bool {
	return imageExts[strings.ToLower(filepath.Ext(path))]
}

// ImageOptions control ReadImage.
type ImageOptions struct {
	// SignedOffset16 reads 16-bit grey values as stored − 32768: the
	// convention of datasets that keep signed CT values in unsigned 16-bit
	// PNGs (Kaggle lung CT "lung-ct-2d", DeepLesion). It is never guessed.
	SignedOffset16 bool
}

// Image2D is a 2D image read for segmentation: grey values or RGB.
type Image2D struct {
	Path          string
	Format        string // "png", "jpeg", "bmp", "tiff", "webp", "gif"
	Width, Height int
	// Depth is the bits per sample of the file (8 or 16).
	Depth int
	// Grey holds Width×Height values row by row for grey images: 0..255
	// for 8-bit files, 0..65535 for 16-bit ones (or −32768..32767 with
	// ImageOptions.SignedOffset16); nil for colour.
	Grey []float32
	// RGB holds Width×Height×3 bytes, R G B interleaved, for colour images
	// (alpha dropped, 16-bit channels cut to their high byte); nil for grey.
	RGB []uint8
}

// ReadImage reads a 2D image (PNG including 16-bit grey, JPEG, BMP, TIFF,
// WebP, GIF) as grey values or RGB. A grey image is one whose decoded
// colour model is grey (image.Gray, image.Gray16); everything else,
// including palette images, is read as RGB.
func ReadImage(path string, opts ImageOptions) (*Image2D, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrImage, err)
	}
	defer f.Close()
	im, err := decodeImage(f, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	im.Path = path
	return im, nil
}

func decodeImage(r io.ReadSeeker, opts ImageOptions) (im *Image2D, err error) {
	cfg, format, err := image.DecodeConfig(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return nil, fmt.Errorf("%w: %d×%d pixels is not a usable size", ErrImage, cfg.Width, cfg.Height)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrImage, err)
	}
	// The decoders of x/image have panicked on hostile input in the
	// past; a bad file must not take the batch down.
	defer func() {
		if p := recover(); p != nil {
			im, err = nil, fmt.Errorf("%w: %s decoder failed: %v", ErrImage, format, p)
		}
	}()
	img, _, err := image.Decode(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrImage, err)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	im = &Image2D{Format: format, Width: w, Height: h, Depth: 8}
	switch g := img.(type) {
	case *image.Gray:
		im.Grey = make([]float32, w*h)
		for y := 0; y < h; y++ {
			row := g.Pix[y*g.Stride : y*g.Stride+w]
			for x, v := range row {
				im.Grey[y*w+x] = float32(v)
			}
		}
	case *image.Gray16:
		im.Depth = 16
		im.Grey = make([]float32, w*h)
		off := float32(0)
		if opts.SignedOffset16 {
			off = 32768
		}
		for y := 0; y < h; y++ {
			row := g.Pix[y*g.Stride : y*g.Stride+2*w]
			for x := 0; x < w; x++ {
				im.Grey[y*w+x] = float32(uint16(row[2*x])<<8|uint16(row[2*x+1])) - off
			}
		}
	default:
		switch img.ColorModel() {
		case color.RGBA64Model, color.NRGBA64Model:
			im.Depth = 16
		}
		im.RGB = make([]uint8, 3*w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				i := 3 * (y*w + x)
				im.RGB[i], im.RGB[i+1], im.RGB[i+2] = c.R, c.G, c.B
			}
		}
	}
	return im, nil
}

// imageCfg is what the header of a 2D image says.
type imageCfg struct {
	width, height int
	format        sdk.PixelFormat
}

// imageConfig reads the header of a 2D image: its size and the pixel
// format ReadImage will give it.
func imageConfig(r io.Reader) (imageCfg, string, error) {
	cfg, name, err := image.DecodeConfig(bufio.NewReader(r))
	if err != nil {
		return imageCfg{}, "", err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return imageCfg{}, "", fmt.Errorf("%d×%d pixels is not a usable size", cfg.Width, cfg.Height)
	}
	c := imageCfg{width: cfg.Width, height: cfg.Height, format: sdk.RGB8}
	switch cfg.ColorModel {
	case color.GrayModel:
		c.format = sdk.Uint8
	case color.Gray16Model:
		c.format = sdk.Float32
	}
	return c, name, nil
}

// Slice returns the image as slice index of a series for a plugin: 8-bit
// grey as UINT8, 16-bit grey as FLOAT32, colour as RGB8.
func (im *Image2D) Slice(index int) sdk.Slice {
	switch {
	case im.RGB != nil:
		return sdk.NewRGB8Slice(index, im.Height, im.Width, im.RGB)
	case im.Depth == 8:
		px := make([]uint8, len(im.Grey))
		for i, v := range im.Grey {
			px[i] = uint8(v)
		}
		return sdk.NewUint8Slice(index, im.Height, im.Width, px)
	default:
		return sdk.NewFloat32Slice(index, im.Height, im.Width, im.Grey)
	}
}

// PixelFormat is the format Slice hands to plugins.
func (im *Image2D) PixelFormat() sdk.PixelFormat {
	switch {
	case im.RGB != nil:
		return sdk.RGB8
	case im.Depth == 8:
		return sdk.Uint8
	}
	return sdk.Float32
}
