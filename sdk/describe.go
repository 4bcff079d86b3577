package sdk

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ErrBadDescription reports a Description that breaks the contract.
var ErrBadDescription = errors.New("bad plugin description")

var (
	nameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	paramRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// DICOM Modality is a CS value: upper case, digits, space, underscore,
	// at most 16 characters.
	modalityRE = regexp.MustCompile(`^[A-Z0-9_ ]{1,16}$`)
)

// Validate checks a description against the contract: a name and version,
// at least one pixel format and segment, segments numbered 1..255 with a
// label and complete codes, numbers unique for every input the plugin
// accepts, parameters whose defaults parse, and well-formed, distinct
// auxiliary map names. All problems are reported
// together, each wrapping ErrBadDescription.
func (d Description) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrBadDescription}, args...)...))
	}
	if !nameRE.MatchString(d.Name) {
		bad("name %q must match %s", d.Name, nameRE)
	}
	if strings.TrimSpace(d.Version) == "" {
		bad("no version")
	}
	if d.ContractVersion != 0 && d.ContractVersion != ContractVersion {
		bad("contract version %d, this host speaks %d", d.ContractVersion, ContractVersion)
	}
	if d.InputMode != 0 && d.InputMode != SliceMode && d.InputMode != VolumeMode {
		bad("unknown input mode %v", d.InputMode)
	}
	for _, m := range d.Modalities {
		if !modalityRE.MatchString(m) {
			bad("modality %q is not a DICOM Modality value", m)
		}
	}
	if len(d.PixelFormats) == 0 {
		bad("no pixel format accepted")
	}
	for _, f := range d.PixelFormats {
		if f.BytesPerPixel() == 0 {
			bad("unknown pixel format %v", f)
		}
	}
	if len(d.Segments) == 0 {
		bad("no segments")
	}
	for i, s := range d.Segments {
		what := fmt.Sprintf("segment %d (%q)", i+1, s.Label)
		if s.Number < 1 || s.Number > 255 {
			bad("%s: number %d outside 1..255", what, s.Number)
		}
		if strings.TrimSpace(s.Label) == "" {
			bad("%s: no label", what)
		}
		for _, c := range []struct {
			name string
			code Code
			need bool
		}{{"category", s.Category, true}, {"type", s.Type, true}, {"anatomic region", s.AnatomicRegion, false}} {
			if c.code.IsZero() && !c.need {
				continue
			}
			if c.code.Scheme == "" || c.code.Value == "" || c.code.Meaning == "" {
				bad("%s: %s code %v needs scheme, value and meaning", what, c.name, c.code)
			}
		}
		for _, m := range s.Modalities {
			if !modalityRE.MatchString(m) {
				bad("%s: modality %q is not a DICOM Modality value", what, m)
			}
		}
		for _, f := range s.PixelFormats {
			if f.BytesPerPixel() == 0 {
				bad("%s: unknown pixel format %v", what, f)
			}
		}
	}
	// Numbers must be unique among the segments that apply to any one
	// input. Two segments collide if their modality lists and their pixel
	// format lists each overlap (an empty list overlaps everything).
	for i, a := range d.Segments {
		for _, b := range d.Segments[i+1:] {
			if a.Number == b.Number && overlaps(a.Modalities, b.Modalities) && overlaps(a.PixelFormats, b.PixelFormats) {
				bad("segments %q and %q both have number %d for the same input", a.Label, b.Label, a.Number)
			}
		}
	}
	seen := map[string]bool{}
	for _, p := range d.Parameters {
		if !paramRE.MatchString(p.Name) {
			bad("parameter name %q must match %s", p.Name, paramRE)
		}
		if seen[p.Name] {
			bad("parameter %q declared twice", p.Name)
		}
		seen[p.Name] = true
		if p.Type == ParamEnum && len(p.Choices) == 0 {
			bad("enum parameter %q has no choices", p.Name)
		}
		if p.Min != nil && p.Max != nil && *p.Min > *p.Max {
			bad("parameter %q: minimum %g above maximum %g", p.Name, *p.Min, *p.Max)
		}
		if _, err := p.Parse(p.Default); err != nil {
			bad("parameter %q: default: %v", p.Name, err)
		}
	}
	for i, a := range d.AuxMaps {
		if !auxNameRE.MatchString(a) {
			bad("auxiliary map name %q must match %s", a, auxNameRE)
		}
		if slices.Contains(d.AuxMaps[:i], a) {
			bad("auxiliary map %q declared twice", a)
		}
	}
	return errors.Join(errs...)
}

func overlaps[T comparable](a, b []T) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

func allows[T comparable](list []T, v T) bool { return len(list) == 0 || slices.Contains(list, v) }

// SegmentsFor returns the segments that apply to a series of the given
// modality and pixel format: the meaning of the labels in its masks.
func (d Description) SegmentsFor(modality string, f PixelFormat) []SegmentInfo {
	var out []SegmentInfo
	for _, s := range d.Segments {
		if allows(s.Modalities, modality) && allows(s.PixelFormats, f) {
			out = append(out, s)
		}
	}
	return out
}

// ErrInvalidInput says that a series or slice is unusable as given: bad
// sizes, bad parameters, truncated data. Session authors wrap it to reject
// input; the host reports it as the input's fault, not the plugin's.
var ErrInvalidInput = errors.New("invalid input")

// ErrUnsupported says that a plugin does not handle this kind of input
// (modality, pixel format, photometric interpretation, size).
var ErrUnsupported = errors.New("input not supported by the plugin")

// CheckSeries reports whether a series is acceptable to the plugin as
// declared: sizes, pixel format, modality, photometric interpretation, at
// least one applicable segment, and auxiliary maps it provides. Hosts and Serve both call it, so a plugin
// never sees a series its description excludes.
func (d Description) CheckSeries(s SeriesInfo) error {
	if s.Rows <= 0 || s.Columns <= 0 || s.Slices <= 0 {
		return fmt.Errorf("%w: series %s has size %d×%d×%d", ErrInvalidInput, s.UID, s.Columns, s.Rows, s.Slices)
	}
	if s.Format.BytesPerPixel() == 0 {
		return fmt.Errorf("%w: series %s has unknown pixel format %v", ErrInvalidInput, s.UID, s.Format)
	}
	if int64(s.Rows)*int64(s.Columns)*int64(s.Format.BytesPerPixel()) > MaxSliceBytes {
		return fmt.Errorf("%w: series %s slices of %d×%d %v exceed %d MiB", ErrInvalidInput, s.UID, s.Columns, s.Rows, s.Format, MaxSliceBytes>>20)
	}
	if g := s.Geometry; g != nil && (g.Rows != s.Rows || g.Columns != s.Columns || g.Slices != s.Slices) {
		return fmt.Errorf("%w: series %s geometry is %d×%d×%d, series %d×%d×%d", ErrInvalidInput, s.UID, g.Columns, g.Rows, g.Slices, s.Columns, s.Rows, s.Slices)
	}
	if !slices.Contains(d.PixelFormats, s.Format) {
		return fmt.Errorf("%w: plugin %s does not take %v pixels (series %s)", ErrUnsupported, d.Name, s.Format, s.UID)
	}
	if !allows(d.Modalities, s.Modality) {
		return fmt.Errorf("%w: plugin %s does not take modality %q (series %s; it takes %s)", ErrUnsupported, d.Name, s.Modality, s.UID, strings.Join(d.Modalities, ", "))
	}
	if !allows(d.PhotometricInterpretations, s.PhotometricInterpretation) {
		return fmt.Errorf("%w: plugin %s does not take photometric interpretation %q (series %s)", ErrUnsupported, d.Name, s.PhotometricInterpretation, s.UID)
	}
	if len(d.SegmentsFor(s.Modality, s.Format)) == 0 {
		return fmt.Errorf("%w: plugin %s has no segment for %s %v input (series %s)", ErrUnsupported, d.Name, s.Modality, s.Format, s.UID)
	}
	for _, a := range s.WantAux {
		if !slices.Contains(d.AuxMaps, a) {
			return fmt.Errorf("%w: plugin %s does not provide the auxiliary map %q (series %s; it provides %q)", ErrUnsupported, d.Name, a, s.UID, d.AuxMaps)
		}
	}
	return nil
}
