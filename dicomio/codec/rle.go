package codec

import "encoding/binary"

// RLE Lossless (PS3.5 Annex G): a 64-byte header of 16 little-endian uint32
// (the number of segments, then up to 15 segment offsets from the start of
// the frame), followed by PackBits-coded segments. Each segment holds one
// byte plane: for every sample, its most significant byte first. A 1-bit
// frame is one segment holding the LSB-first packed bits.

const rleHeaderSize = 64

func decodeRLE(frame []byte, info FrameInfo, l layout) (Decoded, error) {
	if len(frame) < rleHeaderSize {
		return Decoded{}, corruptf("frame is %d bytes, shorter than the %d-byte RLE header", len(frame), rleHeaderSize)
	}
	nseg := binary.LittleEndian.Uint32(frame)
	want := info.SamplesPerPixel * l.bytes
	if info.BitsAllocated == 1 {
		want = 1
	}
	if nseg != uint32(want) {
		if nseg < 1 || nseg > 15 {
			return Decoded{}, corruptf("RLE header says %d segments (must be 1..15)", nseg)
		}
		return Decoded{}, mismatchf("RLE header has %d segments, want %d for %d sample(s) of %d bits",
			nseg, want, info.SamplesPerPixel, info.BitsAllocated)
	}
	var offs [16]int
	for i := 0; i < want; i++ {
		offs[i] = int(binary.LittleEndian.Uint32(frame[4+4*i:]))
		if offs[i] < rleHeaderSize || offs[i] > len(frame) || (i > 0 && offs[i] < offs[i-1]) {
			return Decoded{}, corruptf("RLE segment %d offset %d is outside the %d-byte frame or out of order", i+1, offs[i], len(frame))
		}
	}
	offs[want] = len(frame)
	segment := func(i int) []byte { return frame[offs[i]:offs[i+1]] }

	out := make([]byte, l.size)
	switch {
	case info.BitsAllocated == 1:
		packed := make([]byte, l.packed)
		if err := unpackBitsRLE(packed, segment(0), 1); err != nil {
			return Decoded{}, err
		}
		unpackBits(out, packed)
	case want == 1:
		if err := unpackBitsRLE(out, segment(0), 1); err != nil {
			return Decoded{}, err
		}
	default:
		plane := make([]byte, l.pixels)
		stride := want // bytes per pixel in the output
		for s := 0; s < want; s++ {
			if err := unpackBitsRLE(plane, segment(s), s+1); err != nil {
				return Decoded{}, err
			}
			// Segment s is byte (bytes-1 - s%bytes) of sample s/bytes, little-endian.
			pos := (s/l.bytes)*l.bytes + (l.bytes - 1 - s%l.bytes)
			dst := out[pos:]
			for p, b := range plane {
				dst[p*stride] = b
			}
		}
	}
	return Decoded{Data: out, Photometric: info.Photometric}, nil
}

// unpackBitsRLE decodes one PackBits segment into dst, which it must fill
// exactly; output beyond len(dst) (an encoder's row padding) is ignored.
func unpackBitsRLE(dst, src []byte, seg int) error {
	n, i := 0, 0
	for n < len(dst) {
		if i >= len(src) {
			return corruptf("RLE segment %d decodes to %d bytes, want %d", seg, n, len(dst))
		}
		h := int(int8(src[i]))
		i++
		switch {
		case h >= 0: // copy the next h+1 bytes literally
			k := h + 1
			if i+k > len(src) {
				return corruptf("RLE segment %d: literal run of %d bytes at offset %d runs past the segment end (%d bytes)", seg, k, i-1, len(src))
			}
			n += copy(dst[n:], src[i:i+k])
			i += k
		case h != -128: // repeat the next byte 1-h times
			if i >= len(src) {
				return corruptf("RLE segment %d: replicate run at offset %d has no byte to repeat", seg, i-1)
			}
			b := src[i]
			i++
			k := min(1-h, len(dst)-n)
			for j := range dst[n : n+k] {
				dst[n+j] = b
			}
			n += k
		}
	}
	return nil
}
