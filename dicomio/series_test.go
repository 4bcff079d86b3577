package dicomio

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/geom"
)

// phantomValue is the stored value of pixel (r, c) of the slice at
// position index k, volume v: every slice and pixel is different, so that a
// wrong order, a flip or a transpose shows.
func phantomValue(v, k, r, c int) int { return 1000*v + 100*k + 10*r + c }

// writeImages writes the images under dir with random file names, in the
// transfer syntax ts, and returns the paths in the order of imgs.
func writeImages(t *testing.T, dir string, ts string, imgs []img) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(len(imgs)), 7))
	var paths []string
	for _, m := range imgs {
		p := filepath.Join(dir, fmt.Sprintf("IM%08d", rng.Uint32()))
		writeTS(t, p, m.dataset(), ts)
		paths = append(paths, p)
	}
	return paths
}

// stack returns n images at positions origin + k·step, with InstanceNumbers
// running backwards, stored values phantomValue(0, k, r, c).
func stack(n int, origin, step geom.Vec3, iop [6]float64, series string) []img {
	var out []img
	for k := 0; k < n; k++ {
		k := k
		out = append(out, img{
			ipp: origin.Add(step.Scale(float64(k))), iop: iop, series: series, study: "1.2.3",
			instance: n - k, thickness: step.Norm(), signed: true, intercept: -1024,
			value: func(r, c int) int { return phantomValue(0, k, r, c) },
		})
	}
	return out
}

func scanOne(t *testing.T, paths ...string) *ScanResult {
	t.Helper()
	res, err := Scan(context.Background(), paths, ScanOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func only(t testing.TB, res *ScanResult) *Series {
	t.Helper()
	if len(res.Series) != 1 {
		var keys []string
		for _, s := range res.Series {
			keys = append(keys, fmt.Sprintf("%s(%d)", s.Key, len(s.Slices)))
		}
		t.Fatalf("%d series %v, want 1; skipped %v", len(res.Series), keys, res.Skipped)
	}
	return res.Series[0]
}

// checkPhantom reads every slice and checks its values against
// phantomValue for the expected volume and position index.
func checkPhantom(t *testing.T, s *Series, posIndex func(v, k int) int) {
	t.Helper()
	n := s.Grid.Slices
	for i := range s.Slices {
		v, k := i/n, i%n
		sl, err := s.ReadSlice(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < sl.Rows; r++ {
			for c := 0; c < sl.Columns; c++ {
				want := float32(phantomValue(v, posIndex(v, k), r, c) - 1024)
				if got := sl.Grey[r*sl.Columns+c]; got != want {
					t.Fatalf("volume %d slice %d pixel (%d,%d) = %v, want %v", v, k, r, c, got, want)
				}
			}
		}
	}
}

func near(a, b geom.Vec3, tol float64) bool { return a.Sub(b).Norm() <= tol }

func TestSeriesOrderAndGeometry(t *testing.T) {
	// A double-oblique orientation; positions along its normal, written in
	// shuffled file names with InstanceNumbers running backwards.
	row := geom.Vec3{0.6088, 0.7907, 0.0637}.Unit()
	col := geom.Vec3{-0.1428, 0.1882, -0.9717}
	col = col.Sub(row.Scale(row.Dot(col))).Unit()
	normal := row.Cross(col)
	iop := [6]float64{row[0], row[1], row[2], col[0], col[1], col[2]}
	origin := geom.Vec3{-136.27, -50.12, 36.64}
	for _, ts := range []string{tsExplicitLE, tsImplicitLE, tsExplicitBE, tsDeflated} {
		t.Run(ts, func(t *testing.T) {
			dir := t.TempDir()
			imgs := stack(12, origin, normal.Scale(1.5), iop, "1.2.3.4")
			rand.New(rand.NewPCG(3, 4)).Shuffle(len(imgs), func(i, j int) { imgs[i], imgs[j] = imgs[j], imgs[i] })
			writeImages(t, dir, ts, imgs)
			s := only(t, scanOne(t, dir))
			if s.VolumeErr != nil {
				t.Fatalf("VolumeErr: %v", s.VolumeErr)
			}
			g := s.Grid
			if g.Slices != 12 || g.Rows != 6 || g.Columns != 5 || s.Volumes != 1 {
				t.Fatalf("grid %d×%d×%d, %d volumes", g.Columns, g.Rows, g.Slices, s.Volumes)
			}
			if math.Abs(g.SliceSpacing-1.5) > 1e-6 || g.RowSpacing != 0.7 || g.ColSpacing != 0.8 {
				t.Errorf("spacing %v/%v/%v", g.RowSpacing, g.ColSpacing, g.SliceSpacing)
			}
			if !near(g.Origin, origin, 1e-4) || !near(g.SliceDir, normal, 1e-6) || !near(g.RowDir, row, 1e-6) {
				t.Errorf("origin %v dir %v", g.Origin, g.SliceDir)
			}
			for k, ref := range s.Slices {
				if want := origin.Add(normal.Scale(1.5 * float64(k))); !near(ref.Position, want, 1e-4) || !near(g.SlicePosition(k), want, 1e-4) {
					t.Errorf("slice %d at %v, want %v", k, ref.Position, want)
				}
			}
			if s.TransferSyntaxes[0] != ts || s.Modality != "CT" || s.PatientName != "Doe^Jane" || !s.Signed {
				t.Errorf("facts: %v %q %q signed=%v", s.TransferSyntaxes, s.Modality, s.PatientName, s.Signed)
			}
			checkPhantom(t, s, func(_, k int) int { return k })
			v, err := s.Volume(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := v.Grey[(7*6+2)*5+3], float32(phantomValue(0, 7, 2, 3)-1024); got != want {
				t.Errorf("volume voxel (3,2,7) = %v, want %v", got, want)
			}
		})
	}
}

func TestSeriesDescendingAlongZ(t *testing.T) {
	// Rows run anterior→posterior reversed: the normal points to the feet,
	// so ascending along the normal means descending z.
	dir := t.TempDir()
	writeImages(t, dir, tsExplicitLE, stack(5, geom.Vec3{0, 0, 10}, geom.Vec3{0, 0, -2}, [6]float64{1, 0, 0, 0, -1, 0}, "1.2.3.5"))
	s := only(t, scanOne(t, dir))
	if s.VolumeErr != nil || !near(s.Grid.SliceDir, geom.Vec3{0, 0, -1}, 1e-9) || s.Grid.Origin[2] != 10 || s.Grid.SliceSpacing != 2 {
		t.Fatalf("grid %+v, %v", s.Grid, s.VolumeErr)
	}
	checkPhantom(t, s, func(_, k int) int { return k })
}

func TestSeriesRejections(t *testing.T) {
	axial := [6]float64{1, 0, 0, 0, 1, 0}
	z := geom.Vec3{0, 0, 1}
	cases := []struct {
		name string
		imgs func() []img
		err  error
	}{
		{"gap", func() []img {
			s := stack(6, geom.Vec3{}, z.Scale(2), axial, "1.2.9.1")
			return append(s[:3], s[4:]...)
		}, ErrIrregularSpacing},
		{"tilt", func() []img { return stack(6, geom.Vec3{}, geom.Vec3{0, 0.5, 2}, axial, "1.2.9.2") }, ErrGantryTilt},
		{"two slices", func() []img { return stack(2, geom.Vec3{}, z, axial, "1.2.9.3") }, ErrTooFewSlices},
		{"one position", func() []img { return stack(4, geom.Vec3{}, geom.Vec3{}, axial, "1.2.9.4") }, ErrSamePosition},
		{"mixed orientation", func() []img {
			return append(stack(2, geom.Vec3{}, z, axial, "1.2.9.5"), stack(2, geom.Vec3{}, geom.Vec3{1, 0, 0}, [6]float64{0, 1, 0, 0, 0, -1}, "1.2.9.5")...)
		}, ErrMixedOrientation},
		{"no geometry", func() []img {
			s := stack(3, geom.Vec3{}, z, axial, "1.2.9.6")
			for i := range s {
				s[i].noGeom = true
			}
			return s
		}, ErrNoGeometry},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeImages(t, dir, tsExplicitLE, c.imgs())
			s := only(t, scanOne(t, dir))
			if !errors.Is(s.VolumeErr, c.err) || !errors.Is(s.VolumeErr, ErrNotVolume) {
				t.Fatalf("VolumeErr = %v, want %v", s.VolumeErr, c.err)
			}
			if !strings.Contains(s.VolumeErr.Error(), s.Key) {
				t.Errorf("error does not name the series: %v", s.VolumeErr)
			}
			if _, err := s.Volume(context.Background()); !errors.Is(err, c.err) {
				t.Errorf("Volume: %v", err)
			}
			// The slices stay readable one by one.
			for k := range s.Slices {
				if _, err := s.ReadSlice(context.Background(), k); err != nil {
					t.Errorf("slice %d: %v", k, err)
				}
			}
		})
	}
	t.Run("tilt angle", func(t *testing.T) {
		dir := t.TempDir()
		writeImages(t, dir, tsExplicitLE, stack(6, geom.Vec3{}, geom.Vec3{0, 0.5, 2}, axial, "1.2.9.7"))
		s := only(t, scanOne(t, dir))
		if a := s.Grid.Tilt(); math.Abs(a-math.Atan(0.25)*180/math.Pi) > 0.01 {
			t.Errorf("tilt %v°", a)
		}
	})
}

func TestSeriesDuplicatesAndVolumes(t *testing.T) {
	axial := [6]float64{1, 0, 0, 0, 1, 0}
	t.Run("even repeats are volumes", func(t *testing.T) {
		dir := t.TempDir()
		var imgs []img
		for v := 0; v < 3; v++ {
			for k := 0; k < 4; k++ {
				v, k := v, k
				imgs = append(imgs, img{ipp: geom.Vec3{0, 0, 3.6 * float64(k)}, iop: axial, series: "1.2.8.1", signed: true, intercept: -1024,
					instance: 100 - 10*v - k, // InstanceNumber alone would order the volumes backwards
					extra:    []Element{NewInts(tag.TemporalPositionIdentifier, VRIS, v+1)},
					value:    func(r, c int) int { return phantomValue(v, k, r, c) }})
			}
		}
		writeImages(t, dir, tsExplicitLE, imgs)
		s := only(t, scanOne(t, dir))
		if s.VolumeErr != nil || s.Volumes != 3 || s.Grid.Slices != 4 || len(s.Slices) != 12 || math.Abs(s.Grid.SliceSpacing-3.6) > 1e-9 {
			t.Fatalf("%d volumes of %d, spacing %v, %v", s.Volumes, s.Grid.Slices, s.Grid.SliceSpacing, s.VolumeErr)
		}
		checkPhantom(t, s, func(_, k int) int { return k })
	})
	t.Run("uneven repeats keep the first", func(t *testing.T) {
		dir := t.TempDir()
		imgs := stack(5, geom.Vec3{}, geom.Vec3{0, 0, 2}, axial, "1.2.8.2")
		dup := imgs[2]
		dup.instance = 99
		dup.value = func(r, c int) int { return 7 }
		paths := writeImages(t, dir, tsExplicitLE, append(imgs, dup))
		res := scanOne(t, dir)
		s := only(t, res)
		if s.VolumeErr != nil || len(s.Slices) != 5 || s.Volumes != 1 {
			t.Fatalf("%d slices, %v", len(s.Slices), s.VolumeErr)
		}
		if len(res.Skipped) != 1 || res.Skipped[0].Path != paths[5] || !errors.Is(res.Skipped[0].Err, ErrDuplicatePosition) {
			t.Fatalf("skipped %+v", res.Skipped)
		}
		checkPhantom(t, s, func(_, k int) int { return k })
	})
	t.Run("duplicate files", func(t *testing.T) {
		dir := t.TempDir()
		imgs := stack(3, geom.Vec3{}, geom.Vec3{0, 0, 2}, axial, "1.2.8.3")
		imgs[1].sop = "1.2.8.3.100"
		paths := writeImages(t, dir, tsExplicitLE, append(imgs, imgs[1]))
		res := scanOne(t, dir)
		s := only(t, res)
		if len(s.Slices) != 3 || len(res.Skipped) != 1 || !errors.Is(res.Skipped[0].Err, ErrDuplicateInstance) {
			t.Fatalf("%d slices, skipped %+v", len(s.Slices), res.Skipped)
		}
		if sk := res.Skipped[0].Path; sk != paths[1] && sk != paths[3] {
			t.Errorf("skipped %s", sk)
		}
	})
}

func TestSeriesLocalizersAndStrays(t *testing.T) {
	axial := [6]float64{1, 0, 0, 0, 1, 0}
	dir := t.TempDir()
	imgs := stack(10, geom.Vec3{}, geom.Vec3{0, 0, 2.5}, axial, "1.2.7.1")
	loc := img{ipp: geom.Vec3{0, -100, 5}, iop: [6]float64{1, 0, 0, 0, 0, -1}, series: "1.2.7.1", rows: 8, cols: 8, imageType: []string{"ORIGINAL", "PRIMARY", "LOCALIZER"}}
	stray := img{ipp: geom.Vec3{0, 0, 5}, iop: [6]float64{0, 1, 0, 0, 0, -1}, series: "1.2.7.1"}
	big := img{ipp: geom.Vec3{0, 0, 5}, iop: axial, series: "1.2.7.1", rows: 9, cols: 9}
	paths := writeImages(t, dir, tsExplicitLE, append(imgs, loc, stray, big))
	res := scanOne(t, dir)
	s := only(t, res)
	if s.VolumeErr != nil || len(s.Slices) != 10 {
		t.Fatalf("%d slices, %v", len(s.Slices), s.VolumeErr)
	}
	want := map[string]error{paths[10]: ErrLocalizer, paths[11]: ErrStrayImage, paths[12]: ErrStrayImage}
	if len(res.Skipped) != len(want) {
		t.Fatalf("skipped %+v", res.Skipped)
	}
	for _, sk := range res.Skipped {
		if !errors.Is(sk.Err, want[sk.Path]) || !strings.Contains(sk.Err.Error(), sk.Path) {
			t.Errorf("%s: %v, want %v", sk.Path, sk.Err, want[sk.Path])
		}
	}
	checkPhantom(t, s, func(_, k int) int { return k })
}

func TestSeriesSingleSliceAndMonochrome1(t *testing.T) {
	dir := t.TempDir()
	m := img{ipp: geom.Vec3{1, 2, 3}, iop: [6]float64{0, 1, 0, 0, 0, -1}, series: "1.2.6.1", thickness: 3, photometric: "MONOCHROME1",
		bits: 10, value: func(r, c int) int { return r*5 + c }}
	writeImages(t, dir, tsExplicitLE, []img{m})
	s := only(t, scanOne(t, dir))
	if s.VolumeErr != nil || s.Grid.Slices != 1 || s.Grid.SliceSpacing != 3 || !near(s.Grid.SliceDir, geom.Vec3{-1, 0, 0}, 1e-9) {
		t.Fatalf("grid %+v %v", s.Grid, s.VolumeErr)
	}
	var sawSingle, sawMono bool
	for _, w := range s.Warnings {
		sawSingle = sawSingle || strings.Contains(w, "single slice")
		sawMono = sawMono || strings.Contains(w, "MONOCHROME1")
	}
	if !sawSingle || !sawMono {
		t.Errorf("warnings %q", s.Warnings)
	}
	sl, err := s.ReadSlice(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !sl.Inverted || sl.Grey[0] != 1023 || sl.Grey[7] != 1023-7 {
		t.Errorf("MONOCHROME1: inverted=%v %v", sl.Inverted, sl.Grey[:8])
	}
}

func TestSeriesEmptyUIDs(t *testing.T) {
	dir := t.TempDir()
	axial := [6]float64{1, 0, 0, 0, 1, 0}
	a := stack(3, geom.Vec3{}, geom.Vec3{0, 0, 2}, axial, "")
	b := stack(3, geom.Vec3{}, geom.Vec3{2, 0, 0}, [6]float64{0, 1, 0, 0, 0, -1}, "")
	for i := range a {
		a[i].sop, b[i].sop = "", ""
	}
	writeImages(t, filepath.Join(dir, "a"), tsExplicitLE, a)
	writeImages(t, filepath.Join(dir, "b"), tsExplicitLE, b)
	res := scanOne(t, dir)
	if len(res.Series) != 2 {
		t.Fatalf("%d series", len(res.Series))
	}
	again := scanOne(t, filepath.Join(dir, "b"), filepath.Join(dir, "a"))
	for i, s := range res.Series {
		if !strings.HasPrefix(s.Key, "synthetic-") || s.SeriesInstanceUID != "" || len(s.Slices) != 3 || s.VolumeErr != nil {
			t.Errorf("series %q: %d slices, %v", s.Key, len(s.Slices), s.VolumeErr)
		}
		if again.Series[i].Key != s.Key {
			t.Errorf("synthetic key not stable: %s vs %s", again.Series[i].Key, s.Key)
		}
		if !strings.Contains(strings.Join(s.Warnings, "\n"), "SeriesInstanceUID is empty") {
			t.Errorf("no warning: %q", s.Warnings)
		}
	}
}

func TestScanSkipsJunk(t *testing.T) {
	dir := t.TempDir()
	good := stack(3, geom.Vec3{}, geom.Vec3{0, 0, 2}, [6]float64{1, 0, 0, 0, 1, 0}, "1.2.5.1")
	writeImages(t, filepath.Join(dir, "deep", "er"), tsExplicitLE, good)
	full := encode(t, good[0].dataset(), tsExplicitLE)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sr := NewDataset(NewStrings(tag.SOPClassUID, VRUI, "1.2.840.10008.5.1.4.1.1.88.22"), NewStrings(tag.SOPInstanceUID, VRUI, "1.2.5.9"))
	dicomdir := NewDataset(NewStrings(tag.SOPClassUID, VRUI, sopMediaStorageDirectory), NewStrings(tag.SOPInstanceUID, VRUI, "1.2.5.8"),
		NewSequence(tag.DirectoryRecordSequence, NewDataset(NewStrings(tag.DirectoryRecordType, VRCS, "PATIENT"))))
	huge := good[0]
	huge.rows, huge.cols = 1, 1
	hugeDS := huge.dataset()
	hugeDS.Set(NewInts(tag.Rows, VRUS, 65535))
	hugeDS.Set(NewInts(tag.Columns, VRUS, 65535))
	hugeDS.Set(NewInts(tag.NumberOfFrames, VRIS, 1000))
	short := good[0]
	short.rows, short.cols = 1, 1
	shortDS := short.dataset()
	shortDS.Set(NewInts(tag.Rows, VRUS, 4096))
	shortDS.Set(NewInts(tag.Columns, VRUS, 4096))
	shortDS.Set(NewInts(tag.NumberOfFrames, VRIS, 1000))
	want := map[string]error{
		write("README.txt", []byte("not DICOM\n")):           ErrNotDICOM,
		write("empty", nil):                                  ErrNotDICOM,
		write("truncated.dcm", full[:len(full)-10]):          ErrTruncated,
		write("report.dcm", encode(t, sr, tsExplicitLE)):     ErrNotImage,
		write("DICOMDIR", encode(t, dicomdir, tsExplicitLE)): ErrNotImage,
		write("huge.dcm", encode(t, hugeDS, tsExplicitLE)):   ErrTooLarge,
		write("short.dcm", encode(t, shortDS, tsExplicitLE)): ErrMalformed,
	}
	res := scanOne(t, dir)
	s := only(t, res)
	if len(s.Slices) != 3 {
		t.Errorf("%d slices", len(s.Slices))
	}
	if len(res.Skipped) != len(want) {
		t.Fatalf("skipped %+v", res.Skipped)
	}
	for _, sk := range res.Skipped {
		if !errors.Is(sk.Err, want[sk.Path]) {
			t.Errorf("%s: %v, want %v", filepath.Base(sk.Path), sk.Err, want[sk.Path])
		}
	}
	// A path that does not exist is an error; a cancelled scan stops.
	if _, err := Scan(context.Background(), []string{filepath.Join(dir, "nope")}, ScanOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Scan(ctx, []string{dir}, ScanOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestSeriesHeaderAndLimits(t *testing.T) {
	dir := t.TempDir()
	writeImages(t, dir, tsExplicitLE, stack(3, geom.Vec3{}, geom.Vec3{0, 0, 2}, [6]float64{1, 0, 0, 0, 1, 0}, "1.2.4.1"))
	res, err := Scan(context.Background(), []string{dir}, ScanOptions{MaxVolumeBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	s := only(t, res)
	h, err := s.Header(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h.String(tag.PatientName) != "Doe^Jane" || h.Has(tag.PixelData) || h.Has(tag.TransferSyntaxUID) || h.String(tag.SeriesInstanceUID) != "1.2.4.1" || h.TransferSyntax() != tsExplicitLE {
		t.Errorf("header: %q, pixel data %v", h.String(tag.PatientName), h.Has(tag.PixelData))
	}
	// The header can be written (as a derived object's starting point).
	h.Set(NewStrings(tag.SOPInstanceUID, VRUI, NewUID()))
	if err := WriteFile(filepath.Join(t.TempDir(), "h.dcm"), h); err != nil {
		t.Errorf("writing the header: %v", err)
	}
	if _, err := s.Volume(context.Background()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Volume over the limit: %v", err)
	}
	if _, err := s.ReadSlice(context.Background(), 3); err == nil {
		t.Error("slice out of range read")
	}
}

func TestPerSliceRescale(t *testing.T) {
	dir := t.TempDir()
	imgs := stack(3, geom.Vec3{}, geom.Vec3{0, 0, 2}, [6]float64{1, 0, 0, 0, 1, 0}, "1.2.4.2")
	for i := range imgs {
		imgs[i].slope = 0.5 * float64(i+1)
		imgs[i].intercept = float64(10 * i)
		imgs[i].signed = false
	}
	writeImages(t, dir, tsExplicitLE, imgs)
	s := only(t, scanOne(t, dir))
	for k := range s.Slices {
		sl, err := s.ReadSlice(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		want := float32(phantomValue(0, k, 1, 2))*0.5*float32(k+1) + float32(10*k)
		if got := sl.Grey[1*5+2]; got != want {
			t.Errorf("slice %d: %v, want %v", k, got, want)
		}
	}
}

// enhanced builds an Enhanced CT image of frames at the given positions
// (stored in that order), with per-frame rescale and temporal indices.
func enhanced(positions []float64, temporal []int) *Dataset {
	rows, cols := 4, 3
	n := len(positions)
	px := make([]byte, 2*rows*cols*n)
	var perFrame []*Dataset
	for f := 0; f < n; f++ {
		for i := 0; i < rows*cols; i++ {
			px[2*(f*rows*cols+i)] = byte(f*10 + i)
		}
		perFrame = append(perFrame, NewDataset(
			NewSequence(tag.PlanePositionSequence, NewDataset(NewFloats(tag.ImagePositionPatient, VRDS, 5, 6, positions[f]))),
			NewSequence(tag.FrameContentSequence, NewDataset(NewInts(tag.TemporalPositionIndex, VRUL, temporal[f]))),
			NewSequence(tag.PixelValueTransformationSequence, NewDataset(NewFloats(tag.RescaleSlope, VRDS, 1), NewFloats(tag.RescaleIntercept, VRDS, float64(-f)))),
		))
	}
	shared := NewDataset(
		NewSequence(tag.PlaneOrientationSequence, NewDataset(NewFloats(tag.ImageOrientationPatient, VRDS, 1, 0, 0, 0, 1, 0))),
		NewSequence(tag.PixelMeasuresSequence, NewDataset(NewFloats(tag.PixelSpacing, VRDS, 0.5, 0.25), NewFloats(tag.SliceThickness, VRDS, 1))),
	)
	return NewDataset(
		NewStrings(tag.SOPClassUID, VRUI, "1.2.840.10008.5.1.4.1.1.2.1"),
		NewStrings(tag.SOPInstanceUID, VRUI, NewUID()),
		NewStrings(tag.SeriesInstanceUID, VRUI, NewUID()),
		NewStrings(tag.Modality, VRCS, "CT"),
		NewInts(tag.SamplesPerPixel, VRUS, 1),
		NewStrings(tag.PhotometricInterpretation, VRCS, "MONOCHROME2"),
		NewInts(tag.NumberOfFrames, VRIS, n),
		NewInts(tag.Rows, VRUS, rows), NewInts(tag.Columns, VRUS, cols),
		NewInts(tag.BitsAllocated, VRUS, 16), NewInts(tag.BitsStored, VRUS, 16), NewInts(tag.HighBit, VRUS, 15),
		NewInts(tag.PixelRepresentation, VRUS, 0),
		NewSequence(tag.SharedFunctionalGroupsSequence, shared),
		NewSequence(tag.PerFrameFunctionalGroupsSequence, perFrame...),
		NewBytes(tag.PixelData, VROW, px),
	)
}

func TestEnhancedMultiframe(t *testing.T) {
	dir := t.TempDir()
	// Frames stored out of position order: 2 positions × 2 times, plus a
	// third position so that it is a volume.
	pos := []float64{20, 10, 20, 10, 30, 30}
	tmp := []int{2, 1, 1, 2, 2, 1}
	p := filepath.Join(dir, "mf.dcm")
	writeTS(t, p, enhanced(pos, tmp), tsExplicitLE)
	s := only(t, scanOne(t, p))
	if s.VolumeErr != nil || s.Volumes != 2 || s.Grid.Slices != 3 || s.Grid.SliceSpacing != 10 || s.Grid.RowSpacing != 0.5 || s.Grid.ColSpacing != 0.25 || !s.Multiframe {
		t.Fatalf("%d volumes of %d, grid %+v, %v", s.Volumes, s.Grid.Slices, s.Grid, s.VolumeErr)
	}
	// Volume t, slice k is the frame at position 10(k+1) with temporal index t+1.
	wantFrames := []int{1, 2, 5, 3, 0, 4}
	for i, ref := range s.Slices {
		if ref.Frame != wantFrames[i] {
			t.Errorf("slice %d is frame %d, want %d", i, ref.Frame, wantFrames[i])
		}
		sl, err := s.ReadSlice(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		f := wantFrames[i]
		if want := float32(f*10+7) - float32(f); sl.Grey[7] != want {
			t.Errorf("slice %d pixel 7 = %v, want %v (frame %d, its own intercept)", i, sl.Grey[7], want, f)
		}
	}
}

func TestClassicMultiframeGridOffsets(t *testing.T) {
	ds := enhanced([]float64{0, 0, 0}, []int{1, 1, 1})
	ds.Delete(tag.SharedFunctionalGroupsSequence)
	ds.Delete(tag.PerFrameFunctionalGroupsSequence)
	ds.Set(NewFloats(tag.ImagePositionPatient, VRDS, 1, 2, -30))
	ds.Set(NewFloats(tag.ImageOrientationPatient, VRDS, 1, 0, 0, 0, 1, 0))
	ds.Set(NewFloats(tag.PixelSpacing, VRDS, 2, 2))
	ds.Set(NewFloats(tag.GridFrameOffsetVector, VRDS, 0, 5, 10))
	p := filepath.Join(t.TempDir(), "dose.dcm")
	writeTS(t, p, ds, tsImplicitLE)
	s := only(t, scanOne(t, p))
	if s.VolumeErr != nil || s.Grid.Slices != 3 || s.Grid.SliceSpacing != 5 || s.Grid.Origin != (geom.Vec3{1, 2, -30}) {
		t.Fatalf("grid %+v, %v", s.Grid, s.VolumeErr)
	}
}

// TestSlicesAreReadLazily: a scan keeps no pixel data (not even of deflated
// files), and a slice is read from its own file only when asked for.
func TestSlicesAreReadLazily(t *testing.T) {
	for _, ts := range []string{tsExplicitLE, tsDeflated} {
		dir := t.TempDir()
		paths := writeImages(t, dir, ts, stack(4, geom.Vec3{}, geom.Vec3{0, 0, 1}, [6]float64{1, 0, 0, 0, 1, 0}, "1.2.3.9"))
		s := only(t, scanOne(t, dir))
		for _, ref := range s.Slices {
			if ref.in.src.elem != nil {
				t.Fatalf("%s: the scan holds the pixel data of %s", ts, ref.Path)
			}
		}
		if err := os.Remove(paths[2]); err != nil {
			t.Fatal(err)
		}
		for k, ref := range s.Slices {
			_, err := s.ReadSlice(context.Background(), k)
			if ref.Path == paths[2] {
				if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), ref.Path) {
					t.Errorf("%s: slice of the removed file: %v", ts, err)
				}
			} else if err != nil {
				t.Errorf("%s: slice %d: %v", ts, k, err)
			}
		}
	}
}
