// Package tag names DICOM data element tags and holds the small data
// dictionary that reading implicit-VR files needs.
//
// The dictionary covers the tags mmcseg reads or writes (patient, study,
// series, image pixel, geometry, enhanced multi-frame functional groups,
// segmentation and a few more); a tag it does not know has VR UN in an
// implicit-VR file, which is what PS3.5 prescribes for unknown attributes.
package tag

import (
	"fmt"
	"sort"
)

// Tag is a DICOM data element tag: the group number in the high 16 bits and
// the element number in the low 16 bits, so that tags sort in file order.
type Tag uint32

// New returns the tag (group,element).
func New(group, element uint16) Tag { return Tag(uint32(group)<<16 | uint32(element)) }

// Group returns the group number.
func (t Tag) Group() uint16 { return uint16(t >> 16) }

// Element returns the element number.
func (t Tag) Element() uint16 { return uint16(t) }

// IsPrivate reports whether t belongs to a private group (odd group number).
func (t Tag) IsPrivate() bool { return t.Group()%2 == 1 }

// String formats t as "(GGGG,EEEE)" in upper-case hexadecimal.
func (t Tag) String() string { return fmt.Sprintf("(%04X,%04X)", t.Group(), t.Element()) }

// Item, ItemDelimitationItem and SequenceDelimitationItem delimit sequence
// items and encapsulated pixel data fragments. They have no VR.
const (
	Item                     Tag = 0xFFFEE000
	ItemDelimitationItem     Tag = 0xFFFEE00D
	SequenceDelimitationItem Tag = 0xFFFEE0DD
)

// Info is a dictionary entry.
type Info struct {
	Tag     Tag
	VR      string // the VR implied in implicit-VR encoding, e.g. "US"
	Keyword string // PS3.6 keyword, e.g. "Rows"
}

// Find returns the dictionary entry of t. Group length tags (gggg,0000) are
// found as UL; other tags outside the dictionary are not found.
func Find(t Tag) (Info, bool) {
	i := sort.Search(len(dict), func(i int) bool { return dict[i].Tag >= t })
	if i < len(dict) && dict[i].Tag == t {
		return dict[i], true
	}
	if t.Element() == 0 {
		return Info{Tag: t, VR: "UL", Keyword: "GroupLength"}, true
	}
	return Info{}, false
}

// Name returns t's keyword, or its "(GGGG,EEEE)" form when the dictionary
// does not know it.
func (t Tag) Name() string {
	if i, ok := Find(t); ok {
		return i.Keyword
	}
	return t.String()
}
