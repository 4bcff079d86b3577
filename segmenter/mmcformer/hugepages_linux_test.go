package mmcformer

import (
	"os"
	"testing"
)

// TestHugePages: the advice is accepted for a buffer spanning whole 2 MiB
// pages, and a buffer too small to hold one is left alone, where the
// kernel has transparent huge pages at all.
func TestHugePages(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("no transparent huge pages in this kernel")
	}
	if err := hugePages(make([]float32, 3<<20)); err != nil {
		t.Fatalf("12 MiB buffer: %v", err)
	}
	if err := hugePages(make([]float32, 1000)); err != nil {
		t.Fatalf("4 kB buffer: %v", err)
	}
	if err := hugePages([]float64(nil)); err != nil {
		t.Fatalf("empty buffer: %v", err)
	}
}
