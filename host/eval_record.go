package host

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
)

// An evaluation keeps, for every image, the plugin's output in a record
// folder OUT/images/NAME/, so that a rerun resumes and later analyses (a
// better deployable rule, say) need not run the model again:
//
//	result.json        evalRecord: image, plugin, version, parameters, key,
//	                   wall time, steps, warnings; written last
//	mask.png           the plugin's mask, 8-bit grey, value = label
//	clusters.png       its "clusters" map at the image's size, value = label
//	clusters-work.png  its "clusters@work" map (S×S), value = label
//
// Each file is written to a temporary name and renamed into place.

const (
	evalRecordFormat = "mmcseg-eval-image/1"
	evalRecordsDir   = "images"
	evalRecordName   = "result.json"
	evalMaskName     = "mask.png"
	evalWorstName    = "worst.png"
)

// evalRecord is result.json of an image's record.
type evalRecord struct {
	Format      string            `json:"format"`
	Name        string            `json:"name"`
	Image       string            `json:"image"`
	Mask        string            `json:"mask"`
	Width       int               `json:"width"`
	Height      int               `json:"height"`
	PixelFormat string            `json:"pixel_format"`
	Modality    string            `json:"modality"`
	Offset      float64           `json:"offset"`
	Plugin      PluginInfo        `json:"plugin"`
	Params      map[string]string `json:"params"`
	Key         string            `json:"key"`
	Aux         []evalAuxFile     `json:"aux"`
	Seconds     float64           `json:"seconds"`
	Steps       int               `json:"steps"`
	Message     string            `json:"message,omitempty"`
	Warnings    []string          `json:"warnings"`
	Finished    time.Time         `json:"finished"`
}

// evalAuxFile is one auxiliary map saved with a record.
type evalAuxFile struct {
	Name    string `json:"name"`
	File    string `json:"file"`
	Rows    int    `json:"rows"`
	Columns int    `json:"columns"`
}

// evalOutput is a plugin's output for one image and its record.
type evalOutput struct {
	rec  evalRecord
	mask []uint8
	aux  []sdk.LabelMap
}

func (o *evalOutput) auxMap(name string) (sdk.LabelMap, bool) {
	for _, a := range o.aux {
		if a.Name == name {
			return a, true
		}
	}
	return sdk.LabelMap{}, false
}

// evalAuxFileName is the file an auxiliary map is saved in.
func evalAuxFileName(name string) string {
	switch name {
	case sdk.AuxClusters:
		return "clusters.png"
	case sdk.AuxClustersWork:
		return "clusters-work.png"
	}
	return "aux-" + SanitizeComponent(name, "map") + ".png"
}

// saveEvalRecord writes out's record into dir, result.json last (after
// removing an older one, so that a half-written record is never taken for
// a complete one).
func saveEvalRecord(dir string, out *evalOutput) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, evalRecordName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	rec := out.rec
	rec.Aux = []evalAuxFile{}
	if err := writeLabelPNG(filepath.Join(dir, evalMaskName), out.mask, rec.Width, rec.Height); err != nil {
		return err
	}
	for _, a := range out.aux {
		f := evalAuxFileName(a.Name)
		if err := writeLabelPNG(filepath.Join(dir, f), a.Labels, a.Columns, a.Rows); err != nil {
			return err
		}
		rec.Aux = append(rec.Aux, evalAuxFile{Name: a.Name, File: f, Rows: a.Rows, Columns: a.Columns})
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return evalWriteFileAtomic(filepath.Join(dir, evalRecordName), append(data, '\n'))
}

// loadEvalRecord reads the record in dir if it was made with key and holds
// every auxiliary map in want.
func loadEvalRecord(dir, key string, want []string) (*evalOutput, error) {
	data, err := os.ReadFile(filepath.Join(dir, evalRecordName))
	if err != nil {
		return nil, err
	}
	out := &evalOutput{}
	if err := json.Unmarshal(data, &out.rec); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	r := &out.rec
	switch {
	case r.Format != evalRecordFormat:
		return nil, fmt.Errorf("%s: record format %q", dir, r.Format)
	case r.Key != key:
		return nil, fmt.Errorf("%s: made with other settings (key %s, not %s)", dir, r.Key, key)
	}
	if out.mask, err = readLabelPNG(filepath.Join(dir, evalMaskName), r.Width, r.Height); err != nil {
		return nil, err
	}
	for _, name := range want {
		i := slices.IndexFunc(r.Aux, func(a evalAuxFile) bool { return a.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("%s: no %q map", dir, name)
		}
	}
	for _, a := range r.Aux {
		labels, err := readLabelPNG(filepath.Join(dir, filepath.Base(a.File)), a.Columns, a.Rows)
		if err != nil {
			return nil, err
		}
		out.aux = append(out.aux, sdk.LabelMap{Name: a.Name, Rows: a.Rows, Columns: a.Columns, Labels: labels})
	}
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
	return out, nil
}

// writeLabelPNG saves a w×h label map as an 8-bit grey PNG (value = label).
func writeLabelPNG(path string, labels []uint8, w, h int) error {
	if len(labels) != w*h {
		return fmt.Errorf("%s: %d labels for %d×%d", path, len(labels), w, h)
	}
	img := &image.Gray{Pix: labels, Stride: w, Rect: image.Rect(0, 0, w, h)}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return evalWriteFileAtomic(path, b.Bytes())
}

// readLabelPNG reads a label map written by writeLabelPNG, which must be
// w×h.
func readLabelPNG(path string, w, h int) ([]uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g, ok := img.(*image.Gray)
	if !ok || g.Rect.Dx() != w || g.Rect.Dy() != h {
		return nil, fmt.Errorf("%s: not a %d×%d 8-bit grey label map", path, w, h)
	}
	out := make([]uint8, w*h)
	for y := range h {
		copy(out[y*w:(y+1)*w], g.Pix[y*g.Stride:])
	}
	return out, nil
}

// evalWriteFileAtomic writes data to a temporary file beside path, syncs
// it and renames it into place.
func evalWriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
