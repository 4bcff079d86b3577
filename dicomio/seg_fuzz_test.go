package dicomio

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// segFuzzSeeds writes a small SEG (7×11 frames: 77 bits, not byte
// aligned) for a synthetic series and returns the series and the encoded
// SEG in BINARY, FRACTIONAL and LABELMAP variants.
func segFuzzSeeds(tb testing.TB) (*Series, [][]byte) {
	tb.Helper()
	src := segScanOne(tb, segWriteOblique(tb, tb.TempDir(), 4, 11, 7))
	labels := segBlobLabels(src, 2)
	ds, _, err := buildSEG(context.Background(), src, labels, SEGOptions{Segments: segTestSegments(2)})
	if err != nil {
		tb.Fatal(err)
	}
	var seeds [][]byte
	seeds = append(seeds, encode(tb, ds, tsExplicitLE), encode(tb, ds, tsImplicitLE))

	// FRACTIONAL: one byte per pixel, 0 or 255.
	n, _ := ds.Int(tag.NumberOfFrames)
	plane := src.Rows * src.Columns
	frac := make([]byte, n*plane)
	UnpackBits(frac, ds.Bytes(tag.PixelData), 0)
	for i := range frac {
		frac[i] *= 255
	}
	fr := NewDataset()
	for e := range ds.All() {
		fr.Set(*e)
	}
	fr.Set(NewStrings(tag.SegmentationType, VRCS, "FRACTIONAL"))
	fr.Set(NewStrings(tag.SegmentationFractionalType, VRCS, "PROBABILITY"))
	fr.Set(NewInts(tag.MaximumFractionalValue, VRUS, 255))
	fr.Set(NewInts(tag.BitsAllocated, VRUS, 8))
	fr.Set(NewInts(tag.BitsStored, VRUS, 8))
	fr.Set(NewInts(tag.HighBit, VRUS, 7))
	fr.Set(NewBytes(tag.PixelData, VROB, frac))
	seeds = append(seeds, encode(tb, fr, tsExplicitLE))

	// LABELMAP: the label volume itself, one frame per slice.
	lm := NewDataset()
	for e := range fr.All() {
		lm.Set(*e)
	}
	lm.Set(NewStrings(tag.SOPClassUID, VRUI, sopLabelMapSegmentation))
	lm.Set(NewStrings(tag.SegmentationType, VRCS, "LABELMAP"))
	lm.Delete(tag.SegmentationFractionalType)
	lm.Delete(tag.MaximumFractionalValue)
	lm.Set(NewInts(tag.NumberOfFrames, VRIS, len(src.Slices)))
	lm.Set(NewBytes(tag.PixelData, VROB, labels))
	lm.Delete(tag.PerFrameFunctionalGroupsSequence)
	seeds = append(seeds, encode(tb, lm, tsExplicitLE))

	// Small SEGs of other writers, when the corpus is here.
	if d := shareddata.Dir(); d != "" {
		for _, p := range []string{"seg-dcmqi/23x38x3/seg/label.seg", "seg-highdicom/seg_image_ct_binary.dcm", "seg-highdicom/seg_image_ct_true_fractional.dcm"} {
			if b, err := os.ReadFile(filepath.Join(d, p)); err == nil {
				seeds = append(seeds, b)
			}
		}
	}
	return src, seeds
}

// FuzzReadSEG feeds mutated SEGs to the SEG reader and maps whatever it
// reads onto a series of the same frame size: neither may panic, and what
// is read must be self-consistent.
func FuzzReadSEG(f *testing.F) {
	src, seeds := segFuzzSeeds(f)
	for _, s := range seeds {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := Read(bytes.NewReader(data), int64(len(data)), ReadOptions{})
		if err != nil {
			return
		}
		s, err := segFromDataset(ctx, ds)
		if err != nil {
			return
		}
		plane := s.Rows * s.Columns
		for i, fr := range s.Frames {
			switch s.Type {
			case "LABELMAP":
				if len(fr.Labels) != plane {
					t.Fatalf("frame %d: %d labels for %d pixels", i, len(fr.Labels), plane)
				}
			default:
				if len(fr.Mask) != plane {
					t.Fatalf("frame %d: mask of %d for %d pixels", i, len(fr.Mask), plane)
				}
				for _, v := range fr.Mask {
					if v > 1 {
						t.Fatalf("frame %d: mask value %d", i, v)
					}
				}
			}
		}
		m, err := s.MapToSeries(src)
		if m == nil {
			if err == nil {
				t.Fatal("MapToSeries returned neither a mapping nor an error")
			}
			return
		}
		if len(m.FrameSlice) != len(s.Frames) {
			t.Fatalf("%d frame slices for %d frames", len(m.FrameSlice), len(s.Frames))
		}
		if _, err := m.LabelVolume(); err != nil {
			return
		}
	})
}
