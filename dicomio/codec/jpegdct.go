package codec

import (
	"encoding/binary"
	"math"
)

// 12-bit sequential DCT JPEG (T.81 process 4, JPEG Extended), which
// image/jpeg does not read: Huffman-coded 8×8 blocks, dequantised and run
// through a floating-point inverse DCT, rounded to nearest. Written from the
// specification (Annex A.3, F.1, F.2). Greyscale, or colour without chroma
// subsampling; the IJG integer IDCT that dcmtk/GDCM use can differ from the
// exact transform by a level, so results agree with theirs within ±1.

// zigzag[k] is the row-major index of the k-th coefficient in zig-zag order.
var zigzag = [64]int{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// idctCos[x][u] = C(u)/2 · cos((2x+1)uπ/16), C(0) = 1/√2, C(u) = 1 otherwise.
var idctCos = func() (t [8][8]float64) {
	for x := range 8 {
		for u := range 8 {
			c := 1.0
			if u == 0 {
				c = 1 / math.Sqrt2
			}
			t[x][u] = c / 2 * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16)
		}
	}
	return t
}()

// idct8x8 transforms dequantised coefficients (row-major, v = row) into
// samples, adding the level shift and clamping to [0, maxv].
func idct8x8(coef *[64]int32, out []uint16, stride int, shift, maxv float64) {
	var tmp [64]float64
	for v := range 8 { // rows: transform along u
		if *(*[8]int32)(coef[v*8:]) == ([8]int32{}) {
			continue // most high-frequency rows are all zero
		}
		for x := range 8 {
			s := 0.0
			for u := range 8 {
				s += idctCos[x][u] * float64(coef[v*8+u])
			}
			tmp[v*8+x] = s
		}
	}
	for x := range 8 { // columns: transform along v
		for y := range 8 {
			s := 0.0
			for v := range 8 {
				s += idctCos[y][v] * tmp[v*8+x]
			}
			s = math.Floor(s + shift + 0.5)
			out[y*stride+x] = uint16(max(0, min(maxv, s)))
		}
	}
}

type dctComponent struct {
	id     byte
	h, v   int // sampling factors
	tq     int // quantisation table
	td, ta int // DC and AC Huffman tables of the current scan
	bw, bh int // blocks per line and per column in the padded plane
	plane  []uint16
	stride int
	pred   int32 // DC predictor
	done   bool
}

func decodeJPEG12(frame []byte, info FrameInfo, l layout) (Decoded, error) {
	if info.BitsAllocated != 16 {
		return Decoded{}, mismatchf("12-bit JPEG needs BitsAllocated 16, dataset has %d", info.BitsAllocated)
	}
	r := segmentReader{data: frame, pos: 2}
	var (
		dc, ac [4]huffTable
		qt     [4][64]int32
		qset   [4]bool
		comps  []dctComponent
		ri     int
		hmax   int
		vmax   int
		mcusX  int
		mcusY  int
	)
	for r.pos < len(frame) {
		m, p, err := r.next()
		if err != nil {
			return Decoded{}, err
		}
		switch {
		case m == mEOI:
			r.pos = len(frame)
		case m == mDQT:
			for len(p) > 0 {
				pq, tq := p[0]>>4, int(p[0]&0x0F)
				n := 64 * (1 + int(pq))
				if tq > 3 || pq > 1 || len(p) < 1+n {
					return Decoded{}, corruptf("DQT segment malformed")
				}
				for k := range 64 {
					if pq == 0 {
						qt[tq][zigzag[k]] = int32(p[1+k])
					} else {
						qt[tq][zigzag[k]] = int32(binary.BigEndian.Uint16(p[1+2*k:]))
					}
				}
				qset[tq] = true
				p = p[1+n:]
			}
		case m == mDHT:
			for len(p) > 0 {
				if len(p) < 17 {
					return Decoded{}, corruptf("DHT segment truncated")
				}
				tc, th := p[0]>>4, p[0]&0x0F
				total := 0
				for _, c := range p[1:17] {
					total += int(c)
				}
				if tc > 1 || th > 3 || total > 256 || len(p) < 17+total {
					return Decoded{}, corruptf("DHT segment malformed")
				}
				t := &dc[th]
				if tc == 1 {
					t = &ac[th]
				}
				if err := t.build(p[1:17], p[17:17+total]); err != nil {
					return Decoded{}, err
				}
				p = p[17+total:]
			}
		case m == mDRI:
			if len(p) < 2 {
				return Decoded{}, corruptf("DRI segment truncated")
			}
			ri = int(binary.BigEndian.Uint16(p))
		case m == mSOF0 || m == mSOF1:
			if comps != nil || len(p) < 6 {
				return Decoded{}, corruptf("second or truncated frame header")
			}
			rows, cols, nf := int(binary.BigEndian.Uint16(p[1:])), int(binary.BigEndian.Uint16(p[3:])), int(p[5])
			if err := checkDims("12-bit JPEG frame", rows, cols, nf, info); err != nil {
				return Decoded{}, err
			}
			if len(p) < 6+3*nf {
				return Decoded{}, corruptf("frame header truncated")
			}
			comps = make([]dctComponent, nf)
			for i := range comps {
				c := p[6+3*i:]
				h, v := int(c[1]>>4), int(c[1]&0x0F)
				if h < 1 || h > 4 || v < 1 || v > 4 || c[2] > 3 {
					return Decoded{}, corruptf("component %d: sampling %d×%d, table %d", c[0], h, v, c[2])
				}
				comps[i] = dctComponent{id: c[0], h: h, v: v, tq: int(c[2])}
				hmax, vmax = max(hmax, h), max(vmax, v)
			}
			for i := range comps {
				if comps[i].h != hmax || comps[i].v != vmax {
					return Decoded{}, unsupportedf("12-bit JPEG with subsampled components")
				}
			}
			mcusX, mcusY = (cols+8*hmax-1)/(8*hmax), (rows+8*vmax-1)/(8*vmax)
			for i := range comps {
				c := &comps[i]
				c.bw, c.bh = mcusX*c.h, mcusY*c.v
				c.stride = 8 * c.bw
				c.plane = make([]uint16, c.stride*8*c.bh)
			}
		case m == mSOS:
			if comps == nil {
				return Decoded{}, corruptf("scan before the frame header")
			}
			end, err := decodeDCTScan(frame, r.pos, p, comps, &dc, &ac, &qt, &qset, ri, info, mcusX, mcusY)
			if err != nil {
				return Decoded{}, err
			}
			r.pos = end
		case isSOF(m):
			return Decoded{}, corruptf("%s frame header inside a 12-bit DCT stream", jpegProcess(m))
		}
	}
	if comps == nil {
		return Decoded{}, corruptf("no frame header")
	}
	out := make([]byte, l.size)
	spp := len(comps)
	for ci, c := range comps {
		if !c.done {
			return Decoded{}, corruptf("component %d has no scan", c.id)
		}
		for y := range info.Rows {
			row := c.plane[y*c.stride : y*c.stride+info.Columns]
			for x, v := range row {
				binary.LittleEndian.PutUint16(out[2*((y*info.Columns+x)*spp+ci):], v)
			}
		}
	}
	// A 12-bit colour stream is stored as it was encoded (no YCbCr
	// conversion is defined for 12-bit in DICOM practice).
	return Decoded{Data: out, Photometric: info.Photometric}, nil
}

const mDQT = 0xDB

func decodeDCTScan(frame []byte, start int, hdr []byte, comps []dctComponent, dc, ac *[4]huffTable, qt *[4][64]int32,
	qset *[4]bool, ri int, info FrameInfo, mcusX, mcusY int) (int, error) {
	if len(hdr) < 1 {
		return 0, corruptf("SOS segment truncated")
	}
	ns := int(hdr[0])
	if ns < 1 || ns > len(comps) || len(hdr) < 1+2*ns+3 {
		return 0, corruptf("SOS segment names %d components", ns)
	}
	if hdr[1+2*ns] != 0 || hdr[2+2*ns] != 63 || hdr[3+2*ns] != 0 {
		return 0, unsupportedf("progressive 12-bit JPEG")
	}
	scan := make([]*dctComponent, ns)
	for i := range scan {
		id, t := hdr[1+2*i], hdr[2+2*i]
		for j := range comps {
			if comps[j].id == id {
				scan[i] = &comps[j]
			}
		}
		c := scan[i]
		switch {
		case c == nil || c.done:
			return 0, corruptf("scan names component %d, which is unknown or already coded", id)
		case int(t>>4) > 3 || int(t&15) > 3 || !dc[t>>4].defined || !ac[t&15].defined:
			return 0, corruptf("component %d uses undefined Huffman tables", id)
		case !qset[c.tq]:
			return 0, corruptf("component %d uses undefined quantisation table %d", id, c.tq)
		}
		c.td, c.ta, c.pred = int(t>>4), int(t&15), 0
	}
	br := bitReader{data: frame, pos: start}
	const shift, maxv = 2048, 4095
	var coef [64]int32
	block := func(c *dctComponent, bx, by int) error {
		coef = [64]int32{}
		q := &qt[c.tq]
		s, ok := br.decodeSymbol(&dc[c.td])
		if !ok || s > 15 {
			return corruptf("invalid DC code")
		}
		c.pred += br.extend(uint(s))
		coef[0] = c.pred * q[0]
		for k := 1; k < 64; {
			rs, ok := br.decodeSymbol(&ac[c.ta])
			if !ok {
				return corruptf("invalid AC code")
			}
			run, size := int(rs>>4), uint(rs&15)
			if size == 0 {
				if run != 15 {
					break // EOB
				}
				k += 16
				continue
			}
			k += run
			if k > 63 {
				return corruptf("AC coefficients run past the block")
			}
			coef[zigzag[k]] = br.extend(size) * q[zigzag[k]]
			k++
		}
		if bx < c.bw && by < c.bh {
			idct8x8(&coef, c.plane[by*8*c.stride+bx*8:], c.stride, shift, maxv)
		}
		return nil
	}
	// A single-component scan is not interleaved: its MCU is one block and
	// it covers only the blocks that hold image samples (A.2.2).
	nx, ny := mcusX, mcusY
	if ns == 1 { // components are never subsampled here (checked above)
		nx, ny = (info.Columns+7)/8, (info.Rows+7)/8
	}
	toRestart, nextRST := ri, byte(mRST0)
	for my := range ny {
		for mx := range nx {
			if ri > 0 {
				if toRestart == 0 {
					if err := br.restart(nextRST); err != nil {
						return 0, err
					}
					nextRST = mRST0 + (nextRST-mRST0+1)%8
					toRestart = ri
					for _, c := range scan {
						c.pred = 0
					}
				}
				toRestart--
			}
			if ns == 1 {
				if err := block(scan[0], mx, my); err != nil {
					return 0, err
				}
				continue
			}
			for _, c := range scan {
				for v := range c.v {
					for h := range c.h {
						if err := block(c, mx*c.h+h, my*c.v+v); err != nil {
							return 0, err
						}
					}
				}
			}
		}
	}
	if br.overrun() {
		return 0, corruptf("entropy-coded data ends before the last block")
	}
	for _, c := range scan {
		c.done = true
	}
	end := br.pos
	for end < len(frame) {
		if frame[end] == 0xFF && end+1 < len(frame) && frame[end+1] != 0x00 && frame[end+1] != 0xFF && (frame[end+1] < mRST0 || frame[end+1] > mRST7) {
			break
		}
		end++
	}
	return end, nil
}

// decodeSymbol decodes one Huffman symbol.
func (br *bitReader) decodeSymbol(h *huffTable) (byte, bool) {
	if br.n < 32 {
		br.fill()
	}
	if e := h.lut[br.acc>>(64-huffLUTBits)]; e != 0 {
		br.acc <<= e >> 8
		br.n -= uint(e >> 8)
		return byte(e), true
	}
	s, ok := br.slowHuff(h)
	return byte(s), ok
}

// extend reads s extra bits and maps them to a signed value (T.81 F.2.2.1).
func (br *bitReader) extend(s uint) int32 {
	if s == 0 {
		return 0
	}
	if br.n < s {
		br.fill()
	}
	v := int32(br.acc >> (64 - s))
	br.acc <<= s
	br.n -= s
	if v < 1<<(s-1) {
		v -= 1<<s - 1
	}
	return v
}
