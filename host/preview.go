package host

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"

	"github.com/mmcseg/mmcseg/sdk"
)

// Preview layout.
const (
	defaultPreviewTiles = 16
	previewTileSide     = 256 // a slice is shrunk to fit in a square this size
	previewGap          = 2   // pixels between tiles
)

// previewSlices picks up to n slices for a montage: evenly spread over the
// slices with any foreground, or over all slices when none has any.
func previewSlices(labels []uint8, slicePixels, nSlices, n int) []int {
	var fg []int
	for k := 0; k < nSlices; k++ {
		if slices.ContainsFunc(labels[k*slicePixels:(k+1)*slicePixels], func(v uint8) bool { return v != 0 }) {
			fg = append(fg, k)
		}
	}
	from := fg
	if len(from) == 0 {
		from = make([]int, nSlices)
		for k := range from {
			from[k] = k
		}
	}
	if len(from) <= n {
		return from
	}
	out := make([]int, n)
	for i := range out {
		// Centres of n equal parts, so the first and last slices of a
		// long run are not both chosen at its very ends.
		out[i] = from[(2*i+1)*len(from)/(2*n)]
	}
	return out
}

// window returns the grey range shown black to white: the 0.5th and 99.5th
// percentiles of the values (NaN left out), so that outliers such as the
// padding around a CT field of view do not wash the picture out.
func window(values [][]float32) (lo, hi float32) {
	// A sample of a quarter million values places the percentiles well
	// enough and keeps the sort quick.
	total := 0
	for _, v := range values {
		total += len(v)
	}
	stride := max(1, total/(1<<18))
	var all []float32
	for _, v := range values {
		for i := 0; i < len(v); i += stride {
			if x := v[i]; !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) {
				all = append(all, x)
			}
		}
	}
	if len(all) == 0 {
		return 0, 1
	}
	slices.Sort(all)
	lo = all[len(all)*5/1000]
	hi = all[(len(all)-1)*995/1000]
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

// montage draws the chosen slices side by side, each shrunk to fit a
// previewTileSide square (nearest neighbour), in grey (or colour) with
// every segment's outline in its colour. Row 0 of a slice is at the top,
// column 0 at the left, as the slice is stored.
func montage(ctx context.Context, src *source, labels []uint8, ks []int, colors map[uint8]color.RGBA) (*image.RGBA, error) {
	rows, cols := src.u.info.Rows, src.u.info.Columns
	scale := math.Min(1, float64(previewTileSide)/float64(max(rows, cols)))
	tw, th := max(1, int(math.Round(float64(cols)*scale))), max(1, int(math.Round(float64(rows)*scale)))
	across := int(math.Ceil(math.Sqrt(float64(len(ks)))))
	down := (len(ks) + across - 1) / across
	img := image.NewRGBA(image.Rect(0, 0, across*tw+(across-1)*previewGap, down*th+(down-1)*previewGap))
	for i := range img.Pix {
		img.Pix[i] = 0xff // white gaps
	}
	px := make([]pixels, len(ks))
	var greys [][]float32
	for i, k := range ks {
		p, err := src.pixels(ctx, k)
		if err != nil {
			return nil, err
		}
		px[i] = p
		if p.grey != nil {
			greys = append(greys, p.grey)
		}
	}
	lo, hi := window(greys)
	if src.u.info.Modality == "CT" && src.u.info.Format == sdk.Float32 {
		// Hounsfield units: the lung window (level −600, width 1500)
		// shows lungs, soft tissue and bone apart.
		lo, hi = -1350, 150
	}
	tile := make([]uint8, tw*th)
	for i, k := range ks {
		x0, y0 := (i%across)*(tw+previewGap), (i/across)*(th+previewGap)
		lab := labels[k*rows*cols : (k+1)*rows*cols]
		for y := 0; y < th; y++ {
			sy := min(rows-1, int((float64(y)+0.5)/scale))
			for x := 0; x < tw; x++ {
				sx := min(cols-1, int((float64(x)+0.5)/scale))
				s := sy*cols + sx
				tile[y*tw+x] = lab[s]
				var c color.RGBA
				if p := px[i]; p.rgb != nil {
					c = color.RGBA{p.rgb[3*s], p.rgb[3*s+1], p.rgb[3*s+2], 0xff}
				} else {
					v := (p.grey[s] - lo) / (hi - lo)
					g := uint8(math.Round(float64(255 * min(max(v, 0), 1))))
					c = color.RGBA{g, g, g, 0xff}
				}
				img.SetRGBA(x0+x, y0+y, c)
			}
		}
		// A light tint inside each segment and a two-pixel outline in
		// its colour.
		for y := 0; y < th; y++ {
			for x := 0; x < tw; x++ {
				l := tile[y*tw+x]
				if l == 0 {
					continue
				}
				c, ok := colors[l]
				if !ok {
					c = color.RGBA{255, 0, 0, 255}
				}
				if !nearOutline(tile, tw, th, x, y) {
					bg := img.RGBAAt(x0+x, y0+y)
					c = color.RGBA{blend(bg.R, c.R), blend(bg.G, c.G), blend(bg.B, c.B), 0xff}
				}
				img.SetRGBA(x0+x, y0+y, c)
			}
		}
	}
	return img, nil
}

// nearOutline reports whether the labelled pixel (x, y) lies within two
// pixels (8-neighbourhood, twice) of a pixel of another label or of the
// tile's edge.
func nearOutline(tile []uint8, w, h, x, y int) bool {
	l := tile[y*w+x]
	for dy := -2; dy <= 2; dy++ {
		for dx := -2; dx <= 2; dx++ {
			xx, yy := x+dx, y+dy
			if xx < 0 || yy < 0 || xx >= w || yy >= h || tile[yy*w+xx] != l {
				if dx*dx+dy*dy <= 5 {
					return true
				}
			}
		}
	}
	return false
}

// blend mixes a quarter of the segment colour into the image.
func blend(bg, fg uint8) uint8 { return uint8((3*int(bg) + int(fg)) / 4) }

// encodePNG encodes img as PNG.
func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// maskImage is the mask of a 2D image as an 8-bit grey PNG: 0 background
// and 255 foreground when the plugin has one segment (the convention of
// the PH2 and lung CT reference masks), else the label values themselves.
func maskImage(labels []uint8, w, h int, nSegments int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i, l := range labels[:w*h] {
		if nSegments <= 1 && l != 0 {
			l = 255
		}
		g.Pix[i] = l
	}
	return g
}
