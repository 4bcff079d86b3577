// Command rescore applies a foreground rule of package foreground to the
// cluster maps an `mmcseg eval` run saved (OUT/images/NAME/clusters.png,
// the plugin's read-out at the image's size) and scores the masks against
// the reference, next to the scores that run recorded for the same maps:
// the plugin's own deployable mask and the authors' ground-truth-assisted
// protocol (metrics.csv). No model runs: a rule is judged on the very
// cluster maps the paper protocol picked from. For example
//
//	go run ./segmenter/foreground/internal/rescore -run /work/eval-runs/mmcformer-ph2
//	go run ./segmenter/foreground/internal/rescore -run RUN -rule lesion -smooth -1 -csv out.csv
//
// Images are prepared as the plugins prepare them (package prep, from the
// record's pixel format, modality and offset), so the rule sees the same
// intensities it sees in a plugin. DSC is computed at the image's size,
// reference non-zero = foreground, as `mmcseg eval` does for its
// deployable row. It is not part of mmcseg's command line.
package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mmcseg/mmcseg/segmenter/foreground"
	"github.com/mmcseg/mmcseg/segmenter/prep"
)

type record struct {
	Name        string            `json:"name"`
	Image       string            `json:"image"`
	Mask        string            `json:"mask"`
	Width       int               `json:"width"`
	Height      int               `json:"height"`
	PixelFormat string            `json:"pixel_format"`
	Modality    string            `json:"modality"`
	Offset      float64           `json:"offset"`
	Params      map[string]string `json:"params"`
	Seconds     float64           `json:"seconds"`
	Steps       int               `json:"steps"`
}

type row struct {
	name                    string
	dsc                     float64 // the rule's mask
	recorded, paper, paper0 float64 // from metrics.csv (NaN when absent)
	clusters                []int
	fov                     *foreground.Circle
	reason                  string
	seconds                 float64
	steps                   int
	mask, ref               []uint8
	image                   string
	w, h                    int
}

func main() {
	run := flag.String("run", "", "an `mmcseg eval` output folder (with images/NAME/ records)")
	ruleName := flag.String("rule", "auto", "auto, "+strings.Join(foreground.RuleNames(), ", "))
	var opts foreground.Options
	flag.Float64Var(&opts.Smooth, "smooth", 0, "lesion: opening radius as a fraction of the shorter side (0: default, <0: none)")
	flag.BoolVar(&opts.NoFieldOfView, "nofov", false, "lesion: do not look for the circular field of view")
	flag.IntVar(&opts.MaxComponents, "maxcomp", 0, "regions kept (0: the rule's default)")
	flag.BoolVar(&opts.KeepAirways, "keepairways", false, "lung: keep small midline air regions")
	flag.Float64Var(&opts.MinArea, "minarea", 0, "smallest region, fraction of the image (0: default)")
	csvOut := flag.String("csv", "", "write per-image rows to this CSV file")
	worst := flag.Int("worst", 8, "list this many worst images")
	overlays := flag.String("overlays", "", "write PNG overlays of the worst images into this folder")
	flag.Parse()
	if *run == "" {
		flag.Usage()
		os.Exit(2)
	}
	r, err := foreground.ParseRule(*ruleName)
	if err != nil {
		fatal(err)
	}
	opts.Rule = r
	rows, err := rescore(*run, opts)
	if err != nil {
		fatal(err)
	}
	if *csvOut != "" {
		if err := writeCSV(*csvOut, rows); err != nil {
			fatal(err)
		}
	}
	summarise(os.Stdout, *run, rows, *worst)
	if *overlays != "" {
		if err := writeOverlays(*overlays, rows, *worst); err != nil {
			fatal(err)
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "rescore:", err)
	os.Exit(1)
}

func rescore(run string, opts foreground.Options) ([]row, error) {
	recorded, err := readMetrics(filepath.Join(run, "metrics.csv"))
	if err != nil {
		return nil, err
	}
	dirs, err := filepath.Glob(filepath.Join(run, "images", "*", "result.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(dirs)
	var rows []row
	for _, rj := range dirs {
		dir := filepath.Dir(rj)
		var rec record
		data, err := os.ReadFile(rj)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &rec); err != nil {
			return nil, fmt.Errorf("%s: %w", rj, err)
		}
		rw, err := one(dir, rec, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rec.Name, err)
		}
		rw.recorded, rw.paper, rw.paper0 = math.NaN(), math.NaN(), math.NaN()
		if m, ok := recorded[rec.Name]; ok {
			rw.recorded, rw.paper, rw.paper0 = m[0], m[1], m[2]
		}
		rows = append(rows, rw)
	}
	return rows, nil
}

func one(dir string, rec record, opts foreground.Options) (row, error) {
	img, err := decode(rec.Image)
	if err != nil {
		return row{}, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w != rec.Width || h != rec.Height {
		return row{}, fmt.Errorf("%s is %d×%d, the record says %d×%d", rec.Image, w, h, rec.Width, rec.Height)
	}
	var p *prep.Image
	switch rec.PixelFormat {
	case "RGB8":
		p, err = prep.Prepare(prep.RGB8, nil, rgb(img), w, h, rec.Modality, "RGB", prep.DefaultOptions())
	case "FLOAT32":
		g16, ok := img.(*image.Gray16)
		if !ok {
			return row{}, fmt.Errorf("%s: FLOAT32 records are read from 16-bit grey PNGs, not %T", rec.Image, img)
		}
		px := make([]float32, w*h)
		for y := range h {
			for x := range w {
				px[y*w+x] = float32(float64(g16.Gray16At(b.Min.X+x, b.Min.Y+y).Y) + rec.Offset)
			}
		}
		p, err = prep.Prepare(prep.Float, px, nil, w, h, rec.Modality, "MONOCHROME2", prep.DefaultOptions())
	default:
		return row{}, fmt.Errorf("pixel format %s not handled", rec.PixelFormat)
	}
	if err != nil {
		return row{}, err
	}
	clusters, err := readGrey(filepath.Join(dir, "clusters.png"), w, h)
	if err != nil {
		return row{}, err
	}
	ref, err := readGrey(rec.Mask, w, h)
	if err != nil {
		return row{}, err
	}
	o := opts
	if o.Rule == 0 {
		o.Rule = foreground.RuleFor(p.Kind)
	}
	res, err := foreground.Select(clusters, p.Intensity, w, h, o)
	if err != nil {
		return row{}, err
	}
	var inter, a, g int
	for i, v := range res.Mask {
		r := ref[i] != 0
		if v != 0 {
			a++
		}
		if r {
			g++
		}
		if v != 0 && r {
			inter++
		}
	}
	d := 1.0
	if a+g > 0 {
		d = 2 * float64(inter) / float64(a+g)
	}
	return row{name: rec.Name, dsc: d, clusters: res.Clusters, fov: res.FieldOfView, reason: res.Reason,
		seconds: rec.Seconds, steps: rec.Steps, mask: res.Mask, ref: ref, image: rec.Image, w: w, h: h}, nil
}

// rgb returns the image's pixels as R, G, B bytes, converted as the host
// converts them (color.NRGBAModel).
func rgb(img image.Image) []uint8 {
	b := img.Bounds()
	px := make([]uint8, 0, 3*b.Dx()*b.Dy())
	if yc, ok := img.(*image.YCbCr); ok {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(yc.YCbCrAt(x, y)).(color.NRGBA)
				px = append(px, c.R, c.G, c.B)
			}
		}
		return px
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			px = append(px, c.R, c.G, c.B)
		}
	}
	return px
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

func readGrey(path string, w, h int) ([]uint8, error) {
	img, err := decode(path)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		return nil, fmt.Errorf("%s is %d×%d, want %d×%d", path, b.Dx(), b.Dy(), w, h)
	}
	out := make([]uint8, w*h)
	for y := range h {
		for x := range w {
			out[y*w+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return out, nil
}

// readMetrics returns deployable, paper and paper_label0 DSC per image.
func readMetrics(path string) (map[string][3]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	keys := []string{"deployable.dsc", "paper.dsc", "paper_label0.dsc"}
	for _, k := range append([]string{"name"}, keys...) {
		if _, ok := col[k]; !ok {
			return nil, fmt.Errorf("%s: no column %s", path, k)
		}
	}
	out := map[string][3]float64{}
	for _, r := range rows[1:] {
		var v [3]float64
		for i, k := range keys {
			x, err := strconv.ParseFloat(r[col[k]], 64)
			if err != nil {
				x = math.NaN()
			}
			v[i] = x
		}
		out[r[col["name"]]] = v
	}
	return out, nil
}

func mean(rows []row, f func(row) float64) (float64, int) {
	s, n := 0.0, 0
	for _, r := range rows {
		if v := f(r); !math.IsNaN(v) {
			s += v
			n++
		}
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return s / float64(n), n
}

func summarise(w io.Writer, run string, rows []row, worst int) {
	fmt.Fprintf(w, "%s: %d images\n", run, len(rows))
	for _, c := range []struct {
		name string
		f    func(row) float64
	}{
		{"rule (this run)", func(r row) float64 { return r.dsc }},
		{"deployable as recorded", func(r row) float64 { return r.recorded }},
		{"paper protocol", func(r row) float64 { return r.paper }},
		{"paper, label 0 selectable", func(r row) float64 { return r.paper0 }},
		{"rule − paper", func(r row) float64 { return r.dsc - r.paper }},
	} {
		m, n := mean(rows, c.f)
		fmt.Fprintf(w, "  %-26s DSC %6.2f %%  (n %d)\n", c.name, 100*m, n)
	}
	ms, _ := mean(rows, func(r row) float64 { return r.seconds })
	st, _ := mean(rows, func(r row) float64 { return float64(r.steps) })
	fmt.Fprintf(w, "  plugin time %.1f s and %.1f steps per image (recorded)\n", ms, st)
	sorted := slices.Clone(rows)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].dsc < sorted[b].dsc })
	if worst > len(sorted) {
		worst = len(sorted)
	}
	for _, r := range sorted[:worst] {
		fov := "no fov"
		if r.fov != nil {
			fov = fmt.Sprintf("fov (%.0f,%.0f) r %.0f", r.fov.X, r.fov.Y, r.fov.R)
		}
		fmt.Fprintf(w, "  worst %-16s DSC %5.3f  recorded %5.3f  paper %5.3f  clusters %v  %s  %s\n", r.name, r.dsc, r.recorded, r.paper, r.clusters, fov, r.reason)
	}
}

func writeCSV(path string, rows []row) error {
	var sb strings.Builder
	cw := csv.NewWriter(&sb)
	_ = cw.Write([]string{"name", "dsc", "recorded", "paper", "paper_label0", "clusters", "fov_x", "fov_y", "fov_r", "reason", "seconds", "steps"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 5, 64) }
	for _, r := range rows {
		var cl []string
		for _, c := range r.clusters {
			cl = append(cl, strconv.Itoa(c))
		}
		fx, fy, fr := "", "", ""
		if r.fov != nil {
			fx, fy, fr = f(r.fov.X), f(r.fov.Y), f(r.fov.R)
		}
		_ = cw.Write([]string{r.name, f(r.dsc), f(r.recorded), f(r.paper), f(r.paper0), strings.Join(cl, " "), fx, fy, fr, r.reason, f(r.seconds), strconv.Itoa(r.steps)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

// writeOverlays writes, for the worst images, the image with the mask's
// outline in green and the reference's in red: NAME.png.
func writeOverlays(dir string, rows []row, worst int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sorted := slices.Clone(rows)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].dsc < sorted[b].dsc })
	var errs []error
	for _, r := range sorted[:min(worst, len(sorted))] {
		out := image.NewRGBA(image.Rect(0, 0, r.w, r.h))
		img, err := decode(r.image)
		if err != nil {
			return err
		}
		b := img.Bounds()
		edge := func(m []uint8, i int) bool {
			x, y := i%r.w, i/r.w
			return m[i] != 0 && (x == 0 || y == 0 || x == r.w-1 || y == r.h-1 || m[i-1] == 0 || m[i+1] == 0 || m[i-r.w] == 0 || m[i+r.w] == 0)
		}
		for i := range r.mask {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+i%r.w, b.Min.Y+i/r.w)).(color.NRGBA)
			if g, ok := img.(*image.Gray16); ok {
				v := float64(g.Gray16At(b.Min.X+i%r.w, b.Min.Y+i/r.w).Y) - 32768
				c.R = uint8(min(max((v+1350)/1500*255, 0), 255))
				c.G, c.B = c.R, c.R
			}
			out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = c.R, c.G, c.B, 255
			if edge(r.ref, i) {
				out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2] = 255, 0, 0
			}
			if edge(r.mask, i) {
				out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2] = 0, 255, 0
			}
		}
		f, err := os.Create(filepath.Join(dir, r.name+".png"))
		if err != nil {
			return err
		}
		errs = append(errs, png.Encode(f, out), f.Close())
	}
	return errors.Join(errs...)
}
