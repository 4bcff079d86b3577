package main

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/internal/shareddata"
	"github.com/mmcseg/mmcseg/plugin/onnx/internal/refdata"
	"github.com/mmcseg/mmcseg/sdk"
)

// python returns Debian's Python with pydicom and numpy, skipping (or
// failing in CI) when it is missing.
func python(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := exec.LookPath(py); err == nil {
		if err := exec.Command(py, "-c", "import pydicom, numpy").Run(); err == nil {
			return py
		}
	}
	if shareddata.InCI() {
		t.Fatalf("%s with pydicom and numpy is required", py)
	}
	t.Skipf("%s with pydicom and numpy not available", py)
	return ""
}

// TestLIDCAgainstPydicomNumpy segments real CT slices (LIDC-IDRI-0001, 512×512,
// HU) through the plugin executable with the 256×256 test model (window
// −600/1500, bilinear resize down and back) and compares the masks with
// lidc_ref.py: pydicom's decoding and gen.py's numpy pipeline.
func TestLIDCAgainstPydicomNumpy(t *testing.T) {
	dir := shareddata.Path(t, "ct-lidc/LIDC-IDRI-0001")
	py := python(t)
	var files []string
	for _, n := range []string{"000040.dcm", "000070.dcm", "000100.dcm"} {
		files = append(files, filepath.Join(dir, n))
	}
	ctx := context.Background()
	scan, err := dicomio.Scan(ctx, files, dicomio.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(scan.Series) != 1 || len(scan.Series[0].Slices) != 3 {
		t.Fatalf("scan: %d series, skipped %v", len(scan.Series), scan.Skipped)
	}
	series := scan.Series[0]
	var slices []sdk.Slice
	for k := range series.Slices {
		s, err := series.ReadSlice(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		slices = append(slices, sdk.NewFloat32Slice(k, s.Rows, s.Columns, s.Grey))
	}

	model := refdata.Path("models/binary-256.onnx")
	sidecar := refdata.Path("models/binary-256.json")
	out := t.TempDir()
	args := append([]string{refdata.Path("lidc_ref.py"), "binary-256", sidecar, out}, files...)
	if msg, err := exec.Command(py, args...).CombinedOutput(); err != nil {
		t.Fatalf("lidc_ref.py: %v\n%s", err, msg)
	}

	bin := buildtest.Binary(t, "./plugin/onnx", "mmcseg-plugin-onnx")
	p, err := sdk.Open(ctx, bin, sdk.ClientOptions{Env: []string{EnvModel + "=" + model}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if d := p.Description(); len(d.Segments) != 1 || d.Segments[0].Label != "Lung" {
		t.Fatalf("description %+v", d.Segments)
	}
	masks := map[int][]uint8{}
	res, err := p.Segment(ctx, sdk.SegmentRequest{
		Series: sdk.SeriesInfo{UID: series.SeriesInstanceUID, Modality: series.Modality, PhotometricInterpretation: series.Photometric,
			Format: sdk.Float32, Rows: series.Rows, Columns: series.Columns, Slices: len(slices)},
		Slice:  func(_ context.Context, k int) (sdk.Slice, error) { return slices[k], nil },
		OnMask: func(m sdk.Mask) error { masks[m.Index] = m.Labels; return nil },
	})
	if err != nil || len(masks) != 3 {
		t.Fatalf("segment: %v (%d masks, %+v)", err, len(masks), res)
	}
	for k, ref := range series.Slices {
		base := filepath.Join(out, filepath.Base(ref.Path))
		want, err := os.ReadFile(base + ".labels.u8")
		if err != nil {
			t.Fatal(err)
		}
		scores, err := refdata.ReadF32(base + ".scores.f32")
		if err != nil {
			t.Fatal(err)
		}
		got := masks[k]
		if len(want) != len(got) || len(scores) != len(got) {
			t.Fatalf("%s: %d labels, reference %d", ref.Path, len(got), len(want))
		}
		differ, fg := 0, 0
		for i := range got {
			fg += int(got[i])
			if got[i] != want[i] && math.Abs(float64(scores[i])-0.5) >= 1e-5 {
				differ++
			}
		}
		if differ > 0 {
			t.Errorf("%s: %d labels differ from pydicom+numpy", filepath.Base(ref.Path), differ)
		}
		if fg == 0 || fg == len(got) {
			t.Errorf("%s: a trivial mask (%d of %d)", filepath.Base(ref.Path), fg, len(got))
		}
		t.Logf("%s: %d of %d pixels labelled, same as the reference", filepath.Base(ref.Path), fg, len(got))
	}
}
