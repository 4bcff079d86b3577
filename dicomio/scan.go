package dicomio

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"
)

// ScanOptions controls Scan.
type ScanOptions struct {
	// Workers bounds how many headers are read at once; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// MaxVolumeBytes bounds what Series.Volume allocates; 0 means
	// DefaultMaxVolumeBytes.
	MaxVolumeBytes int64
}

// DefaultMaxVolumeBytes is the largest volume Series.Volume assembles by
// default (ScanOptions.MaxVolumeBytes).
const DefaultMaxVolumeBytes = 8 << 30

// ScanResult is what Scan found: the series, in a stable order (patient,
// study date, study, series number, key), and everything it did not use,
// sorted by path.
type ScanResult struct {
	Series  []*Series
	Skipped []Skipped
}

// Skipped is a file, or an image of a file, that is in no series, and why.
type Skipped struct {
	Path   string
	Reason string // in words, without the path
	Err    error  // wraps a sentinel: ErrNotDICOM, ErrTruncated, ErrLocalizer, …
}

// Reasons for leaving images that are valid DICOM out of a series.
var (
	// ErrLocalizer: a localizer (scout) image: ImageType or FrameType says
	// LOCALIZER.
	ErrLocalizer = errors.New("localizer")
	// ErrDuplicateInstance: another file has the same SOPInstanceUID.
	ErrDuplicateInstance = errors.New("duplicate SOPInstanceUID")
	// ErrDuplicatePosition: another image of the series is at the same
	// position and positions do not repeat evenly (see Series).
	ErrDuplicatePosition = errors.New("duplicate position")
	// ErrStrayImage: the image's orientation or size differs from the main
	// stack of its series (typically a localizer not marked as one).
	ErrStrayImage = errors.New("orientation or size unlike the rest of the series")
)

// Scan reads the headers of the DICOM files under paths (folders are walked
// recursively, files are taken as given), in parallel and without reading
// pixel data, and groups the images into series: by SeriesInstanceUID, or
// where that is empty by a synthetic key (see Series.Key). Files that are
// not DICOM images (other files, DICOMDIRs, reports, broken or truncated
// files) and images left out of their series (localizers, duplicates) are
// listed in Skipped with the reason. Scan fails only when a path cannot be
// read at all or ctx ends.
func Scan(ctx context.Context, paths []string, opts ScanOptions) (*ScanResult, error) {
	res := &ScanResult{}
	files, err := collect(ctx, paths, res)
	if err != nil {
		return nil, err
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	insts := make([]*instance, len(files))
	errs := make([]error, len(files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, p := range files {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			insts[i], errs[i] = readInstanceSafe(p)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var ok []*instance
	for i, p := range files {
		if errs[i] != nil {
			res.Skipped = append(res.Skipped, Skipped{Path: p, Reason: errs[i].Error(), Err: errs[i]})
			continue
		}
		ok = append(ok, insts[i])
	}
	maxVol := opts.MaxVolumeBytes
	if maxVol <= 0 {
		maxVol = DefaultMaxVolumeBytes
	}
	series, dropped := assemble(ok, maxVol)
	res.Series = series
	res.Skipped = append(res.Skipped, dropped...)
	slices.SortStableFunc(res.Skipped, func(a, b Skipped) int { return strings.Compare(a.Path, b.Path) })
	return res, nil
}

// readInstanceSafe reads one header. A panic would be a bug in this
// package; it is turned into an error naming the file rather than taking
// the whole scan down.
func readInstanceSafe(path string) (in *instance, err error) {
	defer func() {
		if r := recover(); r != nil {
			in, err = nil, fmt.Errorf("%w: internal error reading the header: %v", ErrMalformed, r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	ds, err := read(f, fi.Size(), ReadOptions{HeaderOnly: true})
	f.Close()
	if err != nil {
		return nil, err
	}
	return newInstance(path, ds)
}

// collect lists the files under paths, sorted and without duplicates.
func collect(ctx context.Context, paths []string, res *ScanResult) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, root := range paths {
		fi, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			add(filepath.Clean(root))
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				res.Skipped = append(res.Skipped, Skipped{Path: p, Reason: err.Error(), Err: err})
				if d != nil && d.IsDir() && p != root {
					return fs.SkipDir
				}
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			switch {
			case d.Type().IsRegular():
				add(p)
			case d.Type()&fs.ModeSymlink != 0:
				if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
					add(p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(files)
	return files, nil
}

// seriesKey returns the grouping key of an instance: its SeriesInstanceUID,
// or a synthetic key when that is empty.
func seriesKey(in *instance) (key string, synthetic bool) {
	if in.seriesUID != "" {
		return in.seriesUID, false
	}
	h := sha256.New()
	g := in.frames[0]
	orient := "none"
	if g.hasGeom {
		var parts []string
		for _, v := range append(g.rowDir[:], g.colDir[:]...) {
			parts = append(parts, strconv.FormatFloat(math.Round(v*1000)/1000+0, 'f', 3, 64))
		}
		orient = strings.Join(parts, ",")
	}
	rows, cols := in.src.format.Rows, in.src.format.Columns
	if in.mosaic != nil {
		rows, cols = in.mosaic.rows, in.mosaic.cols
	}
	sn := ""
	if in.hasSeriesNumber {
		sn = strconv.Itoa(in.seriesNumber)
	}
	for _, s := range []string{in.studyUID, sn, in.forUID, in.modality, in.seriesDesc, orient, fmt.Sprintf("%dx%d", rows, cols)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "synthetic-" + hex.EncodeToString(h.Sum(nil)[:8]), true
}

// assemble groups instances into series.
func assemble(insts []*instance, maxVol int64) ([]*Series, []Skipped) {
	type group struct {
		key       string
		synthetic bool
		insts     []*instance
	}
	groups := map[string]*group{}
	var order []string
	for _, in := range insts {
		k, syn := seriesKey(in)
		g, ok := groups[k]
		if !ok {
			g = &group{key: k, synthetic: syn}
			groups[k] = g
			order = append(order, k)
		}
		g.insts = append(g.insts, in)
	}
	var series []*Series
	var dropped []Skipped
	for _, k := range order {
		g := groups[k]
		s, d := buildSeries(g.key, g.synthetic, g.insts)
		dropped = append(dropped, d...)
		if s != nil {
			s.maxVolumeBytes = maxVol
			series = append(series, s)
		}
	}
	slices.SortStableFunc(series, func(a, b *Series) int {
		return cmp.Or(
			strings.Compare(a.PatientID, b.PatientID),
			strings.Compare(a.StudyDate, b.StudyDate),
			strings.Compare(a.StudyInstanceUID, b.StudyInstanceUID),
			cmp.Compare(a.SeriesNumber, b.SeriesNumber),
			strings.Compare(a.Key, b.Key),
		)
	})
	return series, dropped
}
