package dicomio

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// segMapped reads a SEG of the corpus and maps it onto the series in dir.
func segMapped(t *testing.T, seg, dir string) (*SEG, *Series, *SEGMapping, error) {
	t.Helper()
	s, err := ReadSEG(context.Background(), shareddata.Path(t, seg))
	if err != nil {
		t.Fatal(err)
	}
	src := segScanOne(t, shareddata.Path(t, dir))
	m, err := s.MapToSeries(src)
	return s, src, m, err
}

// sliceCounts returns the foreground pixels of a mask volume per slice.
func sliceCounts(m *SEGMapping, seg int) []int {
	plane := m.Rows * m.Columns
	out := make([]int, m.Slices)
	for k := range out {
		out[k] = bytes.Count(m.Masks[seg][k*plane:(k+1)*plane], []byte{1})
	}
	return out
}

// TestMapSEGOntoSeries maps corpus SEGs onto their source series, by
// reference and, where the references are left out or point elsewhere, by
// position.
func TestMapSEGOntoSeries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, seg, dir string
		frameSlice     []int         // FrameSlice, or nil
		perSlice       map[int][]int // segment → foreground per slice
		labelErr       error         // from LabelVolume
		fractions      map[uint8]int // FRACTIONAL: count per stored value over the volume
		sameAs         *[2]string    // the label volume equals this SEG's on this series
	}{
		{name: "liver by reference", seg: "seg-dcmqi/liver.dcm", dir: "seg-dcmqi/ct-3slice",
			frameSlice: []int{0, 1, 2}, perSlice: map[int][]int{1: liverFrames}},
		{name: "partial overlaps", seg: "seg-dcmqi/partial_overlaps.dcm", dir: "seg-dcmqi/ct-3slice", labelErr: ErrOverlap},
		{name: "23x38x3 by reference", seg: "seg-dcmqi/23x38x3/seg/label.seg", dir: "seg-dcmqi/23x38x3/image", frameSlice: []int{0, 1, 2}},
		{name: "23x38x3 by position on the multi-frame copy", seg: "seg-dcmqi/23x38x3/seg/label.seg", dir: "seg-dcmqi/23x38x3/multiframe",
			frameSlice: []int{0, 1, 2}, sameAs: &[2]string{"seg-dcmqi/23x38x3/seg/label.seg", "seg-dcmqi/23x38x3/image"}},
		{name: "24x38x3", seg: "seg-dcmqi/24x38x3/seg/label.seg", dir: "seg-dcmqi/24x38x3/image", frameSlice: []int{0, 1, 2}},
		{name: "sparse label map", seg: "seg-dcmqi/sparse-labelmap-noppv.dcm", dir: "seg-dcmqi/24x38x3/image", frameSlice: []int{0, 2}},
		{name: "sparse label map with padding", seg: "seg-dcmqi/sparse-labelmap-ppv5.dcm", dir: "seg-dcmqi/24x38x3/image", frameSlice: []int{0, 2},
			sameAs: &[2]string{"seg-dcmqi/sparse-labelmap-noppv.dcm", "seg-dcmqi/24x38x3/image"}},
		{name: "highdicom: empty source slice has no frame", seg: "seg-highdicom/seg_image_ct_binary.dcm", dir: "seg-highdicom/source_ct2",
			frameSlice: []int{1, 2, 3}},
		{name: "highdicom overlap", seg: "seg-highdicom/seg_image_ct_binary_overlap.dcm", dir: "seg-highdicom/source_ct2",
			perSlice: map[int][]int{1: {16, 16, 16, 16}, 2: {4, 4, 4, 4}}, labelErr: ErrOverlap},
		{name: "highdicom fractional 0/255", seg: "seg-highdicom/seg_image_ct_binary_fractional.dcm", dir: "seg-highdicom/source_ct2",
			sameAs: &[2]string{"seg-highdicom/seg_image_ct_binary.dcm", "seg-highdicom/source_ct2"}},
		{name: "highdicom true fractional", seg: "seg-highdicom/seg_image_ct_true_fractional.dcm", dir: "seg-highdicom/source_ct2",
			fractions: map[uint8]int{64: 661 - 638, 128: 638}},
		{name: "highdicom single frame", seg: "seg-highdicom/seg_image_ct_binary_single_frame.dcm", dir: "seg-highdicom/ct_image.dcm",
			frameSlice: []int{0}, perSlice: map[int][]int{1: {1832}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, src, m, err := segMapped(t, c.seg, c.dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Warnings) > 0 {
				t.Errorf("warnings: %v", m.Warnings)
			}
			for i, k := range m.FrameSlice {
				if k < 0 {
					t.Errorf("frame %d lies on no slice", i+1)
				}
			}
			if c.frameSlice != nil && fmt.Sprint(m.FrameSlice) != fmt.Sprint(c.frameSlice) {
				t.Errorf("frames on slices %v, want %v", m.FrameSlice, c.frameSlice)
			}
			for seg, want := range c.perSlice {
				if got := sliceCounts(m, seg); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("segment %d per slice %v, want %v", seg, got, want)
				}
			}
			// The masks hold exactly the frames' foreground.
			total, framesTotal := 0, 0
			for _, v := range m.Masks {
				total += bytes.Count(v, []byte{1})
			}
			for _, f := range s.Frames {
				framesTotal += bytes.Count(f.Mask, []byte{1})
				for _, v := range f.Labels {
					if int(v) != s.PixelPadding && v != 0 {
						framesTotal++
					}
				}
			}
			if s.Type == "LABELMAP" {
				total -= bytes.Count(m.Masks[0], []byte{1})
			}
			if total != framesTotal {
				t.Errorf("masks hold %d foreground voxels, the frames %d", total, framesTotal)
			}
			labels, err := m.LabelVolume()
			if c.labelErr != nil {
				if !errors.Is(err, c.labelErr) {
					t.Errorf("LabelVolume: %v, want %v", err, c.labelErr)
				}
			} else if err != nil {
				t.Errorf("LabelVolume: %v", err)
			}
			if c.sameAs != nil {
				_, _, other, err := segMapped(t, c.sameAs[0], c.sameAs[1])
				if err != nil {
					t.Fatal(err)
				}
				want, err := other.LabelVolume()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(labels, want) {
					t.Errorf("label volume differs from %s on %s in %d voxels", c.sameAs[0], c.sameAs[1], countDiff(labels, want))
				}
			}
			if c.fractions != nil {
				got := map[uint8]int{}
				for _, v := range m.Fractions[1] {
					if v != 0 {
						got[v]++
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(c.fractions) {
					t.Errorf("fractions %v, want %v", got, c.fractions)
				}
			}
			// Mapping by position alone gives the same slices, where the
			// frames have positions and the source has geometry.
			if src.Slices[0].g.hasGeom && s.Frames[0].HasPosition {
				noRefs := *s
				noRefs.Frames = make([]SEGFrame, len(s.Frames))
				for i, f := range s.Frames {
					f.Sources = nil
					noRefs.Frames[i] = f
				}
				mp, err := noRefs.MapToSeries(src)
				if err != nil {
					t.Fatalf("by position: %v", err)
				}
				if fmt.Sprint(mp.FrameSlice) != fmt.Sprint(m.FrameSlice) {
					t.Errorf("by position: frames on slices %v, by reference %v", mp.FrameSlice, m.FrameSlice)
				}
			}
		})
	}
}

// TestMapSEGNotMappable checks the SEGs that cannot be placed on a series.
func TestMapSEGNotMappable(t *testing.T) {
	t.Parallel()
	// sr-example's source is not in the corpus: on a 128×128 CT of another
	// study every frame is reported missing.
	s, _, m, err := segMapped(t, "seg-dcmqi/sr-example/seg.dcm", "seg-highdicom/ct_image.dcm")
	if !errors.Is(err, ErrMissingReferences) || m == nil || len(m.Missing) != len(s.Frames) || len(m.Masks) != 0 {
		t.Errorf("sr-example: %v, mapping %+v", err, m)
	} else if !strings.Contains(err.Error(), "13 of 13 frames") || !strings.Contains(m.Missing[0], s.Frames[0].Sources[0].SOPInstanceUID) {
		t.Errorf("sr-example: %v; first missing %q", err, m.Missing[0])
	}
	// Same size, another patient: no frame references or lies on LIDC.
	if _, _, m, err := segMapped(t, "seg-dcmqi/liver.dcm", "ct-lidc/LIDC-IDRI-0001"); !errors.Is(err, ErrMissingReferences) || m == nil || len(m.Missing) != 3 {
		t.Errorf("liver on LIDC: %v", err)
	}
	for _, c := range []struct{ seg, dir, says string }{
		{"seg-highdicom/seg_image_sm_dots_tiled_full.dcm", "seg-highdicom/source_ct2", "TILED_FULL"},
		{"seg-highdicom/seg_image_cr_binary.dcm", "seg-highdicom/dx_image.dcm", "frames are 16×16, the series' slices 211×169"},
	} {
		if _, _, _, err := segMapped(t, c.seg, c.dir); !errors.Is(err, ErrNotMappable) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s on %s: %v, want ErrNotMappable saying %q", c.seg, c.dir, err, c.says)
		}
	}
}

// nrrd is a 3-D NRRD label volume (the format dcmqi converted its SEGs
// from).
type nrrd struct {
	sizes  [3]int
	dirs   [3]geom.Vec3
	origin geom.Vec3
	data   []int16 // x fastest
}

// readNRRD reads the gzip or raw, little-endian short NRRDs of the corpus.
func readNRRD(t *testing.T, path string) *nrrd {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	n := &nrrd{}
	fields := map[string]string{}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: header: %v", path, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, "#") {
			fields[k] = v
		}
	}
	if fields["type"] != "short" || fields["dimension"] != "3" || fields["space"] != "left-posterior-superior" ||
		fields["endian"] != "little" {
		t.Fatalf("%s: unexpected header %v", path, fields)
	}
	vec := func(s string) geom.Vec3 {
		var v geom.Vec3
		parts := strings.Split(strings.Trim(s, "()"), ",")
		for i := range v {
			v[i], err = strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", path, s, err)
			}
		}
		return v
	}
	for i, s := range strings.Fields(fields["sizes"]) {
		n.sizes[i], _ = strconv.Atoi(s)
	}
	for i, s := range strings.Fields(fields["space directions"]) {
		n.dirs[i] = vec(s)
	}
	n.origin = vec(fields["space origin"])
	var r io.Reader = br
	switch fields["encoding"] {
	case "gzip", "gz":
		zr, err := gzip.NewReader(br)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "raw":
	default:
		t.Fatalf("%s: encoding %q", path, fields["encoding"])
	}
	n.data = make([]int16, n.sizes[0]*n.sizes[1]*n.sizes[2])
	if err := binary.Read(r, binary.LittleEndian, n.data); err != nil {
		t.Fatalf("%s: data: %v", path, err)
	}
	return n
}

// onSeries puts the NRRD's voxels onto the series' slices by position: it
// returns, per series voxel, the NRRD value (0 off the NRRD).
func (n *nrrd) onSeries(t *testing.T, src *Series) []int16 {
	t.Helper()
	g := src.Grid
	if n.sizes[0] != src.Columns || n.sizes[1] != src.Rows ||
		n.dirs[0].Sub(g.RowDir.Scale(g.ColSpacing)).Norm() > 1e-4 || n.dirs[1].Sub(g.ColDir.Scale(g.RowSpacing)).Norm() > 1e-4 {
		t.Fatalf("NRRD grid %v %v does not match the series' %v×%v %v %v", n.sizes, n.dirs, src.Columns, src.Rows, g.RowDir, g.ColDir)
	}
	plane := src.Rows * src.Columns
	out := make([]int16, len(src.Slices)*plane)
	for k := 0; k < n.sizes[2]; k++ {
		p := n.origin.Add(n.dirs[2].Scale(float64(k)))
		slice := -1
		for s, ref := range src.Slices {
			if ref.Position.Sub(p).Norm() < 1e-3 {
				slice = s
			}
		}
		if slice < 0 {
			t.Fatalf("NRRD slice %d at %v is on no series slice", k, p)
		}
		copy(out[slice*plane:(slice+1)*plane], n.data[k*plane:(k+1)*plane])
	}
	return out
}

// TestMapSEGAgainstNRRD compares the mapped masks of dcmqi's SEGs with the
// NRRD label maps dcmqi made them from: every segment's mask must be
// exactly the voxels of one label value of one NRRD, and every label value
// a segment.
func TestMapSEGAgainstNRRD(t *testing.T) {
	t.Parallel()
	cases := []struct {
		seg, dir string
		nrrds    []string
	}{
		{"seg-dcmqi/liver.dcm", "seg-dcmqi/ct-3slice", []string{"seg-dcmqi/liver_seg.nrrd"}},
		{"seg-dcmqi/partial_overlaps.dcm", "seg-dcmqi/ct-3slice",
			[]string{"seg-dcmqi/partial_overlaps-1.nrrd", "seg-dcmqi/partial_overlaps-2.nrrd", "seg-dcmqi/partial_overlaps-3.nrrd"}},
		{"seg-dcmqi/23x38x3/seg/label.seg", "seg-dcmqi/23x38x3/image", []string{"seg-dcmqi/23x38x3/nrrd/label.nrrd"}},
		{"seg-dcmqi/24x38x3/seg/label.seg", "seg-dcmqi/24x38x3/image", []string{"seg-dcmqi/24x38x3/nrrd/label.nrrd"}},
		{"seg-dcmqi/sparse-labelmap-noppv.dcm", "seg-dcmqi/24x38x3/image", []string{"seg-dcmqi/sparse_labelmap_noppv_seg.nrrd"}},
		{"seg-dcmqi/sparse-labelmap-ppv5.dcm", "seg-dcmqi/24x38x3/image", []string{"seg-dcmqi/sparse_labelmap_ppv5_seg.nrrd"}},
	}
	for _, c := range cases {
		t.Run(c.seg, func(t *testing.T) {
			s, src, m, err := segMapped(t, c.seg, c.dir)
			if err != nil {
				t.Fatal(err)
			}
			type label struct {
				file  int
				value int16
			}
			truth := map[label][]uint8{}
			for i, p := range c.nrrds {
				vol := readNRRD(t, shareddata.Path(t, p)).onSeries(t, src)
				for v, x := range vol {
					if x == 0 || int(x) == s.PixelPadding {
						continue // background; slices the label map SEG leaves out
					}
					l := label{i, x}
					if truth[l] == nil {
						truth[l] = make([]uint8, len(vol))
					}
					truth[l][v] = 1
				}
			}
			used := map[label]bool{}
			for _, sg := range s.Segments {
				if s.Type == "LABELMAP" && sg.Number == 0 {
					continue // the background segment
				}
				mask := m.Masks[sg.Number]
				found := false
				for l, want := range truth {
					if mask != nil && bytes.Equal(mask, want) {
						found, used[l] = true, true
					}
				}
				if !found {
					t.Errorf("segment %d (%s) matches no label of %v", sg.Number, sg.Label, c.nrrds)
				}
			}
			if len(used) != len(truth) {
				t.Errorf("%d of the NRRDs' %d labels have a segment", len(used), len(truth))
			}
		})
	}
}
