package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/mmcseg/mmcseg/host"
)

// TestDemo runs `mmcseg demo` with the real mmcformer plugin on a small
// phantom at a small working size (the full demo is `make demo`), and checks
// its outputs: a SEG that dciodvfy accepts and whose frames (read by
// pydicom) equal the NIfTI mask (read by nibabel), a preview, and a Dice
// against the phantom's truth that a lung segmentation reaches.
func TestDemo(t *testing.T) {
	py := python(t)
	bin := install(t, "mmcformer")
	out := filepath.Join(t.TempDir(), "demo-out")
	r := mmcseg(t, bin, "demo", "--out", out, "--side", "64", "--slices", "4", "--progress", "plain",
		"--param", "size=65", "--param", "dim=16", "--param", "clusters=16", "--param", "iterations=10")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	m := regexp.MustCompile(`Dice against the phantom's truth: ([0-9.]+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no Dice in\n%s", r.stdout)
	}
	dice, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("demo at 64×64×4, size 65, 10 steps: Dice %.4f", dice)
	if dice < 0.7 {
		t.Errorf("Dice %.4f", dice)
	}
	reps := seriesReports(t, out)
	if len(reps) != 1 {
		t.Fatalf("reports: %v", reps)
	}
	var rep *host.SeriesReport
	for _, v := range reps {
		rep = v
	}
	if rep.Plugin.Name != "mmcformer" || rep.Params["size"] != "65" || len(rep.Outputs) != 5 {
		t.Fatalf("report: %+v", rep)
	}
	for _, f := range []string{host.SEGName, host.NIfTIName, host.PreviewName} {
		if fi, err := os.Stat(filepath.Join(rep.Dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	maskRaw := filepath.Join(t.TempDir(), "mask.u8")
	if out, err := execPython(py, `
import sys, numpy as np, nibabel as nib
d = np.asanyarray(nib.load(sys.argv[1]).dataobj)
np.ascontiguousarray(np.transpose(d, (2, 1, 0))).astype(np.uint8).tofile(sys.argv[2])
`, filepath.Join(rep.Dir, host.NIfTIName), maskRaw); err != nil {
		t.Fatalf("nibabel: %v\n%s", err, out)
	}
	checkSEG(t, py, filepath.Join(rep.Dir, host.SEGName), filepath.Join(out, "phantom"), maskRaw, 64, 64)
}
