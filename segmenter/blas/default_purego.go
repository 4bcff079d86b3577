//go:build !cgo || purego

package blas

var (
	defaultImpl   Impl = pureGo{}
	openBLASAlone Impl // no OpenBLAS without cgo
)

func tokenProductsInCgo() bool { return false }
