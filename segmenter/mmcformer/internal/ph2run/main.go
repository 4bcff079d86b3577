// Command ph2run segments PH2 dermoscopy images with MMCFormer at the
// default configuration and prints, per image, the optimisation's course,
// its speed and the Dice of the foreground chosen without ground truth
// (segmenter/foreground's lesion rule). It is the measurement harness
// for the model's wall time and peak memory, e.g.
//
//	go build -o /tmp/ph2run ./segmenter/mmcformer/internal/ph2run
//	/usr/bin/time -v /tmp/ph2run -images IMD004
//
// It is not part of mmcseg's command line.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mmcseg/mmcseg/internal/shareddata"
	"github.com/mmcseg/mmcseg/segmenter/foreground"
	"github.com/mmcseg/mmcseg/segmenter/mmcformer"
)

func main() {
	mmcformer.UseSpareP() // as the plugin runs the model

	cfg := mmcformer.DefaultConfig()
	data := flag.String("data", filepath.Join(shareddata.Dir(), "ph2"), "PH2 folder (images/NAME.jpg, masks/NAME.png)")
	names := flag.String("images", "IMD004", "comma-separated image names")
	flag.IntVar(&cfg.Size, "size", cfg.Size, "working size S")
	flag.IntVar(&cfg.Threads, "threads", cfg.Threads, "threads")
	flag.IntVar(&cfg.MaxIter, "maxiter", cfg.MaxIter, "most steps")
	flag.IntVar(&cfg.MinLabels, "minlabels", cfg.MinLabels, "stop at this many labels")
	seed := flag.Uint64("seed", 0, "seed")
	flag.Parse()
	cfg.Seed = *seed
	if err := run(cfg, *data, strings.Split(*names, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "ph2run:", err)
		os.Exit(1)
	}
}

func run(cfg mmcformer.Config, dir string, names []string) error {
	t0 := time.Now()
	m, err := mmcformer.New(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("model: %d parameters, S=%d, threads %d, built in %v\n", m.NumParams(), cfg.Size, cfg.Threads, time.Since(t0).Round(time.Millisecond))
	for _, name := range names {
		img, err := decode(filepath.Join(dir, "images", name+".jpg"))
		if err != nil {
			return err
		}
		ref, err := decode(filepath.Join(dir, "masks", name+".png"))
		if err != nil {
			return err
		}
		in, lum := toImage(img)
		start := time.Now()
		res, err := m.Segment(context.Background(), in, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		total := time.Since(start)
		var labels []string
		var secs []float64
		for _, s := range res.Steps {
			labels = append(labels, fmt.Sprint(s.Labels))
			secs = append(secs, s.Elapsed.Seconds())
		}
		slices.Sort(secs)
		med := 0.0
		if len(secs) > 0 {
			med = secs[len(secs)/2]
		}
		fg, err := foreground.Select(res.InputLabels, lum, in.Width, in.Height, foreground.Options{Rule: foreground.Lesion})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		first, last := res.Steps[0], res.Steps[len(res.Steps)-1]
		fmt.Printf("%s %dx%d: %d steps, labels %s → read-out %d; loss %.4f → %.4f (CE %.4f → %.4f); %.2f s/step median, %.2f s min; %v total; dark-lesion Dice %.3f\n",
			name, in.Width, in.Height, len(res.Steps), strings.Join(labels, " "), res.NumLabels,
			first.Total, last.Total, first.CE, last.CE, med, secs[0], total.Round(time.Millisecond), dice(fg.Mask, ref))
	}
	return nil
}

func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// toImage gives the model's B, G, R planes in [0, 1] and the luminance.
func toImage(src image.Image) (mmcformer.Image, []float32) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	img := mmcformer.Image{Width: w, Height: h}
	for ch := range img.Planes {
		img.Planes[ch] = make([]float32, w*h)
	}
	lum := make([]float32, w*h)
	for y := range h {
		for x := range w {
			c := color.RGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			i := y*w + x
			img.Planes[0][i], img.Planes[1][i], img.Planes[2][i] = float32(c.B)/255, float32(c.G)/255, float32(c.R)/255
			lum[i] = 0.299*float32(c.R) + 0.587*float32(c.G) + 0.114*float32(c.B)
		}
	}
	return img, lum
}

func dice(mask []uint8, ref image.Image) float64 {
	b := ref.Bounds()
	var inter, a, g int
	for y := range b.Dy() {
		for x := range b.Dx() {
			p := mask[y*b.Dx()+x] != 0
			q := color.GrayModel.Convert(ref.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y != 0
			if p {
				a++
			}
			if q {
				g++
			}
			if p && q {
				inter++
			}
		}
	}
	if a+g == 0 {
		return 1
	}
	return 2 * float64(inter) / float64(a+g)
}
