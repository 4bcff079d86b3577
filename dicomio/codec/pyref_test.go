package codec

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// Reference pixels come from pydicom 2.3.1 with its GDCM, Pillow and numpy
// handlers (Debian packages, run through /usr/bin/python3): frames are cut
// with pydicom.encaps.generate_pixel_data_frame and the expected samples are
// ds.pixel_array of the reference file, written little-endian in the layout
// Decode promises. One Python process serves a whole test.

const pydicomScript = `
import json, os, sys, traceback
import numpy as np
import pydicom
from pydicom.encaps import generate_pixel_data_frame
from pydicom.pixel_data_handlers.util import convert_color_space

jobs = json.load(open(sys.argv[1]))
for job in jobs:
    out = job["out"]
    os.makedirs(out, exist_ok=True)
    meta = {}
    try:
        ds = pydicom.dcmread(job["src"])
        n = int(getattr(ds, "NumberOfFrames", 1) or 1)
        meta.update(ts=str(ds.file_meta.TransferSyntaxUID), nframes=n, rows=int(ds.Rows), cols=int(ds.Columns),
                    spp=int(ds.SamplesPerPixel), ba=int(ds.BitsAllocated), bs=int(ds.BitsStored),
                    pr=int(ds.PixelRepresentation), photometric=str(ds.PhotometricInterpretation))
        for i, fr in enumerate(generate_pixel_data_frame(ds.PixelData, n)):
            open(os.path.join(out, "frame_%04d.bin" % i), "wb").write(fr)
        ref = pydicom.dcmread(job["ref"]) if job["ref"] else ds
        arr = ref.pixel_array
        if job["ybr"]:
            arr = convert_color_space(arr, "YBR_FULL", "RGB")
        ba, pr = int(ref.BitsAllocated), int(ref.PixelRepresentation)
        dt = {1: "u1", 8: "u1", 16: "<u2", 32: "<u4"}[ba]
        if pr == 1 and ba > 1:
            dt = dt.replace("u", "i")
        open(os.path.join(out, "expected.raw"), "wb").write(np.ascontiguousarray(arr).astype(dt).tobytes())
    except Exception:
        meta["error"] = traceback.format_exc()
    json.dump(meta, open(os.path.join(out, "meta.json"), "w"))
`

type pyJob struct {
	Src string `json:"src"`
	Ref string `json:"ref"` // "" decodes src itself
	Out string `json:"out"`
	YBR bool   `json:"ybr"` // convert the reference from YBR_FULL to RGB
}

type pyMeta struct {
	TS          string `json:"ts"`
	NFrames     int    `json:"nframes"`
	Rows        int    `json:"rows"`
	Cols        int    `json:"cols"`
	SPP         int    `json:"spp"`
	BA          int    `json:"ba"`
	BS          int    `json:"bs"`
	PR          int    `json:"pr"`
	Photometric string `json:"photometric"`
	Error       string `json:"error"`
}

type pyResult struct {
	meta     pyMeta
	frames   [][]byte
	expected []byte
}

func (r *pyResult) info() FrameInfo {
	return FrameInfo{Rows: r.meta.Rows, Columns: r.meta.Cols, SamplesPerPixel: r.meta.SPP, BitsAllocated: r.meta.BA,
		BitsStored: r.meta.BS, PixelRepresentation: r.meta.PR, Photometric: r.meta.Photometric}
}

// python returns the interpreter with pydicom, skipping (or failing in CI)
// when it is missing.
func python(tb testing.TB) string {
	tb.Helper()
	const py = "/usr/bin/python3"
	if _, err := exec.LookPath(py); err != nil {
		if shareddata.InCI() {
			tb.Fatalf("%s not found: %v", py, err)
		}
		tb.Skipf("%s not found: %v (skipping outside CI)", py, err)
	}
	return py
}

// runPydicom runs the jobs in one Python process; results are keyed by
// job index.
func runPydicom(t *testing.T, jobs []pyJob) []pyResult {
	t.Helper()
	py := python(t)
	dir := t.TempDir()
	for i := range jobs {
		jobs[i].Out = filepath.Join(dir, strconv.Itoa(i))
	}
	jb, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	jf := filepath.Join(dir, "jobs.json")
	sf := filepath.Join(dir, "ref.py")
	if err := os.WriteFile(jf, jb, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sf, []byte(pydicomScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-W", "ignore", sf, jf)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pydicom reference script: %v\n%s", err, out)
	}
	res := make([]pyResult, len(jobs))
	for i, j := range jobs {
		mb, err := os.ReadFile(filepath.Join(j.Out, "meta.json"))
		if err != nil {
			t.Fatalf("pydicom gave no result for %s: %v", j.Src, err)
		}
		if err := json.Unmarshal(mb, &res[i].meta); err != nil {
			t.Fatal(err)
		}
		if res[i].meta.Error != "" {
			continue
		}
		for k := 0; ; k++ {
			b, err := os.ReadFile(filepath.Join(j.Out, "frame_"+pad4(k)+".bin"))
			if err != nil {
				break
			}
			res[i].frames = append(res[i].frames, b)
		}
		if res[i].expected, err = os.ReadFile(filepath.Join(j.Out, "expected.raw")); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func pad4(k int) string {
	s := strconv.Itoa(k)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}
