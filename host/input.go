package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/nifti"
	"github.com/mmcseg/mmcseg/sdk"
)

// Sources of a series.
const (
	SourceDICOM = "dicom"
	SourceNIfTI = "nifti"
	SourceImage = "image"
)

// unit is one series of the batch, whatever it was read from: a DICOM
// series, a NIfTI volume or a 2D image.
type unit struct {
	key    string
	source string
	// Raw (unsanitised) values for the output path.
	patient, study, name string
	dir                  string

	info     sdk.SeriesInfo // without Threads
	grid     *geom.Grid     // nil for 2D images
	inputs   []string
	warnings []string
	// bad is set when the series cannot be segmented at all (not a
	// volume, unreadable header); it fails the series with this error.
	bad error

	dicom     *dicomio.Series
	niftiPath string
	imagePath string
}

// estimate is the memory a series holds in this process while it runs:
// its label volume plus a few slices in flight and for previews.
func (u *unit) estimate() int64 {
	px := int64(u.info.Rows) * int64(u.info.Columns)
	n := px * int64(u.info.Slices) // labels
	perPixel := int64(4)
	if u.info.Format == sdk.RGB8 {
		perPixel = 3
	}
	switch u.source {
	case SourceNIfTI:
		// nifti.ReadFile holds the whole volume (at most 8 bytes a voxel).
		n += 8 * px * int64(u.info.Slices)
	}
	return n + 8*px*perPixel
}

// niftiExt returns the NIfTI extension of path ("" if it has none).
func niftiExt(path string) string {
	l := strings.ToLower(path)
	for _, e := range []string{".nii.gz", ".nii", ".hdr.gz", ".hdr", ".img.gz", ".img"} {
		if strings.HasSuffix(l, e) {
			return e
		}
	}
	return ""
}

// stem is a file name without its (possibly double) extension.
func stem(path string) string {
	b := filepath.Base(path)
	if e := niftiExt(b); e != "" {
		return b[:len(b)-len(e)]
	}
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// gather finds the series under inputs: DICOM through dicomio.Scan, NIfTI
// files and 2D images by extension (in folders, those that Scan found not
// to be DICOM). Files that are none of these are returned as skipped.
// Everything inside the output folder is left out, so that an output
// folder inside an input folder does not feed a run's results to the next.
func gather(ctx context.Context, opts *Options) ([]*unit, []SkippedInput, error) {
	out := opts.OutDir // absolute (newBatch)
	inOut := func(p string) bool {
		abs, err := filepath.Abs(p)
		if err != nil {
			return false
		}
		rel, err := filepath.Rel(out, abs)
		return err == nil && filepath.IsLocal(rel)
	}
	var dicomPaths, files []string
	for _, in := range opts.Inputs {
		fi, err := os.Stat(in)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: input %w", ErrOptions, err)
		}
		if !fi.IsDir() && (niftiExt(in) != "" || IsImageFile(in)) {
			files = append(files, in)
			continue
		}
		dicomPaths = append(dicomPaths, in)
	}
	var units []*unit
	var skipped []SkippedInput
	if len(dicomPaths) > 0 {
		res, err := dicomio.Scan(ctx, dicomPaths, dicomio.ScanOptions{})
		if err != nil {
			return nil, nil, err
		}
		for _, s := range res.Series {
			if !slices.ContainsFunc(s.Slices, func(r dicomio.SliceRef) bool { return inOut(r.Path) }) {
				units = append(units, dicomUnit(s))
			}
		}
		for _, sk := range res.Skipped {
			if inOut(sk.Path) {
				continue
			}
			if errors.Is(sk.Err, dicomio.ErrNotDICOM) && (niftiExt(sk.Path) != "" || IsImageFile(sk.Path)) {
				files = append(files, sk.Path)
				continue
			}
			skipped = append(skipped, SkippedInput{Path: sk.Path, Reason: sk.Reason})
		}
	}
	// A .hdr/.img pair is one input, named by its header.
	have := map[string]bool{}
	for _, f := range files {
		have[f] = true
	}
	files = slices.DeleteFunc(files, inOut)
	slices.Sort(files)
	files = slices.Compact(files)
	for _, f := range files {
		switch e := niftiExt(f); {
		case e == ".img" || e == ".img.gz":
			base := f[:len(f)-len(e)]
			if have[base+".hdr"] || have[base+".hdr.gz"] {
				continue
			}
			skipped = append(skipped, SkippedInput{Path: f, Reason: "image file of a .hdr/.img pair whose .hdr is missing"})
		case e != "":
			u, err := niftiUnit(ctx, f)
			if err != nil {
				skipped = append(skipped, SkippedInput{Path: f, Reason: err.Error()})
				continue
			}
			units = append(units, u)
		default:
			u, err := imageUnit(f)
			if err != nil {
				skipped = append(skipped, SkippedInput{Path: f, Reason: err.Error()})
				continue
			}
			units = append(units, u)
		}
	}
	for _, u := range units {
		if u.source != SourceDICOM && opts.Modality != "" {
			u.info.Modality = opts.Modality
		}
	}
	return units, skipped, nil
}

func dicomUnit(s *dicomio.Series) *unit {
	u := &unit{
		key:      s.Key,
		source:   SourceDICOM,
		patient:  s.PatientID,
		study:    s.StudyInstanceUID,
		name:     s.Key,
		dicom:    s,
		warnings: slices.Clone(s.Warnings),
	}
	if u.patient == "" {
		u.patient = s.PatientName
	}
	g := s.Grid
	u.grid = &g
	format := sdk.Float32
	if isColour(s) {
		format = sdk.RGB8
	}
	modality := s.Modality
	if modality == "" {
		modality = "OT"
	}
	u.info = sdk.SeriesInfo{
		UID:                       s.Key,
		Modality:                  modality,
		PhotometricInterpretation: s.Photometric,
		BodyPart:                  s.BodyPartExamined,
		Manufacturer:              s.Manufacturer,
		Description:               s.SeriesDescription,
		Format:                    format,
		Rows:                      s.Rows,
		Columns:                   s.Columns,
		Slices:                    g.Slices,
		Geometry:                  u.grid,
	}
	// dicomio converts YBR and palettes to RGB and inverts MONOCHROME1:
	// the plugin is told what it receives.
	switch {
	case format == sdk.RGB8:
		u.info.PhotometricInterpretation = "RGB"
	case s.Photometric == "MONOCHROME1":
		u.info.PhotometricInterpretation = "MONOCHROME2"
	}
	seen := map[string]bool{}
	for _, r := range s.Slices[:g.Slices] {
		if !seen[r.Path] {
			seen[r.Path] = true
			u.inputs = append(u.inputs, r.Path)
		}
	}
	if s.Volumes > 1 {
		u.warnings = append(u.warnings, fmt.Sprintf("the series holds %d volumes (time points); only the first was segmented", s.Volumes))
	}
	if err := s.VolumeErr; err != nil && !errors.Is(err, dicomio.ErrGantryTilt) {
		u.bad = err // a *dicomio.VolumeError, which names the series
	}
	return u
}

// isColour reports whether dicomio reads the series' slices as RGB: three
// samples per pixel, or a palette.
func isColour(s *dicomio.Series) bool {
	return s.SamplesPerPixel == 3 || s.Photometric == "PALETTE COLOR"
}

func niftiUnit(ctx context.Context, path string) (*unit, error) {
	h, err := nifti.ReadHeaderFile(ctx, path)
	if err != nil {
		return nil, err
	}
	g, _, warns, err := h.Grid()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	abs, _ := filepath.Abs(path)
	u := &unit{
		key:       "file-" + hash16(abs),
		source:    SourceNIfTI,
		patient:   "nifti",
		study:     filepath.Base(filepath.Dir(abs)),
		name:      stem(path),
		niftiPath: path,
		inputs:    []string{path},
		warnings:  warns,
		grid:      &g,
	}
	format := sdk.Float32
	if h.Datatype.IsRGB() {
		format = sdk.RGB8
	}
	u.info = sdk.SeriesInfo{
		UID:         u.key,
		Modality:    "OT",
		Description: filepath.Base(path),
		Format:      format,
		Rows:        g.Rows,
		Columns:     g.Columns,
		Slices:      g.Slices,
		Geometry:    u.grid,
	}
	if format == sdk.RGB8 {
		u.info.PhotometricInterpretation = "RGB"
	} else {
		u.info.PhotometricInterpretation = "MONOCHROME2"
	}
	if h.Dim[0] >= 4 && h.Dim[4] > 1 {
		u.warnings = append(u.warnings, fmt.Sprintf("the image holds %d volumes; only the first was segmented", h.Dim[4]))
	}
	return u, nil
}

func imageUnit(path string) (*unit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, _, err := imageConfig(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrImage, err)
	}
	abs, _ := filepath.Abs(path)
	u := &unit{
		key:       "file-" + hash16(abs),
		source:    SourceImage,
		patient:   "images",
		study:     filepath.Base(filepath.Dir(abs)),
		name:      stem(path),
		imagePath: path,
		inputs:    []string{path},
	}
	u.info = sdk.SeriesInfo{
		UID:         u.key,
		Modality:    "OT",
		Description: filepath.Base(path),
		Format:      cfg.format,
		Rows:        cfg.height,
		Columns:     cfg.width,
		Slices:      1,
	}
	if cfg.format == sdk.RGB8 {
		u.info.PhotometricInterpretation = "RGB"
	} else {
		u.info.PhotometricInterpretation = "MONOCHROME2"
	}
	return u, nil
}

// assignDirs gives every unit its output folder. Values that sanitise to
// the same folder (two NIfTI files of the same name in folders of the same
// name, say) each get a hash of their key appended, so that no two series
// share a folder; this is decided on the whole scan, before --shard, so
// that every shard agrees.
func assignDirs(units []*unit, outDir string) error {
	dirs := map[string][]*unit{}
	for _, u := range units {
		d, err := SeriesDir(outDir, u.patient, u.study, u.name)
		if err != nil {
			return err
		}
		u.dir = d
		dirs[d] = append(dirs[d], u)
	}
	for _, us := range dirs {
		if len(us) < 2 {
			continue
		}
		for _, u := range us {
			d, err := SeriesDir(outDir, u.patient, u.study, SanitizeComponent(u.name, "")+"-"+hash16(u.key)[:8])
			if err != nil {
				return err
			}
			u.dir = d
		}
	}
	return nil
}
