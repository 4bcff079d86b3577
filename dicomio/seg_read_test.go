package dicomio

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/codec"
	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// segCorpusCase is a SEG of the shared corpus and what reading it gives.
type segCorpusCase struct {
	path     string
	typ      string
	frames   int
	segments int
	// counts are foreground pixels per segment (LABELMAP: pixels per
	// label value) where the manifest states them.
	counts map[int]int
	// frameCounts are foreground pixels per frame, where stated.
	frameCounts []int
	// sameAs names the file whose frames these must equal, for encodings
	// pydicom cannot decode (1-bit RLE, Deflated Image Frame Compression).
	sameAs string
	tiled  bool
}

const jpeg2000Lossless = "1.2.840.10008.1.2.4.90"

var liverFrames = []int{36233, 35645, 35220}

var segCorpus = []segCorpusCase{
	{path: "seg-dcmqi/liver.dcm", typ: "BINARY", frames: 3, segments: 1, counts: map[int]int{1: 107098}, frameCounts: liverFrames},
	{path: "seg-dcmqi/partial_overlaps.dcm", typ: "BINARY", frames: 7, segments: 5, counts: map[int]int{1: 9602, 2: 11888, 3: 10743, 4: 6693, 5: 4713}},
	{path: "seg-dcmqi/23x38x3/seg/label.seg", typ: "BINARY", frames: 3, segments: 1, counts: map[int]int{1: 322}},
	{path: "seg-dcmqi/24x38x3/seg/label.seg", typ: "BINARY", frames: 3, segments: 1, counts: map[int]int{1: 315}},
	{path: "seg-dcmqi/sr-example/seg.dcm", typ: "BINARY", frames: 13, segments: 1},
	{path: "seg-dcmqi/sparse-labelmap-noppv.dcm", typ: "LABELMAP", frames: 2, segments: 2},
	{path: "seg-dcmqi/sparse-labelmap-ppv5.dcm", typ: "LABELMAP", frames: 2, segments: 2},
	{path: "seg-highdicom/seg_image_ct_binary.dcm", typ: "BINARY", frames: 3, segments: 1, counts: map[int]int{1: 638}},
	{path: "seg-highdicom/seg_image_ct_binary_overlap.dcm", typ: "BINARY", frames: 8, segments: 2, counts: map[int]int{1: 64, 2: 16}},
	{path: "seg-highdicom/seg_image_ct_binary_fractional.dcm", typ: "FRACTIONAL", frames: 3, segments: 1, counts: map[int]int{1: 638}},
	{path: "seg-highdicom/seg_image_ct_true_fractional.dcm", typ: "FRACTIONAL", frames: 3, segments: 1},
	{path: "seg-highdicom/seg_image_ct_binary_single_frame.dcm", typ: "BINARY", frames: 1, segments: 1, counts: map[int]int{1: 1832}},
	{path: "seg-highdicom/seg_image_cr_binary.dcm", typ: "BINARY", frames: 1, segments: 1, counts: map[int]int{1: 151}},
	{path: "seg-highdicom/seg_image_sm_control_labelmap.dcm", typ: "LABELMAP", frames: 20, segments: 21},
	{path: "seg-highdicom/seg_image_sm_dots_tiled_full.dcm", typ: "BINARY", frames: 1250, segments: 50, tiled: true},
	{path: "seg-pydicom-data/liver_expb.dcm", typ: "BINARY", frames: 3, segments: 1, frameCounts: liverFrames},
	{path: "seg-pydicom-data/liver_rle.dcm", typ: "BINARY", frames: 3, segments: 1, frameCounts: liverFrames, sameAs: "seg-dcmqi/liver.dcm"},
	{path: "seg-pydicom-data/liver_j2k.dcm", typ: "BINARY", frames: 3, segments: 1, frameCounts: liverFrames},
	{path: "seg-pydicom-data/liver_deflate.dcm", typ: "BINARY", frames: 3, segments: 1, frameCounts: liverFrames, sameAs: "seg-dcmqi/liver.dcm"},
	{path: "seg-pydicom-data/liver_nonbyte_aligned.dcm", typ: "BINARY", frames: 3, segments: 1, frameCounts: liverFrames},
	{path: "seg-pydicom-data/liver_nonbyte_aligned_rle.dcm", typ: "BINARY", frames: 3, segments: 1, frameCounts: liverFrames, sameAs: "seg-pydicom-data/liver_nonbyte_aligned.dcm"},
	{path: "seg-pydicom-data/liver_nonbyte_aligned_j2k.dcm", typ: "BINARY", frames: 3, segments: 1, frameCounts: liverFrames},
	{path: "seg-pydicom-data/liver_nonbyte_aligned_deflate.dcm", typ: "BINARY", frames: 3, segments: 1, frameCounts: liverFrames, sameAs: "seg-pydicom-data/liver_nonbyte_aligned.dcm"},
	{path: "seg-pydicom-data/liver_1frame.dcm", typ: "BINARY", frames: 1, segments: 1, frameCounts: liverFrames[:1]},
	{path: "seg-pydicom-data/liver_expb_1frame.dcm", typ: "BINARY", frames: 1, segments: 1, frameCounts: liverFrames[:1]},
}

// TestReadSEGCorpus reads every SEG of the corpus and compares it with the
// manifest's counts and with pydicom: every frame's pixels (pixel_array;
// Pillow/OpenJPEG for 1-bit JPEG 2000, which crashes pydicom's GDCM
// handler), segment numbers, source references and positions. Encodings
// pydicom cannot decode are compared with their uncompressed master.
func TestReadSEGCorpus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var (
		corpus []segCorpusCase
		paths  []string
		read   = map[string]*SEG{}
	)
	for _, c := range segCorpus {
		path := shareddata.Path(t, c.path)
		s, err := ReadSEG(ctx, path)
		if err != nil && strings.HasSuffix(c.path, "_j2k.dcm") && !codec.Supported(jpeg2000Lossless) {
			// A build without cgo has no JPEG 2000 decoder: the reader
			// must say so, not return wrong frames.
			if !errors.Is(err, codec.ErrUnsupported) {
				t.Errorf("%s without a JPEG 2000 decoder: %v, want codec.ErrUnsupported", c.path, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		read[c.path] = s
		corpus = append(corpus, c)
		paths = append(paths, path)
	}
	py := segPydicom(t, paths...)
	for i, c := range corpus {
		t.Run(c.path, func(t *testing.T) {
			s, p := read[c.path], py[i]
			if s.Type != c.typ || len(s.Frames) != c.frames || len(s.Segments) != c.segments || s.TiledFull != c.tiled {
				t.Fatalf("%s, %d frames, %d segments, tiled %v; want %s, %d, %d, %v",
					s.Type, len(s.Frames), len(s.Segments), s.TiledFull, c.typ, c.frames, c.segments, c.tiled)
			}
			if s.Rows != p.Rows || s.Columns != p.Columns || s.SOPClassUID != p.SOPClass || s.StudyInstanceUID != p.Study ||
				s.SeriesInstanceUID != p.Series || s.FrameOfReferenceUID != p.FoR {
				t.Errorf("header differs from pydicom's: %d×%d %s %s %s %s", s.Columns, s.Rows, s.SOPClassUID, s.StudyInstanceUID, s.SeriesInstanceUID, s.FrameOfReferenceUID)
			}
			// Segments as pydicom reads them.
			for j, sg := range s.Segments {
				ps := p.Segments[j]
				if sg.Number != ps.Number || sg.Label != ps.Label || sg.AlgorithmType != ps.AlgorithmType ||
					!slices.Equal([]string{sg.Category.Value, sg.Category.Scheme, sg.Category.Meaning}, ps.Category) ||
					!slices.Equal([]string{sg.Type.Value, sg.Type.Scheme, sg.Type.Meaning}, ps.Type) {
					t.Errorf("segment %d: %+v; pydicom %+v", j+1, sg, ps)
				}
				if ps.Lab != nil && sg.Color != srgbFromCIELab([3]int{ps.Lab[0], ps.Lab[1], ps.Lab[2]}) {
					t.Errorf("segment %d colour %v from CIELab %v", sg.Number, sg.Color, ps.Lab)
				}
			}
			// Referenced series.
			if len(s.ReferencedSeries) != len(p.RefSeries) {
				t.Errorf("%d referenced series, pydicom %d", len(s.ReferencedSeries), len(p.RefSeries))
			} else {
				for j, r := range s.ReferencedSeries {
					var uids []string
					for _, in := range r.Instances {
						uids = append(uids, in.SOPInstanceUID)
					}
					if r.SeriesInstanceUID != p.RefSeries[j].UID || !slices.Equal(uids, p.RefSeries[j].Instances) {
						t.Errorf("referenced series %d differs from pydicom's", j+1)
					}
				}
			}
			// Frames: metadata.
			perSegment := 0
			if c.tiled {
				perSegment = c.frames / c.segments
			}
			for k, f := range s.Frames {
				pf := p.Frames[k]
				switch {
				case c.typ == "LABELMAP":
					if f.Segment != 0 {
						t.Errorf("LABELMAP frame %d has segment %d", k+1, f.Segment)
					}
				case pf.Segment != nil:
					if f.Segment != *pf.Segment {
						t.Errorf("frame %d: segment %d, pydicom %d", k+1, f.Segment, *pf.Segment)
					}
				case c.tiled:
					// TILED_FULL: the frames of each segment in turn.
					if f.Segment != k/perSegment+1 {
						t.Errorf("TILED_FULL frame %d: segment %d, want %d", k+1, f.Segment, k/perSegment+1)
					}
				default:
					if len(s.Segments) != 1 || f.Segment != s.Segments[0].Number {
						t.Errorf("frame %d: segment %d without a SegmentIdentificationSequence", k+1, f.Segment)
					}
				}
				if (pf.IPP != nil) != f.HasPosition || f.HasPosition && geomDist(pf.IPP, f.Position) > 1e-9 {
					t.Errorf("frame %d: position %v (%v), pydicom %v", k+1, f.Position, f.HasPosition, pf.IPP)
				}
				if len(f.Sources) != len(pf.Sources) && len(pf.Sources) > 0 {
					t.Errorf("frame %d: %d sources, pydicom %d", k+1, len(f.Sources), len(pf.Sources))
				}
				for j := range min(len(f.Sources), len(pf.Sources)) {
					if f.Sources[j].SOPInstanceUID != pf.Sources[j].UID || f.Sources[j].SOPClassUID != pf.Sources[j].Class ||
						!slices.Equal(f.Sources[j].Frames, pf.Sources[j].Frames) {
						t.Errorf("frame %d source %d: %+v, pydicom %+v", k+1, j+1, f.Sources[j], pf.Sources[j])
					}
				}
			}
			// Frames: pixels.
			counts := map[int]int{}
			nonzero := 0
			for k, f := range s.Frames {
				switch c.typ {
				case "LABELMAP":
					for _, v := range f.Labels {
						counts[int(v)]++
					}
				default:
					n := bytes.Count(f.Mask, []byte{1})
					counts[f.Segment] += n
					if c.frameCounts != nil && n != c.frameCounts[k] {
						t.Errorf("frame %d: %d foreground pixels, manifest %d", k+1, n, c.frameCounts[k])
					}
					if f.Fraction != nil {
						nonzero += len(f.Fraction) - bytes.Count(f.Fraction, []byte{0})
					}
				}
			}
			for seg, n := range c.counts {
				if counts[seg] != n {
					t.Errorf("segment %d: %d pixels, manifest %d", seg, counts[seg], n)
				}
			}
			if c.path == "seg-highdicom/seg_image_ct_true_fractional.dcm" && nonzero != 661 {
				t.Errorf("%d non-zero fractions, manifest 661", nonzero)
			}
			if c.sameAs != "" {
				if p.PixelError == "" {
					t.Errorf("pydicom now decodes the pixels; compare with it instead of %s", c.sameAs)
				}
				master := read[c.sameAs]
				for k, f := range s.Frames {
					if !bytes.Equal(f.Mask, master.Frames[k].Mask) {
						t.Errorf("frame %d differs from %s", k+1, c.sameAs)
					}
				}
				return
			}
			if p.PixelError != "" {
				t.Fatalf("pydicom cannot decode the pixels: %s", p.PixelError)
			}
			plane := s.Rows * s.Columns
			for k, f := range s.Frames {
				ref := p.Pixels[k*plane : (k+1)*plane]
				bad := 0
				for px := range ref {
					switch c.typ {
					case "BINARY":
						if uint16(f.Mask[px]) != ref[px] {
							bad++
						}
					case "FRACTIONAL":
						if uint16(f.Fraction[px]) != ref[px] || (f.Mask[px] == 1) != (2*int(ref[px]) >= s.MaxFractional) {
							bad++
						}
					case "LABELMAP":
						if f.Labels[px] != ref[px] {
							bad++
						}
					}
				}
				if bad > 0 {
					t.Errorf("frame %d: %d pixels differ from pydicom's", k+1, bad)
				}
			}
		})
	}
}

// TestSEGCorpusComplete makes sure segCorpus lists every segmentation of
// the corpus' SEG folders, so that a file added there gets checked.
func TestSEGCorpusComplete(t *testing.T) {
	t.Parallel()
	listed := map[string]bool{}
	for _, c := range segCorpus {
		listed[c.path] = true
	}
	root := shareddata.Path(t, ".")
	dirs, _ := filepath.Glob(filepath.Join(root, "seg-*"))
	found := 0
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(path string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			ds, err := ReadFile(path, ReadOptions{HeaderOnly: true})
			if err != nil {
				return nil // licences, NRRDs, READMEs
			}
			if c := ds.String(tag.SOPClassUID); c != sopSegmentation && c != sopLabelMapSegmentation {
				return nil
			}
			found++
			rel, _ := filepath.Rel(root, path)
			if !listed[filepath.ToSlash(rel)] {
				t.Errorf("%s is a segmentation that segCorpus does not list", rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if found != len(segCorpus) {
		t.Errorf("%d segmentations in the corpus, segCorpus lists %d", found, len(segCorpus))
	}
}

// TestReadSEGRefuses checks what ReadSEG does not read.
func TestReadSEGRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := ReadSEG(ctx, shareddata.Path(t, "seg-highdicom/ct_image.dcm")); !errors.Is(err, ErrNotSEG) {
		t.Errorf("CT image: %v, want ErrNotSEG", err)
	}
	raw, err := os.ReadFile(shareddata.Path(t, "seg-dcmqi/liver.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.dcm")
	if err := os.WriteFile(cut, raw[:len(raw)-5000], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSEG(ctx, cut); !errors.Is(err, ErrTruncated) || !bytes.Contains([]byte(err.Error()), []byte(cut)) {
		t.Errorf("truncated SEG: %v, want ErrTruncated naming the file", err)
	}
	c, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ReadSEG(c, shareddata.Path(t, "seg-dcmqi/liver.dcm")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
