package dicomio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// segExpectedFrames lists the frames a SEG of labels must have: one per
// non-empty (segment, slice) pair, segment by segment, slices in series
// order. It is written independently of the writer's loop.
func segExpectedFrames(src *Series, labels []uint8, nseg int) []segFrame {
	plane := src.Rows * src.Columns
	var out []segFrame
	for s := 1; s <= nseg; s++ {
		for k := range src.Slices {
			if bytes.IndexByte(labels[k*plane:(k+1)*plane], uint8(s)) >= 0 {
				out = append(out, segFrame{segment: s, slice: k})
			}
		}
	}
	return out
}

// checkWrittenSEG checks a SEG written for src and labels against the
// reference tools (py is pydicom's reading of it) and reads it back.
func checkWrittenSEG(t *testing.T, path string, py *pySEG, src *Series, labels []uint8, segs []Segment, res *SEGResult) {
	t.Helper()
	for _, w := range segDciodvfy(t, path) {
		t.Logf("dciodvfy: %s", w)
	}
	segDcmdump(t, path)

	want := segExpectedFrames(src, labels, len(segs))
	if res.Frames != len(want) {
		t.Errorf("result says %d frames, want %d", res.Frames, len(want))
	}
	plane := src.Rows * src.Columns
	if py.PixelError != "" {
		t.Fatalf("pydicom cannot decode the pixels: %s", py.PixelError)
	}
	if py.SOPClass != "1.2.840.10008.5.1.4.1.1.66.4" || py.Type != "BINARY" || py.Modality != "SEG" {
		t.Errorf("pydicom: SOP class %s, type %s, modality %s", py.SOPClass, py.Type, py.Modality)
	}
	if py.Rows != src.Rows || py.Columns != src.Columns || py.NFrames != len(want) {
		t.Fatalf("pydicom: %d frames of %d×%d, want %d of %d×%d", py.NFrames, py.Columns, py.Rows, len(want), src.Columns, src.Rows)
	}
	if py.Study != src.StudyInstanceUID || py.PatientID != src.PatientID || py.Series == src.SeriesInstanceUID || py.Series != res.SeriesInstanceUID {
		t.Errorf("pydicom: study %s patient %q series %s; source study %s patient %q series %s",
			py.Study, py.PatientID, py.Series, src.StudyInstanceUID, src.PatientID, src.SeriesInstanceUID)
	}
	geometry := src.Slices[0].g.hasGeom
	if geometry && py.FoR != src.FrameOfReferenceUID {
		t.Errorf("pydicom: FrameOfReferenceUID %q, source %q", py.FoR, src.FrameOfReferenceUID)
	}
	// Every source image is in ReferencedSeriesSequence.
	if len(py.RefSeries) != 1 || py.RefSeries[0].UID != src.SeriesInstanceUID {
		t.Errorf("pydicom: ReferencedSeriesSequence %+v", py.RefSeries)
	} else {
		for _, ref := range src.Slices {
			if !slices.Contains(py.RefSeries[0].Instances, ref.SOPInstanceUID) {
				t.Errorf("ReferencedSeriesSequence lacks %s", ref.SOPInstanceUID)
			}
		}
	}
	// Segments.
	if len(py.Segments) != len(segs) {
		t.Fatalf("pydicom: %d segments, want %d", len(py.Segments), len(segs))
	}
	for i, s := range segs {
		p := py.Segments[i]
		if p.Number != s.Number || p.Label != s.Label || p.AlgorithmType != "AUTOMATIC" || p.AlgorithmName != s.Algorithm.Name ||
			!slices.Equal(p.Category, []string{s.Category.Value, s.Category.Scheme, s.Category.Meaning}) ||
			!slices.Equal(p.Type, []string{s.Type.Value, s.Type.Scheme, s.Type.Meaning}) || len(p.Lab) != 3 {
			t.Errorf("pydicom segment %d: %+v, want %+v", i+1, p, s)
		}
		if s.Color != ([3]uint8{}) && len(p.Lab) == 3 {
			if got := srgbFromCIELab([3]int{p.Lab[0], p.Lab[1], p.Lab[2]}); got != s.Color {
				t.Errorf("segment %d colour %v, want %v", s.Number, got, s.Color)
			}
		}
	}
	// Geometry: the source's orientation and spacing.
	if geometry {
		g := src.Grid
		wantIOP := []float64{g.RowDir[0], g.RowDir[1], g.RowDir[2], g.ColDir[0], g.ColDir[1], g.ColDir[2]}
		if len(py.IOP) != 6 {
			t.Errorf("pydicom: ImageOrientationPatient %v", py.IOP)
		} else {
			for i := range wantIOP {
				if math.Abs(py.IOP[i]-wantIOP[i]) > 1e-6 {
					t.Errorf("pydicom: ImageOrientationPatient %v, source %v", py.IOP, wantIOP)
					break
				}
			}
		}
		if len(py.PixelSpacing) != 2 || math.Abs(py.PixelSpacing[0]-g.RowSpacing) > 1e-9 || math.Abs(py.PixelSpacing[1]-g.ColSpacing) > 1e-9 {
			t.Errorf("pydicom: PixelSpacing %v, source %g\\%g", py.PixelSpacing, g.RowSpacing, g.ColSpacing)
		}
		if py.Thickness == nil || !(*py.Thickness > 0) {
			t.Errorf("pydicom: no SliceThickness")
		}
		if src.VolumeErr == nil && len(src.Slices) > 1 && (py.SpacingBetwen == nil || math.Abs(*py.SpacingBetwen-g.SliceSpacing) > 1e-9) {
			t.Errorf("pydicom: SpacingBetweenSlices %v, source %g", py.SpacingBetwen, g.SliceSpacing)
		}
	}
	// Frames: segment, source reference, position, dimension index and
	// pixels.
	for i, f := range want {
		p := py.Frames[i]
		ref := src.Slices[f.slice]
		if p.Segment == nil || *p.Segment != f.segment {
			t.Errorf("frame %d: segment %v, want %d", i+1, p.Segment, f.segment)
		}
		if len(p.Sources) != 1 || p.Sources[0].UID != ref.SOPInstanceUID || p.Sources[0].Class != ref.SOPClassUID {
			t.Errorf("frame %d: sources %+v, want %s", i+1, p.Sources, ref.SOPInstanceUID)
		} else if multi := ref.in.enhanced || ref.in.src.format.Frames > 1; multi != (p.Sources[0].Frames != nil) ||
			multi && !slices.Equal(p.Sources[0].Frames, []int{ref.Frame + 1}) {
			t.Errorf("frame %d: ReferencedFrameNumber %v for slice %d (frame %d of its file)", i+1, p.Sources[0].Frames, f.slice, ref.Frame)
		}
		if geometry {
			if len(p.IPP) != 3 || geomDist(p.IPP, ref.Position) > 1e-6 {
				t.Errorf("frame %d: ImagePositionPatient %v, source slice %d at %v", i+1, p.IPP, f.slice, ref.Position)
			}
			if !slices.Equal(p.DimIdx, []int{f.segment, f.slice + 1}) {
				t.Errorf("frame %d: DimensionIndexValues %v, want [%d %d]", i+1, p.DimIdx, f.segment, f.slice+1)
			}
		} else if !slices.Equal(p.DimIdx, []int{f.segment}) {
			t.Errorf("frame %d: DimensionIndexValues %v, want [%d]", i+1, p.DimIdx, f.segment)
		}
		got := py.Pixels[i*plane : (i+1)*plane]
		bad := 0
		for px, l := range labels[f.slice*plane : (f.slice+1)*plane] {
			if (l == uint8(f.segment)) != (got[px] == 1) || got[px] > 1 {
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("frame %d (segment %d, slice %d): %d pixels differ from the labels (pydicom pixel_array)", i+1, f.segment, f.slice, bad)
		}
	}

	// Our reader gives the labels back on the same slices.
	seg, err := ReadSEG(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := seg.MapToSeries(src)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range want {
		if m.FrameSlice[i] != f.slice {
			t.Errorf("read back: frame %d on slice %d, want %d", i+1, m.FrameSlice[i], f.slice)
		}
	}
	back, err := m.LabelVolume()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, labels) {
		t.Errorf("read back: label volume differs in %d voxels", countDiff(back, labels))
	}
	for i, s := range segs {
		r := seg.Segments[i]
		if r.Number != s.Number || r.Label != s.Label || r.Category != s.Category || r.Type != s.Type ||
			r.Algorithm.Name != s.Algorithm.Name || r.Algorithm.Version != s.Algorithm.Version ||
			r.Algorithm.Family != codeArtificialIntelligence || r.AlgorithmType != "AUTOMATIC" {
			t.Errorf("read back segment %d: %+v, want %+v", s.Number, r, s)
		}
	}
}

func geomDist(a []float64, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

func countDiff(a, b []uint8) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// TestWriteSEG writes SEGs for real and synthetic sources and checks them
// with dciodvfy, dcmdump and pydicom, then reads them back.
func TestWriteSEG(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		source func(t *testing.T) *Series
		nseg   int // segments with voxels; one more, empty, is declared
	}{
		{"LIDC-IDRI-0001", func(t *testing.T) *Series {
			return segScanOne(t, shareddata.Path(t, "ct-lidc/LIDC-IDRI-0001"))
		}, 2},
		{"oblique 7x11 synthetic", func(t *testing.T) *Series {
			return segScanOne(t, segWriteOblique(t, t.TempDir(), 9, 11, 7))
		}, 2},
		{"implicit VR ct-3slice", func(t *testing.T) *Series {
			return segScanOne(t, shareddata.Path(t, "seg-dcmqi/ct-3slice"))
		}, 1},
		{"legacy enhanced multi-frame 23x38x3", func(t *testing.T) *Series {
			return segScanOne(t, shareddata.Path(t, "seg-dcmqi/23x38x3/multiframe"))
		}, 2},
		{"irregular spacing source_ct2", func(t *testing.T) *Series {
			return segScanOne(t, shareddata.Path(t, "seg-highdicom/source_ct2"))
		}, 1},
		{"projection without geometry (DX)", func(t *testing.T) *Series {
			src := segScanOne(t, shareddata.Path(t, "seg-highdicom/dx_image.dcm"))
			if src.Slices[0].g.hasGeom {
				t.Fatal("dx_image.dcm has patient geometry; the case needs an image without")
			}
			return src
		}, 1},
	}
	type written struct {
		src    *Series
		labels []uint8
		segs   []Segment
		res    *SEGResult
	}
	out := make([]written, len(cases))
	var paths []string
	dir := t.TempDir()
	for i, c := range cases {
		src := c.source(t)
		labels := segBlobLabels(src, c.nseg)
		segs := segTestSegments(c.nseg + 1)
		path := filepath.Join(dir, fmt.Sprintf("seg%d.dcm", i))
		res, err := WriteSEG(context.Background(), path, src, labels, SEGOptions{
			Segments: segs, ContentCreatorName: "Doe^Jane", SeriesDescription: "MMCFormer clusters",
			Time: time.Date(2026, 11, 28, 12, 30, 0, 0, time.UTC),
		})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if res.Path != path || !slices.Equal(res.EmptySegments, []int{c.nseg + 1}) || len(res.Warnings) == 0 {
			t.Errorf("%s: result %+v", c.name, res)
		}
		out[i] = written{src, labels, segs, res}
		paths = append(paths, path)
	}
	py := segPydicom(t, paths...)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := out[i]
			checkWrittenSEG(t, paths[i], py[i], w.src, w.labels, w.segs, w.res)
		})
	}
}

// TestWriteSEGCharacterSets writes SEGs for a Latin-1 source whose images
// were lossy compressed: with ASCII texts of ours the source's character
// set is kept; with a non-ASCII segment label everything becomes UTF-8.
// pydicom must decode the patient's name and the label in both.
func TestWriteSEGCharacterSets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	study, series := NewUID(), NewUID()
	for k := range 3 {
		m := img{rows: 5, cols: 3, ipp: [3]float64{0, 0, float64(k)}, instance: k + 1, study: study, series: series, thickness: 1,
			extra: []Element{
				NewStrings(tag.LossyImageCompression, VRCS, "01"),
				NewStrings(tag.SpecificCharacterSet, VRCS, "ISO_IR 100"),
				{Tag: tag.PatientName, VR: VRPN, value: []byte("M\xfcller^J\xf6rg")},
				NewStrings(tag.StudyTime, VRTM, "101010"),
				NewStrings(tag.StudyID, VRSH, "7"),
			}}
		if err := WriteFile(filepath.Join(dir, fmt.Sprintf("%d.dcm", k)), m.dataset()); err != nil {
			t.Fatal(err)
		}
	}
	src := segScanOne(t, dir)
	labels := segBlobLabels(src, 1)
	ascii, utf := segTestSegments(1), segTestSegments(1)
	utf[0].Label = "Läsion"
	out := t.TempDir()
	var paths []string
	for i, segs := range [][]Segment{ascii, utf} {
		path := filepath.Join(out, fmt.Sprintf("%d.dcm", i))
		if _, err := WriteSEG(context.Background(), path, src, labels, SEGOptions{Segments: segs}); err != nil {
			t.Fatal(err)
		}
		if w := segDciodvfy(t, path); len(w) > 0 {
			t.Errorf("dciodvfy warnings: %v", w)
		}
		paths = append(paths, path)
	}
	py := segPydicom(t, paths...)
	for i, want := range []struct{ charset, label string }{{"ISO_IR 100", "cluster 1"}, {"ISO_IR 192", "Läsion"}} {
		p := py[i]
		if !slices.Equal(p.Charset, []string{want.charset}) || p.PatientName != "Müller^Jörg" || p.Segments[0].Label != want.label || p.Lossy != "01" {
			t.Errorf("SEG %d: charset %v, patient %q, label %q, lossy %q; want %s, Müller^Jörg, %s, 01",
				i, p.Charset, p.PatientName, p.Segments[0].Label, p.Lossy, want.charset, want.label)
		}
	}
}

// TestSEGCheckersCatchErrors makes sure the dciodvfy check of the tests
// above can fail: a SEG without its Type 1 ContentLabel and with a segment
// lacking its SegmentLabel must give errors.
func TestSEGCheckersCatchErrors(t *testing.T) {
	t.Parallel()
	src := segScanOne(t, segWriteOblique(t, t.TempDir(), 3, 5, 3))
	ds, _, err := buildSEG(context.Background(), src, segBlobLabels(src, 1), SEGOptions{Segments: segTestSegments(1)})
	if err != nil {
		t.Fatal(err)
	}
	ds.Delete(tag.ContentLabel)
	ds.Items(tag.SegmentSequence)[0].Delete(tag.SegmentLabel)
	path := filepath.Join(t.TempDir(), "broken.dcm")
	if err := WriteFile(path, ds); err != nil {
		t.Fatal(err)
	}
	errs, _ := segDciodvfyRun(t, path)
	for _, want := range []string{"ContentLabel", "SegmentLabel"} {
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e, want)
		}
		if !found {
			t.Errorf("dciodvfy does not report the missing %s: %v", want, errs)
		}
	}
}

// TestWriteSEGRefusals checks the sources and inputs WriteSEG refuses, and
// that a refusal leaves nothing on disk.
func TestWriteSEGRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := segScanOne(t, segWriteOblique(t, t.TempDir(), 4, 5, 3))
	goodLabels := segBlobLabels(good, 1)
	cases := []struct {
		name     string
		src      func(t *testing.T) *Series
		labels   func(src *Series) []uint8
		opts     func(o *SEGOptions)
		ctx      func() context.Context
		want     error
		contains string
	}{
		{name: "empty UIDs (TotalSegmentator)", src: func(t *testing.T) *Series {
			return segScanOne(t, shareddata.Path(t, "ct-totalsegmentator/example_ct_dicom"))
		}, want: ErrUnreferenceable, contains: "source has no SOP/Series Instance UIDs; use --format nifti"},
		{name: "Siemens mosaic", src: func(t *testing.T) *Series {
			return segScanOne(t, shareddata.Path(t, "dicom-dcm_qa_ts/In/1.dcm"))
		}, want: ErrUnreferenceable, contains: "mosaic"},
		{name: "two volumes", src: func(t *testing.T) *Series {
			return segScanOne(t, shareddata.Path(t, "dicom-dicom2nifti/ge/fmri/001"))
		}, want: ErrUnreferenceable, contains: "2 volumes"},
		{name: "empty mask", labels: func(src *Series) []uint8 { return make([]uint8, len(goodLabels)) },
			want: ErrEmptyMask, contains: "mask empty: no SEG written"},
		{name: "undescribed label", labels: func(src *Series) []uint8 {
			l := bytes.Clone(goodLabels)
			l[len(l)-1] = 3
			return l
		}, contains: "label 3 on slice 3 has no segment"},
		{name: "short labels", labels: func(src *Series) []uint8 { return goodLabels[1:] }, contains: "59 labels for 4 slices of 3×5"},
		{name: "segment numbers with a gap", opts: func(o *SEGOptions) { o.Segments[0].Number = 2 }, contains: "1…1 without gaps"},
		{name: "no type code", opts: func(o *SEGOptions) { o.Segments[0].Type = Code{} }, contains: "segment 1 type code has no value"},
		{name: "no algorithm name", opts: func(o *SEGOptions) { o.Segments[0].Algorithm.Name = "" }, contains: "no algorithm name"},
		{name: "bad content label", opts: func(o *SEGOptions) { o.ContentLabel = "lower case" }, contains: "ContentLabel"},
		{name: "cancelled", ctx: func() context.Context {
			c, cancel := context.WithCancel(ctx)
			cancel()
			return c
		}, want: context.Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, labels := good, goodLabels
			if c.src != nil {
				src = c.src(t)
				labels = make([]uint8, len(src.Slices)*src.Rows*src.Columns)
				labels[0] = 1
			}
			if c.labels != nil {
				labels = c.labels(src)
			}
			opts := SEGOptions{Segments: segTestSegments(1)}
			if c.opts != nil {
				c.opts(&opts)
			}
			cctx := ctx
			if c.ctx != nil {
				cctx = c.ctx()
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "seg.dcm")
			res, err := WriteSEG(cctx, path, src, labels, opts)
			if err == nil {
				t.Fatalf("wrote %+v", res)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.contains) || !strings.Contains(err.Error(), "series") && c.want != context.Canceled {
				t.Errorf("error %q does not say %q and name the series", err, c.contains)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left %v on disk", entries)
			}
		})
	}
}
