package dicomio

import (
	"fmt"
	"math"
	"strings"

	"github.com/mmcseg/mmcseg/dicomio/codec"
	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/geom"
)

// SOP classes the scan treats specially.
const (
	sopMediaStorageDirectory = "1.2.840.10008.1.3.10"
	sopSegmentation          = "1.2.840.10008.5.1.4.1.1.66.4"
	sopLabelMapSegmentation  = "1.2.840.10008.5.1.4.1.1.66.7"
)

// sopNames names common SOP classes in messages.
var sopNames = map[string]string{
	"1.2.840.10008.1.3.10":             "Media Storage Directory (DICOMDIR)",
	"1.2.840.10008.5.1.4.1.1.2":        "CT Image",
	"1.2.840.10008.5.1.4.1.1.2.1":      "Enhanced CT Image",
	"1.2.840.10008.5.1.4.1.1.2.2":      "Legacy Converted Enhanced CT Image",
	"1.2.840.10008.5.1.4.1.1.4":        "MR Image",
	"1.2.840.10008.5.1.4.1.1.4.1":      "Enhanced MR Image",
	"1.2.840.10008.5.1.4.1.1.4.4":      "Legacy Converted Enhanced MR Image",
	"1.2.840.10008.5.1.4.1.1.1":        "Computed Radiography Image",
	"1.2.840.10008.5.1.4.1.1.1.1":      "Digital X-Ray Image",
	"1.2.840.10008.5.1.4.1.1.7":        "Secondary Capture Image",
	"1.2.840.10008.5.1.4.1.1.6.1":      "Ultrasound Image",
	"1.2.840.10008.5.1.4.1.1.3.1":      "Ultrasound Multi-frame Image",
	"1.2.840.10008.5.1.4.1.1.128":      "PET Image",
	"1.2.840.10008.5.1.4.1.1.20":       "Nuclear Medicine Image",
	"1.2.840.10008.5.1.4.1.1.481.1":    "RT Image",
	"1.2.840.10008.5.1.4.1.1.481.2":    "RT Dose",
	"1.2.840.10008.5.1.4.1.1.481.3":    "RT Structure Set",
	"1.2.840.10008.5.1.4.1.1.481.5":    "RT Plan",
	"1.2.840.10008.5.1.4.1.1.481.8":    "RT Ion Plan",
	"1.2.840.10008.5.1.4.1.1.66.4":     "Segmentation",
	"1.2.840.10008.5.1.4.1.1.66.7":     "Label Map Segmentation",
	"1.2.840.10008.5.1.4.1.1.88.11":    "Basic Text SR",
	"1.2.840.10008.5.1.4.1.1.88.22":    "Enhanced SR",
	"1.2.840.10008.5.1.4.1.1.88.33":    "Comprehensive SR",
	"1.2.840.10008.5.1.4.1.1.11.1":     "Grayscale Softcopy Presentation State",
	"1.2.840.10008.5.1.4.1.1.104.1":    "Encapsulated PDF",
	"1.2.840.10008.5.1.4.1.1.77.1.6":   "VL Whole Slide Microscopy Image",
	"1.2.840.10008.5.1.4.1.1.12.1":     "X-Ray Angiographic Image",
	"1.2.840.10008.5.1.4.1.1.7.4":      "Multi-frame True Color Secondary Capture Image",
	"1.2.840.10008.5.1.4.1.1.7.2":      "Multi-frame Grayscale Byte Secondary Capture Image",
	"1.2.840.10008.5.1.4.1.1.7.3":      "Multi-frame Grayscale Word Secondary Capture Image",
	"1.2.840.10008.5.1.4.1.1.1.2":      "Digital Mammography X-Ray Image",
	"1.2.840.10008.5.1.4.1.1.130":      "Enhanced PET Image",
	"1.2.840.10008.5.1.4.1.1.66":       "Raw Data",
	"1.2.840.10008.5.1.4.1.1.66.1":     "Spatial Registration",
	"1.2.840.10008.5.1.4.1.1.88.67":    "X-Ray Radiation Dose SR",
	"1.2.840.10008.5.1.4.1.1.1.1.1":    "Digital X-Ray Image (For Processing)",
	"1.2.840.10008.5.1.4.1.1.13.1.3":   "Breast Tomosynthesis Image",
	"1.2.840.10008.5.1.4.1.1.481.4":    "RT Beams Treatment Record",
	"1.2.840.10008.5.1.4.1.1.6.2":      "Enhanced US Volume",
	"1.2.840.10008.5.1.4.1.1.2.1.1":    "Photon-Counting CT",
	"1.2.840.10008.5.1.4.1.1.77.1.5.1": "Ophthalmic Photography 8 Bit Image",
}

func sopName(uid string) string {
	if n, ok := sopNames[uid]; ok {
		return n
	}
	if uid == "" {
		return "no SOP class"
	}
	return "SOP class " + uid
}

// instance is one image file as the header scan sees it, reduced to what
// grouping, ordering and reading need.
type instance struct {
	path string
	src  *pixelSource

	sopClass, sopInstance, mediaSOPInstance string
	studyUID, seriesUID, forUID             string
	patientID, patientName, studyDate       string
	studyDesc, seriesDesc, modality         string
	manufacturer, bodyPart                  string
	seriesNumber, instanceNumber            int
	hasSeriesNumber                         bool
	acquisitionNumber                       int
	temporal                                int // TemporalPositionIdentifier
	triggerTime                             float64
	imageType                               []string

	pixelSpacing   [2]float64
	hasSpacing     bool
	sliceThickness float64
	spacingBetween float64
	gantryTilt     float64
	lossy          bool

	enhanced bool
	mosaic   *mosaicInfo
	palette  *palette
	frames   []frameGeom
	warnings []string
}

// frameGeom is one slice candidate of an instance: a frame, or a mosaic
// tile.
type frameGeom struct {
	frame, tile    int
	hasGeom        bool
	ipp            geom.Vec3
	rowDir, colDir geom.Vec3
	pixelSpacing   [2]float64
	mod            modality
	temporal       int // TemporalPositionIndex for enhanced frames
	hasTemporal    bool
	localizer      bool
}

func (in *instance) warnf(format string, args ...any) {
	in.warnings = append(in.warnings, fmt.Sprintf(format, args...))
}

func newInstance(path string, ds *Dataset) (*instance, error) {
	in := &instance{path: path}
	in.sopClass = ds.String(tag.SOPClassUID)
	if in.sopClass == "" {
		in.sopClass = ds.String(tag.MediaStorageSOPClassUID)
	}
	if in.sopClass == sopMediaStorageDirectory || ds.Has(tag.DirectoryRecordSequence) {
		return nil, fmt.Errorf("%w: a DICOMDIR (media index); the files it lists are scanned on their own", ErrNotImage)
	}
	if !ds.Has(tag.PixelData) {
		return nil, fmt.Errorf("%w: no Pixel Data (%s)", ErrNotImage, sopName(in.sopClass))
	}
	if in.sopClass == sopSegmentation || in.sopClass == sopLabelMapSegmentation {
		return nil, fmt.Errorf("%w: %s object, not an image volume", ErrNotImage, sopName(in.sopClass))
	}
	src, err := ds.pixelSource(path)
	if err != nil {
		return nil, err
	}
	if err := src.check(); err != nil {
		return nil, err
	}
	in.src = src
	f := src.format
	for _, w := range ds.Warnings() {
		in.warnf("%s", w)
	}

	in.sopInstance = ds.String(tag.SOPInstanceUID)
	in.mediaSOPInstance = ds.String(tag.MediaStorageSOPInstanceUID)
	in.studyUID = ds.String(tag.StudyInstanceUID)
	in.seriesUID = ds.String(tag.SeriesInstanceUID)
	in.forUID = ds.String(tag.FrameOfReferenceUID)
	in.patientID = ds.String(tag.PatientID)
	in.patientName = strings.Join(ds.Strings(tag.PatientName), "=")
	in.studyDate = ds.String(tag.StudyDate)
	in.studyDesc = ds.String(tag.StudyDescription)
	in.seriesDesc = ds.String(tag.SeriesDescription)
	in.modality = ds.String(tag.Modality)
	in.manufacturer = ds.String(tag.Manufacturer)
	in.bodyPart = ds.String(tag.BodyPartExamined)
	if v, err := ds.Int(tag.SeriesNumber); err == nil {
		in.seriesNumber, in.hasSeriesNumber = v, true
	}
	in.instanceNumber = intOr(ds, tag.InstanceNumber, 0)
	in.acquisitionNumber = intOr(ds, tag.AcquisitionNumber, 0)
	in.temporal = intOr(ds, tag.TemporalPositionIdentifier, 0)
	in.triggerTime, _ = ds.Float(tag.TriggerTime)
	in.imageType = ds.Strings(tag.ImageType)
	in.sliceThickness, _ = ds.Float(tag.SliceThickness)
	in.spacingBetween, _ = ds.Float(tag.SpacingBetweenSlices)
	in.gantryTilt, _ = ds.Float(tag.GantryDetectorTilt)
	in.lossy = ds.String(tag.LossyImageCompression) == "01"
	if ps, ok := spacingOf(ds, tag.PixelSpacing); ok {
		in.pixelSpacing, in.hasSpacing = ps, true
	} else if ps, ok := spacingOf(ds, tag.ImagerPixelSpacing); ok {
		in.pixelSpacing, in.hasSpacing = ps, true
		in.warnf("no PixelSpacing; ImagerPixelSpacing %g\\%g used (at the detector, not corrected for magnification)", ps[0], ps[1])
	}
	if f.Photometric == "PALETTE COLOR" {
		if in.palette, err = paletteOf(ds); err != nil {
			return nil, err
		}
	}
	switch f.Photometric {
	case "MONOCHROME1", "MONOCHROME2", "PALETTE COLOR":
		if f.SamplesPerPixel != 1 {
			return nil, fmt.Errorf("%w: %s with SamplesPerPixel %d", ErrUnsupportedImage, f.Photometric, f.SamplesPerPixel)
		}
	case "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_422", "YBR_PARTIAL_420", "YBR_ICT", "YBR_RCT":
		if f.SamplesPerPixel != 3 {
			return nil, fmt.Errorf("%w: %s with SamplesPerPixel %d", ErrUnsupportedImage, f.Photometric, f.SamplesPerPixel)
		}
	default:
		return nil, fmt.Errorf("%w: photometric interpretation %q", ErrUnsupportedImage, f.Photometric)
	}

	mod, warn := modalityOf(ds, modality{slope: 1})
	in.warnings = append(in.warnings, warn...)
	ipp, hasIPP := vecOf(ds, tag.ImagePositionPatient, 3)
	rowDir, colDir, hasIOP, iopWarn := orientationOf(ds)
	if iopWarn != "" {
		in.warnf("%s", iopWarn)
	}
	base := frameGeom{tile: -1, hasGeom: hasIPP && hasIOP, ipp: geom.Vec3(ipp), rowDir: rowDir, colDir: colDir,
		pixelSpacing: in.pixelSpacing, mod: mod}
	if base.hasGeom && !in.hasSpacing {
		base.pixelSpacing = [2]float64{1, 1}
		in.warnf("no PixelSpacing; 1 mm assumed")
	}

	perFrame := ds.Items(tag.PerFrameFunctionalGroupsSequence)
	shared := ds.Items(tag.SharedFunctionalGroupsSequence)
	switch {
	case len(perFrame) > 0 || len(shared) > 0:
		in.enhanced = true
		if err := in.enhancedFrames(ds, f.Frames, perFrame, shared, base); err != nil {
			return nil, err
		}
	case f.Frames > 1:
		in.classicFrames(ds, f.Frames, base)
	default:
		m, isMosaic, reason := mosaicOf(ds, in.imageType, f.Rows, f.Columns, rowDir, colDir)
		if isMosaic && reason != "" {
			return nil, fmt.Errorf("%w: Siemens mosaic cannot be de-mosaicked: %s", ErrUnsupportedImage, reason)
		}
		if isMosaic {
			in.mosaic = &m
			spacing := in.spacingBetween
			if !(spacing > 0) {
				spacing = in.sliceThickness
			}
			if !(spacing > 0) {
				spacing = 1
				in.warnf("mosaic without SpacingBetweenSlices or SliceThickness: 1 mm between tiles assumed")
			}
			origin := m.tileOrigin(base.ipp, rowDir, colDir, base.pixelSpacing[0], base.pixelSpacing[1])
			for k := 0; k < m.n; k++ {
				g := base
				g.tile = k
				g.ipp = origin.Add(m.normal.Scale(float64(k) * spacing))
				in.frames = append(in.frames, g)
			}
			break
		}
		in.frames = []frameGeom{base}
	}
	if in.localizerImage() {
		for i := range in.frames {
			in.frames[i].localizer = true
		}
	}
	return in, nil
}

func (in *instance) localizerImage() bool {
	for _, v := range in.imageType {
		if v == "LOCALIZER" {
			return true
		}
	}
	return false
}

// classicFrames describes the frames of a multi-frame image without
// functional groups: positions from GridFrameOffsetVector (RT Dose) when
// present, otherwise every frame at the image's position.
func (in *instance) classicFrames(ds *Dataset, n int, base frameGeom) {
	offsets, err := ds.Floats(tag.GridFrameOffsetVector)
	useOffsets := err == nil && len(offsets) == n && base.hasGeom
	if err == nil && len(offsets) != n {
		in.warnf("GridFrameOffsetVector has %d values for %d frames; ignored", len(offsets), n)
	}
	normal := base.rowDir.Cross(base.colDir).Unit()
	absolute := useOffsets && offsets[0] != 0
	if absolute && !(math.Abs(normal[2]-1) < 1e-6 && math.Abs(offsets[0]-base.ipp[2]) < 1e-3) {
		in.warnf("GridFrameOffsetVector does not start at 0 nor at the z of ImagePositionPatient; ignored")
		useOffsets = false
	}
	for k := 0; k < n; k++ {
		g := base
		g.frame = k
		if useOffsets {
			if absolute {
				g.ipp[2] = offsets[k]
			} else {
				g.ipp = base.ipp.Add(normal.Scale(offsets[k]))
			}
		}
		in.frames = append(in.frames, g)
	}
}

// enhancedFrames reads per-frame geometry and rescale from the functional
// groups of an enhanced (or legacy converted enhanced) multi-frame image.
func (in *instance) enhancedFrames(ds *Dataset, n int, perFrame, shared []*Dataset, base frameGeom) error {
	if len(perFrame) > 0 && len(perFrame) != n {
		in.warnf("%d per-frame functional group items for %d frames", len(perFrame), n)
	}
	var sh *Dataset
	if len(shared) > 0 {
		sh = shared[0]
	}
	for k := 0; k < n; k++ {
		var pf *Dataset
		if k < len(perFrame) {
			pf = perFrame[k]
		}
		// look finds a macro's item, per-frame first, then shared.
		look := func(seq tag.Tag) *Dataset {
			for _, d := range []*Dataset{pf, sh} {
				if d == nil {
					continue
				}
				if items := d.Items(seq); len(items) > 0 {
					return items[0]
				}
			}
			return nil
		}
		g := base
		g.frame = k
		g.hasGeom = false
		var hasIPP, hasIOP bool
		if it := look(tag.PlanePositionSequence); it != nil {
			if v, ok := vecOf(it, tag.ImagePositionPatient, 3); ok {
				g.ipp, hasIPP = geom.Vec3(v), true
			}
		}
		if it := look(tag.PlaneOrientationSequence); it != nil {
			r, c, ok, w := orientationOf(it)
			if w != "" && k == 0 {
				in.warnf("%s", w)
			}
			if ok {
				g.rowDir, g.colDir, hasIOP = r, c, true
			}
		} else if base.rowDir != (geom.Vec3{}) {
			hasIOP = true
		}
		if it := look(tag.PixelMeasuresSequence); it != nil {
			if ps, ok := spacingOf(it, tag.PixelSpacing); ok {
				g.pixelSpacing = ps
				if k == 0 {
					in.pixelSpacing, in.hasSpacing = ps, true
				}
			}
			if k == 0 {
				if v, err := it.Float(tag.SliceThickness); err == nil {
					in.sliceThickness = v
				}
				if v, err := it.Float(tag.SpacingBetweenSlices); err == nil {
					in.spacingBetween = v
				}
			}
		}
		if g.pixelSpacing == ([2]float64{}) {
			g.pixelSpacing = [2]float64{1, 1}
		}
		if it := look(tag.PixelValueTransformationSequence); it != nil {
			m, warn := modalityOf(it, base.mod)
			g.mod = m
			if k == 0 {
				in.warnings = append(in.warnings, warn...)
			}
		}
		if it := look(tag.FrameContentSequence); it != nil {
			if v, err := it.Int(tag.TemporalPositionIndex); err == nil {
				g.temporal, g.hasTemporal = v, true
			}
		}
		for _, seq := range []tag.Tag{tag.CTImageFrameTypeSequence, tag.MRImageFrameTypeSequence} {
			if it := look(seq); it != nil {
				for _, v := range it.Strings(tag.FrameType) {
					if v == "LOCALIZER" {
						g.localizer = true
					}
				}
			}
		}
		g.hasGeom = hasIPP && hasIOP
		in.frames = append(in.frames, g)
	}
	return nil
}

// vecOf reads n finite numbers.
func vecOf(ds *Dataset, t tag.Tag, n int) ([3]float64, bool) {
	var out [3]float64
	v, err := ds.Floats(t)
	if err != nil || len(v) < n {
		return out, false
	}
	for i := 0; i < n && i < 3; i++ {
		if math.IsNaN(v[i]) || math.IsInf(v[i], 0) {
			return out, false
		}
		out[i] = v[i]
	}
	return out, true
}

// spacingOf reads a (row, column) spacing pair of positive numbers.
func spacingOf(ds *Dataset, t tag.Tag) ([2]float64, bool) {
	v, err := ds.Floats(t)
	if err != nil || len(v) < 1 {
		return [2]float64{}, false
	}
	if len(v) == 1 {
		v = append(v, v[0])
	}
	if !(v[0] > 0) || !(v[1] > 0) || math.IsInf(v[0], 0) || math.IsInf(v[1], 0) {
		return [2]float64{}, false
	}
	return [2]float64{v[0], v[1]}, true
}

// orientationOf reads ImageOrientationPatient and returns unit row and
// column directions; ok is false (with a reason) for values that are not
// two orthogonal, non-zero vectors.
func orientationOf(ds *Dataset) (row, col geom.Vec3, ok bool, warn string) {
	v, err := ds.Floats(tag.ImageOrientationPatient)
	if err != nil {
		return row, col, false, ""
	}
	if len(v) != 6 {
		return row, col, false, fmt.Sprintf("ImageOrientationPatient has %d values, not 6; ignored", len(v))
	}
	row = geom.Vec3{v[0], v[1], v[2]}
	col = geom.Vec3{v[3], v[4], v[5]}
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return row, col, false, "ImageOrientationPatient is not finite; ignored"
		}
	}
	if math.Abs(row.Norm()-1) > 0.01 || math.Abs(col.Norm()-1) > 0.01 || math.Abs(row.Unit().Dot(col.Unit())) > 0.01 {
		return row, col, false, fmt.Sprintf("ImageOrientationPatient %v is not two orthogonal unit vectors; ignored", v)
	}
	row = row.Unit()
	// Re-orthogonalise: writers round to 5–6 digits.
	col = col.Sub(row.Scale(row.Dot(col))).Unit()
	return row, col, true, ""
}

// decodable reports whether this build can decode the instance's pixels,
// with a reason when not.
func (in *instance) decodable() (bool, string) {
	ts := in.src.format.TS
	if !in.src.encapsulated() || ts == codec.EncapsulatedUncompressed || codec.Supported(ts) {
		return true, ""
	}
	return false, fmt.Sprintf("pixel data in %s (%s) cannot be decoded by this build", codec.Name(ts), ts)
}
