//go:build !cgo || purego

package blas

var defaultImpl Impl = pureGo{}
