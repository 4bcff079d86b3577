package dicomio

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
)

// SEGMapping is a SEG placed on the slices of a source series.
type SEGMapping struct {
	// Slices, Rows and Columns are the series' size; every volume below
	// holds Slices × Rows × Columns values, slice by slice in the order of
	// Series.Slices, each slice row by row.
	Slices, Rows, Columns int
	// FrameSlice gives, for every frame of the SEG, the index of the
	// series slice it lies on, or -1 when it lies on none.
	FrameSlice []int
	// Masks holds, for every segment with at least one mapped frame, 1
	// where the segment is present (FRACTIONAL: fraction ≥ ½) and 0
	// elsewhere. For a LABELMAP SEG every segment number found in the
	// frames has a mask.
	Masks map[int][]uint8
	// Fractions holds the stored fractional values of a FRACTIONAL SEG,
	// per segment (0 where no frame lies).
	Fractions map[int][]uint8
	// Missing says, for each frame that lies on no slice, which image or
	// position it belongs to.
	Missing []string
	// Warnings are disagreements that did not prevent the mapping (a
	// frame whose position is off the slice its reference names).
	Warnings []string
}

// MapToSeries places the frames of s onto the slices of src: a frame goes
// to the slice whose SOP instance (and frame number, for multi-frame
// sources) its SourceImageSequence references; a frame without a usable
// reference goes to the slice at its ImagePositionPatient, if the SEG and
// the series share the frame of reference and the frame's corner lies on
// that slice's corner (within 1 µm or a hundredth of a pixel). Frames must
// have the series' size and orientation.
//
// When some frames lie on no slice, the mapping of the others is returned
// together with an error wrapping ErrMissingReferences that counts them;
// Missing lists them. A SEG whose frames cannot be placed at all (TILED_FULL
// tiles, another frame size or orientation) gives ErrNotMappable.
func (s *SEG) MapToSeries(src *Series) (*SEGMapping, error) {
	name := s.Path
	if name == "" {
		name = s.SOPInstanceUID
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("SEG %s on series %s: %w: "+format, append([]any{name, src.Key, ErrNotMappable}, args...)...)
	}
	if s.TiledFull {
		return nil, fail("TILED_FULL: its frames are tiles of a slide without per-frame positions or source references")
	}
	if len(src.Slices) == 0 {
		return nil, fail("the series has no slices")
	}
	if s.Rows != src.Rows || s.Columns != src.Columns {
		return nil, fail("frames are %d×%d, the series' slices %d×%d", s.Columns, s.Rows, src.Columns, src.Rows)
	}
	plane := s.Rows * s.Columns
	declared := map[int]bool{}
	for _, sg := range s.Segments {
		declared[sg.Number] = true
	}
	undeclared := map[int]int{}
	m := &SEGMapping{Slices: len(src.Slices), Rows: s.Rows, Columns: s.Columns,
		FrameSlice: make([]int, len(s.Frames)), Masks: map[int][]uint8{}}
	if s.Type == "FRACTIONAL" {
		m.Fractions = map[int][]uint8{}
	}

	// Slices by reference.
	type key struct {
		uid   string
		frame int // ReferencedFrameNumber; 0 for single-frame images
	}
	byRef := map[key]int{}
	for k, ref := range src.Slices {
		f := 0
		if ref.in != nil && (ref.in.enhanced || ref.in.src.format.Frames > 1) {
			f = ref.Frame + 1
		}
		kk := key{ref.SOPInstanceUID, f}
		if _, dup := byRef[kk]; dup || ref.SOPInstanceUID == "" || ref.Tile >= 0 {
			byRef[kk] = -1 // mosaic tiles, repeated images: ambiguous
			continue
		}
		byRef[kk] = k
	}

	// Slices by position along the normal.
	g := src.Grid
	normal := g.Normal()
	usePositions := s.FrameOfReferenceUID == "" || src.FrameOfReferenceUID == "" || s.FrameOfReferenceUID == src.FrameOfReferenceUID
	type posSlice struct {
		d float64
		k int
	}
	var byPos []posSlice
	for k, ref := range src.Slices {
		if ref.g != nil && ref.g.hasGeom {
			byPos = append(byPos, posSlice{ref.Position.Dot(normal), k})
		}
	}
	sort.Slice(byPos, func(i, j int) bool { return byPos[i].d < byPos[j].d })
	tol := math.Max(1e-3, 0.01*math.Min(g.RowSpacing, g.ColSpacing))
	atPosition := func(f *SEGFrame) int {
		d := f.Position.Dot(normal)
		i := sort.Search(len(byPos), func(i int) bool { return byPos[i].d >= d-tol })
		for ; i < len(byPos) && byPos[i].d <= d+tol; i++ {
			if src.Slices[byPos[i].k].Position.Sub(f.Position).Norm() <= tol {
				return byPos[i].k
			}
		}
		return -1
	}

	for i := range s.Frames {
		f := &s.Frames[i]
		if f.HasOrientation && g.RowDir != ([3]float64{}) {
			if f.RowDir.Sub(g.RowDir).Norm() > 1e-3 || f.ColDir.Sub(g.ColDir).Norm() > 1e-3 {
				return nil, fail("frame %d has orientation %v %v, the series %v %v", i+1, f.RowDir, f.ColDir, g.RowDir, g.ColDir)
			}
		}
		k := -1
		for _, r := range f.Sources {
			if len(r.Frames) == 0 {
				if v, ok := byRef[key{r.SOPInstanceUID, 0}]; ok && v >= 0 {
					k = v
				}
			}
			for _, n := range r.Frames {
				if v, ok := byRef[key{r.SOPInstanceUID, n}]; ok && v >= 0 {
					k = v
				}
			}
			if k >= 0 {
				break
			}
		}
		if k >= 0 && f.HasPosition && src.Slices[k].g != nil && src.Slices[k].g.hasGeom && usePositions {
			if d := src.Slices[k].Position.Sub(f.Position).Norm(); d > tol {
				m.Warnings = append(m.Warnings, fmt.Sprintf("frame %d references slice %d but lies %.3g mm from it", i+1, k, d))
			}
		}
		if k < 0 && f.HasPosition && usePositions {
			k = atPosition(f)
		}
		m.FrameSlice[i] = k
		if k < 0 {
			m.Missing = append(m.Missing, describeFrame(f))
			continue
		}
		off := k * plane
		switch s.Type {
		case "LABELMAP":
			for p, v := range f.Labels {
				if int(v) == s.PixelPadding {
					continue
				}
				if !declared[int(v)] {
					undeclared[int(v)]++
					continue
				}
				m.mask(int(v))[off+p] = 1
			}
		default:
			mask := m.mask(f.Segment)
			for p, v := range f.Mask {
				mask[off+p] |= v
			}
			if f.Fraction != nil {
				frac := m.Fractions[f.Segment]
				if frac == nil {
					frac = make([]uint8, m.Slices*plane)
					m.Fractions[f.Segment] = frac
				}
				for p, v := range f.Fraction {
					frac[off+p] = max(frac[off+p], v)
				}
			}
		}
	}
	for _, v := range slices.Sorted(maps.Keys(undeclared)) {
		if v != 0 {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%d pixels hold label %d, which SegmentSequence does not describe", undeclared[v], v))
		}
	}
	if n := len(m.Missing); n > 0 {
		return m, fmt.Errorf("SEG %s on series %s: %w: %d of %d frames lie on no slice of the series (first: %s)",
			name, src.Key, ErrMissingReferences, n, len(s.Frames), m.Missing[0])
	}
	return m, nil
}

// mask returns (allocating) the mask volume of segment n.
func (m *SEGMapping) mask(n int) []uint8 {
	v := m.Masks[n]
	if v == nil {
		v = make([]uint8, m.Slices*m.Rows*m.Columns)
		m.Masks[n] = v
	}
	return v
}

func describeFrame(f *SEGFrame) string {
	var refs []string
	for _, r := range f.Sources {
		s := r.SOPInstanceUID
		if len(r.Frames) > 0 {
			s += fmt.Sprintf(" frame %v", r.Frames)
		}
		refs = append(refs, s)
	}
	out := fmt.Sprintf("frame %d (segment %d)", f.Index+1, f.Segment)
	if len(refs) > 0 {
		out += " references " + strings.Join(refs, ", ")
	} else {
		out += " references no image"
	}
	if f.HasPosition {
		out += fmt.Sprintf(", at %.6g", f.Position)
	}
	return out
}

// LabelVolume returns the masks as one label volume: the segment number
// where a segment is present, 0 elsewhere. Segments that overlap give an
// error wrapping ErrOverlap (use Masks for such SEGs); so do segment numbers
// above 255. A LABELMAP SEG's segment 0 (background) is left out.
func (m *SEGMapping) LabelVolume() ([]uint8, error) {
	out := make([]uint8, m.Slices*m.Rows*m.Columns)
	nums := make([]int, 0, len(m.Masks))
	for n := range m.Masks {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	overlap := 0
	for _, n := range nums {
		if n == 0 {
			continue
		}
		if n < 0 || n > 255 {
			return nil, fmt.Errorf("segment %d does not fit an 8-bit label volume", n)
		}
		for i, v := range m.Masks[n] {
			if v == 0 {
				continue
			}
			if out[i] != 0 {
				overlap++
			}
			out[i] = uint8(n)
		}
	}
	if overlap > 0 {
		return nil, fmt.Errorf("%w: %d voxels belong to more than one segment", ErrOverlap, overlap)
	}
	return out, nil
}
