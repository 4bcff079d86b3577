package host

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"path/filepath"
	"slices"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/mmcseg/mmcseg/sdk"
)

// The montage of the worst cases: one tile per image, the image with the
// reference outlined in green, the plugin's own mask in red and, with the
// paper protocol, the paper's mask in blue; under it the name and the DSCs.

const (
	evalTile    = 256
	evalCaption = 32
	evalColumns = 4
)

var (
	evalGreen = color.RGBA{0, 220, 0, 255}
	evalRed   = color.RGBA{255, 40, 40, 255}
	evalBlue  = color.RGBA{60, 140, 255, 255}
)

// writeWorstMontage draws the n scored images with the lowest DSC (under
// the paper protocol when it was computed, else the deployable one) into
// a PNG at path; the records are read from path's folder.
func writeWorstMontage(path string, rep *EvalReport, n int, offset float64) error {
	key := ScoreDeployable
	if slices.Contains(rep.ScoreKeys, ScorePaper) {
		key = ScorePaper
	}
	var cand []EvalImage
	for _, r := range rep.PerImage {
		if r.Error == "" && r.Scores[key].DSC.Valid() {
			cand = append(cand, r)
		}
	}
	slices.SortStableFunc(cand, func(a, b EvalImage) int { return cmp.Compare(a.Scores[key].DSC, b.Scores[key].DSC) })
	cand = cand[:min(n, len(cand))]
	if len(cand) == 0 {
		return nil
	}
	cols := min(evalColumns, len(cand))
	rows := (len(cand) + cols - 1) / cols
	out := image.NewRGBA(image.Rect(0, 0, cols*evalTile, rows*(evalTile+evalCaption)))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.RGBA{24, 24, 24, 255}), image.Point{}, draw.Src)
	dir := filepath.Dir(path)
	for i, r := range cand {
		tile, err := evalTileImage(dir, r, rep.Modality, offset)
		if err != nil {
			return err
		}
		at := image.Pt((i%cols)*evalTile, (i/cols)*(evalTile+evalCaption))
		centre := image.Pt((evalTile-tile.Rect.Dx())/2, (evalTile-tile.Rect.Dy())/2)
		draw.Draw(out, tile.Bounds().Add(at.Add(centre)), tile, image.Point{}, draw.Src)
		line1 := r.Name
		line2 := fmt.Sprintf("DSC deployable %.3f", float64(r.Scores[ScoreDeployable].DSC))
		if s, ok := r.Scores[ScorePaper]; ok {
			line2 += fmt.Sprintf(" paper %.3f", float64(s.DSC))
		}
		evalText(out, at.X+4, at.Y+evalTile+13, line1)
		evalText(out, at.X+4, at.Y+evalTile+27, line2)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, out); err != nil {
		return err
	}
	return evalWriteFileAtomic(path, b.Bytes())
}

// evalTileImage draws one image scaled to fit an evalTile square, with the
// outlines of its reference and predictions.
func evalTileImage(outDir string, r EvalImage, modality string, offset float64) (*image.RGBA, error) {
	im, err := readEvalImage(r.Image, offset)
	if err != nil {
		return nil, err
	}
	gt, gw, gh, err := readGroundTruth(r.Mask)
	if err != nil {
		return nil, err
	}
	if gw != im.w || gh != im.h {
		return nil, fmt.Errorf("%s: mask and image sizes differ", r.Name)
	}
	w, h := im.w, im.h
	scale := float64(evalTile) / float64(max(w, h))
	tw, th := max(1, int(float64(w)*scale)), max(1, int(float64(h)*scale))
	sx := func(x int) int { return min(int((float64(x)+0.5)/scale), w-1) }
	sy := func(y int) int { return min(int((float64(y)+0.5)/scale), h-1) }
	tile := image.NewRGBA(image.Rect(0, 0, tw, th))
	lo, hi := evalDisplayRange(im, modality)
	for y := range th {
		for x := range tw {
			i := sy(y)*w + sx(x)
			var c color.RGBA
			if im.format == sdk.RGB8 {
				c = color.RGBA{im.rgb[3*i], im.rgb[3*i+1], im.rgb[3*i+2], 255}
			} else {
				v := uint8(math.Round(255 * min(max((float64(im.grey[i])-lo)/(hi-lo), 0), 1)))
				c = color.RGBA{v, v, v, 255}
			}
			tile.SetRGBA(x, y, c)
		}
	}
	// Each outline is drawn at the tile's resolution, so that it stays
	// one pixel wide.
	outline := func(mask []uint8, mw, mh int, c color.RGBA) {
		small := make([]uint8, tw*th)
		for y := range th {
			for x := range tw {
				small[y*tw+x] = mask[min(sy(y)*mh/h, mh-1)*mw+min(sx(x)*mw/w, mw-1)]
			}
		}
		edge, _ := evalBoundary(small, tw, th)
		for i, on := range edge {
			if on {
				tile.SetRGBA(i%tw, i/tw, c)
			}
		}
	}
	outline(Binarize(gt), w, h, evalGreen)
	if r.Record != "" {
		dir := filepath.Join(outDir, r.Record)
		if mask, err := readLabelPNG(filepath.Join(dir, evalMaskName), w, h); err == nil {
			outline(Binarize(mask), w, h, evalRed)
		}
		if r.PaperCluster != nil && *r.PaperCluster >= 0 && r.WorkColumns > 0 {
			sw, sh := r.WorkColumns, r.WorkRows
			if work, err := readLabelPNG(filepath.Join(dir, evalAuxFileName(sdk.AuxClustersWork)), sw, sh); err == nil {
				refS := Binarize(ResizeLinear8(gt, w, h, sw, sh))
				outline(PaperMask(work, refS, sw, sh, *r.PaperCluster), sw, sh, evalBlue)
			}
		}
	}
	return tile, nil
}

// evalDisplayRange is the grey range shown: a lung window for CT, the
// values' range otherwise.
func evalDisplayRange(im *evalImage, modality string) (lo, hi float64) {
	switch {
	case im.format == sdk.Uint8:
		return 0, 255
	case im.format == sdk.Float32 && modality == "CT":
		return -600 - 750, -600 + 750
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range im.grey {
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			lo, hi = min(lo, f), max(hi, f)
		}
	}
	if !(hi > lo) {
		return 0, 1
	}
	return lo, hi
}

func evalText(dst draw.Image, x, y int, s string) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(color.RGBA{230, 230, 230, 255}), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
