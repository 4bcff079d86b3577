package codec

import "encoding/binary"

// JPEG lossless, Huffman coded (ITU-T T.81 Annex H, process 14): each sample
// is predicted from its decoded neighbours (Ra left, Rb above, Rc above-left)
// by one of seven predictors, and the Huffman-coded difference is added
// modulo 2^16. Written from the specification.

// huffLUTBits is the code length resolved by one table lookup.
const huffLUTBits = 9

type huffTable struct {
	// lut[code<<(huffLUTBits-len)...] = len<<8 | value for codes of up to
	// huffLUTBits bits; 0 means "longer code".
	lut     [1 << huffLUTBits]uint16
	maxcode [17]int32 // largest code of each length, -1 if none
	valptr  [17]int32 // index in vals of the first code of each length
	mincode [17]int32
	vals    [256]byte
	defined bool
}

// build makes the decoding tables from the DHT counts (codes per length
// 1..16) and values (T.81 Annex C), rejecting tables that overflow the code
// space.
func (h *huffTable) build(counts []byte, vals []byte) error {
	*h = huffTable{}
	copy(h.vals[:], vals)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		if n == 0 {
			h.maxcode[l] = -1
		} else {
			h.valptr[l] = k
			h.mincode[l] = code
			code += n
			k += n
			h.maxcode[l] = code - 1
			if code > 1<<l {
				return corruptf("Huffman table has more codes of length %d than fit", l)
			}
			if l <= huffLUTBits {
				for c := h.mincode[l]; c <= h.maxcode[l]; c++ {
					v := uint16(l)<<8 | uint16(vals[h.valptr[l]+c-h.mincode[l]])
					shift := uint(huffLUTBits - l)
					for j := c << shift; j < (c+1)<<shift; j++ {
						h.lut[j] = v
					}
				}
			}
		}
		code <<= 1
	}
	h.defined = true
	return nil
}

// bitReader reads the entropy-coded segment of a scan. It removes stuffed
// zero bytes and stops at a marker; past a marker or the end of the data it
// supplies zero bits and counts them, so that overrunning the real data is
// detected (pad > n) rather than read as garbage.
type bitReader struct {
	data   []byte
	pos    int
	acc    uint64 // bits left-aligned
	n      uint   // bits in acc
	pad    uint   // how many of the low bits of acc are padding
	marker bool   // pos is at a marker
}

func (br *bitReader) fill() {
	for br.n <= 56 {
		var b byte
		switch {
		case br.marker || br.pos >= len(br.data):
			br.pad += 8
		case br.data[br.pos] != 0xFF:
			b = br.data[br.pos]
			br.pos++
		case br.pos+1 < len(br.data) && br.data[br.pos+1] == 0x00:
			b = 0xFF
			br.pos += 2
		case br.pos+1 < len(br.data) && br.data[br.pos+1] == 0xFF:
			br.pos++ // fill byte before a marker
			continue
		default: // a marker, or 0xFF as the last byte
			br.marker = true
			br.pad += 8
		}
		br.acc |= uint64(b) << (56 - br.n)
		br.n += 8
	}
}

// overrun reports whether padding bits have been consumed.
func (br *bitReader) overrun() bool { return br.n < br.pad }

// diff decodes one difference: a Huffman-coded category s, then s extra
// bits (T.81 H.1.2.2, F.1.2.1). ok is false for an invalid code or
// category. The fast path fits Go's inlining budget.
func (br *bitReader) diff(h *huffTable) (v int32, ok bool) {
	if br.n < 32 { // a code (≤ 16 bits) and its extra bits (≤ 15)
		br.fill()
	}
	var s uint
	if e := h.lut[br.acc>>(64-huffLUTBits)]; e != 0 {
		br.acc <<= e >> 8
		br.n -= uint(e >> 8)
		s = uint(e & 0xFF)
	} else if s, ok = br.slowHuff(h); !ok {
		return 0, false
	}
	if s-1 >= 15 { // s == 0 or s >= 16
		return diffSpecial(s)
	}
	v = int32(br.acc >> (64 - s))
	br.acc <<= s
	br.n -= s
	if v < 1<<(s-1) {
		v -= 1<<s - 1
	}
	return v, true
}

func diffSpecial(s uint) (int32, bool) {
	switch s {
	case 0:
		return 0, true
	case 16:
		return 32768, true // no extra bits (T.81 H.1.2.2)
	}
	return 0, false
}

// slowHuff resolves a code longer than the lookup table covers.
func (br *bitReader) slowHuff(h *huffTable) (uint, bool) {
	for l := huffLUTBits + 1; l <= 16; l++ {
		c := int32(br.acc >> (64 - uint(l)))
		if c <= h.maxcode[l] {
			br.acc <<= uint(l)
			br.n -= uint(l)
			return uint(h.vals[h.valptr[l]+c-h.mincode[l]]), true
		}
	}
	return 0, false
}

// restart consumes an RSTn marker after a restart interval. Bytes left
// unconsumed before the marker are skipped, as IJG-derived decoders do.
func (br *bitReader) restart(want byte) error {
	if br.overrun() {
		return corruptf("entropy-coded data ends inside a restart interval")
	}
	br.acc, br.n, br.pad = 0, 0, 0
	for !br.marker && br.pos < len(br.data) {
		if br.data[br.pos] == 0xFF && br.pos+1 < len(br.data) && br.data[br.pos+1] != 0x00 && br.data[br.pos+1] != 0xFF {
			break
		}
		br.pos++
	}
	if br.pos+1 >= len(br.data) || br.data[br.pos] != 0xFF {
		return corruptf("missing RST%d marker", want-mRST0)
	}
	if m := br.data[br.pos+1]; m != want {
		return corruptf("found marker 0x%02X where RST%d was expected", m, want-mRST0)
	}
	br.pos += 2
	br.marker = false
	return nil
}

type llComponent struct {
	id     byte
	plane  []uint16 // decoded samples before the point transform
	done   bool
	td     int // Huffman table of the current scan
	inScan bool
}

// decodeJPEGLossless decodes a SOF3 stream with H = V = 1 for every
// component, 2..16-bit precision, all seven predictors, point transform,
// restart intervals, interleaved or one scan per component.
func decodeJPEGLossless(frame []byte, info FrameInfo, l layout) (Decoded, error) {
	if info.BitsAllocated == 1 {
		return Decoded{}, mismatchf("lossless JPEG cannot hold 1-bit frames")
	}
	r := segmentReader{data: frame, pos: 2} // readSOF checked the SOI
	var (
		tables    [4]huffTable
		comps     []llComponent
		precision int
		ri        int // restart interval in MCUs
		haveSOF   bool
	)
	for {
		if r.pos >= len(frame) {
			break // EOI missing after the last scan: accept if complete
		}
		m, p, err := r.next()
		if err != nil {
			return Decoded{}, err
		}
		switch {
		case m == mEOI:
			goto done
		case m == mDHT:
			for len(p) > 0 {
				if len(p) < 17 {
					return Decoded{}, corruptf("DHT segment truncated")
				}
				tc, th := p[0]>>4, p[0]&0x0F
				if tc != 0 || th > 3 {
					return Decoded{}, corruptf("DHT defines table class %d id %d; lossless JPEG uses DC tables 0..3", tc, th)
				}
				total := 0
				for _, c := range p[1:17] {
					total += int(c)
				}
				if total > 256 || len(p) < 17+total {
					return Decoded{}, corruptf("DHT table %d declares %d codes, segment holds %d", th, total, len(p)-17)
				}
				if err := tables[th].build(p[1:17], p[17:17+total]); err != nil {
					return Decoded{}, err
				}
				p = p[17+total:]
			}
		case m == mDRI:
			if len(p) < 2 {
				return Decoded{}, corruptf("DRI segment truncated")
			}
			ri = int(binary.BigEndian.Uint16(p))
		case m == mSOF3:
			if haveSOF {
				return Decoded{}, corruptf("second frame header in one JPEG frame")
			}
			haveSOF = true
			if len(p) < 6 {
				return Decoded{}, corruptf("SOF3 segment truncated")
			}
			precision = int(p[0])
			rows := int(binary.BigEndian.Uint16(p[1:]))
			cols := int(binary.BigEndian.Uint16(p[3:]))
			nf := int(p[5])
			if rows == 0 {
				rows = info.Rows // the height comes in a DNL marker, which we do not need
			}
			if err := checkDims("lossless JPEG frame", rows, cols, nf, info); err != nil {
				return Decoded{}, err
			}
			if precision < 2 || precision > 16 {
				return Decoded{}, corruptf("lossless JPEG precision %d (must be 2..16)", precision)
			}
			if precision > 8*l.bytes {
				return Decoded{}, mismatchf("lossless JPEG precision %d does not fit BitsAllocated %d", precision, info.BitsAllocated)
			}
			if len(p) < 6+3*nf {
				return Decoded{}, corruptf("SOF3 segment truncated")
			}
			comps = make([]llComponent, nf)
			for i := range comps {
				c := p[6+3*i:]
				if c[1] != 0x11 {
					return Decoded{}, unsupportedf("lossless JPEG with subsampled components (sampling 0x%02X)", c[1])
				}
				for j := range i {
					if comps[j].id == c[0] {
						return Decoded{}, corruptf("SOF3 lists component %d twice", c[0])
					}
				}
				comps[i] = llComponent{id: c[0], plane: make([]uint16, l.pixels)}
			}
		case m == mSOS:
			if !haveSOF {
				return Decoded{}, corruptf("scan before the frame header")
			}
			end, err := decodeLosslessScan(frame, r.pos, p, comps, &tables, precision, ri, info)
			if err != nil {
				return Decoded{}, err
			}
			r.pos = end
		case isSOF(m):
			return Decoded{}, corruptf("%s frame header inside a lossless JPEG stream", jpegProcess(m))
		case m == mSOI || (m >= mRST0 && m <= mRST7):
			return Decoded{}, corruptf("unexpected marker 0x%02X", m)
		}
		// APPn, COM, DQT, DNL and the rest carry nothing we need.
	}
done:
	if !haveSOF {
		return Decoded{}, corruptf("no SOF3 frame header")
	}
	for _, c := range comps {
		if !c.done {
			return Decoded{}, corruptf("component %d has no scan", c.id)
		}
	}
	return Decoded{Data: interleave(comps, info, l), Photometric: info.Photometric}, nil
}

// interleave writes the component planes as native little-endian samples.
func interleave(comps []llComponent, info FrameInfo, l layout) []byte {
	out := make([]byte, l.size)
	spp := len(comps)
	for ci, c := range comps {
		switch l.bytes {
		case 1:
			for p, v := range c.plane {
				out[p*spp+ci] = byte(v)
			}
		case 2:
			for p, v := range c.plane {
				binary.LittleEndian.PutUint16(out[2*(p*spp+ci):], v)
			}
		case 4:
			for p, v := range c.plane {
				binary.LittleEndian.PutUint32(out[4*(p*spp+ci):], uint32(v))
			}
		}
	}
	return out
}

// predict applies predictor ps (T.81 Table H.1) to the left (ra), above
// (rb) and above-left (rc) neighbours.
func predict(ps int, ra, rb, rc int32) int32 {
	switch ps {
	case 1:
		return ra
	case 2:
		return rb
	case 3:
		return rc
	case 4:
		return ra + rb - rc
	case 5:
		return ra + (rb-rc)>>1
	case 6:
		return rb + (ra-rc)>>1
	}
	return (ra + rb) >> 1
}

// decodeLosslessScan decodes one scan whose header is hdr and whose
// entropy-coded data starts at frame[start]; it returns where the data ends
// (the next marker).
func decodeLosslessScan(frame []byte, start int, hdr []byte, comps []llComponent, tables *[4]huffTable, precision, ri int, info FrameInfo) (int, error) {
	if len(hdr) < 1 {
		return 0, corruptf("SOS segment truncated")
	}
	ns := int(hdr[0])
	if ns < 1 || ns > len(comps) || len(hdr) < 1+2*ns+3 {
		return 0, corruptf("SOS segment names %d components for a %d-component frame", ns, len(comps))
	}
	scan := make([]*llComponent, ns)
	for i := range scan {
		id, td := hdr[1+2*i], int(hdr[2+2*i]>>4)
		for j := range comps {
			if comps[j].id == id {
				scan[i] = &comps[j]
			}
		}
		c := scan[i]
		switch {
		case c == nil:
			return 0, corruptf("scan names component %d, which the frame header does not have", id)
		case c.done || c.inScan:
			return 0, corruptf("component %d is coded twice", id)
		case td > 3 || !tables[td].defined:
			return 0, corruptf("component %d uses Huffman table %d, which is not defined", id, td)
		}
		c.td, c.inScan = td, true
	}
	ps, pt := int(hdr[1+2*ns]), int(hdr[3+2*ns]&0x0F)
	if ps < 1 || ps > 7 {
		return 0, corruptf("lossless predictor %d (must be 1..7)", ps)
	}
	if pt >= precision {
		return 0, corruptf("point transform %d with precision %d", pt, precision)
	}

	br := bitReader{data: frame, pos: start}
	cols, rows := info.Columns, info.Rows
	initial := int32(1) << uint(precision-pt-1)
	mcus := rows * cols // one sample of each scan component per MCU
	toRestart := ri
	nextRST := byte(mRST0)
	resetRow := 0 // the row in which the last (re)start happened
	resetPos := 0 // the sample position at which it happened
	bad := func(pos int) (int, error) {
		return 0, corruptf("invalid Huffman code or difference category at sample %d (row %d, column %d)", pos, pos/cols, pos%cols)
	}
	if ns == 1 && ri == 0 {
		// The common case (greyscale, no restarts): one plane, no restart
		// bookkeeping, the predictor chosen once per row.
		h, pl := &tables[scan[0].td], scan[0].plane
		for col := 0; col < cols; col++ {
			d, ok := br.diff(h)
			if !ok {
				return bad(col)
			}
			pred := initial
			if col > 0 {
				pred = int32(pl[col-1])
			}
			pl[col] = uint16(pred + d)
		}
		for pos := cols; pos < mcus; pos += cols {
			row, up := pl[pos:pos+cols], pl[pos-cols:pos]
			d, ok := br.diff(h)
			if !ok {
				return bad(pos)
			}
			row[0] = uint16(int32(up[0]) + d)
			for x := 1; x < cols; x++ {
				d, ok := br.diff(h)
				if !ok {
					return bad(pos + x)
				}
				row[x] = uint16(predict(ps, int32(row[x-1]), int32(up[x]), int32(up[x-1])) + d)
			}
		}
		mcus = 0 // done
	}
	pos := 0
	for row := 0; pos < mcus; row++ {
		for col := 0; col < cols; col, pos = col+1, pos+1 {
			if ri > 0 {
				if toRestart == 0 && pos > 0 {
					if err := br.restart(nextRST); err != nil {
						return 0, err
					}
					nextRST = mRST0 + (nextRST-mRST0+1)%8
					toRestart = ri
					resetRow, resetPos = row, pos
				}
				toRestart--
			}
			for _, c := range scan {
				d, ok := br.diff(&tables[c.td])
				if !ok {
					return bad(pos)
				}
				pl := c.plane
				var pred int32
				switch {
				case pos == resetPos:
					pred = initial
				case row == resetRow:
					pred = int32(pl[pos-1]) // first line after a (re)start: Ra
				case col == 0:
					pred = int32(pl[pos-cols]) // first column: Rb
				default:
					pred = predict(ps, int32(pl[pos-1]), int32(pl[pos-cols]), int32(pl[pos-cols-1]))
				}
				pl[pos] = uint16(pred + d)
			}
		}
	}
	if br.overrun() {
		return 0, corruptf("entropy-coded data ends before the last sample (%d samples)", mcus)
	}
	for _, c := range scan {
		c.done, c.inScan = true, false
		if pt > 0 {
			for i, v := range c.plane {
				c.plane[i] = v << uint(pt)
			}
		}
	}
	// Continue after the entropy-coded data: find the next marker.
	end := br.pos
	for end < len(frame) {
		if frame[end] == 0xFF && end+1 < len(frame) && frame[end+1] != 0x00 && frame[end+1] != 0xFF && (frame[end+1] < mRST0 || frame[end+1] > mRST7) {
			break
		}
		end++
	}
	return end, nil
}
