package codec_test

import (
	"errors"
	"fmt"

	"github.com/mmcseg/mmcseg/dicomio/codec"
)

// Decoding one RLE Lossless frame of 2×3 unsigned 8-bit pixels: a 64-byte
// header naming one segment at offset 64, then PackBits runs.
func ExampleDecode() {
	frame := make([]byte, 64)
	frame[0] = 1  // one segment
	frame[4] = 64 // it starts right after the header
	frame = append(frame,
		0xFE, 7, // replicate: 3 × 7
		2, 1, 2, 3, // literal: 3 bytes
	)
	info := codec.FrameInfo{Rows: 2, Columns: 3, SamplesPerPixel: 1, BitsAllocated: 8, BitsStored: 8, Photometric: "MONOCHROME2"}
	d, err := codec.Decode(codec.RLELossless, frame, info)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Data, d.Photometric)
	// Output: [7 7 7 1 2 3] MONOCHROME2
}

// A transfer syntax the package does not decode is reported by name.
func ExampleDecode_unsupported() {
	info := codec.FrameInfo{Rows: 1, Columns: 1, SamplesPerPixel: 1, BitsAllocated: 8, BitsStored: 8, Photometric: "MONOCHROME2"}
	_, err := codec.Decode("1.2.840.10008.1.2.4.102", []byte{0}, info)
	fmt.Println(errors.Is(err, codec.ErrUnsupported))
	fmt.Println(err)
	// Output:
	// true
	// unsupported transfer syntax: MPEG-4 AVC/H.264 High Profile / Level 4.1 (1.2.840.10008.1.2.4.102): not a compressed pixel encoding this package decodes
}

func ExampleName() {
	fmt.Println(codec.Name(codec.JPEG2000Lossless))
	fmt.Println(codec.Name("1.2.840.10008.1.2.1"))
	// Output:
	// JPEG 2000 Lossless
	// Explicit VR Little Endian
}
