package dicomio

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/mmcseg/mmcseg/dicomio/codec"
	"github.com/mmcseg/mmcseg/geom"
)

// Series is one series of images, ordered into slices.
//
// Slice order and geometry follow these rules:
//
//   - Images are grouped by SeriesInstanceUID. Where it is empty, by a
//     synthetic key built from StudyInstanceUID, SeriesNumber,
//     FrameOfReferenceUID, Modality, SeriesDescription, orientation and
//     size ("synthetic-…", with a warning): such a series can be read and
//     written as NIfTI, but a DICOM-SEG cannot reference its images.
//   - Localizers (ImageType or FrameType LOCALIZER) are dropped and
//     reported. Within a series the images that share one orientation and
//     size form the volume; when they are more than half of the images the
//     others are dropped as strays and reported, otherwise the series has
//     mixed orientations and is not a volume.
//   - Slices are sorted by ImagePositionPatient projected on the slice
//     normal (row × column direction), ascending, so that SliceDir is the
//     normal. Slice spacing comes from those positions, never from
//     SliceThickness. Steps that differ by more than 0.01 mm + 1% from
//     their median make the spacing irregular (missing slices); positions
//     that drift sideways from the normal by more than a tenth of a pixel
//     mean gantry tilt. Either makes the series not a volume, with the
//     Grid still describing the stack as found.
//   - Duplicate positions: when every position holds the same number T > 1
//     of images, the series holds T volumes (a time series), each image
//     assigned by TemporalPositionIndex/Identifier, then AcquisitionNumber,
//     TriggerTime and InstanceNumber; when positions repeat unevenly the
//     first image at each position in that order is kept and the others
//     are dropped and reported.
//   - A single image is a valid one-slice volume: SliceDir is its normal
//     and the slice spacing is SliceThickness (1 mm when absent), with a
//     warning; an image without patient geometry gets an identity
//     orientation, also with a warning. Two separate images are too few to
//     tell a volume from two localizers (ErrTooFewSlices); a multi-frame
//     object with two frames is a volume.
//   - Enhanced multi-frame images contribute one slice per frame, with
//     positions, orientation, spacing and rescale from their functional
//     groups. Siemens mosaics (ImageType MOSAIC) are de-mosaicked: with N
//     images in the mosaic (CSA NumberOfImagesInMosaic, or (0019,100A)),
//     tile k of the ⌈√N⌉×⌈√N⌉ grid, read row by row, is slice k; the first
//     tile's corner is ImagePositionPatient moved half the size difference
//     of mosaic and tile along the row and column directions, and tiles
//     follow each other SpacingBetweenSlices apart along the CSA
//     SliceNormalVector (the dcm2niix and nibabel rule). All tiles of a
//     mosaic share one SOPInstanceUID (SliceRef.Tile tells them apart).
type Series struct {
	// Key identifies the series within a scan: the SeriesInstanceUID, or a
	// synthetic key "synthetic-<16 hex digits>" when that is empty.
	Key string

	SeriesInstanceUID   string
	StudyInstanceUID    string
	FrameOfReferenceUID string
	PatientID           string
	PatientName         string
	StudyDate           string
	StudyDescription    string
	SeriesDescription   string
	SeriesNumber        int
	Modality            string
	Manufacturer        string
	BodyPartExamined    string
	SOPClassUID         string

	// Pixel facts of the slices (of a tile for mosaics).
	Rows, Columns    int
	SamplesPerPixel  int
	Photometric      string // as stored, e.g. "MONOCHROME1", "YBR_FULL_422"
	BitsAllocated    int
	BitsStored       int
	Signed           bool     // PixelRepresentation 1
	TransferSyntaxes []string // distinct, in slice order

	// Mosaic reports a Siemens mosaic series that was de-mosaicked.
	Mosaic bool
	// Multiframe reports slices that are frames of multi-frame objects.
	Multiframe bool

	// Grid is the geometry of one volume: Grid.Slices slices.
	Grid geom.Grid
	// Volumes is the number of volumes (time points); 1 for a plain
	// series. Slices holds Volumes × Grid.Slices references, volume by
	// volume: slice k of volume v is Slices[v*Grid.Slices+k].
	Volumes int
	// Slices are the slices in order.
	Slices []SliceRef

	// Warnings are things a user should know (synthetic key, MONOCHROME1
	// inverted, spacing not from positions, images dropped, …).
	Warnings []string
	// VolumeErr is nil when the slices form a regular volume; otherwise a
	// *VolumeError saying why not. The slices can still be read one by one.
	VolumeErr error

	maxVolumeBytes int64
	cache          *frameCache
}

// SliceRef locates one slice.
type SliceRef struct {
	Path           string
	Frame          int // frame of a multi-frame file, from 0 (0 for single-frame files); ReferencedFrameNumber is Frame+1
	Tile           int // mosaic tile, from 0; -1 when not a mosaic
	SOPInstanceUID string
	SOPClassUID    string
	InstanceNumber int
	// Position is the patient position (LPS, mm) of the slice's first
	// pixel; zero when the image has no geometry.
	Position geom.Vec3

	in *instance
	g  *frameGeom
}

// cand is a slice candidate during assembly.
type cand struct {
	in *instance
	g  *frameGeom
	d  float64 // position along the normal
}

func (c cand) rows() int {
	if c.in.mosaic != nil {
		return c.in.mosaic.rows
	}
	return c.in.src.format.Rows
}

func (c cand) cols() int {
	if c.in.mosaic != nil {
		return c.in.mosaic.cols
	}
	return c.in.src.format.Columns
}

// timeOrder orders images at one position: temporal index, acquisition
// number, trigger time, instance number, then file and frame.
func timeOrder(a, b cand) int {
	ta, tb := a.in.temporal, b.in.temporal
	if a.g.hasTemporal {
		ta = a.g.temporal
	}
	if b.g.hasTemporal {
		tb = b.g.temporal
	}
	return cmp.Or(
		cmp.Compare(ta, tb),
		cmp.Compare(a.in.acquisitionNumber, b.in.acquisitionNumber),
		cmp.Compare(a.in.triggerTime, b.in.triggerTime),
		cmp.Compare(a.in.instanceNumber, b.in.instanceNumber),
		strings.Compare(a.in.path, b.in.path),
		cmp.Compare(a.g.frame, b.g.frame),
		cmp.Compare(a.g.tile, b.g.tile),
	)
}

// fileOrder orders images without geometry.
func fileOrder(a, b cand) int {
	return cmp.Or(
		cmp.Compare(a.in.instanceNumber, b.in.instanceNumber),
		strings.Compare(a.in.path, b.in.path),
		cmp.Compare(a.g.frame, b.g.frame),
		cmp.Compare(a.g.tile, b.g.tile),
	)
}

// sameOrientation compares two stacks' directions within rounding.
func sameOrientation(a, b *frameGeom) bool {
	if a.hasGeom != b.hasGeom {
		return false
	}
	if !a.hasGeom {
		return true
	}
	const tol = 1e-3
	for i := 0; i < 3; i++ {
		if math.Abs(a.rowDir[i]-b.rowDir[i]) > tol || math.Abs(a.colDir[i]-b.colDir[i]) > tol {
			return false
		}
	}
	return true
}

// warnings collects warnings without repeating them.
type warnings struct {
	list  []string
	count map[string]int
}

func (w *warnings) add(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if w.count == nil {
		w.count = map[string]int{}
	}
	if w.count[s] == 0 {
		w.list = append(w.list, s)
	}
	w.count[s]++
}

func dropped(c cand, err error, format string, args ...any) Skipped {
	what := ""
	switch {
	case c.g.tile >= 0:
		what = fmt.Sprintf("tile %d: ", c.g.tile)
	case len(c.in.frames) > 1:
		what = fmt.Sprintf("frame %d: ", c.g.frame)
	}
	reason := what + fmt.Sprintf(format, args...)
	return Skipped{Path: c.in.path, Reason: reason, Err: fmt.Errorf("%s: %s: %w", c.in.path, reason, err)}
}

// buildSeries orders the instances of one series key into a Series.
func buildSeries(key string, synthetic bool, insts []*instance) (*Series, []Skipped) {
	var drop []Skipped
	var warn warnings
	slices.SortFunc(insts, func(a, b *instance) int { return strings.Compare(a.path, b.path) })

	// Duplicate files.
	seen := map[string]string{}
	var cands []cand
	for _, in := range insts {
		if uid := in.sopInstance; uid != "" {
			if first, ok := seen[uid]; ok {
				c := cand{in: in, g: &in.frames[0]}
				drop = append(drop, dropped(c, ErrDuplicateInstance, "same SOPInstanceUID as %s", first))
				continue
			}
			seen[uid] = in.path
		}
		for i := range in.frames {
			c := cand{in: in, g: &in.frames[i]}
			if c.g.localizer {
				drop = append(drop, dropped(c, ErrLocalizer, "localizer (ImageType %s)", strings.Join(in.imageType, `\`)))
				continue
			}
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return nil, drop
	}

	// Stacks of one orientation and size.
	var stacks [][]cand
	for _, c := range cands {
		placed := false
		for i, st := range stacks {
			if st[0].rows() == c.rows() && st[0].cols() == c.cols() && sameOrientation(st[0].g, c.g) {
				stacks[i] = append(stacks[i], c)
				placed = true
				break
			}
		}
		if !placed {
			stacks = append(stacks, []cand{c})
		}
	}
	main := 0
	for i, st := range stacks {
		if len(st) > len(stacks[main]) {
			main = i
		}
	}
	mixed := ""
	if len(stacks) > 1 {
		if 2*len(stacks[main]) > len(cands) {
			for i, st := range stacks {
				if i == main {
					continue
				}
				for _, c := range st {
					drop = append(drop, dropped(c, ErrStrayImage, "%d×%d %s, unlike the %d images of the series' main stack (%d×%d %s)",
						c.rows(), c.cols(), orientationLabel(c.g), len(stacks[main]), stacks[main][0].rows(), stacks[main][0].cols(), orientationLabel(stacks[main][0].g)))
				}
			}
			warn.add("%d image(s) with another orientation or size than the main stack were left out (see skipped)", len(cands)-len(stacks[main]))
			cands = stacks[main]
		} else {
			var parts []string
			for _, st := range stacks {
				parts = append(parts, fmt.Sprintf("%d × %d×%d %s", len(st), st[0].rows(), st[0].cols(), orientationLabel(st[0].g)))
			}
			mixed = strings.Join(parts, "; ")
			// The main stack first, so that the series' facts describe it;
			// each stack in file order.
			for _, st := range stacks {
				slices.SortStableFunc(st, fileOrder)
			}
			cands = slices.Clone(stacks[main])
			for i, st := range stacks {
				if i != main {
					cands = append(cands, st...)
				}
			}
		}
	}

	first := cands[0]
	s := &Series{Key: key, Volumes: 1, cache: &frameCache{}}
	fillIdentity(s, first.in)
	if synthetic {
		warn.add("SeriesInstanceUID is empty: images grouped by study, series number, frame of reference, orientation and size under the synthetic key %s; a DICOM-SEG cannot reference them", key)
	}

	var verr error
	notVolume := func(err error, format string, args ...any) {
		if verr == nil {
			verr = &VolumeError{Series: key, Err: err, Detail: fmt.Sprintf(format, args...)}
		}
	}
	objects := map[*instance]bool{}
	for _, c := range cands {
		objects[c.in] = true
	}
	multiObject := len(objects) == 1 && len(cands) > 1 // one multi-frame or mosaic object
	g0 := first.g
	switch {
	case mixed != "":
		notVolume(ErrMixedOrientation, "%s", mixed)
		s.Grid = defaultGrid(first, len(cands))
		if g0.hasGeom {
			s.Grid = geomGrid(first, len(cands), 1)
		}
	case !g0.hasGeom:
		slices.SortStableFunc(cands, fileOrder)
		s.Grid = defaultGrid(first, len(cands))
		if len(cands) == 1 {
			warn.add("the image has no patient geometry (ImagePositionPatient/ImageOrientationPatient): identity orientation and %g mm slice spacing assumed", s.Grid.SliceSpacing)
		} else {
			notVolume(ErrNoGeometry, "%d images without ImagePositionPatient/ImageOrientationPatient", len(cands))
		}
	default:
		cands = orderStack(s, cands, &warn, &drop, notVolume, multiObject)
	}
	s.Slices = make([]SliceRef, len(cands))
	tsSeen := map[string]bool{}
	for i, c := range cands {
		s.Slices[i] = SliceRef{Path: c.in.path, Frame: c.g.frame, Tile: c.g.tile, SOPInstanceUID: c.in.sopInstance,
			SOPClassUID: c.in.sopClass, InstanceNumber: c.in.instanceNumber, in: c.in, g: c.g}
		if c.g.hasGeom {
			s.Slices[i].Position = c.g.ipp
		}
		if ts := c.in.src.format.TS; !tsSeen[ts] {
			tsSeen[ts] = true
			s.TransferSyntaxes = append(s.TransferSyntaxes, ts)
		}
	}
	s.VolumeErr = verr
	seriesWarnings(s, cands, &warn)
	s.Warnings = warn.list
	for i, w := range s.Warnings {
		if n := warn.count[w]; n > 1 {
			s.Warnings[i] = fmt.Sprintf("%s (%d times)", w, n)
		}
	}
	return s, drop
}

func orientationLabel(g *frameGeom) string {
	if !g.hasGeom {
		return "without geometry"
	}
	gr := geom.Grid{RowDir: g.rowDir, ColDir: g.colDir}
	return fmt.Sprintf("%s (%.3g,%.3g,%.3g / %.3g,%.3g,%.3g)", gr.Plane(), g.rowDir[0], g.rowDir[1], g.rowDir[2], g.colDir[0], g.colDir[1], g.colDir[2])
}

func fillIdentity(s *Series, in *instance) {
	s.SeriesInstanceUID = in.seriesUID
	s.StudyInstanceUID = in.studyUID
	s.FrameOfReferenceUID = in.forUID
	s.PatientID = in.patientID
	s.PatientName = in.patientName
	s.StudyDate = in.studyDate
	s.StudyDescription = in.studyDesc
	s.SeriesDescription = in.seriesDesc
	s.SeriesNumber = in.seriesNumber
	s.Modality = in.modality
	s.Manufacturer = in.manufacturer
	s.BodyPartExamined = in.bodyPart
	s.SOPClassUID = in.sopClass
	f := in.src.format
	s.Rows, s.Columns = f.Rows, f.Columns
	if in.mosaic != nil {
		s.Rows, s.Columns = in.mosaic.rows, in.mosaic.cols
		s.Mosaic = true
	}
	s.SamplesPerPixel = f.SamplesPerPixel
	s.Photometric = f.Photometric
	s.BitsAllocated = f.BitsAllocated
	s.BitsStored = f.BitsStored
	s.Signed = f.PixelRepresentation == 1
	s.Multiframe = f.Frames > 1
}

// defaultGrid is the geometry assumed for images without patient
// geometry: identity directions, PixelSpacing (or 1 mm) in plane, and
// SliceThickness (or 1 mm) between slices.
func defaultGrid(c cand, n int) geom.Grid {
	ps := c.g.pixelSpacing
	if !(ps[0] > 0 && ps[1] > 0) {
		ps = [2]float64{1, 1}
	}
	sp := c.in.sliceThickness
	if !(sp > 0) {
		sp = 1
	}
	return geom.Grid{Columns: c.cols(), Rows: c.rows(), Slices: n,
		RowDir: geom.Vec3{1, 0, 0}, ColDir: geom.Vec3{0, 1, 0}, SliceDir: geom.Vec3{0, 0, 1},
		RowSpacing: ps[0], ColSpacing: ps[1], SliceSpacing: sp}
}

// geomGrid is the grid of n slices starting at c along its normal.
func geomGrid(c cand, n int, spacing float64) geom.Grid {
	ps := c.g.pixelSpacing
	if !(ps[0] > 0 && ps[1] > 0) {
		ps = [2]float64{1, 1}
	}
	return geom.Grid{Columns: c.cols(), Rows: c.rows(), Slices: n, Origin: c.g.ipp,
		RowDir: c.g.rowDir, ColDir: c.g.colDir, SliceDir: c.g.rowDir.Cross(c.g.colDir).Unit(),
		RowSpacing: ps[0], ColSpacing: ps[1], SliceSpacing: spacing}
}

// orderStack sorts the images of one orientation and size along the normal,
// splits repeated positions into volumes, and derives the grid.
func orderStack(s *Series, cands []cand, warn *warnings, drop *[]Skipped, notVolume func(error, string, ...any), multiObject bool) []cand {
	normal := cands[0].g.rowDir.Cross(cands[0].g.colDir).Unit()
	for i := range cands {
		cands[i].d = cands[i].g.ipp.Dot(normal)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].d < cands[j].d })
	// Positions within eps are one position.
	const eps = 0.005 // mm
	var groups [][]cand
	for i, c := range cands {
		if i == 0 || c.d-groups[len(groups)-1][0].d > eps {
			groups = append(groups, []cand{c})
		} else {
			groups[len(groups)-1] = append(groups[len(groups)-1], c)
		}
	}
	for _, gr := range groups {
		slices.SortStableFunc(gr, timeOrder)
	}
	t := len(groups[0])
	even := true
	for _, gr := range groups {
		if len(gr) != t {
			even = false
		}
	}
	switch {
	case len(groups) == 1 && len(cands) > 1:
		s.Grid = geomGrid(cands[0], 1, 1)
		s.Volumes = len(cands)
		notVolume(ErrSamePosition, "%d images at %.4g mm along the normal", len(cands), cands[0].d)
		return groups[0]
	case !even:
		var kept []cand
		n := 0
		for _, gr := range groups {
			kept = append(kept, gr[0])
			for _, c := range gr[1:] {
				n++
				*drop = append(*drop, dropped(c, ErrDuplicatePosition, "same position as %s (%.4g mm along the normal), and positions repeat unevenly", describeCand(gr[0]), c.d))
			}
		}
		warn.add("%d image(s) at repeated positions were left out: positions repeat unevenly, so the first image at each position was kept (see skipped)", n)
		groups = make([][]cand, len(kept))
		for i, c := range kept {
			groups[i] = []cand{c}
		}
		t = 1
	}
	n := len(groups)
	s.Volumes = t
	ordered := make([]cand, 0, n*t)
	for v := 0; v < t; v++ {
		for _, gr := range groups {
			ordered = append(ordered, gr[v])
		}
	}
	if t > 1 {
		warn.add("%d volumes of %d slices: each position holds %d images (a time series)", t, n, t)
	}
	first := groups[0][0]
	if n == 1 {
		sp := first.in.sliceThickness
		src := "SliceThickness"
		if !(sp > 0) {
			sp, src = 1, "a default"
		}
		s.Grid = geomGrid(first, 1, sp)
		warn.add("a single slice: its thickness along the normal is taken from %s (%g mm)", src, sp)
		return ordered
	}
	// Spacing from positions.
	steps := make([]float64, n-1)
	for i := range steps {
		steps[i] = groups[i+1][0].d - groups[i][0].d
	}
	med := median(steps)
	span := groups[n-1][0].d - groups[0][0].d
	spacing := span / float64(n-1)
	s.Grid = geomGrid(first, n, spacing)
	if n == 2 && !multiObject {
		notVolume(ErrTooFewSlices, "only 2 slices (at least 3 separate images are needed to tell a volume from a pair of localizers)")
	}
	tol := 0.01 + 0.01*med
	var odd []string
	for i, st := range steps {
		if math.Abs(st-med) > tol {
			odd = append(odd, fmt.Sprintf("%.4g mm after slice %d", st, i))
		}
	}
	regular := len(odd) == 0
	if len(odd) > 0 {
		if len(odd) > 5 {
			odd = append(odd[:5], "…")
		}
		notVolume(ErrIrregularSpacing, "median step %.4g mm, but %s", med, strings.Join(odd, ", "))
	}
	// Tilt: sideways drift of the positions off the normal through the
	// first slice.
	maxLat, at := 0.0, 0
	for i, gr := range groups {
		off := gr[0].g.ipp.Sub(first.g.ipp)
		lat := off.Sub(normal.Scale(off.Dot(normal))).Norm()
		if lat > maxLat {
			maxLat, at = lat, i
		}
	}
	pix := math.Min(s.Grid.RowSpacing, s.Grid.ColSpacing)
	if maxLat > 0.1*pix {
		regular = false
		last := groups[n-1][0].g.ipp.Sub(first.g.ipp)
		angle := math.Acos(math.Min(1, math.Abs(last.Unit().Dot(normal)))) * 180 / math.Pi
		s.Grid.SliceDir = last.Unit()
		if span > 0 {
			s.Grid.SliceSpacing = last.Norm() / float64(n-1)
		}
		notVolume(ErrGantryTilt, "slice positions drift %.3g mm sideways from the normal by slice %d: the stack is sheared by %.2f°", maxLat, at, angle)
	}
	if th := first.in.sliceThickness; th > 0 && math.Abs(th-spacing) > tol && regular {
		warn.add("SliceThickness %g mm differs from the %.4g mm between slice positions; the spacing comes from the positions", th, spacing)
	}
	return ordered
}

func describeCand(c cand) string {
	switch {
	case c.g.tile >= 0:
		return fmt.Sprintf("%s tile %d", c.in.path, c.g.tile)
	case len(c.in.frames) > 1:
		return fmt.Sprintf("%s frame %d", c.in.path, c.g.frame)
	}
	return c.in.path
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// seriesWarnings adds the warnings that concern the whole series.
func seriesWarnings(s *Series, cands []cand, warn *warnings) {
	files := map[*instance]bool{}
	emptySOP := 0
	var lossy, tilt bool
	rescales := map[[2]float64]bool{}
	for _, c := range cands {
		if !files[c.in] {
			files[c.in] = true
			for _, w := range c.in.warnings {
				warn.add("%s", w)
			}
			if c.in.sopInstance == "" {
				emptySOP++
			}
			if c.in.lossy {
				lossy = true
			}
			if c.in.gantryTilt != 0 {
				tilt = true
			}
			if ok, why := c.in.decodable(); !ok {
				warn.add("%s", why)
			}
		}
		if c.g.mod.lut == nil {
			rescales[[2]float64{c.g.mod.slope, c.g.mod.intercept}] = true
		}
	}
	if emptySOP > 0 {
		warn.add("%d image(s) have an empty SOPInstanceUID", emptySOP)
	}
	if s.Photometric == "MONOCHROME1" {
		warn.add("MONOCHROME1: values are inverted within their range so that larger is brighter, as for MONOCHROME2")
	}
	if lossy {
		warn.add("lossy compressed images (LossyImageCompression 01)")
	}
	if tilt && s.VolumeErr == nil {
		warn.add("GantryDetectorTilt is not zero, but the slice positions are not sheared")
	}
	if len(rescales) > 1 {
		warn.add("rescale slope/intercept differ between slices (%d pairs); each slice uses its own", len(rescales))
	}
	if len(s.TransferSyntaxes) > 1 {
		var names []string
		for _, ts := range s.TransferSyntaxes {
			names = append(names, codec.Name(ts))
		}
		warn.add("images use %d transfer syntaxes: %s", len(s.TransferSyntaxes), strings.Join(names, ", "))
	}
	if s.Mosaic {
		warn.add("Siemens mosaic: %d tiles of %d×%d per image de-mosaicked into slices", cands[0].in.mosaic.n, s.Rows, s.Columns)
	}
}
