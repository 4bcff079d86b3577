//go:build !linux

package mmcformer

import "github.com/mmcseg/mmcseg/segmenter"

// hugePages does nothing outside Linux (see hugepages_linux.go).
func hugePages[T segmenter.Float](x []T) error { return nil }
