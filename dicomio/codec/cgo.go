//go:build cgo

package codec

// With cgo every syntax that has a decoder is available.

const unavailableReason = ""

func available(string) bool { return true }
