package codec

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
)

// Deflated Image Frame Compression (1.2.840.10008.1.2.8.1, PS3.5 A.4.11):
// each frame is the native frame (little-endian samples; LSB-first packed
// bits for BitsAllocated 1) compressed with raw deflate (RFC 1951).

func decodeDeflate(frame []byte, info FrameInfo, l layout) (Decoded, error) {
	n := l.size
	if info.BitsAllocated == 1 {
		n = l.packed
	}
	// Reading through a limit keeps a deflate bomb from inflating past the
	// frame size plus the one pad byte allowed after an odd-length frame.
	r := flate.NewReader(bytes.NewReader(frame))
	buf := make([]byte, n+2)
	got := 0
	for got < len(buf) {
		k, err := r.Read(buf[got:])
		got += k
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Decoded{}, corruptf("inflating the frame: %v (after %d of %d bytes)", err, got, n)
		}
	}
	switch {
	case got > n+1:
		return Decoded{}, corruptf("frame inflates to more than %d bytes, want %d", n+1, n)
	case got < n:
		return Decoded{}, corruptf("frame inflates to %d bytes, want %d", got, n)
	}
	buf = buf[:n]
	if info.BitsAllocated == 1 {
		out := make([]byte, l.size)
		unpackBits(out, buf)
		return Decoded{Data: out, Photometric: info.Photometric}, nil
	}
	return Decoded{Data: buf, Photometric: info.Photometric}, nil
}
