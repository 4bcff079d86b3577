package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// A minimal DICOM reader for the tests and benchmarks of this package, which
// cannot use the dicomio parser (it sits above us). It reads Part 10 files
// in explicit or implicit VR little endian, enough to get the transfer
// syntax, the image pixel description and the frames of encapsulated pixel
// data (or the native pixel data bytes).

type testFile struct {
	ts     string
	info   FrameInfo
	nframe int
	frames [][]byte // encapsulated: one entry per frame
	native []byte   // native pixel data, when not encapsulated
}

func readTestFile(path string) (*testFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 132 || string(b[128:132]) != "DICM" {
		return nil, fmt.Errorf("%s: no DICM prefix", path)
	}
	f := &testFile{nframe: 1}
	p := &dsParser{b: b, pos: 132, explicit: true}
	// File meta group: explicit VR LE.
	for p.pos+4 <= len(b) && binary.LittleEndian.Uint16(b[p.pos:]) == 0x0002 {
		tag, _, val, err := p.element()
		if err != nil {
			return nil, fmt.Errorf("%s: meta: %w", path, err)
		}
		if tag == 0x00020010 {
			f.ts = strings.TrimRight(string(val), "\x00 ")
		}
	}
	p.explicit = f.ts != ImplicitVRLittleEndian
	if f.ts == ExplicitVRBigEndian || f.ts == DeflatedExplicitVRLittleEndian {
		return nil, fmt.Errorf("%s: transfer syntax %s not handled by the test reader", path, f.ts)
	}
	for p.pos < len(b) {
		tag, _, val, err := p.element()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		us := func() int {
			if len(val) < 2 {
				return 0
			}
			return int(binary.LittleEndian.Uint16(val))
		}
		switch tag {
		case 0x00280002:
			f.info.SamplesPerPixel = us()
		case 0x00280004:
			f.info.Photometric = strings.TrimRight(string(val), "\x00 ")
		case 0x00280008:
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimRight(string(val), "\x00")))
			if err != nil {
				return nil, fmt.Errorf("%s: NumberOfFrames %q", path, val)
			}
			f.nframe = n
		case 0x00280010:
			f.info.Rows = us()
		case 0x00280011:
			f.info.Columns = us()
		case 0x00280100:
			f.info.BitsAllocated = us()
		case 0x00280101:
			f.info.BitsStored = us()
		case 0x00280103:
			f.info.PixelRepresentation = us()
		case 0x7FE00010:
			if p.fragments != nil {
				f.frames, err = splitFrames(p.fragments, f.nframe)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
			} else {
				f.native = val
			}
			return f, nil
		}
	}
	return nil, fmt.Errorf("%s: no pixel data", path)
}

type dsParser struct {
	b         []byte
	pos       int
	explicit  bool
	fragments [][]byte // items of the last encapsulated element read
}

var longVR = map[string]bool{"OB": true, "OD": true, "OF": true, "OL": true, "OV": true, "OW": true, "SQ": true, "UC": true, "UN": true, "UR": true, "UT": true, "SV": true, "UV": true}

const undefinedLength = 0xFFFFFFFF

func (p *dsParser) need(n int) error {
	if n < 0 || p.pos+n > len(p.b) {
		return errors.New("truncated")
	}
	return nil
}

func (p *dsParser) u16() uint16 { v := binary.LittleEndian.Uint16(p.b[p.pos:]); p.pos += 2; return v }
func (p *dsParser) u32() uint32 { v := binary.LittleEndian.Uint32(p.b[p.pos:]); p.pos += 4; return v }

// element reads one data element; for undefined-length sequences it skips
// the items, for undefined-length pixel data it collects the fragments.
func (p *dsParser) element() (tag uint32, vr string, val []byte, err error) {
	if err := p.need(8); err != nil {
		return 0, "", nil, err
	}
	tag = uint32(p.u16())<<16 | uint32(p.u16())
	var length uint32
	if p.explicit && tag>>16 != 0xFFFE {
		vr = string(p.b[p.pos : p.pos+2])
		p.pos += 2
		if longVR[vr] {
			if err := p.need(6); err != nil {
				return 0, "", nil, err
			}
			p.pos += 2
			length = p.u32()
		} else {
			length = uint32(p.u16())
		}
	} else {
		length = p.u32()
	}
	p.fragments = nil
	if length == undefinedLength {
		if tag == 0x7FE00010 {
			p.fragments, err = p.items(true)
			return tag, vr, nil, err
		}
		_, err = p.items(false)
		return tag, vr, nil, err
	}
	if err := p.need(int(length)); err != nil {
		return 0, "", nil, fmt.Errorf("element %08X length %d: %w", tag, length, err)
	}
	val = p.b[p.pos : p.pos+int(length)]
	p.pos += int(length)
	return tag, vr, val, nil
}

// items reads items up to the sequence delimiter. Fragment items are
// returned; dataset items (of sequences) are parsed and dropped.
func (p *dsParser) items(fragments bool) ([][]byte, error) {
	var out [][]byte
	for {
		if err := p.need(8); err != nil {
			return nil, err
		}
		tag := uint32(p.u16())<<16 | uint32(p.u16())
		length := p.u32()
		switch tag {
		case 0xFFFEE0DD:
			return out, nil
		case 0xFFFEE000:
		default:
			return nil, fmt.Errorf("expected an item, found %08X", tag)
		}
		if length == undefinedLength {
			if fragments {
				return nil, errors.New("undefined-length fragment")
			}
			for {
				if p.pos+4 <= len(p.b) && binary.LittleEndian.Uint32(p.b[p.pos:]) == 0xE00DFFFE {
					p.pos += 8
					break
				}
				saved := p.fragments
				if _, _, _, err := p.element(); err != nil {
					return nil, err
				}
				p.fragments = saved
			}
			continue
		}
		if err := p.need(int(length)); err != nil {
			return nil, err
		}
		if fragments {
			out = append(out, p.b[p.pos:p.pos+int(length)])
		}
		p.pos += int(length)
	}
}

// splitFrames turns fragments (the first being the Basic Offset Table) into
// frames: by the offset table when it has one, one fragment per frame when
// the counts agree, or all fragments for a single frame.
func splitFrames(frags [][]byte, nframe int) ([][]byte, error) {
	if len(frags) == 0 {
		return nil, errors.New("no basic offset table item")
	}
	bot, data := frags[0], frags[1:]
	switch {
	case len(bot) >= 4*nframe && len(bot) > 0:
		// Offsets count from the first byte of the first fragment's item tag.
		starts := make([]int, len(data))
		off := 0
		for i, d := range data {
			starts[i] = off
			off += 8 + len(d)
		}
		var frames [][]byte
		for k := 0; k < nframe; k++ {
			lo := int(binary.LittleEndian.Uint32(bot[4*k:]))
			hi := off
			if k+1 < nframe {
				hi = int(binary.LittleEndian.Uint32(bot[4*k+4:]))
			}
			var fr []byte
			for i, s := range starts {
				if s >= lo && s < hi {
					fr = append(fr, data[i]...)
				}
			}
			frames = append(frames, fr)
		}
		return frames, nil
	case len(data) == nframe:
		return data, nil
	case nframe == 1:
		var fr []byte
		for _, d := range data {
			fr = append(fr, d...)
		}
		return [][]byte{fr}, nil
	}
	return nil, fmt.Errorf("%d fragments for %d frames and no offset table", len(data), nframe)
}
