package dicomio

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mmcseg/mmcseg/geom"
)

// segScanOne scans paths and returns their only series.
func segScanOne(t testing.TB, paths ...string) *Series {
	t.Helper()
	res, err := Scan(context.Background(), paths, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Series) != 1 {
		t.Fatalf("%v: %d series, want 1 (skipped: %v)", paths, len(res.Series), res.Skipped)
	}
	return res.Series[0]
}

// segTestSegments describes n segments as the MMCFormer plugin would.
func segTestSegments(n int) []Segment {
	segs := make([]Segment, n)
	for i := range segs {
		segs[i] = Segment{
			Number:    i + 1,
			Label:     fmt.Sprintf("cluster %d", i+1),
			Category:  Code{"49755003", "SCT", "Morphologically Altered Structure"},
			Type:      Code{"4147007", "SCT", "Mass"},
			Algorithm: Algorithm{Name: "MMCFormer", Version: "0.1.0"},
		}
	}
	segs[0].Description = "first cluster"
	segs[0].Color = [3]uint8{221, 130, 101}
	return segs
}

// segBlobLabels makes a label volume for s with two ellipsoids of different
// sizes off-centre, so that swapped rows and columns, a reversed slice
// order or frames on the wrong slice show.
func segBlobLabels(s *Series, nseg int) []uint8 {
	rows, cols, n := s.Rows, s.Columns, len(s.Slices)
	labels := make([]uint8, n*rows*cols)
	type blob struct {
		k, r, c    float64 // centre (slice, row, column)
		rk, rr, rc float64 // radii
		v          uint8
	}
	blobs := []blob{
		{0.45 * float64(n), 0.35 * float64(rows), 0.6 * float64(cols), 0.2*float64(n) + 0.6, 0.2 * float64(rows), 0.12*float64(cols) + 0.6, 1},
		{0.7 * float64(n), 0.7 * float64(rows), 0.25 * float64(cols), 0.1*float64(n) + 0.6, 0.08*float64(rows) + 0.6, 0.15*float64(cols) + 0.6, 2},
	}
	for _, b := range blobs[:min(nseg, len(blobs))] {
		for k := 0; k < n; k++ {
			for r := 0; r < rows; r++ {
				for c := 0; c < cols; c++ {
					dk, dr, dc := (float64(k)-b.k)/b.rk, (float64(r)-b.r)/b.rr, (float64(c)-b.c)/b.rc
					if dk*dk+dr*dr+dc*dc <= 1 {
						labels[(k*rows+r)*cols+c] = b.v
					}
				}
			}
		}
	}
	return labels
}

// segWriteOblique writes a small CT series with rows ≠ columns
// (rows×columns not a multiple of 8), a double-oblique orientation,
// non-square pixels, files and instance numbers in the reverse of the
// slice order, and returns its folder.
func segWriteOblique(t testing.TB, dir string, slices, rows, cols int) string {
	t.Helper()
	a, b := 30*math.Pi/180, 20*math.Pi/180
	row := geom.Vec3{math.Cos(a), math.Sin(a), 0}
	col := geom.Vec3{-math.Sin(a) * math.Cos(b), math.Cos(a) * math.Cos(b), -math.Sin(b)}
	normal := row.Cross(col)
	origin := geom.Vec3{-20.5, 13.25, 101}
	study, series := NewUID(), NewUID()
	order := rand.New(rand.NewPCG(5, 6)).Perm(slices)
	for i, k := range order {
		m := img{
			rows: rows, cols: cols,
			ipp:       origin.Add(normal.Scale(1.7 * float64(k))),
			iop:       [6]float64{row[0], row[1], row[2], col[0], col[1], col[2]},
			spacing:   [2]float64{0.6, 0.9},
			thickness: 1.5,
			instance:  slices - k,
			study:     study, series: series,
			value: func(r, c int) int { return 100*k + 10*r + c },
		}
		if err := WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.dcm", i)), m.dataset()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// pySEG is what pydicom reads from a SEG (see pydicomSEG).
type pySEG struct {
	SOPClass      string      `json:"sop_class"`
	Type          string      `json:"type"`
	Rows          int         `json:"rows"`
	Columns       int         `json:"columns"`
	NFrames       int         `json:"nframes"`
	Study         string      `json:"study"`
	Series        string      `json:"series"`
	FoR           string      `json:"for"`
	PatientID     string      `json:"patient_id"`
	PatientName   string      `json:"patient_name"`
	Charset       []string    `json:"charset"`
	Lossy         string      `json:"lossy"`
	Modality      string      `json:"modality"`
	IOP           []float64   `json:"iop"`
	PixelSpacing  []float64   `json:"pixel_spacing"`
	Thickness     *float64    `json:"thickness"`
	SpacingBetwen *float64    `json:"spacing_between"`
	RefSeries     []pyRefSer  `json:"ref_series"`
	Segments      []pySegment `json:"segments"`
	Frames        []pyFrame   `json:"frames"`
	PixelError    string      `json:"pixel_error"`
	ReadError     string      `json:"read_error"`
	Pixels        []uint16    `json:"-"` // frames × rows × columns
}

type pyRefSer struct {
	UID       string   `json:"uid"`
	Instances []string `json:"instances"`
}

type pySegment struct {
	Number        int      `json:"number"`
	Label         string   `json:"label"`
	AlgorithmType string   `json:"algorithm_type"`
	AlgorithmName string   `json:"algorithm_name"`
	Category      []string `json:"category"`
	Type          []string `json:"type"`
	Lab           []int    `json:"lab"`
}

type pyFrame struct {
	Segment *int       `json:"segment"`
	Sources []pySource `json:"sources"`
	IPP     []float64  `json:"ipp"`
	DimIdx  []int      `json:"dim"`
}

type pySource struct {
	Class  string `json:"cls"`
	UID    string `json:"uid"`
	Frames []int  `json:"frames"`
}

var segPythonOK = sync.OnceValue(func() bool {
	return exec.Command("/usr/bin/python3", "-c", "import pydicom, numpy").Run() == nil
})

// segPython is python (Debian's python3 with pydicom and numpy), checked
// once per test binary: starting Python costs seconds on a loaded machine.
func segPython(t testing.TB) string {
	t.Helper()
	if !segPythonOK() {
		return python(t) // skips or fails, saying why
	}
	return "/usr/bin/python3"
}

// segPydicom reads SEGs with pydicom: attributes through its data model
// and pixels through pixel_array (its own 1-bit unpacking). Files whose
// pixels pydicom cannot decode have PixelError set.
func segPydicom(t testing.TB, paths ...string) []*pySEG {
	t.Helper()
	py := segPython(t)
	dir := t.TempDir()
	const script = `
import sys, json, warnings, numpy as np, pydicom
warnings.simplefilter('ignore')
out = sys.argv[1]
def first(item, name):
    if item is not None and name in item and len(item[name].value) > 0:
        return item[name].value[0]
    return None
def code(it):
    return None if it is None else [str(it.get('CodeValue', '')), str(it.get('CodingSchemeDesignator', '')), str(it.get('CodeMeaning', ''))]
def charset(cs):
    return [] if cs is None else [str(cs)] if isinstance(cs, str) else [str(x) for x in cs]
def floats(v):
    return None if v is None else [float(x) for x in v]
def one(i, p):
    ds = pydicom.dcmread(p)
    n = int(ds.get('NumberOfFrames', 1) or 1)
    shared = first(ds, 'SharedFunctionalGroupsSequence')
    perframe = ds.get('PerFrameFunctionalGroupsSequence')
    def fg(k, name):
        v = first(perframe[k], name) if perframe is not None and k < len(perframe) else None
        return v if v is not None else first(shared, name)
    res = dict(sop_class=str(ds.SOPClassUID), type=str(ds.get('SegmentationType', '')), rows=int(ds.Rows),
               columns=int(ds.Columns), nframes=n, study=str(ds.get('StudyInstanceUID', '')),
               series=str(ds.get('SeriesInstanceUID', '')), modality=str(ds.get('Modality', '')),
               patient_id=str(ds.get('PatientID', '')), patient_name=str(ds.get('PatientName', '')),
               charset=charset(ds.get('SpecificCharacterSet')),
               lossy=str(ds.get('LossyImageCompression', '')), pixel_error='')
    fref = ds.get('FrameOfReferenceUID')
    res['for'] = '' if fref is None else str(fref)
    po = fg(0, 'PlaneOrientationSequence')
    res['iop'] = floats(po.ImageOrientationPatient) if po is not None else None
    pm = fg(0, 'PixelMeasuresSequence')
    res['pixel_spacing'] = floats(pm.get('PixelSpacing')) if pm is not None else None
    res['thickness'] = float(pm.SliceThickness) if pm is not None and 'SliceThickness' in pm else None
    res['spacing_between'] = float(pm.SpacingBetweenSlices) if pm is not None and 'SpacingBetweenSlices' in pm else None
    res['ref_series'] = [dict(uid=str(s.SeriesInstanceUID), instances=[str(x.ReferencedSOPInstanceUID) for x in s.ReferencedInstanceSequence])
                         for s in ds.get('ReferencedSeriesSequence', [])]
    segs = []
    for s in ds.SegmentSequence:
        lab = s.get('RecommendedDisplayCIELabValue')
        segs.append(dict(number=int(s.SegmentNumber), label=str(s.get('SegmentLabel', '')),
                         algorithm_type=str(s.get('SegmentAlgorithmType', '')), algorithm_name=str(s.get('SegmentAlgorithmName', '')),
                         category=code(first(s, 'SegmentedPropertyCategoryCodeSequence')),
                         type=code(first(s, 'SegmentedPropertyTypeCodeSequence')),
                         lab=None if lab is None else [int(x) for x in lab]))
    res['segments'] = segs
    frames = []
    for k in range(n):
        si = fg(k, 'SegmentIdentificationSequence')
        pp = fg(k, 'PlanePositionSequence')
        fc = fg(k, 'FrameContentSequence')
        srcs = []
        for src in [perframe[k]] if perframe is not None and k < len(perframe) else []:
            for d in src.get('DerivationImageSequence', []):
                for s in d.get('SourceImageSequence', []):
                    fr = s.get('ReferencedFrameNumber')
                    frs = None if fr is None else ([int(fr)] if not isinstance(fr, (list, pydicom.multival.MultiValue)) else [int(x) for x in fr])
                    srcs.append(dict(cls=str(s.ReferencedSOPClassUID), uid=str(s.ReferencedSOPInstanceUID), frames=frs))
        dim = None
        if fc is not None and 'DimensionIndexValues' in fc:
            v = fc.DimensionIndexValues
            dim = [int(x) for x in v] if isinstance(v, (list, pydicom.multival.MultiValue)) else [int(v)]
        frames.append(dict(segment=None if si is None else int(si.ReferencedSegmentNumber), sources=srcs,
                           ipp=floats(pp.ImagePositionPatient) if pp is not None else None, dim=dim))
    res['frames'] = frames
    try:
        if ds.file_meta.TransferSyntaxUID in ('1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91') and int(ds.BitsAllocated) == 1:
            # pydicom's GDCM handler crashes on 1-bit JPEG 2000: decode
            # each frame with OpenJPEG through Pillow (1 comes out as 128).
            import io
            from PIL import Image
            from pydicom.encaps import generate_pixel_data_frame
            a = np.stack([np.array(Image.open(io.BytesIO(f))) > 0 for f in generate_pixel_data_frame(ds.PixelData, n)])
        else:
            a = ds.pixel_array
            if n == 1:
                a = a[None]
        np.asarray(a, dtype='<u2').tofile('%s/%d.raw' % (out, i))
    except Exception as e:
        res['pixel_error'] = repr(e)
    return res
for i, p in enumerate(sys.argv[2:]):
    try:
        res = one(i, p)
    except Exception as e:
        res = dict(read_error=repr(e))
    json.dump(res, open('%s/%d.json' % (out, i), 'w'))
`
	out, err := exec.Command(py, append([]string{"-c", script, dir}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("pydicom: %v\n%s", err, out)
	}
	res := make([]*pySEG, len(paths))
	for i := range paths {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.json", i)))
		if err != nil {
			t.Fatal(err)
		}
		s := &pySEG{}
		if err := json.Unmarshal(b, s); err != nil {
			t.Fatalf("%s: %v", paths[i], err)
		}
		if s.ReadError != "" {
			t.Fatalf("pydicom cannot read %s: %s", paths[i], s.ReadError)
		}
		if s.PixelError == "" {
			raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.raw", i)))
			if err != nil {
				t.Fatal(err)
			}
			s.Pixels = make([]uint16, len(raw)/2)
			for p := range s.Pixels {
				s.Pixels[p] = binary.LittleEndian.Uint16(raw[2*p:])
			}
			if want := s.NFrames * s.Rows * s.Columns; len(s.Pixels) != want {
				t.Fatalf("%s: pydicom gave %d pixels, want %d", paths[i], len(s.Pixels), want)
			}
		}
		res[i] = s
	}
	return res
}

// segDciodvfyRule is a dciodvfy warning that a SEG may keep, with the reason.
type segDciodvfyRule struct {
	pattern *regexp.Regexp
	reason  string
}

// segAllowedWarnings are the warnings our SEGs may get from dciodvfy; each
// comes from the source series, whose values the SEG must copy as they
// are.
var segAllowedWarnings = []segDciodvfyRule{
	{regexp.MustCompile(`^Warning - Missing attribute or value that would be needed to build DICOMDIR - (Study Time|Study ID|Patient ID|Study Date)$`),
		"the source has this Type 2 attribute empty or absent; the SEG copies it empty rather than inventing a value"},
	{regexp.MustCompile(`^Warning - Value dubious for this VR - \(0x00(10,0x0010\) PN Patient's Name|08,0x0090\) PN Referring Physician's Name) .* Retired Person Name form$`),
		"the source's PatientName or ReferringPhysicianName has no ^ separator; it is copied byte for byte"},
}

// segDciodvfyRun runs dciodvfy (dicom3tools) on path and returns its
// error and warning lines.
func segDciodvfyRun(t testing.TB, path string) (errs, warnings []string) {
	t.Helper()
	tool := tool(t, "dciodvfy")
	out, err := exec.Command(tool, path).CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line == "Segmentation":
		case strings.HasPrefix(line, "Warning"):
			warnings = append(warnings, line)
		default:
			errs = append(errs, line) // "Error - …" and anything unexpected
		}
	}
	if err != nil && len(errs) == 0 {
		errs = append(errs, fmt.Sprintf("dciodvfy exited with %v", err))
	}
	return errs, warnings
}

// segDciodvfy runs dciodvfy on path and fails on any error and on any
// warning not in segAllowedWarnings. It returns the warnings.
func segDciodvfy(t testing.TB, path string) []string {
	t.Helper()
	errs, warnings := segDciodvfyRun(t, path)
	for _, e := range errs {
		t.Errorf("dciodvfy %s: %s", filepath.Base(path), e)
	}
	for _, w := range warnings {
		ok := false
		for _, r := range segAllowedWarnings {
			ok = ok || r.pattern.MatchString(w)
		}
		if !ok {
			t.Errorf("dciodvfy %s: unexpected %s", filepath.Base(path), w)
		}
	}
	return warnings
}

// segDcmdump parses path with DCMTK's dcmdump and fails on any warning
// or error it prints, on a failed exit, and on elements it does not know.
func segDcmdump(t testing.TB, path string) {
	t.Helper()
	tool := tool(t, "dcmdump")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(tool, path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || stderr.Len() > 0 {
		t.Errorf("dcmdump %s: %v\n%.2000s", filepath.Base(path), err, stderr.String())
	}
	for _, bad := range []string{"Unknown Tag", "(invalid value)", "error"} {
		if strings.Contains(stdout.String(), bad) {
			t.Errorf("dcmdump %s: output contains %q", filepath.Base(path), bad)
		}
	}
}
