package dicomio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mmcseg/mmcseg/dicomio/tag"
)

// Element is one data element: a tag, its value representation and its
// value. Binary values are held little endian whatever the byte order of the
// file they came from, so an element read from a big-endian file writes out
// unchanged. Build elements with NewStrings, NewInts, NewFloats, NewBytes and
// NewSequence; read them with the typed accessors.
type Element struct {
	Tag tag.Tag
	VR  VR

	value []byte     // raw value, little endian; strings as stored (with padding)
	items []*Dataset // VR SQ
	// Encapsulated pixel data: the Basic Offset Table item and the fragments.
	encapsulated bool
	offsets      []byte
	frags        [][]byte
	// undefinedLength records that a sequence was read with undefined length.
	undefinedLength bool
	// err is a construction error (a value the VR cannot hold), reported by
	// Write and by the accessors.
	err error
	// pixel locates a pixel data value that a header-only read left in the
	// file.
	pixel *pixelLocation
}

// Errors of the element accessors.
var (
	// ErrNoElement: the dataset has no element with that tag.
	ErrNoElement = errors.New("no such element")
	// ErrValue: the element's value is empty, malformed or of a VR the
	// accessor cannot interpret.
	ErrValue = errors.New("bad element value")
)

// NewStrings returns an element of a character VR (AE AS CS DA DS DT IS LO
// LT PN SH ST TM UC UI UR UT) holding values, joined with backslashes. The
// writer pads the value to even length (UI with NUL, the others with a
// space).
func NewStrings(t tag.Tag, vr VR, values ...string) Element {
	e := Element{Tag: t, VR: vr}
	if !vr.isString() {
		e.err = fmt.Errorf("%v: NewStrings with VR %s: %w", t, vr, ErrValue)
		return e
	}
	if vr.isText() && len(values) > 1 {
		e.err = fmt.Errorf("%v: VR %s holds one value, got %d: %w", t, vr, len(values), ErrValue)
		return e
	}
	for _, v := range values {
		if err := checkString(vr, v); err != nil {
			e.err = fmt.Errorf("%v: %w", t, err)
			return e
		}
	}
	e.value = []byte(strings.Join(values, `\`))
	return e
}

// maxLen is the longest value PS3.5 §6.2 allows for a character VR (0: no
// limit worth checking here).
func maxLen(vr VR) int {
	switch vr {
	case VRAE, VRCS, VRDS, VRSH:
		return 16
	case VRAS:
		return 4
	case VRDA:
		return 8
	case VRDT:
		return 26
	case VRIS:
		return 12
	case VRLO, VRUI:
		return 64
	case VRTM:
		return 14
	case VRST:
		return 1024
	case VRLT:
		return 10240
	}
	return 0
}

// checkString reports a value that the VR cannot hold.
func checkString(vr VR, v string) error {
	if !vr.isText() && strings.Contains(v, `\`) {
		return fmt.Errorf("value %q contains a backslash: %w", v, ErrValue)
	}
	if n := maxLen(vr); n > 0 && len(v) > n {
		return fmt.Errorf("VR %s value %q is %d characters, more than %d: %w", vr, v, len(v), n, ErrValue)
	}
	switch vr {
	case VRUI:
		if v != "" {
			return ValidUID(v)
		}
	case VRCS:
		for _, c := range v {
			if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' || c == '_') {
				return fmt.Errorf("CS value %q has the character %q: %w", v, c, ErrValue)
			}
		}
	case VRPN:
		for _, g := range strings.Split(v, "=") {
			if len(g) > 64 {
				return fmt.Errorf("PN component group %q is more than 64 characters: %w", g, ErrValue)
			}
		}
	}
	return nil
}

// NewInts returns an element of an integer VR (US SS UL SL UV SV AT, or IS
// written as decimal strings) holding values. A value outside the VR's
// range makes Write fail. For AT, each value is a tag.Tag as an int.
func NewInts(t tag.Tag, vr VR, values ...int) Element {
	e := Element{Tag: t, VR: vr}
	var lo, hi int64
	size := vr.swapSize()
	switch vr {
	case VRUS:
		lo, hi = 0, math.MaxUint16
	case VRSS:
		lo, hi = math.MinInt16, math.MaxInt16
	case VRUL, VRAT:
		lo, hi = 0, math.MaxUint32
		size = 4
	case VRSL:
		lo, hi = math.MinInt32, math.MaxInt32
	case VRUV:
		lo, hi = 0, math.MaxInt64
	case VRSV:
		lo, hi = math.MinInt64, math.MaxInt64
	case VRIS:
		lo, hi = math.MinInt32, math.MaxInt32
		s := make([]string, len(values))
		for i, v := range values {
			if int64(v) < lo || int64(v) > hi {
				e.err = fmt.Errorf("%v: %d does not fit VR IS: %w", t, v, ErrValue)
				return e
			}
			s[i] = strconv.Itoa(v)
		}
		e.value = []byte(strings.Join(s, `\`))
		return e
	default:
		e.err = fmt.Errorf("%v: NewInts with VR %s: %w", t, vr, ErrValue)
		return e
	}
	b := make([]byte, 0, size*len(values))
	for _, v := range values {
		if int64(v) < lo || int64(v) > hi {
			e.err = fmt.Errorf("%v: %d does not fit VR %s: %w", t, v, vr, ErrValue)
			return e
		}
		switch {
		case vr == VRAT:
			b = binary.LittleEndian.AppendUint16(b, uint16(v>>16))
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case size == 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case size == 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	e.value = b
	return e
}

// NewFloats returns an element of a floating-point VR (FL FD OF OD, or DS
// written as decimal strings of at most 16 characters) holding values.
func NewFloats(t tag.Tag, vr VR, values ...float64) Element {
	e := Element{Tag: t, VR: vr}
	switch vr {
	case VRDS:
		s := make([]string, len(values))
		for i, v := range values {
			f, err := FormatDS(v)
			if err != nil {
				e.err = fmt.Errorf("%v: %w", t, err)
				return e
			}
			s[i] = f
		}
		e.value = []byte(strings.Join(s, `\`))
	case VRFL, VROF:
		b := make([]byte, 0, 4*len(values))
		for _, v := range values {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
		}
		e.value = b
	case VRFD, VROD:
		b := make([]byte, 0, 8*len(values))
		for _, v := range values {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		e.value = b
	default:
		e.err = fmt.Errorf("%v: NewFloats with VR %s: %w", t, vr, ErrValue)
	}
	return e
}

// FormatDS formats v as a DICOM decimal string: the shortest form that
// round-trips, shortened to at most 16 characters (PS3.5 §6.2) when
// needed. NaN and infinities cannot be written and return ErrValue.
func FormatDS(v float64) (string, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "", fmt.Errorf("DS cannot hold %v: %w", v, ErrValue)
	}
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if len(s) <= 16 {
		return s, nil
	}
	// Fewer significant digits until it fits; 'g' switches to an exponent
	// for very large or small magnitudes, which DS allows.
	for prec := 16; prec > 0; prec-- {
		s = strconv.FormatFloat(v, 'g', prec, 64)
		if len(s) <= 16 {
			return s, nil
		}
	}
	return "", fmt.Errorf("DS cannot hold %v in 16 characters: %w", v, ErrValue)
}

// NewBytes returns an element of a byte VR (OB OW OL OV OF OD UN) holding
// b, which must already be little endian. The element keeps b; do not
// change it afterwards.
func NewBytes(t tag.Tag, vr VR, b []byte) Element {
	e := Element{Tag: t, VR: vr, value: b}
	switch vr {
	case VROB, VRUN:
	case VROW, VROL, VROF, VROD, VROV:
		if len(b)%vr.swapSize() != 0 {
			e.err = fmt.Errorf("%v: %d bytes is not a whole number of VR %s units: %w", t, len(b), vr, ErrValue)
		}
	default:
		e.err = fmt.Errorf("%v: NewBytes with VR %s: %w", t, vr, ErrValue)
	}
	return e
}

// NewSequence returns an SQ element holding items.
func NewSequence(t tag.Tag, items ...*Dataset) Element {
	e := Element{Tag: t, VR: VRSQ, items: items}
	for i, it := range items {
		if it == nil {
			e.err = fmt.Errorf("%v: item %d is nil: %w", t, i+1, ErrValue)
		}
	}
	return e
}

// Items returns the items of a sequence (nil for other VRs).
func (e *Element) Items() []*Dataset { return e.items }

// Bytes returns the raw value: little-endian binary data, or character data
// as stored, padding included. It is nil for sequences, encapsulated pixel
// data and pixel data a header-only read left in the file.
func (e *Element) Bytes() []byte { return e.value }

// Encapsulated reports whether e is encapsulated (compressed) pixel data.
func (e *Element) Encapsulated() bool { return e.encapsulated }

// Fragments returns the fragments of encapsulated pixel data, without the
// Basic Offset Table item.
func (e *Element) Fragments() [][]byte { return e.frags }

// OffsetTable returns the Basic Offset Table of encapsulated pixel data
// (possibly empty).
func (e *Element) OffsetTable() []uint32 {
	n := len(e.offsets) / 4
	o := make([]uint32, n)
	for i := range o {
		o[i] = binary.LittleEndian.Uint32(e.offsets[4*i:])
	}
	return o
}

// Strings returns the values of a character VR, split at backslashes (LT,
// ST, UT and UR hold one value) and with padding removed. Bytes are taken
// as ASCII/UTF-8; Dataset.Strings decodes the dataset's character set.
func (e *Element) Strings() []string { return splitStrings(e.VR, string(e.value)) }

func splitStrings(vr VR, s string) []string {
	if !vr.isString() {
		return nil
	}
	if len(s) == 0 {
		return nil
	}
	var parts []string
	if vr.isText() {
		parts = []string{s}
	} else {
		parts = strings.Split(s, `\`)
	}
	for i, p := range parts {
		p = strings.TrimRight(p, " \x00")
		if !vr.isText() {
			p = strings.TrimLeft(p, " ")
		}
		parts[i] = p
	}
	return parts
}

// Ints returns the values of an integer VR (US SS UL SL UV SV AT, and IS).
// An IS value that is not an integer, or any other VR, gives ErrValue.
func (e *Element) Ints() ([]int, error) {
	if e.err != nil {
		return nil, e.err
	}
	b := e.value
	switch e.VR {
	case VRIS:
		strs := e.Strings()
		out := make([]int, 0, len(strs))
		for _, s := range strs {
			v, err := strconv.Atoi(s)
			if err != nil {
				// IS sometimes arrives as "12.0"; accept exact integers.
				f, ferr := strconv.ParseFloat(s, 64)
				if ferr != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
					return nil, fmt.Errorf("%v IS %q: %w", e.Tag, s, ErrValue)
				}
				v = int(f)
			}
			out = append(out, v)
		}
		return out, nil
	case VRUS:
		out := make([]int, len(b)/2)
		for i := range out {
			out[i] = int(binary.LittleEndian.Uint16(b[2*i:]))
		}
		return out, nil
	case VRSS:
		out := make([]int, len(b)/2)
		for i := range out {
			out[i] = int(int16(binary.LittleEndian.Uint16(b[2*i:])))
		}
		return out, nil
	case VRUL:
		out := make([]int, len(b)/4)
		for i := range out {
			out[i] = int(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out, nil
	case VRSL:
		out := make([]int, len(b)/4)
		for i := range out {
			out[i] = int(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
		return out, nil
	case VRAT:
		out := make([]int, len(b)/4)
		for i := range out {
			out[i] = int(binary.LittleEndian.Uint16(b[4*i:]))<<16 | int(binary.LittleEndian.Uint16(b[4*i+2:]))
		}
		return out, nil
	case VRUV, VRSV:
		out := make([]int, len(b)/8)
		for i := range out {
			u := binary.LittleEndian.Uint64(b[8*i:])
			if e.VR == VRUV && u > math.MaxInt64 {
				return nil, fmt.Errorf("%v UV %d overflows int: %w", e.Tag, u, ErrValue)
			}
			out[i] = int(u)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%v has VR %s, not an integer VR: %w", e.Tag, e.VR, ErrValue)
}

// Floats returns the values of a numeric VR as float64: DS and IS parsed
// from their decimal strings, FL FD OF OD, and the integer VRs. A DS that
// is not a number gives ErrValue.
func (e *Element) Floats() ([]float64, error) {
	if e.err != nil {
		return nil, e.err
	}
	b := e.value
	switch e.VR {
	case VRDS, VRIS:
		strs := e.Strings()
		out := make([]float64, 0, len(strs))
		for _, s := range strs {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%v %s %q: %w", e.Tag, e.VR, s, ErrValue)
			}
			out = append(out, v)
		}
		return out, nil
	case VRFL, VROF:
		out := make([]float64, len(b)/4)
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		}
		return out, nil
	case VRFD, VROD:
		out := make([]float64, len(b)/8)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return out, nil
	}
	ints, err := e.Ints()
	if err != nil {
		return nil, fmt.Errorf("%v has VR %s, not a numeric VR: %w", e.Tag, e.VR, ErrValue)
	}
	out := make([]float64, len(ints))
	for i, v := range ints {
		out[i] = float64(v)
	}
	return out, nil
}

// String formats e for people: tag, keyword, VR and a short value.
func (e *Element) String() string {
	var v string
	switch {
	case e.VR == VRSQ:
		v = fmt.Sprintf("(%d items)", len(e.items))
	case e.encapsulated:
		v = fmt.Sprintf("(encapsulated, %d fragments)", len(e.frags))
	case e.pixel != nil:
		v = fmt.Sprintf("(%d bytes left in the file)", e.pixel.length)
	case e.VR.isString():
		v = strings.Join(e.Strings(), `\`)
	default:
		if f, err := e.Floats(); err == nil && len(f) <= 8 {
			v = strings.Trim(fmt.Sprint(f), "[]")
		} else {
			v = fmt.Sprintf("(%d bytes)", len(e.value))
		}
	}
	if len(v) > 64 {
		v = v[:61] + "..."
	}
	return fmt.Sprintf("%v %s %s %s", e.Tag, e.Tag.Name(), e.VR, v)
}
