// Command warmrun measures warm start on a CT volume: every slice of a
// contiguous block is segmented twice with MMCFormer, cold (a fresh
// initialisation, MaxIter steps) and warm (continuing from the previous
// slice's trained weights, at most WarmIterations steps; the two runs of a
// slice alternate, on two models, so that they meet the same load), and the lung
// masks chosen without ground truth (package prep's window, package
// foreground's lung rule, as the plugins do) are compared. It prints, per
// slice, the steps, wall time and first and last loss of both runs and the
// Dice between the two masks, then the totals; e.g.
//
//	/usr/bin/python3 export.py   # HU slices as little-endian float32, in z order: DIR/000.f32 …
//	go build -o /tmp/warmrun ./segmenter/mmcformer/internal/warmrun
//	/tmp/warmrun -dir DIR -from 50 -count 24 -size 129 -warm 12 -threads 1
//
// The slices are raw files so that this tool needs no DICOM reader: any
// exporter that writes rows×columns float32 HU per slice will do. It is
// not part of mmcseg's command line.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/mmcseg/mmcseg/segmenter/foreground"
	"github.com/mmcseg/mmcseg/segmenter/mmcformer"
	"github.com/mmcseg/mmcseg/segmenter/prep"
)

func main() {
	cfg := mmcformer.DefaultConfig()
	dir := flag.String("dir", "", "folder of slices NNN.f32 (float32 HU, little-endian, row-major)")
	from := flag.Int("from", 0, "first slice number")
	count := flag.Int("count", 24, "slices")
	side := flag.Int("side", 512, "rows = columns of a slice")
	flag.IntVar(&cfg.Size, "size", cfg.Size, "working size S")
	flag.IntVar(&cfg.Threads, "threads", 1, "threads")
	flag.IntVar(&cfg.WarmIterations, "warm", 12, "most steps of a warm-started slice")
	skipCold := flag.Bool("nocold", false, "run only the warm pass")
	flag.Parse()
	if *dir == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(cfg, *dir, *from, *count, *side, !*skipCold); err != nil {
		fmt.Fprintln(os.Stderr, "warmrun:", err)
		os.Exit(1)
	}
}

type outcome struct {
	steps       int
	seconds     float64
	first, last float64
	labels      int
	mask        []uint8
}

func run(cfg mmcformer.Config, dir string, from, count, side int, cold bool) error {
	slices := make([]*prep.Image, count)
	for i := range slices {
		path := filepath.Join(dir, fmt.Sprintf("%03d.f32", from+i))
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if len(data) != 4*side*side {
			return fmt.Errorf("%s: %d bytes, want %d for %d×%d float32", path, len(data), 4*side*side, side, side)
		}
		px := make([]float32, side*side)
		for j := range px {
			px[j] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*j:]))
		}
		if slices[i], err = prep.Prepare(prep.Float, px, nil, side, side, "CT", "MONOCHROME2", prep.DefaultOptions()); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	// Two models, so that the cold and warm runs of each slice alternate
	// and share the machine's load of the moment.
	coldM, err := mmcformer.New(cfg)
	if err != nil {
		return err
	}
	warmM, err := mmcformer.New(cfg)
	if err != nil {
		return err
	}
	coldM.SetWarmStart(false, 0)
	warmM.SetWarmStart(true, cfg.WarmIterations)
	segment := func(m *mmcformer.Model, im *prep.Image) (outcome, error) {
		in := mmcformer.Image{Width: im.Width, Height: im.Height, Planes: [3][]float32{im.Planes[2], im.Planes[1], im.Planes[0]}}
		t0 := time.Now()
		res, err := m.Segment(context.Background(), in, nil)
		if err != nil {
			return outcome{}, err
		}
		o := outcome{steps: len(res.Steps), seconds: time.Since(t0).Seconds(), labels: res.NumLabels}
		if len(res.Steps) > 0 {
			o.first, o.last = res.Steps[0].Total, res.Steps[len(res.Steps)-1].Total
		}
		fg, err := foreground.Select(res.InputLabels, im.Intensity, im.Width, im.Height, foreground.Options{Rule: foreground.Lung})
		if err != nil {
			return outcome{}, err
		}
		o.mask = fg.Mask
		return o, nil
	}
	fmt.Printf("S=%d threads %d, slices %d..%d, cold: at most %d steps, warm: at most %d\n", cfg.Size, cfg.Threads, from, from+count-1, cfg.MaxIter, cfg.WarmIterations)
	var tc, tw, sumD, minD float64
	minD = 1
	for i, im := range slices {
		w, err := segment(warmM, im)
		if err != nil {
			return err
		}
		tw += w.seconds
		line := fmt.Sprintf("%03d warm: %2d steps %6.1f s  loss %.4f → %.4f  %d labels", from+i, w.steps, w.seconds, w.first, w.last, w.labels)
		if cold {
			c, err := segment(coldM, im)
			if err != nil {
				return err
			}
			tc += c.seconds
			d := dice(w.mask, c.mask)
			sumD += d
			minD = min(minD, d)
			line += fmt.Sprintf(" | cold: %2d steps %6.1f s  loss %.4f → %.4f  %d labels | Dice %.4f", c.steps, c.seconds, c.first, c.last, c.labels, d)
		}
		fmt.Println(line)
	}
	fmt.Printf("warm %.1f s (%.1f s/slice; the first slice is cold)\n", tw, tw/float64(count))
	if cold {
		fmt.Printf("cold %.1f s (%.1f s/slice): warm saves %.0f %%; Dice warm/cold mean %.4f, min %.4f\n",
			tc, tc/float64(count), 100*(1-tw/tc), sumD/float64(count), minD)
	}
	return nil
}

func dice(a, b []uint8) float64 {
	var inter, na, nb int
	for i := range a {
		if a[i] != 0 {
			na++
		}
		if b[i] != 0 {
			nb++
		}
		if a[i] != 0 && b[i] != 0 {
			inter++
		}
	}
	if na+nb == 0 {
		return 1
	}
	return 2 * float64(inter) / float64(na+nb)
}
