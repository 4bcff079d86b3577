package dicomio

// VR is a DICOM value representation, the two upper-case letters of PS3.5
// §6.2 ("US", "DS", "SQ", …).
type VR string

// The value representations of PS3.5 §6.2.
const (
	VRAE VR = "AE" // application entity
	VRAS VR = "AS" // age string
	VRAT VR = "AT" // attribute tag
	VRCS VR = "CS" // code string
	VRDA VR = "DA" // date
	VRDS VR = "DS" // decimal string
	VRDT VR = "DT" // date time
	VRFD VR = "FD" // 64-bit float
	VRFL VR = "FL" // 32-bit float
	VRIS VR = "IS" // integer string
	VRLO VR = "LO" // long string
	VRLT VR = "LT" // long text
	VROB VR = "OB" // other byte
	VROD VR = "OD" // other double
	VROF VR = "OF" // other float
	VROL VR = "OL" // other long
	VROV VR = "OV" // other 64-bit very long
	VROW VR = "OW" // other word
	VRPN VR = "PN" // person name
	VRSH VR = "SH" // short string
	VRSL VR = "SL" // signed long
	VRSQ VR = "SQ" // sequence of items
	VRSS VR = "SS" // signed short
	VRST VR = "ST" // short text
	VRSV VR = "SV" // signed 64-bit very long
	VRTM VR = "TM" // time
	VRUC VR = "UC" // unlimited characters
	VRUI VR = "UI" // unique identifier
	VRUL VR = "UL" // unsigned long
	VRUN VR = "UN" // unknown
	VRUR VR = "UR" // URI/URL
	VRUS VR = "US" // unsigned short
	VRUT VR = "UT" // unlimited text
	VRUV VR = "UV" // unsigned 64-bit very long
)

// vrFromBytes maps two bytes read from an explicit-VR stream to a known VR
// without allocating; ok is false for anything else.
func vrFromBytes(a, b byte) (VR, bool) {
	switch a {
	case 'A':
		switch b {
		case 'E':
			return VRAE, true
		case 'S':
			return VRAS, true
		case 'T':
			return VRAT, true
		}
	case 'C':
		if b == 'S' {
			return VRCS, true
		}
	case 'D':
		switch b {
		case 'A':
			return VRDA, true
		case 'S':
			return VRDS, true
		case 'T':
			return VRDT, true
		}
	case 'F':
		switch b {
		case 'D':
			return VRFD, true
		case 'L':
			return VRFL, true
		}
	case 'I':
		if b == 'S' {
			return VRIS, true
		}
	case 'L':
		switch b {
		case 'O':
			return VRLO, true
		case 'T':
			return VRLT, true
		}
	case 'O':
		switch b {
		case 'B':
			return VROB, true
		case 'D':
			return VROD, true
		case 'F':
			return VROF, true
		case 'L':
			return VROL, true
		case 'V':
			return VROV, true
		case 'W':
			return VROW, true
		}
	case 'P':
		if b == 'N' {
			return VRPN, true
		}
	case 'S':
		switch b {
		case 'H':
			return VRSH, true
		case 'L':
			return VRSL, true
		case 'Q':
			return VRSQ, true
		case 'S':
			return VRSS, true
		case 'T':
			return VRST, true
		case 'V':
			return VRSV, true
		}
	case 'T':
		if b == 'M' {
			return VRTM, true
		}
	case 'U':
		switch b {
		case 'C':
			return VRUC, true
		case 'I':
			return VRUI, true
		case 'L':
			return VRUL, true
		case 'N':
			return VRUN, true
		case 'R':
			return VRUR, true
		case 'S':
			return VRUS, true
		case 'T':
			return VRUT, true
		case 'V':
			return VRUV, true
		}
	}
	return "", false
}

// longHeader reports whether vr has the 12-byte explicit-VR header (two
// reserved bytes and a 32-bit length) rather than a 16-bit length.
func (vr VR) longHeader() bool {
	switch vr {
	case VROB, VROD, VROF, VROL, VROV, VROW, VRSQ, VRUC, VRUN, VRUR, VRUT, VRSV, VRUV:
		return true
	}
	return false
}

// isString reports whether vr holds character data.
func (vr VR) isString() bool {
	switch vr {
	case VRAE, VRAS, VRCS, VRDA, VRDS, VRDT, VRIS, VRLO, VRLT, VRPN, VRSH, VRST, VRTM, VRUC, VRUI, VRUR, VRUT:
		return true
	}
	return false
}

// isText reports whether vr is a single-valued text VR in which a
// backslash is an ordinary character.
func (vr VR) isText() bool { return vr == VRLT || vr == VRST || vr == VRUT || vr == VRUR }

// swapSize is the size of the units whose byte order a big-endian stream
// reverses for vr (0: bytes, no swapping).
func (vr VR) swapSize() int {
	switch vr {
	case VRUS, VRSS, VROW, VRAT:
		return 2
	case VRUL, VRSL, VRFL, VROF, VROL:
		return 4
	case VRFD, VROD, VRSV, VRUV, VROV:
		return 8
	}
	return 0
}
