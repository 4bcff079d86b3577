package dicomio

import (
	"fmt"
	"iter"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/mmcseg/mmcseg/dicomio/tag"
)

// Dataset is an ordered set of data elements, sorted by tag as DICOM
// requires. The zero value is an empty dataset ready to use. A Dataset read
// from a file includes the file meta elements (group 0002) it had.
type Dataset struct {
	elems []Element
	// charset decodes person names and texts (SpecificCharacterSet); nil
	// means ASCII/UTF-8. Items inherit it from their parent.
	charset *charmap.Charmap
	latin1  bool
	// transferSyntax is the syntax the dataset was read in (top level only).
	transferSyntax string
	warnings       []string
}

// NewDataset returns a dataset holding elems (later elements replace earlier
// ones with the same tag).
func NewDataset(elems ...Element) *Dataset {
	d := &Dataset{}
	for _, e := range elems {
		d.Set(e)
	}
	return d
}

// TransferSyntax returns the transfer syntax UID the dataset was read in
// (from its file meta, or inferred for files without one), or "" for a
// dataset built in memory or a sequence item.
func (d *Dataset) TransferSyntax() string { return d.transferSyntax }

// Len returns the number of elements.
func (d *Dataset) Len() int { return len(d.elems) }

// All iterates over the elements in tag order. Do not add or remove
// elements while iterating.
func (d *Dataset) All() iter.Seq[*Element] {
	return func(yield func(*Element) bool) {
		for i := range d.elems {
			if !yield(&d.elems[i]) {
				return
			}
		}
	}
}

func (d *Dataset) search(t tag.Tag) (int, bool) {
	i := sort.Search(len(d.elems), func(i int) bool { return d.elems[i].Tag >= t })
	return i, i < len(d.elems) && d.elems[i].Tag == t
}

// Set inserts e, replacing an element with the same tag.
func (d *Dataset) Set(e Element) {
	i, ok := d.search(e.Tag)
	if ok {
		d.elems[i] = e
		return
	}
	d.elems = append(d.elems, Element{})
	copy(d.elems[i+1:], d.elems[i:])
	d.elems[i] = e
}

// Delete removes the element with tag t, if any.
func (d *Dataset) Delete(t tag.Tag) {
	if i, ok := d.search(t); ok {
		d.elems = append(d.elems[:i], d.elems[i+1:]...)
	}
}

// Element returns the element with tag t, or nil. The pointer stays valid
// until the dataset changes.
func (d *Dataset) Element(t tag.Tag) *Element {
	if i, ok := d.search(t); ok {
		return &d.elems[i]
	}
	return nil
}

// Has reports whether the dataset has an element with tag t (possibly
// empty).
func (d *Dataset) Has(t tag.Tag) bool { _, ok := d.search(t); return ok }

// Strings returns the values of the character element t with the
// dataset's SpecificCharacterSet decoded to UTF-8 (nil if absent or empty).
func (d *Dataset) Strings(t tag.Tag) []string {
	e := d.Element(t)
	if e == nil {
		return nil
	}
	return splitStrings(e.VR, d.decode(e.VR, e.value))
}

// String returns the first value of the character element t, or "" when it
// is absent or empty. Use Strings for multi-valued elements.
func (d *Dataset) String(t tag.Tag) string {
	if s := d.Strings(t); len(s) > 0 {
		return s[0]
	}
	return ""
}

// Int returns the first value of the integer (or IS) element t. A missing
// or empty element gives ErrNoElement, a malformed one ErrValue.
func (d *Dataset) Int(t tag.Tag) (int, error) {
	v, err := d.Ints(t)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// Ints returns the values of the integer (or IS) element t; a missing or
// empty element gives ErrNoElement.
func (d *Dataset) Ints(t tag.Tag) ([]int, error) {
	e := d.Element(t)
	if e == nil {
		return nil, fmt.Errorf("%s: %w", tagLabel(t), ErrNoElement)
	}
	v, err := e.Ints()
	if err == nil && len(v) == 0 {
		return nil, fmt.Errorf("%s is empty: %w", tagLabel(t), ErrNoElement)
	}
	return v, err
}

// Float returns the first value of the numeric element t (DS, IS, FL, FD or
// an integer VR). A missing or empty element gives ErrNoElement.
func (d *Dataset) Float(t tag.Tag) (float64, error) {
	v, err := d.Floats(t)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// Floats returns the values of the numeric element t; a missing or empty
// element gives ErrNoElement.
func (d *Dataset) Floats(t tag.Tag) ([]float64, error) {
	e := d.Element(t)
	if e == nil {
		return nil, fmt.Errorf("%s: %w", tagLabel(t), ErrNoElement)
	}
	v, err := e.Floats()
	if err == nil && len(v) == 0 {
		return nil, fmt.Errorf("%s is empty: %w", tagLabel(t), ErrNoElement)
	}
	return v, err
}

// Items returns the items of the sequence t (nil if absent or empty).
func (d *Dataset) Items(t tag.Tag) []*Dataset {
	if e := d.Element(t); e != nil {
		return e.items
	}
	return nil
}

// Bytes returns the raw value of element t (see Element.Bytes).
func (d *Dataset) Bytes(t tag.Tag) []byte {
	if e := d.Element(t); e != nil {
		return e.value
	}
	return nil
}

// Private returns the element (group, xx<<8|elem) of the private block that
// the private creator string creator reserved in group (PS3.5 §7.8.1), or
// nil. For example Siemens' NumberOfImagesInMosaic is
// Private(0x0019, "SIEMENS MR HEADER", 0x0A).
func (d *Dataset) Private(group uint16, creator string, elem uint8) *Element {
	if group%2 == 0 {
		return nil
	}
	lo := tag.New(group, 0x0010)
	i, _ := d.search(lo)
	for ; i < len(d.elems); i++ {
		e := &d.elems[i]
		if e.Tag.Group() != group || e.Tag.Element() > 0x00FF {
			break
		}
		if strings.TrimRight(string(e.value), " \x00") == creator {
			block := e.Tag.Element()
			return d.Element(tag.New(group, block<<8|uint16(elem)))
		}
	}
	return nil
}

// decode converts the bytes of a character value to UTF-8 according to the
// dataset's character set. Only the VRs that PS3.5 §6.1.2.3 lets the
// character set affect are converted.
func (d *Dataset) decode(vr VR, b []byte) string {
	switch vr {
	case VRPN, VRLO, VRSH, VRLT, VRST, VRUT, VRUC:
	default:
		return string(b)
	}
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	switch {
	case ascii:
		return string(b)
	case d.latin1:
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r)
	case d.charset != nil:
		var sb strings.Builder
		for _, c := range b {
			sb.WriteRune(d.charset.DecodeByte(c))
		}
		return sb.String()
	case utf8.Valid(b):
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// setCharset sets the decoder from a SpecificCharacterSet value. Character
// sets it does not know (ISO 2022 code extensions, GB18030…) leave non-UTF-8
// bytes replaced by U+FFFD.
func (d *Dataset) setCharset(values []string) {
	d.charset, d.latin1 = nil, false
	if len(values) == 0 {
		return
	}
	// With code extensions the first value is the default repertoire; take
	// the first single-byte set named.
	name := values[0]
	if name == "" && len(values) > 1 {
		name = values[1]
	}
	name = strings.TrimSpace(name)
	if rest, ok := strings.CutPrefix(name, "ISO 2022 IR "); ok {
		name = "ISO_IR " + rest
	}
	switch name {
	case "ISO_IR 100":
		d.latin1 = true
	case "ISO_IR 101":
		d.charset = charmap.ISO8859_2
	case "ISO_IR 109":
		d.charset = charmap.ISO8859_3
	case "ISO_IR 110":
		d.charset = charmap.ISO8859_4
	case "ISO_IR 144":
		d.charset = charmap.ISO8859_5
	case "ISO_IR 127":
		d.charset = charmap.ISO8859_6
	case "ISO_IR 126":
		d.charset = charmap.ISO8859_7
	case "ISO_IR 138":
		d.charset = charmap.ISO8859_8
	case "ISO_IR 148":
		d.charset = charmap.ISO8859_9
	case "ISO_IR 203":
		d.charset = charmap.ISO8859_15
	case "ISO_IR 166":
		d.charset = charmap.Windows874
	}
}
