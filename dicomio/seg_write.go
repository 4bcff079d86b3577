package dicomio

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mmcseg/mmcseg/dicomio/tag"
)

// SEGOptions describes a SEG to write. Only Segments is required; the
// other fields have defaults.
type SEGOptions struct {
	// Segments describes the label values: segment Number n is the voxels
	// whose label is n. Numbers must be 1, 2, … without gaps (in any order
	// here). Every segment needs a Label, Category and Type codes and an
	// Algorithm name.
	Segments []Segment

	SeriesDescription string // default "Segmentation"
	// SeriesNumber defaults to the source's SeriesNumber + 1000, so that
	// viewers list the SEG after its source.
	SeriesNumber int
	// ContentLabel is a code string (upper case, digits, space, _; at most
	// 16 characters); default "SEGMENTATION".
	ContentLabel       string
	ContentDescription string
	ContentCreatorName string // a person name, e.g. "Doe^Jane"; may be empty

	// The equipment that made the SEG (Type 1 in the Enhanced General
	// Equipment module). Defaults: "mmcseg", "mmcseg", "0" and
	// ImplementationVersionName.
	Manufacturer          string
	ManufacturerModelName string
	DeviceSerialNumber    string
	SoftwareVersions      string

	// Time is the content, series and instance creation date and time;
	// the zero Time means now.
	Time time.Time
}

// SEGResult is what WriteSEG wrote.
type SEGResult struct {
	Path              string
	SOPInstanceUID    string
	SeriesInstanceUID string
	Frames            int
	// EmptySegments are the numbers of segments without any voxel: they
	// are in the SEG's SegmentSequence but have no frame.
	EmptySegments []int
	// Warnings are things the caller should report (empty segments, source
	// UIDs copied although malformed, …).
	Warnings []string
}

// WriteSEG writes a DICOM Segmentation (SOP class
// 1.2.840.10008.5.1.4.1.1.66.4, BINARY) of the source series src to path,
// atomically (a temporary file renamed into place). labels holds one label
// per voxel, slice by slice in the order of src.Slices, each slice row by
// row (len(src.Slices) × Rows × Columns values); 0 is background and n is
// segment n of opts.Segments.
//
// What it writes, and why (OHIF, 3D Slicer and PACS viewers show a SEG
// only when all of this holds):
//
//   - Explicit VR Little Endian, BitsAllocated 1, frames packed least
//     significant bit first and back to back across byte boundaries
//     (PS3.5 §8.1.1), also when Rows×Columns is not a multiple of 8.
//   - One frame per non-empty (segment, slice) pair, segment by segment
//     and, within a segment, in the slice order of the source (ascending
//     along the slice normal). Frames have the source's Rows and Columns
//     and lie exactly on the source slices: the per-frame
//     ImagePositionPatient is the source slice's own, the shared
//     ImageOrientationPatient and PixelSpacing are the source's, and
//     DimensionIndexValues are (segment number, 1-based index of the source
//     slice).
//   - Every frame references its source image (DerivationImageSequence >
//     SourceImageSequence with purpose of reference (121322, DCM) and
//     SpatialLocationsPreserved YES; ReferencedFrameNumber for frames of
//     multi-frame sources), and ReferencedSeriesSequence lists every image
//     of the source series.
//   - Patient and General Study attributes are copied from the source
//     (absent Type 2 attributes are written empty), the FrameOfReferenceUID
//     is the source's, the Series and SOP Instance UIDs are new.
//
// Empty policies:
//
//   - An empty segment (declared in opts.Segments, but with no voxel) stays
//     in SegmentSequence, without frames, and is listed in
//     SEGResult.EmptySegments and Warnings. Segment numbers must run 1, 2,
//     … without gaps (PS3.3 C.8.20.2) and are the label values, so dropping
//     a segment would renumber the others and break the label ↔ segment
//     correspondence that readers and evaluation rely on.
//   - A wholly empty label volume gives no SEG: nothing is written and the
//     error wraps ErrEmptyMask ("mask empty: no SEG written"), which a host
//     reports as an outcome rather than a failure. A Segmentation needs at
//     least one frame, and a frame that asserts nothing would only make
//     viewers show an empty overlay.
//   - A source whose SOP Instance, SOP Class, Series or Study Instance UIDs
//     are missing (Scan gives such series a synthetic key) cannot be
//     referenced: the error wraps ErrUnreferenceable and says to write
//     NIfTI instead. So do Siemens mosaics (frames would not match the
//     stored images pixel for pixel) and series of several volumes.
func WriteSEG(ctx context.Context, path string, src *Series, labels []uint8, opts SEGOptions) (*SEGResult, error) {
	ds, res, err := buildSEG(ctx, src, labels, opts)
	if err != nil {
		return nil, err
	}
	if err := (Encoder{}).WriteFile(path, ds); err != nil {
		return nil, fmt.Errorf("series %s: writing SEG: %w", src.Key, err)
	}
	res.Path = path
	return res, nil
}

// segFrame is one frame to write: a segment on a source slice.
type segFrame struct {
	segment int
	slice   int
}

// buildSEG builds the SEG dataset.
func buildSEG(ctx context.Context, src *Series, labels []uint8, opts SEGOptions) (*Dataset, *SEGResult, error) {
	if src == nil {
		return nil, nil, fmt.Errorf("SEG: no source series")
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("series %s: SEG: "+format, append([]any{src.Key}, args...)...)
	}
	if err := checkSEGSource(src); err != nil {
		return nil, nil, fmt.Errorf("series %s: %w", src.Key, err)
	}
	rows, cols := src.Rows, src.Columns
	plane := rows * cols
	nslices := len(src.Slices)
	if int64(len(labels)) != int64(nslices)*int64(plane) {
		return nil, nil, fail("%d labels for %d slices of %d×%d (need %d)", len(labels), nslices, cols, rows, nslices*plane)
	}
	segs, err := checkSegments(opts.Segments)
	if err != nil {
		return nil, nil, fail("%w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	res := &SEGResult{}

	// Which labels occur on which slice.
	present := make([][256]bool, nslices)
	for k := range nslices {
		if k%16 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		markPresent(&present[k], labels[k*plane:(k+1)*plane])
		p := &present[k]
		for v := len(segs) + 1; v < 256; v++ {
			if p[v] {
				return nil, nil, fail("label %d on slice %d has no segment (segments are 1…%d)", v, k, len(segs))
			}
		}
	}
	var frames []segFrame
	for _, s := range segs {
		n := len(frames)
		for k := range nslices {
			if present[k][s.Number] {
				frames = append(frames, segFrame{s.Number, k})
			}
		}
		if len(frames) == n {
			res.EmptySegments = append(res.EmptySegments, s.Number)
			res.Warnings = append(res.Warnings, fmt.Sprintf("segment %d (%s) is empty: it is listed in the SEG without frames", s.Number, s.Label))
		}
	}
	if len(frames) == 0 {
		return nil, nil, fmt.Errorf("series %s: %w (no voxel of segments 1…%d)", src.Key, ErrEmptyMask, len(segs))
	}
	if len(frames) > maxFrames {
		return nil, nil, fail("%w: %d frames (at most %d)", ErrTooLarge, len(frames), maxFrames)
	}
	totalBits := int64(len(frames)) * int64(plane)
	if (totalBits+7)/8 >= undefinedLength-1 {
		return nil, nil, fail("%w: %d frames of %d×%d do not fit one Pixel Data element", ErrTooLarge, len(frames), cols, rows)
	}

	pixels := make([]byte, (totalBits+7)/8)
	for i, f := range frames {
		if i%16 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		packLabelBits(pixels, int64(i)*int64(plane), labels[f.slice*plane:(f.slice+1)*plane], uint8(f.segment))
	}

	hdr, err := src.Header(ctx)
	if err != nil {
		return nil, nil, err
	}
	w := segWriter{src: src, hdr: hdr, opts: opts, res: res}
	ds, err := w.dataset(segs, frames, pixels)
	if err != nil {
		return nil, nil, fail("%w", err)
	}
	res.Frames = len(frames)
	res.SOPInstanceUID = ds.String(tag.SOPInstanceUID)
	res.SeriesInstanceUID = ds.String(tag.SeriesInstanceUID)
	return ds, res, nil
}

// markPresent sets p[v] for every label v in labels except 0. Masks are
// mostly background, so eight zero labels at a time are skipped.
func markPresent(p *[256]bool, labels []uint8) {
	i := 0
	for ; i+8 <= len(labels); i += 8 {
		if binary.LittleEndian.Uint64(labels[i:]) == 0 {
			continue
		}
		for _, v := range labels[i : i+8] {
			p[v] = true
		}
	}
	for _, v := range labels[i:] {
		p[v] = true
	}
}

// checkSEGSource refuses series whose images a SEG cannot reference.
func checkSEGSource(src *Series) error {
	nifti := "; use --format nifti"
	if len(src.Slices) == 0 {
		return fmt.Errorf("%w: the series has no slices", ErrUnreferenceable)
	}
	if src.SeriesInstanceUID == "" || src.StudyInstanceUID == "" {
		return fmt.Errorf("%w: source has no SOP/Series Instance UIDs%s (SeriesInstanceUID %q, StudyInstanceUID %q)",
			ErrUnreferenceable, nifti, src.SeriesInstanceUID, src.StudyInstanceUID)
	}
	for k, ref := range src.Slices {
		if ref.SOPInstanceUID == "" || ref.SOPClassUID == "" {
			return fmt.Errorf("%w: source has no SOP/Series Instance UIDs%s (slice %d, %s, has SOPInstanceUID %q, SOPClassUID %q)",
				ErrUnreferenceable, nifti, k, ref.Path, ref.SOPInstanceUID, ref.SOPClassUID)
		}
		if ref.in == nil || ref.g == nil {
			return fmt.Errorf("%w: slice %d was not found by Scan", ErrUnreferenceable, k)
		}
	}
	if src.Mosaic {
		return fmt.Errorf("%w: a Siemens mosaic: SEG frames of the de-mosaicked slices would not match the stored mosaic images%s", ErrUnreferenceable, nifti)
	}
	if src.Volumes > 1 {
		return fmt.Errorf("%w: the series holds %d volumes (time points); a SEG of one volume cannot be told apart%s", ErrUnreferenceable, src.Volumes, nifti)
	}
	withGeom := 0
	for _, ref := range src.Slices {
		if ref.g.hasGeom {
			withGeom++
		}
	}
	switch {
	case withGeom == len(src.Slices):
		if src.FrameOfReferenceUID == "" {
			return fmt.Errorf("%w: source has patient positions but no FrameOfReferenceUID%s", ErrUnreferenceable, nifti)
		}
	case withGeom == 0 && len(src.Slices) == 1:
		// A projection image (CR, DX): frames are placed by reference only.
	default:
		return fmt.Errorf("%w: %d of %d slices have no patient position and orientation%s", ErrUnreferenceable,
			len(src.Slices)-withGeom, len(src.Slices), nifti)
	}
	return nil
}

// checkSegments validates the segment descriptions and returns them sorted
// by number.
func checkSegments(in []Segment) ([]Segment, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("no segments described")
	}
	if len(in) > 255 {
		return nil, fmt.Errorf("%d segments; labels of 8 bits hold at most 255", len(in))
	}
	segs := slices.Clone(in)
	slices.SortFunc(segs, func(a, b Segment) int { return a.Number - b.Number })
	for i, s := range segs {
		if s.Number != i+1 {
			return nil, fmt.Errorf("segment numbers must be 1…%d without gaps or repeats, got %v", len(segs), segmentNumbers(segs))
		}
		what := fmt.Sprintf("segment %d", s.Number)
		if strings.TrimSpace(s.Label) == "" {
			return nil, fmt.Errorf("%s has no label", what)
		}
		if err := checkCode(what+" category", s.Category); err != nil {
			return nil, err
		}
		if err := checkCode(what+" type", s.Type); err != nil {
			return nil, err
		}
		switch s.AlgorithmType {
		case "":
			segs[i].AlgorithmType = "AUTOMATIC"
		case "AUTOMATIC", "SEMIAUTOMATIC", "MANUAL":
		default:
			return nil, fmt.Errorf("%s: algorithm type %q (AUTOMATIC, SEMIAUTOMATIC or MANUAL)", what, s.AlgorithmType)
		}
		if segs[i].AlgorithmType != "MANUAL" && strings.TrimSpace(s.Algorithm.Name) == "" {
			return nil, fmt.Errorf("%s has no algorithm name (required unless MANUAL)", what)
		}
		if !s.Algorithm.Family.IsZero() {
			if err := checkCode(what+" algorithm family", s.Algorithm.Family); err != nil {
				return nil, err
			}
		}
	}
	return segs, nil
}

func segmentNumbers(segs []Segment) []int {
	n := make([]int, len(segs))
	for i, s := range segs {
		n[i] = s.Number
	}
	return n
}

// segWriter builds the dataset of one SEG.
type segWriter struct {
	src  *Series
	hdr  *Dataset
	opts SEGOptions
	res  *SEGResult
	err  error
	// transcode: our texts need UTF-8 and the source's character set is
	// another, so copied texts are converted to UTF-8.
	transcode bool
}

// utf8Element returns e, an element of from, with its text converted from
// from's character set to UTF-8 (sequences item by item).
func utf8Element(from *Dataset, e *Element) Element {
	c := *e
	switch e.VR {
	case VRPN, VRLO, VRSH, VRLT, VRST, VRUT, VRUC:
		c.value = []byte(from.decode(e.VR, e.value))
	case VRSQ:
		c.items = make([]*Dataset, len(e.items))
		for i, it := range e.items {
			out := &Dataset{}
			for ie := range it.All() {
				out.Set(utf8Element(it, ie))
			}
			c.items[i] = out
		}
	}
	return c
}

// nonASCII reports whether any of the texts has a byte outside ASCII.
func nonASCII(texts ...string) bool {
	for _, t := range texts {
		for i := 0; i < len(t); i++ {
			if t[i] >= 0x80 {
				return true
			}
		}
	}
	return false
}

// warn records a warning once.
func (w *segWriter) warn(msg string) {
	if !slices.Contains(w.res.Warnings, msg) {
		w.res.Warnings = append(w.res.Warnings, msg)
	}
}

// set adds an element, keeping the first construction error with the name
// of the element.
func (w *segWriter) set(ds *Dataset, e Element) {
	if e.err != nil && w.err == nil {
		w.err = fmt.Errorf("%s: %w", e.Tag.Name(), e.err)
	}
	ds.Set(e)
}

// uid returns a UI element; a malformed source UID is copied as it is
// (references must match the source byte for byte) with a warning.
func (w *segWriter) uid(t tag.Tag, v string) Element {
	if ValidUID(v) == nil {
		return NewStrings(t, VRUI, v)
	}
	w.warn(fmt.Sprintf("source UID %q is malformed; copied as it is", v))
	return Element{Tag: t, VR: VRUI, value: []byte(v)}
}

// copyFrom copies element t from the source header; when the source lacks
// it, an empty element of VR vr is written if typ2 is set.
func (w *segWriter) copyFrom(ds *Dataset, t tag.Tag, vr VR, typ2 bool) {
	if e := w.hdr.Element(t); e != nil && (e.VR == VRSQ) == (vr == VRSQ) {
		c := *e
		if vr != VRSQ {
			c.VR = vr // an implicit-VR source may hold an unknown VR
		}
		if w.transcode {
			c = utf8Element(w.hdr, &c)
		}
		ds.Set(c)
		return
	}
	if typ2 {
		if vr == VRSQ {
			ds.Set(NewSequence(t))
		} else {
			ds.Set(NewStrings(t, vr))
		}
	}
}

// roundCosine shortens a direction cosine that Scan re-orthogonalised
// (0.99999999999999989 becomes 1).
func roundCosine(v float64) float64 {
	r := math.Round(v*1e8) / 1e8
	if r == 0 {
		return 0 // not -0
	}
	return r
}

func (w *segWriter) dataset(segs []Segment, frames []segFrame, pixels []byte) (*Dataset, error) {
	src, hdr, opts := w.src, w.hdr, w.opts
	now := opts.Time
	if now.IsZero() {
		now = time.Now()
	}
	date, clock := now.Format("20060102"), now.Format("150405.000000")
	or := func(v, def string) string {
		if strings.TrimSpace(v) == "" {
			return def
		}
		return v
	}
	seriesNumber := opts.SeriesNumber
	if seriesNumber <= 0 {
		seriesNumber = 1000
		if src.SeriesNumber > 0 && src.SeriesNumber < math.MaxInt32-1000 {
			seriesNumber += src.SeriesNumber
		}
	}
	geometry := src.Slices[0].g.hasGeom
	first := src.Slices[0].in

	ds := &Dataset{}
	set := func(e Element) { w.set(ds, e) }

	// SOP Common, General Image, Segmentation Image. Copied names and texts
	// keep their bytes and the source's character set, unless texts of
	// ours need UTF-8: then the copies are converted to UTF-8 too.
	ours := []string{opts.SeriesDescription, opts.ContentDescription, opts.ContentCreatorName,
		opts.Manufacturer, opts.ManufacturerModelName, opts.DeviceSerialNumber, opts.SoftwareVersions}
	for _, sg := range segs {
		ours = append(ours, sg.Label, sg.Description, sg.Algorithm.Name, sg.Algorithm.Version,
			sg.Category.Meaning, sg.Type.Meaning, sg.Algorithm.Family.Meaning)
	}
	charset := hdr.Strings(tag.SpecificCharacterSet)
	switch {
	case nonASCII(ours...):
		set(NewStrings(tag.SpecificCharacterSet, VRCS, "ISO_IR 192"))
		w.transcode = len(charset) > 0 && !(len(charset) == 1 && (charset[0] == "ISO_IR 192" || charset[0] == "ISO_IR 6"))
	case len(charset) > 0:
		ds.Set(*hdr.Element(tag.SpecificCharacterSet))
	}
	set(NewStrings(tag.ImageType, VRCS, "DERIVED", "PRIMARY"))
	set(NewStrings(tag.InstanceCreationDate, VRDA, date))
	set(NewStrings(tag.InstanceCreationTime, VRTM, clock))
	set(NewStrings(tag.SOPClassUID, VRUI, sopSegmentation))
	set(NewStrings(tag.SOPInstanceUID, VRUI, NewUID()))
	set(NewInts(tag.InstanceNumber, VRIS, 1))
	set(NewStrings(tag.ContentDate, VRDA, date))
	set(NewStrings(tag.ContentTime, VRTM, clock))

	// Patient, Patient Study, General Study: from the source.
	for _, c := range []struct {
		t    tag.Tag
		vr   VR
		typ2 bool
	}{
		{tag.PatientName, VRPN, true},
		{tag.PatientID, VRLO, true},
		{tag.IssuerOfPatientID, VRLO, false},
		{tag.PatientBirthDate, VRDA, true},
		{tag.PatientSex, VRCS, true},
		{tag.PatientAge, VRAS, false},
		{tag.PatientSize, VRDS, false},
		{tag.PatientWeight, VRDS, false},
		{tag.PatientIdentityRemoved, VRCS, false},
		{tag.DeidentificationMethod, VRLO, false},
		{tag.DeidentificationMethodCodeSequence, VRSQ, false},
		{tag.StudyDate, VRDA, true},
		{tag.StudyTime, VRTM, true},
		{tag.ReferringPhysicianName, VRPN, true},
		{tag.StudyID, VRSH, true},
		{tag.AccessionNumber, VRSH, true},
		{tag.StudyDescription, VRLO, false},
	} {
		w.copyFrom(ds, c.t, c.vr, c.typ2)
	}
	if hdr.String(tag.PatientIdentityRemoved) == "YES" && !hdr.Has(tag.DeidentificationMethod) && !hdr.Has(tag.DeidentificationMethodCodeSequence) {
		ds.Delete(tag.PatientIdentityRemoved) // it would need a method (Type 1C) the source does not give
	}
	set(w.uid(tag.StudyInstanceUID, src.StudyInstanceUID))

	// General Series, Segmentation Series.
	set(NewStrings(tag.Modality, VRCS, "SEG"))
	set(NewStrings(tag.SeriesInstanceUID, VRUI, NewUID()))
	set(NewInts(tag.SeriesNumber, VRIS, seriesNumber))
	set(NewStrings(tag.SeriesDate, VRDA, date))
	set(NewStrings(tag.SeriesTime, VRTM, clock))
	set(NewStrings(tag.SeriesDescription, VRLO, or(opts.SeriesDescription, "Segmentation")))

	// General Equipment, Enhanced General Equipment.
	set(NewStrings(tag.Manufacturer, VRLO, or(opts.Manufacturer, "mmcseg")))
	set(NewStrings(tag.ManufacturerModelName, VRLO, or(opts.ManufacturerModelName, "mmcseg")))
	set(NewStrings(tag.DeviceSerialNumber, VRLO, or(opts.DeviceSerialNumber, "0")))
	set(NewStrings(tag.SoftwareVersions, VRLO, or(opts.SoftwareVersions, ImplementationVersionName)))

	// Frame of Reference; without one, General Image needs the patient
	// orientation (Type 2C) of the projection image.
	if geometry {
		set(w.uid(tag.FrameOfReferenceUID, src.FrameOfReferenceUID))
		w.copyFrom(ds, tag.PositionReferenceIndicator, VRLO, true)
	} else {
		w.copyFrom(ds, tag.PatientOrientation, VRCS, true)
	}

	// Image Pixel, Segmentation Image.
	set(NewInts(tag.SamplesPerPixel, VRUS, 1))
	set(NewStrings(tag.PhotometricInterpretation, VRCS, "MONOCHROME2"))
	set(NewInts(tag.NumberOfFrames, VRIS, len(frames)))
	set(NewInts(tag.Rows, VRUS, src.Rows))
	set(NewInts(tag.Columns, VRUS, src.Columns))
	set(NewInts(tag.BitsAllocated, VRUS, 1))
	set(NewInts(tag.BitsStored, VRUS, 1))
	set(NewInts(tag.HighBit, VRUS, 0))
	set(NewInts(tag.PixelRepresentation, VRUS, 0))
	lossy := "00"
	for _, ref := range src.Slices {
		if ref.in.lossy {
			lossy = "01" // derived from lossy images: PS3.3 C.7.6.1.1.5
			break
		}
	}
	set(NewStrings(tag.LossyImageCompression, VRCS, lossy))
	set(NewStrings(tag.SegmentationType, VRCS, "BINARY"))
	set(NewStrings(tag.SegmentsOverlap, VRCS, "NO")) // one label per voxel
	set(NewStrings(tag.ContentLabel, VRCS, or(opts.ContentLabel, "SEGMENTATION")))
	set(NewStrings(tag.ContentDescription, VRLO, opts.ContentDescription))
	set(NewStrings(tag.ContentCreatorName, VRPN, opts.ContentCreatorName))
	set(NewSequence(tag.SegmentSequence, w.segmentItems(segs)...))

	// Multi-frame Dimension.
	dimOrg := NewUID()
	set(NewSequence(tag.DimensionOrganizationSequence, NewDataset(NewStrings(tag.DimensionOrganizationUID, VRUI, dimOrg))))
	dims := []*Dataset{NewDataset(
		NewStrings(tag.DimensionOrganizationUID, VRUI, dimOrg),
		NewInts(tag.DimensionIndexPointer, VRAT, int(tag.ReferencedSegmentNumber)),
		NewInts(tag.FunctionalGroupPointer, VRAT, int(tag.SegmentIdentificationSequence)),
		NewStrings(tag.DimensionDescriptionLabel, VRLO, "ReferencedSegmentNumber"),
	)}
	if geometry {
		dims = append(dims, NewDataset(
			NewStrings(tag.DimensionOrganizationUID, VRUI, dimOrg),
			NewInts(tag.DimensionIndexPointer, VRAT, int(tag.ImagePositionPatient)),
			NewInts(tag.FunctionalGroupPointer, VRAT, int(tag.PlanePositionSequence)),
			NewStrings(tag.DimensionDescriptionLabel, VRLO, "ImagePositionPatient"),
		))
	}
	set(NewSequence(tag.DimensionIndexSequence, dims...))

	// Common Instance Reference: every image of the source series.
	var instances []*Dataset
	seen := map[string]bool{}
	for _, ref := range src.Slices {
		if seen[ref.SOPInstanceUID] {
			continue // frames of one multi-frame image
		}
		seen[ref.SOPInstanceUID] = true
		instances = append(instances, NewDataset(
			w.uid(tag.ReferencedSOPClassUID, ref.SOPClassUID),
			w.uid(tag.ReferencedSOPInstanceUID, ref.SOPInstanceUID),
		))
	}
	set(NewSequence(tag.ReferencedSeriesSequence, NewDataset(
		NewSequence(tag.ReferencedInstanceSequence, instances...),
		w.uid(tag.SeriesInstanceUID, src.SeriesInstanceUID),
	)))

	// Multi-frame Functional Groups.
	shared := &Dataset{}
	measures := &Dataset{}
	if first.hasSpacing || geometry {
		g := src.Grid
		w.set(measures, NewFloats(tag.PixelSpacing, VRDS, g.RowSpacing, g.ColSpacing))
	}
	thickness := first.sliceThickness
	if !(thickness > 0) && geometry && src.Grid.SliceSpacing > 0 {
		thickness = src.Grid.SliceSpacing
		w.warn(fmt.Sprintf("source has no SliceThickness; the slice spacing %g mm is written instead", thickness))
	}
	if thickness > 0 {
		w.set(measures, NewFloats(tag.SliceThickness, VRDS, thickness))
	}
	if geometry && src.VolumeErr == nil && len(src.Slices) > 1 {
		w.set(measures, NewFloats(tag.SpacingBetweenSlices, VRDS, src.Grid.SliceSpacing))
	}
	if measures.Len() > 0 {
		w.set(shared, NewSequence(tag.PixelMeasuresSequence, measures))
	}
	if geometry {
		r, c := src.Grid.RowDir, src.Grid.ColDir
		w.set(shared, NewSequence(tag.PlaneOrientationSequence, NewDataset(
			NewFloats(tag.ImageOrientationPatient, VRDS, roundCosine(r[0]), roundCosine(r[1]), roundCosine(r[2]), roundCosine(c[0]), roundCosine(c[1]), roundCosine(c[2])))))
	}
	set(NewSequence(tag.SharedFunctionalGroupsSequence, shared))
	perFrame := make([]*Dataset, len(frames))
	for i, f := range frames {
		perFrame[i] = w.frameItem(f, geometry)
	}
	set(NewSequence(tag.PerFrameFunctionalGroupsSequence, perFrame...))

	set(NewBytes(tag.PixelData, VROB, pixels))
	if w.err != nil {
		return nil, w.err
	}
	return ds, nil
}

// segmentItems builds the SegmentSequence.
func (w *segWriter) segmentItems(segs []Segment) []*Dataset {
	items := make([]*Dataset, len(segs))
	for i, s := range segs {
		it := &Dataset{}
		set := func(e Element) { w.set(it, e) }
		set(NewInts(tag.SegmentNumber, VRUS, s.Number))
		set(NewStrings(tag.SegmentLabel, VRLO, s.Label))
		if s.Description != "" {
			set(NewStrings(tag.SegmentDescription, VRST, s.Description))
		}
		set(NewStrings(tag.SegmentAlgorithmType, VRCS, s.AlgorithmType))
		if s.Algorithm.Name != "" {
			set(NewStrings(tag.SegmentAlgorithmName, VRLO, s.Algorithm.Name))
			family := s.Algorithm.Family
			if family.IsZero() {
				family = codeArtificialIntelligence
			}
			alg := NewDataset(
				NewSequence(tag.AlgorithmFamilyCodeSequence, codeItem(family)),
				NewStrings(tag.AlgorithmName, VRLO, s.Algorithm.Name),
				NewStrings(tag.AlgorithmVersion, VRLO, s.Algorithm.Version),
			)
			set(NewSequence(tag.SegmentationAlgorithmIdentificationSequence, alg))
		}
		set(NewSequence(tag.SegmentedPropertyCategoryCodeSequence, codeItem(s.Category)))
		set(NewSequence(tag.SegmentedPropertyTypeCodeSequence, codeItem(s.Type)))
		color := s.Color
		if color == ([3]uint8{}) {
			color = defaultSegmentColors[(s.Number-1)%len(defaultSegmentColors)]
		}
		lab := cielabFromSRGB(color)
		set(NewInts(tag.RecommendedDisplayCIELabValue, VRUS, lab[:]...))
		items[i] = it
	}
	return items
}

// frameItem builds the per-frame functional groups of one frame.
func (w *segWriter) frameItem(f segFrame, geometry bool) *Dataset {
	ref := w.src.Slices[f.slice]
	source := NewDataset(
		w.uid(tag.ReferencedSOPClassUID, ref.SOPClassUID),
		w.uid(tag.ReferencedSOPInstanceUID, ref.SOPInstanceUID),
		NewStrings(tag.SpatialLocationsPreserved, VRCS, "YES"),
		NewSequence(tag.PurposeOfReferenceCodeSequence, codeItem(codeSourceForProcessing)),
	)
	if ref.in.enhanced || ref.in.src.format.Frames > 1 {
		source.Set(NewInts(tag.ReferencedFrameNumber, VRIS, ref.Frame+1))
	}
	it := NewDataset(
		NewSequence(tag.DerivationImageSequence, NewDataset(
			NewSequence(tag.SourceImageSequence, source),
			NewSequence(tag.DerivationCodeSequence, codeItem(codeSegmentation)),
		)),
		NewSequence(tag.SegmentIdentificationSequence, NewDataset(
			NewInts(tag.ReferencedSegmentNumber, VRUS, f.segment),
		)),
	)
	if geometry {
		p := ref.Position
		w.set(it, NewSequence(tag.PlanePositionSequence, NewDataset(NewFloats(tag.ImagePositionPatient, VRDS, p[0], p[1], p[2]))))
		w.set(it, NewSequence(tag.FrameContentSequence, NewDataset(NewInts(tag.DimensionIndexValues, VRUL, f.segment, f.slice+1))))
	} else {
		w.set(it, NewSequence(tag.FrameContentSequence, NewDataset(NewInts(tag.DimensionIndexValues, VRUL, f.segment))))
	}
	return it
}
