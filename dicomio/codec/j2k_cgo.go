//go:build cgo

package codec

/*
#cgo pkg-config: libopenjp2
#include <stdlib.h>
#include <string.h>
#include <openjpeg.h>

// A read-only memory stream for OpenJPEG over the caller's buffer; it lives
// only for the duration of one mm_j2k_decode call.
typedef struct {
	const OPJ_BYTE *data;
	OPJ_SIZE_T len, pos;
} mm_buf;

static OPJ_SIZE_T mm_read(void *out, OPJ_SIZE_T n, void *ud) {
	mm_buf *b = (mm_buf *)ud;
	if (b->pos >= b->len) return (OPJ_SIZE_T)-1;
	OPJ_SIZE_T k = b->len - b->pos;
	if (k > n) k = n;
	memcpy(out, b->data + b->pos, k);
	b->pos += k;
	return k;
}

static OPJ_OFF_T mm_skip(OPJ_OFF_T n, void *ud) {
	mm_buf *b = (mm_buf *)ud;
	if (n < 0) {
		if ((OPJ_SIZE_T)(-n) > b->pos) return -1;
	} else if ((OPJ_SIZE_T)n > b->len - b->pos) {
		n = (OPJ_OFF_T)(b->len - b->pos);
	}
	b->pos += n;
	return n;
}

static OPJ_BOOL mm_seek(OPJ_OFF_T n, void *ud) {
	mm_buf *b = (mm_buf *)ud;
	if (n < 0 || (OPJ_SIZE_T)n > b->len) return OPJ_FALSE;
	b->pos = (OPJ_SIZE_T)n;
	return OPJ_TRUE;
}

typedef struct {
	int32_t stage;         // 0 done; else the step that failed (see j2kStage in Go)
	opj_image_t *image;    // decoded image when stage is 0 (caller destroys)
	uint32_t width, height, comps, dx, dy;
	char msg[256];         // OpenJPEG's first error message
} mm_j2k_result;

static void mm_on_error(const char *msg, void *ud) {
	mm_j2k_result *r = (mm_j2k_result *)ud;
	if (r->msg[0] == 0) {
		strncpy(r->msg, msg, sizeof r->msg - 1);
		r->msg[sizeof r->msg - 1] = 0;
	}
}

// mm_j2k_decode decodes a J2K codestream (jp2 = 0) or JP2 file (jp2 = 1),
// checking the header against the expected size before decoding.
static void mm_j2k_decode(const void *src, size_t len, int jp2, uint32_t want_w, uint32_t want_h,
                          uint32_t want_c, mm_j2k_result *r) {
	mm_buf buf = {(const OPJ_BYTE *)src, len, 0};
	opj_dparameters_t params;
	opj_image_t *img = NULL;
	opj_stream_t *s = NULL;
	opj_codec_t *c = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	r->stage = 1;
	if (c == NULL) return;
	opj_set_error_handler(c, mm_on_error, r);
	opj_set_default_decoder_parameters(&params);
	if (!opj_setup_decoder(c, &params) || !opj_decoder_set_strict_mode(c, OPJ_TRUE)) goto out;
	s = opj_stream_create(len < OPJ_J2K_STREAM_CHUNK_SIZE ? len : OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
	if (s == NULL) goto out;
	opj_stream_set_read_function(s, mm_read);
	opj_stream_set_skip_function(s, mm_skip);
	opj_stream_set_seek_function(s, mm_seek);
	opj_stream_set_user_data(s, &buf, NULL);
	opj_stream_set_user_data_length(s, len);
	r->stage = 2;
	if (!opj_read_header(s, c, &img)) goto out;
	r->width = img->x1 - img->x0;
	r->height = img->y1 - img->y0;
	r->comps = img->numcomps;
	r->stage = 3;
	if (r->width != want_w || r->height != want_h || r->comps != want_c) goto out;
	for (uint32_t i = 0; i < img->numcomps; i++) {
		r->dx = img->comps[i].dx;
		r->dy = img->comps[i].dy;
		if (r->dx != 1 || r->dy != 1 || img->comps[i].prec < 1 || img->comps[i].prec > 32) {
			r->stage = 4;
			goto out;
		}
	}
	r->stage = 5;
	if (!opj_decode(c, s, img)) goto out;
	r->stage = 6;
	if (!opj_end_decompress(c, s)) goto out;
	for (uint32_t i = 0; i < img->numcomps; i++) {
		if (img->comps[i].data == NULL || img->comps[i].w != want_w || img->comps[i].h != want_h) {
			r->stage = 7;
			goto out;
		}
	}
	r->stage = 0;
	r->image = img;
	img = NULL;
out:
	if (img != NULL) opj_image_destroy(img);
	if (s != NULL) opj_stream_destroy(s);
	opj_destroy_codec(c);
}

static opj_image_comp_t *mm_comp(opj_image_t *img, uint32_t i) { return &img->comps[i]; }
*/
import "C"

import (
	"bytes"
	"encoding/binary"
	"unsafe"
)

var j2kStage = [...]string{1: "setting up the decoder", 2: "reading the header", 3: "checking the header",
	4: "checking the components", 5: "decoding", 6: "finishing the decode", 7: "checking the decoded components"}

var (
	j2kSOC = []byte{0xFF, 0x4F, 0xFF, 0x51}
	jp2Sig = []byte{0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}
)

// decodeJ2K decodes JPEG 2000 Part 1 and High-Throughput JPEG 2000 (Part 15)
// codestreams, bare or in a JP2 file, with OpenJPEG.
func decodeJ2K(frame []byte, info FrameInfo, l layout) (Decoded, error) {
	jp2 := 0
	switch {
	case bytes.HasPrefix(frame, j2kSOC):
	case bytes.HasPrefix(frame, jp2Sig):
		jp2 = 1
	default:
		return Decoded{}, corruptf("frame is neither a JPEG 2000 codestream (FF4F FF51) nor a JP2 file")
	}
	var r C.mm_j2k_result
	C.mm_j2k_decode(unsafe.Pointer(&frame[0]), C.size_t(len(frame)), C.int(jp2),
		C.uint32_t(info.Columns), C.uint32_t(info.Rows), C.uint32_t(info.SamplesPerPixel), &r)
	if r.image != nil {
		defer C.opj_image_destroy(r.image)
	}
	switch st := int(r.stage); st {
	case 0:
	case 3:
		return Decoded{}, checkDims("JPEG 2000 image", int(r.height), int(r.width), int(r.comps), info)
	case 4:
		return Decoded{}, unsupportedf("JPEG 2000 component with subsampling %d×%d or precision outside 1..32", int(r.dx), int(r.dy))
	default:
		msg := C.GoString(&r.msg[0])
		if msg == "" {
			msg = "OpenJPEG gave no reason"
		}
		return Decoded{}, corruptf("OpenJPEG failed %s: %s", j2kStage[st], trimNewline(msg))
	}

	out := make([]byte, l.size)
	spp := info.SamplesPerPixel
	for ci := 0; ci < spp; ci++ {
		comp := C.mm_comp(r.image, C.uint32_t(ci))
		prec := int(comp.prec)
		if info.BitsAllocated > 1 && prec > info.BitsAllocated {
			return Decoded{}, mismatchf("JPEG 2000 component %d has %d-bit precision, more than BitsAllocated %d", ci, prec, info.BitsAllocated)
		}
		data := unsafe.Slice((*int32)(unsafe.Pointer(comp.data)), l.pixels)
		switch l.bytes {
		case 1:
			if info.BitsAllocated == 1 {
				for p, v := range data {
					if v != 0 {
						out[p] = 1
					}
				}
				continue
			}
			for p, v := range data {
				out[p*spp+ci] = byte(v)
			}
		case 2:
			for p, v := range data {
				binary.LittleEndian.PutUint16(out[2*(p*spp+ci):], uint16(v))
			}
		case 4:
			for p, v := range data {
				binary.LittleEndian.PutUint32(out[4*(p*spp+ci):], uint32(v))
			}
		}
	}
	// Values of an unsigned codestream under PixelRepresentation 1 are made
	// signed by Decode's canonicalization (sign extension from BitsStored).
	photometric := info.Photometric
	if spp == 3 && (photometric == "YBR_RCT" || photometric == "YBR_ICT") && j2kUsesMCT(frame) {
		photometric = "RGB" // OpenJPEG applied the inverse component transform
	}
	return Decoded{Data: out, Photometric: photometric}, nil
}

func trimNewline(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

// j2kUsesMCT reports whether the codestream's default coding style (COD)
// asks for the multiple component transform.
func j2kUsesMCT(frame []byte) bool {
	i := bytes.Index(frame, j2kSOC)
	if i < 0 {
		return false
	}
	// Walk the main header: marker segments after SOC until SOT.
	p := i + 2
	for p+4 <= len(frame) && frame[p] == 0xFF {
		m := frame[p+1]
		n := int(binary.BigEndian.Uint16(frame[p+2:]))
		if m == 0x90 || n < 2 || p+2+n > len(frame) { // SOT: end of the main header
			return false
		}
		if m == 0x52 && n >= 8 { // COD: Lcod Scod SGcod(order, layers(2), MCT)
			return frame[p+2+6] != 0
		}
		p += 2 + n
	}
	return false
}
