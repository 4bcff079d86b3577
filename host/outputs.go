package host

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/nifti"
	"github.com/mmcseg/mmcseg/sdk"
)

// Output file names in a series folder.
const (
	SEGName     = "seg.dcm"
	NIfTIName   = "mask.nii.gz"
	PreviewName = "preview.png"
	MaskPNGName = "mask.png"
)

// outputJob is what the writers need about a segmented series.
type outputJob struct {
	u        *unit
	src      *source
	labels   []uint8
	segments []sdk.SegmentInfo
	formats  []Format
	seg      SEGWriter
	meta     SEGMeta
	tiles    int
}

// unitGrid is the grid of a 2D image: one slice of 1 mm pixels at the
// origin, axes along the patient axes. It has no physical meaning.
func unitGrid(columns, rows int) geom.Grid {
	return geom.Grid{
		Columns: columns, Rows: rows, Slices: 1,
		RowDir: geom.Vec3{1, 0, 0}, ColDir: geom.Vec3{0, 1, 0}, SliceDir: geom.Vec3{0, 0, 1},
		RowSpacing: 1, ColSpacing: 1, SliceSpacing: 1,
	}
}

// writeOutputs writes the requested outputs into the staging folder and
// returns them (paths relative to the folder) and warnings about outputs
// that do not apply to this series.
func writeOutputs(ctx context.Context, staging string, j outputJob) ([]Output, []string, error) {
	var outs []Output
	var warns []string
	add := func(format, name string) error {
		fi, err := os.Stat(filepath.Join(staging, name))
		if err != nil {
			return err
		}
		outs = append(outs, Output{Format: format, Path: name, Bytes: fi.Size()})
		return nil
	}
	u := j.u
	for _, f := range j.formats {
		switch f {
		case FormatSEG:
			switch {
			case u.source != SourceDICOM:
				warns = append(warns, fmt.Sprintf("seg: not written: a %s input has no DICOM images for a SEG to reference (use nifti or png)", u.source))
				continue
			}
			if err := j.seg.WriteSEG(ctx, filepath.Join(staging, SEGName), u.dicom, j.labels, j.segments, j.meta); err != nil {
				var sw *SEGWarnings
				switch {
				case errors.As(err, &sw):
					for _, w := range sw.Warnings {
						warns = append(warns, "seg: "+w)
					}
				case errors.Is(err, dicomio.ErrEmptyMask) || errors.Is(err, dicomio.ErrUnreferenceable):
					// Policies of the SEG writer, not failures: the
					// other outputs stand.
					warns = append(warns, "seg: not written: "+err.Error())
					continue
				default:
					return nil, nil, fmt.Errorf("writing %s: %w", SEGName, err)
				}
			}
			if err := add(string(FormatSEG), SEGName); err != nil {
				return nil, nil, err
			}
		case FormatNIfTI:
			g := unitGrid(u.info.Columns, u.info.Rows)
			if u.grid != nil {
				g = *u.grid
			} else {
				warns = append(warns, "nifti: a 2D image has no geometry: the mask is on a grid of 1 mm pixels")
			}
			table := labelTable(j.segments)
			info, err := nifti.WriteLabels(ctx, filepath.Join(staging, NIfTIName), g, j.labels, table,
				nifti.WriteOptions{Descrip: "mmcseg " + j.meta.PluginName + " " + j.meta.PluginVersion})
			if err != nil {
				return nil, nil, fmt.Errorf("writing %s: %w", NIfTIName, err)
			}
			for _, w := range info.Warnings {
				warns = append(warns, "nifti: "+w)
			}
			if err := add(string(FormatNIfTI), NIfTIName); err != nil {
				return nil, nil, err
			}
			for _, p := range info.LabelFiles {
				if err := add("labels", filepath.Base(p)); err != nil {
					return nil, nil, err
				}
			}
		case FormatPNG:
			rows, cols := u.info.Rows, u.info.Columns
			ks := previewSlices(j.labels, rows*cols, u.info.Slices, j.tiles)
			img, err := montage(ctx, j.src, j.labels, ks, segmentColors(j.segments))
			if err != nil {
				return nil, nil, fmt.Errorf("preview: %w", err)
			}
			b, err := encodePNG(img)
			if err != nil {
				return nil, nil, fmt.Errorf("preview: %w", err)
			}
			if err := writeFileAtomic(filepath.Join(staging, PreviewName), b); err != nil {
				return nil, nil, err
			}
			if err := add(string(FormatPNG), PreviewName); err != nil {
				return nil, nil, err
			}
			if u.source == SourceImage {
				b, err := encodePNG(maskImage(j.labels, cols, rows, len(j.segments)))
				if err != nil {
					return nil, nil, err
				}
				if err := writeFileAtomic(filepath.Join(staging, MaskPNGName), b); err != nil {
					return nil, nil, err
				}
				if err := add(string(FormatPNG), MaskPNGName); err != nil {
					return nil, nil, err
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
	}
	return outs, warns, nil
}

func labelTable(segs []sdk.SegmentInfo) nifti.LabelTable {
	var t nifti.LabelTable
	code := func(c sdk.Code) *nifti.Code {
		if c.IsZero() {
			return nil
		}
		return &nifti.Code{CodeValue: c.Value, CodingSchemeDesignator: c.Scheme, CodeMeaning: c.Meaning}
	}
	for _, s := range segs {
		t = append(t, nifti.Label{Value: uint8(s.Number), Name: s.Label, Color: s.Color, Category: code(s.Category), Type: code(s.Type)})
	}
	return t
}

func segmentColors(segs []sdk.SegmentInfo) map[uint8]color.RGBA {
	m := map[uint8]color.RGBA{}
	for _, s := range segs {
		m[uint8(s.Number)] = color.RGBA{s.Color[0], s.Color[1], s.Color[2], 255}
	}
	return m
}

// segmentVolumes counts each segment's voxels and, with a grid, its volume
// in millilitres.
func segmentVolumes(labels []uint8, segs []sdk.SegmentInfo, g *geom.Grid) []SegmentReport {
	var counts [256]int64
	for _, l := range labels {
		counts[l]++
	}
	out := []SegmentReport{}
	for _, s := range segs {
		r := SegmentReport{Number: s.Number, Label: s.Label, Voxels: counts[s.Number]}
		if g != nil {
			ml := float64(r.Voxels) * g.VoxelVolume() / 1000
			r.VolumeML = &ml
		}
		out = append(out, r)
	}
	return out
}
