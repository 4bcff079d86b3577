package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
	"github.com/mmcseg/mmcseg/nifti"
)

// TestConvertCommand runs `mmcseg convert` on a 4-D series (as one 4-D
// file and split), on a folder of several series, and on a series that is
// not a volume. The voxels and geometry of conversions are checked against
// reference NIfTIs in package host; this test checks the command: what it
// says, what it writes, its exit statuses.
func TestConvertCommand(t *testing.T) {
	d2n := shareddata.Path(t, "dicom-dicom2nifti")
	bin := install(t)
	dir := t.TempDir()
	fmri := filepath.Join(d2n, "ge/fmri/001")

	out := filepath.Join(dir, "fmri.nii.gz")
	r := mmcseg(t, bin, "convert", fmri, "--out", out)
	if r.code != exitOK || !strings.Contains(r.stdout, "64×64×4×2: the series holds 2 volumes at the same 4 positions, written as one 4-D image") ||
		!strings.Contains(r.stdout, "wrote "+out) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	h, err := nifti.ReadHeaderFile(context.Background(), out)
	if err != nil || h.Dim[0] != 4 || h.Dim[4] != 2 || h.Datatype != nifti.Int16 {
		t.Errorf("4-D file: %v, dim %v, %v", err, h.Dim, h.Datatype)
	}

	r = mmcseg(t, bin, "convert", fmri, "--out", filepath.Join(dir, "split.nii"), "--split")
	if r.code != exitOK || !strings.Contains(r.stdout, "split into 2 files") {
		t.Fatalf("--split: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range []string{"split_vol1.nii", "split_vol2.nii"} {
		h, err := nifti.ReadHeaderFile(context.Background(), filepath.Join(dir, f))
		if err != nil || h.Dim[0] != 3 || h.Dim[3] != 4 {
			t.Errorf("%s: %v, dim %v", f, err, h.Dim)
		}
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"convert", filepath.Join(d2n, "ge"), filepath.Join(d2n, "hitachi"), "--out", filepath.Join(dir, "x.nii")}, exitUsage, "choose one with --series"},
		{[]string{"convert", fmri}, exitUsage, "--out FILE.nii.gz is required"},
		{[]string{"convert", fmri, "--out", filepath.Join(dir, "x.mgz")}, exitUsage, "must end in .nii or .nii.gz"},
		{[]string{"convert", fmri, "--out", filepath.Join(dir, "x.nii"), "--series", "1.2.3"}, exitUsage, "1.2.3 is not among the inputs"},
		{[]string{"convert", filepath.Join(d2n, "failing/notavolume/001"), "--out", filepath.Join(dir, "x.nii")}, exitFailed, "all images at the same position"},
	} {
		r := mmcseg(t, bin, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
			t.Errorf("%q: exit %d, want %d with %q\n%s%s", tc.args, r.code, tc.code, tc.want, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.nii")); err == nil {
		t.Error("a refused conversion wrote its output")
	}
}
