package nifti

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// FuzzRead: no input may panic Read or the slice accessors, and whatever
// Read accepts must be a valid grid whose every slice can be read. Seeds:
// the nibabel corpus (../shared/data/nifti-nibabel) and small files of our
// own, plain and gzip, NIfTI-1 and -2, both byte orders.
func FuzzRead(f *testing.F) {
	if shareddata.Dir() != "" || shareddata.InCI() {
		dir := shareddata.Path(f, "nifti-nibabel")
		es, err := os.ReadDir(dir)
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range es {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	small := smallNII(f)
	f.Add(small)
	f.Add(gz(small))
	f.Add(bigEndian(small))
	data := make([]byte, 2*3*4*2)
	n2 := n2File([]int64{4, 2, 3, 2, 2}, Int16, data)
	f.Add(n2)
	f.Add(gz(n2))
	rgb := patch(small, func(b []byte) { put16(b, 70, int16(RGB24)); put16(b, 72, 24); put16(b, 46, 1) })
	f.Add(rgb)

	f.Fuzz(func(t *testing.T, in []byte) {
		im, err := Read(context.Background(), bytes.NewReader(in), ReadOptions{MaxBytes: 64 << 20})
		if err != nil {
			return
		}
		if err := im.Grid.Validate(); err != nil {
			t.Fatalf("accepted an invalid grid: %v", err)
		}
		if len(im.data) != im.sliceBytes*im.Grid.Slices {
			t.Fatalf("%d bytes loaded for %d slices of %d", len(im.data), im.Grid.Slices, im.sliceBytes)
		}
		var f32 []float32
		var rgb []byte
		for k := range im.Grid.Slices {
			if im.Header.Datatype.IsRGB() {
				rgb, err = im.SliceRGB(k, rgb)
			} else {
				f32, err = im.Slice(k, f32)
			}
			if err != nil {
				t.Fatalf("slice %d: %v", k, err)
			}
		}
	})
}

// bigEndian byte-swaps the header and int16 data of a little-endian NIfTI-1
// file written by Write (vox_offset 352, no extensions).
func bigEndian(le []byte) []byte {
	b := bytes.Clone(le)
	swap := func(off, size int) {
		for i, j := off, off+size-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
	}
	swap(0, 4)
	for off := 40; off < 56; off += 2 { // dim
		swap(off, 2)
	}
	for off := 56; off < 68; off += 4 { // intent_p*
		swap(off, 4)
	}
	for _, off := range []int{68, 70, 72, 74, 120, 252, 254} { // int16 fields
		swap(off, 2)
	}
	for off := 76; off < 148; off += 4 { // pixdim .. glmin
		if off == 120 {
			continue // slice_end (int16) + slice_code + xyzt_units
		}
		swap(off, 4)
	}
	for off := 256; off < 328; off += 4 { // quatern_b .. srow_z
		swap(off, 4)
	}
	for off := 352; off+1 < len(b); off += 2 {
		swap(off, 2)
	}
	return b
}

// TestBigEndianSynthetic checks the hand-swapped file reads as the original,
// which also makes it a meaningful fuzz seed.
func TestBigEndianSynthetic(t *testing.T) {
	le := smallNII(t)
	a, err := Read(context.Background(), bytes.NewReader(le), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Read(context.Background(), bytes.NewReader(bigEndian(le)), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Header.ByteOrder != binary.BigEndian || a.Grid != b.Grid {
		t.Fatalf("byte order %v, grids %v / %v", b.Header.ByteOrder, a.Grid, b.Grid)
	}
	for k := range a.Grid.Slices {
		x, _ := a.Slice(k, nil)
		y, _ := b.Slice(k, nil)
		if !equalF32(x, y) {
			t.Fatalf("slice %d differs after byte swapping", k)
		}
	}
}
