package dicomio

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/geom"
)

// maxSEGPixels bounds what ReadSEG decodes: frames × rows × columns (one
// byte each in memory, two for 16-bit label maps).
const maxSEGPixels = 1 << 31

// SEG is a DICOM Segmentation read by ReadSEG.
type SEG struct {
	Path                string
	SOPClassUID         string // Segmentation or Label Map Segmentation
	SOPInstanceUID      string
	SeriesInstanceUID   string
	StudyInstanceUID    string
	FrameOfReferenceUID string
	SeriesDescription   string
	ContentLabel        string

	// Type is the SegmentationType: BINARY, FRACTIONAL or LABELMAP.
	Type string
	// FractionalType (PROBABILITY or OCCUPANCY) and MaxFractional
	// (MaximumFractionalValue) describe FRACTIONAL SEGs.
	FractionalType string
	MaxFractional  int
	// PixelPadding is the PixelPaddingValue of a LABELMAP SEG, -1 if none:
	// pixels holding it belong to no segment.
	PixelPadding int

	Rows, Columns int
	Segments      []Segment
	Frames        []SEGFrame

	// Shared geometry (PixelMeasuresSequence), zero when absent.
	PixelSpacing         [2]float64 // mm between rows, between columns
	SliceThickness       float64
	SpacingBetweenSlices float64

	// TiledFull reports DimensionOrganizationType TILED_FULL: frames are
	// tiles of a total pixel matrix (slide microscopy) without per-frame
	// positions; they cannot be mapped onto a volume.
	TiledFull bool

	// ReferencedSeries is the ReferencedSeriesSequence.
	ReferencedSeries []SEGSeriesRef

	// Warnings are oddities the reader worked around.
	Warnings []string
}

// SEGSeriesRef is one item of ReferencedSeriesSequence.
type SEGSeriesRef struct {
	SeriesInstanceUID string
	Instances         []SEGSourceRef
}

// SEGSourceRef references a source image.
type SEGSourceRef struct {
	SOPClassUID    string
	SOPInstanceUID string
	// Frames are the ReferencedFrameNumber values (from 1) for a
	// multi-frame source; nil when the reference names none.
	Frames []int
}

// SEGFrame is one frame of a SEG.
type SEGFrame struct {
	Index   int // frame index in the file, from 0
	Segment int // ReferencedSegmentNumber; 0 for LABELMAP frames
	// Sources are the frame's source images (DerivationImageSequence >
	// SourceImageSequence).
	Sources []SEGSourceRef
	// Position is the frame's ImagePositionPatient (LPS, mm), valid when
	// HasPosition.
	Position    geom.Vec3
	HasPosition bool
	// RowDir and ColDir are the frame's ImageOrientationPatient, valid
	// when HasOrientation.
	RowDir, ColDir geom.Vec3
	HasOrientation bool

	// Mask holds Rows×Columns values, row by row: 1 where the segment is
	// present, else 0. For FRACTIONAL frames a pixel is present when its
	// fraction is at least one half. Nil for LABELMAP frames.
	Mask []uint8
	// Fraction holds the stored FRACTIONAL values (0…MaxFractional); nil
	// otherwise.
	Fraction []uint8
	// Labels holds the stored LABELMAP values (segment numbers); nil
	// otherwise.
	Labels []uint16
}

// ReadSEG reads a DICOM Segmentation: BINARY and FRACTIONAL Segmentation
// Storage (1.2.840.10008.5.1.4.1.1.66.4) and Label Map Segmentation Storage
// (1.2.840.10008.5.1.4.1.1.66.7), in any transfer syntax the package
// decodes (1-bit frames of any size, packed back to back). Other files give
// an error wrapping ErrNotSEG; errors name the file.
func ReadSEG(ctx context.Context, path string) (*SEG, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ds, err := ReadFile(path, ReadOptions{})
	if err != nil {
		return nil, err
	}
	s, err := segFromDataset(ctx, ds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.Path = path
	return s, nil
}

// look returns the first item of the functional group macro seq, from the
// per-frame item first, then from the shared one.
func look(perFrame, shared *Dataset, seq tag.Tag) *Dataset {
	for _, d := range []*Dataset{perFrame, shared} {
		if d == nil {
			continue
		}
		if items := d.Items(seq); len(items) > 0 {
			return items[0]
		}
	}
	return nil
}

func segFromDataset(ctx context.Context, ds *Dataset) (*SEG, error) {
	s := &SEG{PixelPadding: -1}
	s.SOPClassUID = ds.String(tag.SOPClassUID)
	if s.SOPClassUID == "" {
		s.SOPClassUID = ds.String(tag.MediaStorageSOPClassUID)
	}
	if s.SOPClassUID != sopSegmentation && s.SOPClassUID != sopLabelMapSegmentation {
		return nil, fmt.Errorf("%w: %s", ErrNotSEG, sopName(s.SOPClassUID))
	}
	s.SOPInstanceUID = ds.String(tag.SOPInstanceUID)
	s.SeriesInstanceUID = ds.String(tag.SeriesInstanceUID)
	s.StudyInstanceUID = ds.String(tag.StudyInstanceUID)
	s.FrameOfReferenceUID = ds.String(tag.FrameOfReferenceUID)
	s.SeriesDescription = ds.String(tag.SeriesDescription)
	s.ContentLabel = ds.String(tag.ContentLabel)
	s.Type = strings.ToUpper(ds.String(tag.SegmentationType))
	if s.Type == "" && s.SOPClassUID == sopLabelMapSegmentation {
		s.Type = "LABELMAP"
	}
	if !ds.Has(tag.PixelData) {
		return nil, fmt.Errorf("%w: Segmentation without Pixel Data", ErrMalformed)
	}
	info, nframes, err := ds.PixelFormat()
	if err != nil {
		return nil, err
	}
	s.Rows, s.Columns = info.Rows, info.Columns
	if info.SamplesPerPixel != 1 {
		return nil, fmt.Errorf("%w: SamplesPerPixel %d in a Segmentation", ErrMalformed, info.SamplesPerPixel)
	}
	switch s.Type {
	case "BINARY":
		if info.BitsAllocated != 1 {
			return nil, fmt.Errorf("%w: BINARY Segmentation with BitsAllocated %d (must be 1)", ErrMalformed, info.BitsAllocated)
		}
	case "FRACTIONAL":
		if info.BitsAllocated != 8 {
			return nil, fmt.Errorf("%w: FRACTIONAL Segmentation with BitsAllocated %d (must be 8)", ErrMalformed, info.BitsAllocated)
		}
		s.FractionalType = ds.String(tag.SegmentationFractionalType)
		s.MaxFractional, err = ds.Int(tag.MaximumFractionalValue)
		if err != nil || s.MaxFractional < 1 || s.MaxFractional > 255 {
			return nil, fmt.Errorf("%w: FRACTIONAL Segmentation with MaximumFractionalValue %d", ErrMalformed, s.MaxFractional)
		}
	case "LABELMAP":
		if info.BitsAllocated != 8 && info.BitsAllocated != 16 {
			return nil, fmt.Errorf("%w: LABELMAP Segmentation with BitsAllocated %d (must be 8 or 16)", ErrMalformed, info.BitsAllocated)
		}
		if v, err := ds.Int(tag.PixelPaddingValue); err == nil {
			s.PixelPadding = v
		}
	default:
		return nil, fmt.Errorf("%w: SegmentationType %q (BINARY, FRACTIONAL or LABELMAP)", ErrNotSEG, s.Type)
	}
	if int64(nframes)*int64(s.Rows)*int64(s.Columns) > maxSEGPixels {
		return nil, fmt.Errorf("%w: %d frames of %d×%d", ErrTooLarge, nframes, s.Columns, s.Rows)
	}

	if err := s.readSegments(ds); err != nil {
		return nil, err
	}
	for _, it := range ds.Items(tag.ReferencedSeriesSequence) {
		ref := SEGSeriesRef{SeriesInstanceUID: it.String(tag.SeriesInstanceUID)}
		for _, in := range it.Items(tag.ReferencedInstanceSequence) {
			ref.Instances = append(ref.Instances, sourceRef(in))
		}
		s.ReferencedSeries = append(s.ReferencedSeries, ref)
	}
	s.TiledFull = strings.ToUpper(ds.String(tag.DimensionOrganizationType)) == "TILED_FULL"

	var shared *Dataset
	if items := ds.Items(tag.SharedFunctionalGroupsSequence); len(items) > 0 {
		shared = items[0]
	}
	perFrame := ds.Items(tag.PerFrameFunctionalGroupsSequence)
	if len(perFrame) > 0 && len(perFrame) != nframes {
		s.warnf("%d per-frame functional group items for %d frames", len(perFrame), nframes)
	}
	if pm := look(nil, shared, tag.PixelMeasuresSequence); pm != nil {
		if ps, ok := spacingOf(pm, tag.PixelSpacing); ok {
			s.PixelSpacing = ps
		}
		s.SliceThickness, _ = pm.Float(tag.SliceThickness)
		s.SpacingBetweenSlices, _ = pm.Float(tag.SpacingBetweenSlices)
	}

	// Frames of a TILED_FULL SEG carry no segment number: the frames of
	// each segment follow each other, segment by segment (PS3.3 C.7.6.17.3).
	perSegment := 0
	if s.TiledFull && len(s.Segments) > 0 && nframes%len(s.Segments) == 0 {
		perSegment = nframes / len(s.Segments)
	}
	pixels, err := ds.pixelSource("")
	if err != nil {
		return nil, err
	}
	// The pixel data must hold the frames the header announces before
	// anything is allocated for them.
	if err := pixels.check(); err != nil {
		return nil, err
	}
	known := map[int]bool{}
	for _, sg := range s.Segments {
		known[sg.Number] = true
	}
	s.Frames = make([]SEGFrame, nframes)
	for k := range nframes {
		if k%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var pf *Dataset
		if k < len(perFrame) {
			pf = perFrame[k]
		}
		f := &s.Frames[k]
		f.Index = k
		if s.Type != "LABELMAP" {
			if it := look(pf, shared, tag.SegmentIdentificationSequence); it != nil {
				f.Segment, err = it.Int(tag.ReferencedSegmentNumber)
				if err != nil {
					return nil, fmt.Errorf("%w: frame %d: ReferencedSegmentNumber: %v", ErrMalformed, k+1, err)
				}
			} else if perSegment > 0 {
				f.Segment = s.Segments[k/perSegment].Number
			} else if len(s.Segments) == 1 {
				f.Segment = s.Segments[0].Number
			} else {
				return nil, fmt.Errorf("%w: frame %d has no SegmentIdentificationSequence", ErrMalformed, k+1)
			}
			if !known[f.Segment] {
				s.warnf("frame %d references segment %d, which SegmentSequence does not describe", k+1, f.Segment)
			}
		}
		if it := look(pf, shared, tag.PlanePositionSequence); it != nil {
			if v, ok := vecOf(it, tag.ImagePositionPatient, 3); ok {
				f.Position, f.HasPosition = geom.Vec3(v), true
			}
		}
		if it := look(pf, shared, tag.PlaneOrientationSequence); it != nil {
			r, c, ok, warn := orientationOf(it)
			if warn != "" {
				s.warnf("frame %d: %s", k+1, warn)
			}
			f.RowDir, f.ColDir, f.HasOrientation = r, c, ok
		}
		for _, src := range []*Dataset{pf, shared} {
			if src == nil || len(f.Sources) > 0 {
				continue
			}
			for _, d := range src.Items(tag.DerivationImageSequence) {
				for _, si := range d.Items(tag.SourceImageSequence) {
					f.Sources = append(f.Sources, sourceRef(si))
				}
			}
		}
		data, _, err := pixels.frame(k)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", k+1, err)
		}
		plane := s.Rows * s.Columns
		if need := plane * max(1, info.BitsAllocated/8); len(data) < need {
			return nil, fmt.Errorf("%w: frame %d decodes to %d bytes, %d expected", ErrMalformed, k+1, len(data), need)
		}
		switch s.Type {
		case "BINARY":
			f.Mask = data[:plane:plane]
		case "FRACTIONAL":
			f.Fraction = data[:plane:plane]
			f.Mask = make([]uint8, plane)
			for i, v := range f.Fraction {
				if 2*int(v) >= s.MaxFractional {
					f.Mask[i] = 1
				}
			}
		case "LABELMAP":
			f.Labels = make([]uint16, plane)
			if info.BitsAllocated == 8 {
				for i, v := range data[:plane] {
					f.Labels[i] = uint16(v)
				}
			} else {
				for i := range f.Labels {
					f.Labels[i] = binary.LittleEndian.Uint16(data[2*i:])
				}
			}
		}
	}
	return s, nil
}

func (s *SEG) warnf(format string, args ...any) {
	s.Warnings = append(s.Warnings, fmt.Sprintf(format, args...))
}

// readSegments reads the SegmentSequence.
func (s *SEG) readSegments(ds *Dataset) error {
	seen := map[int]bool{}
	for i, it := range ds.Items(tag.SegmentSequence) {
		n, err := it.Int(tag.SegmentNumber)
		if err != nil {
			return fmt.Errorf("%w: SegmentSequence item %d: SegmentNumber: %v", ErrMalformed, i+1, err)
		}
		if seen[n] {
			return fmt.Errorf("%w: segment number %d appears twice in SegmentSequence", ErrMalformed, n)
		}
		seen[n] = true
		sg := Segment{
			Number:        n,
			Label:         it.String(tag.SegmentLabel),
			Description:   it.String(tag.SegmentDescription),
			Category:      codeOf(it, tag.SegmentedPropertyCategoryCodeSequence),
			Type:          codeOf(it, tag.SegmentedPropertyTypeCodeSequence),
			AlgorithmType: it.String(tag.SegmentAlgorithmType),
		}
		sg.Algorithm.Name = it.String(tag.SegmentAlgorithmName)
		if algs := it.Items(tag.SegmentationAlgorithmIdentificationSequence); len(algs) > 0 {
			if name := algs[0].String(tag.AlgorithmName); name != "" {
				sg.Algorithm.Name = name
			}
			sg.Algorithm.Version = algs[0].String(tag.AlgorithmVersion)
			sg.Algorithm.Family = codeOf(algs[0], tag.AlgorithmFamilyCodeSequence)
		}
		if lab, err := it.Ints(tag.RecommendedDisplayCIELabValue); err == nil && len(lab) == 3 {
			sg.Color = srgbFromCIELab([3]int{lab[0], lab[1], lab[2]})
		}
		s.Segments = append(s.Segments, sg)
	}
	if len(s.Segments) == 0 {
		return fmt.Errorf("%w: no SegmentSequence", ErrMalformed)
	}
	return nil
}

// sourceRef reads a reference to an image.
func sourceRef(it *Dataset) SEGSourceRef {
	r := SEGSourceRef{SOPClassUID: it.String(tag.ReferencedSOPClassUID), SOPInstanceUID: it.String(tag.ReferencedSOPInstanceUID)}
	if v, err := it.Ints(tag.ReferencedFrameNumber); err == nil {
		r.Frames = v
	}
	return r
}
