//go:build cgo

package codec

/*
#cgo pkg-config: charls
#include <stdlib.h>
#include <charls/charls.h>

// What mm_jls_decode found, and how far it got.
typedef struct {
	int32_t stage;   // 0 done; else the step that failed (see jlsStage in Go)
	int32_t err;     // CharLS error code of the failed step
	uint32_t width, height;
	int32_t bits, comps, ilv, near_lossless;
	size_t need;     // bytes the decoded frame takes
} mm_jls_result;

// mm_jls_decode decodes a JPEG-LS stream into dst in one call, so that
// CharLS never holds a Go pointer after the call returns. It checks the
// header against the expected size before decoding anything.
static void mm_jls_decode(const void *src, size_t srclen, void *dst, size_t dstlen,
                          uint32_t want_w, uint32_t want_h, int32_t want_c, mm_jls_result *r) {
	charls_frame_info fi;
	charls_interleave_mode ilv = CHARLS_INTERLEAVE_MODE_NONE;
	charls_jpegls_decoder *d = charls_jpegls_decoder_create();
	if (d == NULL) {
		r->stage = 1;
		return;
	}
	r->stage = 2;
	if ((r->err = charls_jpegls_decoder_set_source_buffer(d, src, srclen)) != 0) goto out;
	r->stage = 3;
	if ((r->err = charls_jpegls_decoder_read_header(d)) != 0) goto out;
	if ((r->err = charls_jpegls_decoder_get_frame_info(d, &fi)) != 0) goto out;
	if ((r->err = charls_jpegls_decoder_get_interleave_mode(d, &ilv)) != 0) goto out;
	if ((r->err = charls_jpegls_decoder_get_near_lossless(d, 0, &r->near_lossless)) != 0) goto out;
	r->width = fi.width;
	r->height = fi.height;
	r->bits = fi.bits_per_sample;
	r->comps = fi.component_count;
	r->ilv = (int32_t)ilv;
	r->stage = 4;
	if (fi.width != want_w || fi.height != want_h || fi.component_count != want_c) goto out;
	r->stage = 5;
	if ((r->err = charls_jpegls_decoder_get_destination_size(d, 0, &r->need)) != 0) goto out;
	if (r->need > dstlen) goto out;
	r->stage = 6;
	if ((r->err = charls_jpegls_decoder_decode_to_buffer(d, dst, r->need, 0)) != 0) goto out;
	r->stage = 0;
out:
	charls_jpegls_decoder_destroy(d);
}

static const char *mm_jls_message(int32_t err) { return charls_get_error_message((charls_jpegls_errc)err); }
*/
import "C"

import (
	"encoding/binary"
	"unsafe"
)

// jlsStage names the step of mm_jls_decode that failed.
var jlsStage = [...]string{1: "creating the decoder", 2: "setting the source", 3: "reading the header", 4: "checking the header", 5: "sizing the output", 6: "decoding"}

// decodeJPEGLS decodes JPEG-LS (ISO 14495-1) with CharLS.
func decodeJPEGLS(frame []byte, info FrameInfo, l layout) (Decoded, error) {
	if info.BitsAllocated == 1 || info.BitsAllocated == 32 {
		return Decoded{}, mismatchf("JPEG-LS cannot fill BitsAllocated %d here", info.BitsAllocated)
	}
	if !endsWithEOI(frame) {
		// CharLS 2.4.1 spins for many seconds on a stream cut inside a scan
		// (about 20 s for a 64×64 frame); a complete stream ends with EOI.
		return Decoded{}, corruptf("JPEG-LS stream does not end with an EOI marker (truncated?)")
	}
	out := make([]byte, l.size)
	var r C.mm_jls_result
	C.mm_jls_decode(unsafe.Pointer(&frame[0]), C.size_t(len(frame)), unsafe.Pointer(&out[0]), C.size_t(len(out)),
		C.uint32_t(info.Columns), C.uint32_t(info.Rows), C.int32_t(info.SamplesPerPixel), &r)
	switch st := int(r.stage); {
	case st == 4:
		return Decoded{}, checkDims("JPEG-LS frame", int(r.height), int(r.width), int(r.comps), info)
	case st == 5 && r.err == 0:
		return Decoded{}, mismatchf("JPEG-LS frame of %d-bit samples needs %d bytes, BitsAllocated %d gives %d",
			int(r.bits), uint64(r.need), info.BitsAllocated, len(out))
	case st != 0:
		msg := "out of memory"
		if r.err != 0 {
			msg = C.GoString(C.mm_jls_message(r.err))
		}
		return Decoded{}, corruptf("CharLS %s: %s", jlsStage[st], msg)
	}
	// CharLS writes samples of 1 byte (≤ 8 bits) or 2 bytes in host order,
	// planar when the stream is not interleaved.
	sb := 1
	if r.bits > 8 {
		sb = 2
	}
	n := l.pixels * info.SamplesPerPixel
	if int(r.need) != n*sb {
		return Decoded{}, corruptf("CharLS produced %d bytes for %d samples", uint64(r.need), n)
	}
	if sb == 2 && !littleEndianHost {
		for i := 0; i < 2*n; i += 2 {
			out[i], out[i+1] = out[i+1], out[i]
		}
	}
	if info.SamplesPerPixel > 1 && r.ilv == C.CHARLS_INTERLEAVE_MODE_NONE {
		planar := append([]byte(nil), out[:n*sb]...)
		for p := 0; p < l.pixels; p++ {
			for c := 0; c < info.SamplesPerPixel; c++ {
				copy(out[(p*info.SamplesPerPixel+c)*sb:][:sb], planar[(c*l.pixels+p)*sb:][:sb])
			}
		}
	}
	if sb < l.bytes { // 8-bit stream in 16-bit samples: widen from the end
		for i := n - 1; i >= 0; i-- {
			v := out[i]
			out[2*i], out[2*i+1] = v, 0
		}
	}
	return Decoded{Data: out, Photometric: info.Photometric}, nil
}

// endsWithEOI reports whether a JPEG stream ends with the EOI marker,
// allowing the zero bytes that pad a DICOM fragment to even length.
func endsWithEOI(b []byte) bool {
	n := len(b)
	for n > 0 && b[n-1] == 0 {
		n--
	}
	return n >= 2 && b[n-2] == 0xFF && b[n-1] == mEOI
}

var littleEndianHost = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
