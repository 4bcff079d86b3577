package dicomio

import "encoding/binary"

// packLabelBits sets bit off+i of dst (least significant bit first, as
// DICOM packs 1-bit pixels) for every i where labels[i] == value, so that a
// frame starting at any bit offset, byte-aligned or not, is packed in place
// after the frames before it. The bits it covers must be zero on entry;
// bits outside [off, off+len(labels)) are left alone. It is the packer of
// the SEG writer; UnpackBits is its inverse.
func packLabelBits(dst []byte, off int64, labels []uint8, value uint8) {
	n := len(labels)
	i := 0
	// Up to the next byte boundary, pixel by pixel.
	for ; i < n && (off+int64(i))%8 != 0; i++ {
		if labels[i] == value {
			b := off + int64(i)
			dst[b/8] |= 1 << (b % 8)
		}
	}
	// Eight pixels make one byte. Compare them at once: x has a zero byte
	// exactly where the label equals value; the high bit of each byte of z
	// is set exactly for the zero bytes of x (no borrow crosses bytes); the
	// multiplication moves bit 8j to bit 56+j, and no two partial products
	// share a bit, so nothing carries.
	const lo7 = 0x7F7F7F7F7F7F7F7F
	pattern := uint64(value) * 0x0101010101010101
	base := (off + int64(i)) / 8
	for ; i+8 <= n; i += 8 {
		x := binary.LittleEndian.Uint64(labels[i:]) ^ pattern
		z := ^((x&lo7 + lo7) | x | lo7)
		dst[base] |= byte((z >> 7) * 0x0102040810204080 >> 56)
		base++
	}
	for ; i < n; i++ {
		if labels[i] == value {
			b := off + int64(i)
			dst[b/8] |= 1 << (b % 8)
		}
	}
}
