//go:build !cgo

package codec

// cgoBuild says whether the tests run against a build with the cgo codecs.
const cgoBuild = false
