package host

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/nifti"
)

// ErrConvert reports a conversion that cannot be done as asked (several
// series and none chosen, an output name that is not NIfTI, …).
var ErrConvert = errors.New("cannot convert")

// MaxConvertBytes bounds the voxel data Convert holds in memory.
const MaxConvertBytes = 8 << 30

// ConvertOptions configure Convert.
type ConvertOptions struct {
	// Inputs are DICOM files or folders holding the series.
	Inputs []string
	// Series chooses a series by SeriesInstanceUID (or series key) when
	// the inputs hold several.
	Series string
	// Out is the NIfTI file to write: .nii or .nii.gz.
	Out string
	// Split writes a series of several volumes at the same positions (an
	// fMRI run, repeated acquisitions) as one 3-D file per volume,
	// OUT_vol1.nii.gz, OUT_vol2.nii.gz, …, instead of one 4-D file.
	Split bool
}

// ConvertResult says what Convert wrote.
type ConvertResult struct {
	// Series is the key of the converted series, Description its
	// SeriesDescription.
	Series, Description string
	Files               []string
	Grid                geom.Grid
	// Volumes is the number of volumes (time points) of the series; with
	// more than one, FourD says whether they went into one 4-D file.
	Volumes int
	FourD   bool
	// Datatype is the NIfTI datatype written: int16 or uint16 when every
	// value (after the rescale of each slice) is an integer in their range,
	// float32 otherwise, RGB24 for colour.
	Datatype nifti.Datatype
	Warnings []string
	// Skipped lists input files in no series, and why.
	Skipped []SkippedInput
}

// Convert writes a DICOM series as NIfTI-1, as dcm2niix would:
// voxel values after each slice's rescale (the Modality LUT), geometry from
// the slice positions (geom.Grid.RAS, so sform = qform = the scanner
// coordinates, RAS). Voxels keep DICOM's order — i along the columns, j
// along the rows (row 0 first), k along the slice normal in ascending
// order — where dcm2niix flips the rows; both describe the same voxels at
// the same places in the world, which is what readers go by.
//
// A series whose images are not a regular volume (missing slices, mixed
// orientations, …) is refused with the reason; a gantry-tilted series is
// written with its exact sheared sform (and qform_code 0, see package
// nifti). A series of several volumes becomes a 4-D file, or one file per
// volume with Split.
func Convert(ctx context.Context, o ConvertOptions) (*ConvertResult, error) {
	ext := niftiExt(o.Out)
	if ext != ".nii" && ext != ".nii.gz" {
		return nil, fmt.Errorf("%w: the output %q must end in .nii or .nii.gz", ErrConvert, o.Out)
	}
	if len(o.Inputs) == 0 {
		return nil, fmt.Errorf("%w: no input", ErrConvert)
	}
	res, err := dicomio.Scan(ctx, o.Inputs, dicomio.ScanOptions{})
	if err != nil {
		return nil, err
	}
	out := &ConvertResult{}
	for _, sk := range res.Skipped {
		out.Skipped = append(out.Skipped, SkippedInput{Path: sk.Path, Reason: sk.Reason})
	}
	s, err := chooseSeries(res.Series, o.Series, o.Inputs)
	if err != nil {
		return out, err
	}
	out.Series, out.Description, out.Grid, out.Volumes = s.Key, s.SeriesDescription, s.Grid, s.Volumes
	out.Warnings = append(out.Warnings, s.Warnings...)
	if s.VolumeErr != nil && !errors.Is(s.VolumeErr, dicomio.ErrGantryTilt) {
		return out, s.VolumeErr
	}
	g := s.Grid
	nSlices := len(s.Slices)
	px := g.Columns * g.Rows
	rgb := isColour(s)
	bytesPer := int64(4)
	if rgb {
		bytesPer = 3
	}
	if int64(px)*int64(nSlices)*bytesPer > MaxConvertBytes {
		return out, fmt.Errorf("%w: series %s holds %d×%d×%d voxels, more than %d bytes", ErrConvert, s.Key, g.Columns, g.Rows, nSlices, int64(MaxConvertBytes))
	}

	// Read every slice of every volume, in the order dicomio sorted them:
	// slice k of volume v is Slices[v·Grid.Slices + k], the layout NIfTI
	// stores (i fastest, then j, k, volume).
	var grey []float32
	var colour []uint8
	if rgb {
		colour = make([]uint8, 3*px*nSlices)
	} else {
		grey = make([]float32, px*nSlices)
	}
	for k := range nSlices {
		sl, err := s.ReadSlice(ctx, k)
		if err != nil {
			return out, err
		}
		if sl.Rows != g.Rows || sl.Columns != g.Columns {
			return out, fmt.Errorf("%w: slice %d of series %s is %d×%d, not %d×%d", ErrConvert, k, s.Key, sl.Columns, sl.Rows, g.Columns, g.Rows)
		}
		if rgb {
			copy(colour[3*px*k:], sl.RGB)
		} else {
			copy(grey[px*k:], sl.Grey)
		}
	}

	wopts := nifti.WriteOptions{Descrip: short("mmcseg convert "+s.SeriesDescription, 79)}
	if s.Volumes > 1 {
		if hdr, err := s.Header(ctx); err == nil {
			if tr, err := hdr.Float(tag.RepetitionTime); err == nil && tr > 0 {
				wopts.TR = tr / 1000
			}
		}
	}
	out.Datatype = nifti.RGB24
	if !rgb {
		out.Datatype = greyDatatype(grey)
	}
	// write writes vols volumes starting at slice first.
	write := func(path string, vols, first int) error {
		w := wopts
		w.Volumes = vols
		var info nifti.Info
		var err error
		lo, hi := first*px, (first+vols*g.Slices)*px
		switch out.Datatype {
		case nifti.RGB24:
			info, err = nifti.WriteRGB(ctx, path, g, colour[3*lo:3*hi], w)
		case nifti.Int16:
			info, err = nifti.Write(ctx, path, g, convertInts[int16](grey[lo:hi]), w)
		case nifti.Uint16:
			info, err = nifti.Write(ctx, path, g, convertInts[uint16](grey[lo:hi]), w)
		default:
			info, err = nifti.Write(ctx, path, g, grey[lo:hi], w)
		}
		if err != nil {
			return err
		}
		out.Files = append(out.Files, path)
		out.Warnings = append(out.Warnings, info.Warnings...)
		return nil
	}
	switch {
	case s.Volumes > 1 && o.Split:
		stem := o.Out[:len(o.Out)-len(ext)]
		for v := range s.Volumes {
			if err := write(fmt.Sprintf("%s_vol%d%s", stem, v+1, ext), 1, v*g.Slices); err != nil {
				return out, err
			}
		}
	default:
		out.FourD = s.Volumes > 1
		if err := write(o.Out, s.Volumes, 0); err != nil {
			return out, err
		}
	}
	return out, nil
}

// chooseSeries picks the series to convert.
func chooseSeries(series []*dicomio.Series, want string, inputs []string) (*dicomio.Series, error) {
	if want != "" {
		for _, s := range series {
			if s.SeriesInstanceUID == want || s.Key == want {
				return s, nil
			}
		}
		return nil, fmt.Errorf("%w: %s is not among the inputs", ErrSeriesNotFound, want)
	}
	switch len(series) {
	case 0:
		return nil, fmt.Errorf("%w in %s", ErrNoSeries, strings.Join(inputs, ", "))
	case 1:
		return series[0], nil
	}
	var b strings.Builder
	for _, s := range series {
		fmt.Fprintf(&b, "\n  %s  %s, %d slices", s.Key, s.SeriesDescription, s.Grid.Slices)
	}
	return nil, fmt.Errorf("%w: the inputs hold %d series; choose one with --series:%s", ErrConvert, len(series), b.String())
}

// greyDatatype is the smallest NIfTI type that holds every value exactly.
func greyDatatype(v []float32) nifti.Datatype {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		f := float64(x)
		if f != math.Trunc(f) { // also NaN and infinities
			return nifti.Float32
		}
		lo, hi = min(lo, f), max(hi, f)
	}
	switch {
	case lo >= math.MinInt16 && hi <= math.MaxInt16:
		return nifti.Int16
	case lo >= 0 && hi <= math.MaxUint16:
		return nifti.Uint16
	}
	return nifti.Float32
}

func convertInts[T int16 | uint16](v []float32) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}
