//go:build !cgo

package codec

// Without cgo there is no CharLS or OpenJPEG: JPEG-LS and JPEG 2000 (and a
// JPEG-LS stream found under a JPEG UID) are reported as unsupported.

const unavailableReason = "decoding it needs cgo (CharLS/OpenJPEG) and this build has none"

func available(uid string) bool {
	switch uid {
	case JPEGLSLossless, JPEGLSNearLossless, JPEG2000Lossless, JPEG2000, HTJ2KLossless, HTJ2KLosslessRPCL, HTJ2K:
		return false
	}
	return true
}

func decodeJPEGLS([]byte, FrameInfo, layout) (Decoded, error) {
	return Decoded{}, unsupportedf("JPEG-LS stream: %s", unavailableReason)
}

func decodeJ2K([]byte, FrameInfo, layout) (Decoded, error) {
	return Decoded{}, unsupportedf("JPEG 2000 stream: %s", unavailableReason)
}
