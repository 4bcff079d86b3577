package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/host"
	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/internal/shareddata"
	"github.com/mmcseg/mmcseg/nifti"
)

func TestMain(m *testing.M) {
	code := m.Run()
	buildtest.Cleanup()
	os.Exit(code)
}

// TestSegmentLIDC segments the real LIDC series with the k-means plugin
// through the mmcseg executable and checks the outputs with tools we did
// not write: nibabel reads the NIfTI (geometry as the corpus manifest
// states it, labels as reported) and, where a SEG was written, dciodvfy
// validates it and pydicom's frames equal the NIfTI mask slice by slice.
func TestSegmentLIDC(t *testing.T) {
	lidc := shareddata.Path(t, "ct-lidc/LIDC-IDRI-0001")
	py := python(t)
	bin := install(t, "kmeans")
	out := filepath.Join(t.TempDir(), "out")
	r := mmcseg(t, bin, "segment", lidc, "--out", out, "--plugin", "kmeans", "--format", "seg,nifti,png", "--progress", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	ev := events(r.stderr)
	kinds := map[string]int{}
	for _, e := range ev {
		kinds[e["event"].(string)]++
	}
	if kinds["batch_started"] != 1 || kinds["series_started"] != 1 || kinds["slice_done"] != 133 || kinds["series_done"] != 1 || kinds["batch_done"] != 1 {
		t.Errorf("events: %v", kinds)
	}
	if last := ev[len(ev)-1]; last["event"] != "batch_done" || last["ok"] != 1.0 || last["failed"] != 0.0 {
		t.Errorf("last event %v", last)
	}
	const uid = "1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192"
	reps := seriesReports(t, out)
	rep := reps[uid]
	if len(reps) != 1 || rep == nil {
		t.Fatalf("reports: %v", reps)
	}
	wantDir := filepath.Join(out, "LIDC-IDRI-0001", "1.3.6.1.4.1.14519.5.2.1.6279.6001.298806137288633453246975630178", uid)
	if rep.Dir != wantDir || rep.Outcome != host.OutcomeOK || rep.Slices != 133 || rep.Rows != 512 || len(rep.Inputs) != 133 ||
		rep.Plugin.Name != "kmeans" || rep.Params["k"] != "2" || rep.Modality != "CT" {
		t.Fatalf("report: %+v", rep)
	}
	if len(rep.Segments) != 1 || rep.Segments[0].Label != "Lung" || rep.Segments[0].VolumeML == nil {
		t.Fatalf("segments: %+v", rep.Segments)
	}
	lung := rep.Segments[0]
	if ml := float64(lung.Voxels) * 0.703125 * 0.703125 * 2.5 / 1000; math.Abs(*lung.VolumeML-ml) > 1e-6 {
		t.Errorf("lung volume %g mL, want voxels × 0.703125² × 2.5 mm³ = %g", *lung.VolumeML, ml)
	}
	if *lung.VolumeML < 2000 || *lung.VolumeML > 8000 {
		t.Errorf("lung volume %g mL is not that of an adult's lungs", *lung.VolumeML)
	}
	for _, f := range []string{"mask.nii.gz", "mask_labels.txt", "mask_labels.json", "preview.png", "report.json"} {
		if _, err := os.Stat(filepath.Join(wantDir, f)); err != nil {
			t.Error(err)
		}
	}

	// nibabel: geometry from the manifest, labels {0, 1}, the reported
	// count; the mask written out as row-major slices for the SEG check.
	maskRaw := filepath.Join(t.TempDir(), "mask.u8")
	script := `
import sys, json, nibabel as nib, numpy as np
img = nib.load(sys.argv[1])
d = np.asanyarray(img.dataobj)
np.ascontiguousarray(np.transpose(d, (2, 1, 0))).astype(np.uint8).tofile(sys.argv[2])
print(json.dumps({"shape": list(d.shape), "dtype": str(d.dtype), "affine": img.affine.tolist(),
  "values": sorted(int(v) for v in np.unique(d)), "sum": int((d == 1).sum()), "intent": int(img.header["intent_code"]),
  "sform": int(img.header["sform_code"]), "qform": int(img.header["qform_code"])}))
`
	outb, err := exec.Command(py, "-c", script, filepath.Join(wantDir, "mask.nii.gz"), maskRaw).CombinedOutput()
	if err != nil {
		t.Fatalf("nibabel: %v\n%s", err, outb)
	}
	var nb struct {
		Shape        []int
		Dtype        string
		Affine       [][]float64
		Values       []int
		Sum          int64
		Intent       int
		Sform, Qform int
	}
	if err := json.Unmarshal(outb, &nb); err != nil {
		t.Fatalf("%v: %s", err, outb)
	}
	want := [][]float64{{-0.703125, 0, 0, 166.0}, {0, -0.703125, 0, 171.699997}, {0, 0, 2.5, -340.0}, {0, 0, 0, 1}}
	for i := range want {
		for j := range want[i] {
			if math.Abs(nb.Affine[i][j]-want[i][j]) > 1e-4 {
				t.Fatalf("nibabel affine %v, want %v (manifest)", nb.Affine, want)
			}
		}
	}
	if !slices.Equal(nb.Shape, []int{512, 512, 133}) || nb.Dtype != "uint8" || !slices.Equal(nb.Values, []int{0, 1}) ||
		nb.Sum != lung.Voxels || nb.Intent != 1002 || nb.Sform != 1 || nb.Qform != 1 {
		t.Errorf("nibabel: %+v (report: %d lung voxels)", nb, lung.Voxels)
	}

	// SEG: dciodvfy, and pydicom's frames against the NIfTI mask.
	segPath := filepath.Join(wantDir, "seg.dcm")
	checkSEG(t, py, segPath, lidc, maskRaw, 512, 512)
}

// checkSEG validates a SEG with dciodvfy and compares its frames, as
// pydicom decodes them and maps them to source slices by
// ReferencedSOPInstanceUID, with a mask (slices of rows × cols bytes in
// the source series' slice order, as dicomio sorts it).
func checkSEG(t *testing.T, py, segPath, srcDir, maskRaw string, rows, cols int) {
	t.Helper()
	dciodvfy := tool(t, "dciodvfy")
	vout, err := exec.Command(dciodvfy, segPath).CombinedOutput()
	if err != nil || bytes.Contains(vout, []byte("Error")) {
		t.Errorf("dciodvfy: %v\n%s", err, vout)
	}
	res, err := dicomio.Scan(context.Background(), []string{srcDir}, dicomio.ScanOptions{})
	if err != nil || len(res.Series) != 1 {
		t.Fatalf("scan %s: %v", srcDir, err)
	}
	var sops []string
	for _, s := range res.Series[0].Slices {
		sops = append(sops, s.SOPInstanceUID)
	}
	order := filepath.Join(t.TempDir(), "sops.json")
	b, _ := json.Marshal(sops)
	os.WriteFile(order, b, 0o644)
	script := `
import sys, json, numpy as np, pydicom
ds = pydicom.dcmread(sys.argv[1])
sops = json.load(open(sys.argv[2]))
rows, cols = int(sys.argv[4]), int(sys.argv[5])
mask = np.fromfile(sys.argv[3], dtype=np.uint8).reshape(len(sops), rows, cols)
px = ds.pixel_array.reshape(-1, rows, cols)
seg = np.zeros_like(mask)
for f, fg in zip(px, ds.PerFrameFunctionalGroupsSequence):
    ref = fg.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    n = fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber
    seg[sops.index(ref)][f != 0] = n
print(json.dumps({"frames": int(px.shape[0]), "equal": bool((seg == mask).all()), "diff": int((seg != mask).sum()),
  "sop_class": ds.SOPClassUID, "type": ds.SegmentationType}))
`
	outb, err := exec.Command(py, "-c", script, segPath, order, maskRaw, fmt.Sprint(rows), fmt.Sprint(cols)).CombinedOutput()
	if err != nil {
		t.Fatalf("pydicom: %v\n%s", err, outb)
	}
	var got struct {
		Frames   int
		Equal    bool
		Diff     int
		SOPClass string `json:"sop_class"`
		Type     string
	}
	if err := json.Unmarshal(outb, &got); err != nil {
		t.Fatalf("%v: %s", err, outb)
	}
	if !got.Equal || got.Frames == 0 || got.SOPClass != "1.2.840.10008.5.1.4.1.1.66.4" || got.Type != "BINARY" {
		t.Errorf("SEG vs NIfTI mask: %+v", got)
	}
}

// TestSegmentMixedFolder segments a folder holding two series, nested
// folders, junk and broken files: both series succeed and every other file
// is reported with a reason.
func TestSegmentMixedFolder(t *testing.T) {
	bin := install(t, "probe")
	in := t.TempDir()
	a := phantom(t, filepath.Join(in, "a"), host.PhantomOptions{PatientID: "A"})
	b := phantom(t, filepath.Join(in, "deep", "er", "b"), host.PhantomOptions{PatientID: "B", Slices: 4})
	c := phantom(t, filepath.Join(t.TempDir(), "c"), host.PhantomOptions{PatientID: "C"})
	// A bad series: two images are too few to tell a volume from two
	// localizers.
	z := phantom(t, filepath.Join(in, "z"), host.PhantomOptions{PatientID: "Z", Slices: 2})
	whole, _ := os.ReadFile(c.Files[0])
	os.WriteFile(filepath.Join(in, "broken.dcm"), whole[:len(whole)/2], 0o644)
	os.WriteFile(filepath.Join(in, "notes.txt"), []byte("scanned on Tuesday\n"), 0o644)
	os.WriteFile(filepath.Join(in, "deep", "random.dcm"), bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 300), 0o644)
	os.WriteFile(filepath.Join(in, "empty"), nil, 0o644)
	os.WriteFile(filepath.Join(in, "bad.png"), []byte("\x89PNG\r\n\x1a\nnonsense"), 0o644)
	out := filepath.Join(t.TempDir(), "out")
	repPath := filepath.Join(t.TempDir(), "batch.json")
	r := mmcseg(t, bin, "segment", in, "--out", out, "--plugin", "probe", "--format", "nifti", "--report", repPath, "--progress", "plain")
	if r.code != exitPartial {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.code, exitPartial, r.stdout, r.stderr)
	}
	rep := readReport(t, repPath)
	if rep.Found != 3 || len(rep.Series) != 3 || rep.Count(host.OutcomeOK) != 2 {
		t.Fatalf("series: found %d, %+v", rep.Found, rep.Series)
	}
	if bad := rep.Series[2]; bad.Key != z.SeriesInstanceUID || bad.Outcome != host.OutcomeFailed || !strings.Contains(bad.Error, "too few slices") {
		t.Errorf("bad series: %s %s: %s", bad.Key, bad.Outcome, bad.Error)
	}
	got := map[string]string{}
	for _, s := range rep.Skipped {
		got[filepath.Base(s.Path)] = s.Reason
	}
	for name, why := range map[string]string{"broken.dcm": "truncated", "notes.txt": "not a DICOM", "random.dcm": "not a DICOM", "empty": "", "bad.png": "unreadable image"} {
		reason, ok := got[name]
		if !ok || !strings.Contains(strings.ToLower(reason), strings.ToLower(why)) {
			t.Errorf("skipped %s: %q (present %v), want a reason mentioning %q", name, reason, ok, why)
		}
	}
	if len(rep.Skipped) != 5 {
		t.Errorf("skipped: %+v", rep.Skipped)
	}
	for _, ph := range []*host.Phantom{a, b} {
		s := seriesReports(t, out)[ph.SeriesInstanceUID]
		if s == nil || s.Outcome != host.OutcomeOK || s.Slices != ph.Grid.Slices || s.PatientID != ph.PatientID {
			t.Errorf("series of patient %s: %+v", ph.PatientID, s)
		}
	}
	// The summary table names both series.
	if !strings.Contains(r.stdout, "2 ok, 1 failed") || strings.Count(r.stdout, "mmcseg chest phantom") != 3 {
		t.Errorf("summary:\n%s", r.stdout)
	}
}

// TestSegmentCrashingPlugin: a plugin that exits in the middle of one series
// fails that series with a clear message; it is started again for the next
// series, which succeeds; the exit status says "partly done".
func TestSegmentCrashingPlugin(t *testing.T) {
	bin := install(t, "crash")
	in := t.TempDir()
	phantom(t, filepath.Join(in, "a"), host.PhantomOptions{PatientID: "A", Slices: 3})
	b := phantom(t, filepath.Join(in, "b"), host.PhantomOptions{PatientID: "B", Slices: 1})
	out := filepath.Join(t.TempDir(), "out")
	repPath := filepath.Join(t.TempDir(), "batch.json")
	r := mmcseg(t, bin, "segment", in, "--out", out, "--plugin", "crash", "--format", "nifti", "--report", repPath, "--progress", "plain")
	if r.code != exitPartial {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.code, exitPartial, r.stdout, r.stderr)
	}
	rep := readReport(t, repPath)
	if len(rep.Series) != 2 {
		t.Fatalf("series: %+v", rep.Series)
	}
	first, second := rep.Series[0], rep.Series[1]
	if first.PatientID != "A" || first.Outcome != host.OutcomeFailed || !strings.Contains(first.Error, "exited") || !strings.Contains(first.Error, "slice 1") {
		t.Errorf("crashed series: %s %s: %s", first.PatientID, first.Outcome, first.Error)
	}
	if second.Key != b.SeriesInstanceUID || second.Outcome != host.OutcomeOK {
		t.Errorf("series after the crash: %s %s", second.Outcome, second.Error)
	}
	if fs := files(t, first.Dir); len(fs) != 0 {
		t.Errorf("the failed series left files: %v", fs)
	}
	if !strings.Contains(r.stdout, "failed: ") || !strings.Contains(r.stderr, "exited") {
		t.Errorf("the failure is not reported plainly:\n%s\n%s", r.stdout, r.stderr)
	}
}

// TestSegmentFailingSlice: a slice the plugin cannot segment fails its
// series, names the slice, and leaves nothing behind.
func TestSegmentFailingSlice(t *testing.T) {
	bin := install(t, "probe")
	in := t.TempDir()
	phantom(t, in, host.PhantomOptions{Slices: 4})
	out := filepath.Join(t.TempDir(), "out")
	r := mmcseg(t, bin, "segment", in, "--out", out, "--plugin", "probe", "--param", "fail_at=2", "--progress", "plain")
	if r.code != exitFailed || !strings.Contains(r.stdout, "slice 2: probe was told to fail") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if fs := files(t, out); len(fs) != 0 {
		t.Errorf("files left: %v", fs)
	}
}

// pluginProcesses lists the running processes whose executable is exe.
func pluginProcesses(exe string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		if p, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && p == exe {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestSegmentInterrupt sends SIGINT to mmcseg while the plugin works on a
// series: mmcseg exits non-zero with one line saying so, the plugin saw the
// cancellation and its process is gone, and no file is left in the output
// folder.
func TestSegmentInterrupt(t *testing.T) {
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		t.Skip("needs /proc")
	}
	bin := install(t, "probe")
	probe := filepath.Join(filepath.Dir(bin), host.PluginPrefix+"probe")
	in := t.TempDir()
	phantom(t, filepath.Join(in, "a"), host.PhantomOptions{PatientID: "A", Slices: 4})
	phantom(t, filepath.Join(in, "b"), host.PhantomOptions{PatientID: "B", Slices: 4})
	out := filepath.Join(t.TempDir(), "out")
	marker := filepath.Join(t.TempDir(), "cancelled")
	run := start(t, bin, "segment", in, "--out", out, "--plugin", "probe", "--param", "delay_ms=1500",
		"--param", "marker="+marker, "--format", "nifti,png", "--progress", "json")
	run.waitFor(t, time.Minute, func(e map[string]any) bool { return e["event"] == "slice_done" })
	if len(pluginProcesses(probe)) != 1 {
		t.Fatalf("plugin processes while running: %v", pluginProcesses(probe))
	}
	time.Sleep(300 * time.Millisecond) // into the next slice
	run.cmd.Process.Signal(syscall.SIGINT)
	code := run.wait(t, 30*time.Second)
	stderr := run.stderr()
	if code != exitFailed || !strings.Contains(stderr, "mmcseg segment: interrupted") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if b, err := os.ReadFile(marker); err != nil || !strings.Contains(string(b), "context canceled") {
		t.Errorf("the plugin did not see the cancellation: %q, %v", b, err)
	}
	if p := pluginProcesses(probe); len(p) != 0 {
		t.Errorf("plugin processes left: %v", p)
	}
	if fs := files(t, out); len(fs) != 0 {
		t.Errorf("files left after the interrupt: %v", fs)
	}
	done := events(stderr)
	if last := done[len(done)-1]; last["event"] != "batch_done" || last["cancelled"] != true {
		t.Errorf("last event: %v", last)
	}
}

// TestSegmentResume interrupts a batch after its first series, then runs it
// again: the finished series is skipped, the others are done. Different
// parameters then meet the complete results and refuse to overwrite them
// without --force, which rewrites them.
func TestSegmentResume(t *testing.T) {
	bin := install(t, "probe")
	in := t.TempDir()
	var uids []string
	for _, p := range []string{"A", "B", "C"} {
		uids = append(uids, phantom(t, filepath.Join(in, p), host.PhantomOptions{PatientID: p, Slices: 3}).SeriesInstanceUID)
	}
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"segment", in, "--out", out, "--plugin", "probe", "--format", "nifti,png", "--progress", "json"}
	run := start(t, bin, append(args, "--param", "delay_ms=400")...)
	first := run.waitFor(t, time.Minute, func(e map[string]any) bool { return e["event"] == "series_done" })
	run.cmd.Process.Signal(syscall.SIGINT)
	if code := run.wait(t, 30*time.Second); code != exitFailed {
		t.Fatalf("interrupted run: exit %d\n%s", code, run.stderr())
	}
	if first["outcome"] != "ok" || first["series"] != uids[0] {
		t.Fatalf("first series: %v", first)
	}
	if reps := seriesReports(t, out); len(reps) != 1 || reps[uids[0]] == nil {
		t.Fatalf("after the interrupt, reports for %v", reps)
	}
	before, _ := os.Stat(filepath.Join(seriesReports(t, out)[uids[0]].Dir, "mask.nii.gz"))

	r := mmcseg(t, bin, append(args, "--param", "delay_ms=400")...)
	if r.code != exitOK {
		t.Fatalf("resumed run: exit %d\n%s", r.code, r.stderr)
	}
	outcomes := map[any]any{}
	for _, e := range events(r.stderr) {
		if e["event"] == "series_done" {
			outcomes[e["series"]] = e["outcome"]
		}
	}
	if outcomes[uids[0]] != "skipped" || outcomes[uids[1]] != "ok" || outcomes[uids[2]] != "ok" {
		t.Errorf("resumed outcomes: %v", outcomes)
	}
	after, _ := os.Stat(filepath.Join(seriesReports(t, out)[uids[0]].Dir, "mask.nii.gz"))
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("the skipped series was rewritten")
	}

	// Other parameters: refused without --force.
	r = mmcseg(t, bin, args...)
	if r.code != exitFailed || strings.Count(r.stdout, "use --force to replace it") != 3 {
		t.Fatalf("other parameters without --force: exit %d\n%s", r.code, r.stdout)
	}
	r = mmcseg(t, bin, append(args, "--force")...)
	if r.code != exitOK || strings.Count(r.stdout, " ok ") != 3 {
		t.Fatalf("--force: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, uid := range uids {
		if s := seriesReports(t, out)[uid]; s.Params["delay_ms"] != "0" {
			t.Errorf("after --force %s has parameters %v", uid, s.Params)
		}
	}
}

// TestSegmentHostileUIDs: UIDs and names from DICOM files decide output
// folders; hostile values ("../../x", "/etc", "a/b", NUL, 300 characters)
// must not put anything outside --out.
func TestSegmentHostileUIDs(t *testing.T) {
	bin := install(t, "probe")
	root := t.TempDir()
	in := filepath.Join(root, "in")
	ph := phantom(t, in, host.PhantomOptions{Slices: 3})
	hostile := map[tag.Tag]string{
		tag.PatientID:         "../../x",
		tag.StudyInstanceUID:  "/etc",
		tag.SeriesInstanceUID: "a/b\x00" + strings.Repeat("../", 99),
	}
	for _, f := range ph.Files {
		ds, err := dicomio.ReadFile(f, dicomio.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for tg, v := range hostile {
			ds.Set(dicomio.NewStrings(tg, dicomio.VRUT, v))
		}
		if err := dicomio.WriteFile(f, ds); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(root, "out")
	r := mmcseg(t, bin, "segment", in, "--out", out, "--plugin", "probe", "--format", "nifti,png", "--progress", "plain")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	entries, _ := os.ReadDir(root)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"in", "out"}) {
		t.Errorf("beside in/ and out/: %v", names)
	}
	fs := files(t, out)
	if len(fs) != 5 {
		t.Fatalf("outputs: %v", fs)
	}
	for _, f := range fs {
		parts := strings.Split(f, string(filepath.Separator))
		want := []string{host.SanitizeComponent(hostile[tag.PatientID], ""), host.SanitizeComponent(hostile[tag.StudyInstanceUID], ""), host.SanitizeComponent(hostile[tag.SeriesInstanceUID], "")}
		if len(parts) != 4 || !slices.Equal(parts[:3], want) {
			t.Errorf("output %q is not under %v", f, want)
		}
	}
}

// TestSegmentShard runs every shard of a split and checks that together
// they segment each series exactly once, and each the one its hash says.
func TestSegmentShard(t *testing.T) {
	bin := install(t, "probe")
	in := t.TempDir()
	all := map[string]bool{}
	for i := range 7 {
		ph := phantom(t, filepath.Join(in, fmt.Sprint(i)), host.PhantomOptions{Columns: 16, Rows: 16, PixelSpacing: 10, Slices: 3, PatientID: fmt.Sprint("P", i)})
		all[ph.SeriesInstanceUID] = true
	}
	out := filepath.Join(t.TempDir(), "out")
	done := map[string]int{}
	const n = 3
	for i := range n {
		repPath := filepath.Join(t.TempDir(), "batch.json")
		r := mmcseg(t, bin, "segment", in, "--out", out, "--plugin", "probe", "--format", "nifti", "--shard", fmt.Sprintf("%d/%d", i, n), "--report", repPath, "--quiet")
		if r.code != exitOK {
			t.Fatalf("shard %d/%d: exit %d\n%s\n%s", i, n, r.code, r.stdout, r.stderr)
		}
		rep := readReport(t, repPath)
		if rep.Found != 7 {
			t.Errorf("shard %d found %d series", i, rep.Found)
		}
		for _, s := range rep.Series {
			if s.Outcome != host.OutcomeOK || host.ShardOf(s.Key, n) != i {
				t.Errorf("shard %d/%d: series %s (%s), whose shard is %d", i, n, s.Key, s.Outcome, host.ShardOf(s.Key, n))
			}
			done[s.Key]++
		}
	}
	for uid := range all {
		if done[uid] != 1 {
			t.Errorf("series %s segmented %d times", uid, done[uid])
		}
	}
	if len(done) != len(all) || len(seriesReports(t, out)) != len(all) {
		t.Errorf("%d series done, %d reports, want %d", len(done), len(seriesReports(t, out)), len(all))
	}
}

// TestSegmentInputs segments a 2D lung CT PNG and a NIfTI volume with the
// k-means plugin, each compared with its truth.
func TestSegmentInputs(t *testing.T) {
	lungDir := shareddata.Path(t, "lung-ct-2d")
	bin := install(t, "kmeans")
	in := t.TempDir()
	ph := phantom(t, filepath.Join(t.TempDir(), "ph"), host.PhantomOptions{Columns: 96, Rows: 96, PixelSpacing: 3.5, Slices: 5})
	hu16 := make([]int16, len(ph.HU))
	for i, v := range ph.HU {
		hu16[i] = int16(v)
	}
	niiPath := filepath.Join(in, "chest.nii.gz")
	if _, err := nifti.Write(context.Background(), niiPath, ph.Grid, hu16, nifti.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(lungDir, "images", "ID_0000_Z_0142.png")
	out := filepath.Join(t.TempDir(), "out")
	repPath := filepath.Join(t.TempDir(), "batch.json")
	r := mmcseg(t, bin, "segment", niiPath, png, "--out", out, "--plugin", "kmeans", "--modality", "ct", "--signed-offset-16",
		"--format", "seg,nifti,png", "--report", repPath, "--progress", "plain")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	rep := readReport(t, repPath)
	if len(rep.Series) != 2 {
		t.Fatalf("series: %+v", rep.Series)
	}
	for _, s := range rep.Series {
		if s.Outcome != host.OutcomeOK || s.Modality != "CT" ||
			!slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.HasPrefix(w, "seg: not written") }) {
			t.Errorf("%s: %s %q, warnings %v", s.Description, s.Outcome, s.Error, s.Warnings)
		}
		switch s.Source {
		case host.SourceImage:
			mask, err := host.ReadImage(filepath.Join(s.Dir, host.MaskPNGName), host.ImageOptions{})
			if err != nil {
				t.Fatal(err)
			}
			truth, err := host.ReadImage(filepath.Join(lungDir, "masks", "ID_0000_Z_0142.png"), host.ImageOptions{})
			if err != nil {
				t.Fatal(err)
			}
			d := host.Dice(greyMask(mask.Grey), greyMask(truth.Grey))
			t.Logf("2D lung CT: Dice %.3f against the manual mask", d)
			if d < 0.85 || s.Segments[0].VolumeML != nil {
				t.Errorf("2D lung CT: Dice %.3f, volume %v", d, s.Segments[0].VolumeML)
			}
		case host.SourceNIfTI:
			im, err := nifti.ReadFile(context.Background(), filepath.Join(s.Dir, host.NIfTIName), nifti.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a, b := im.Grid.RAS(), ph.Grid.RAS(); a != b {
				t.Errorf("mask affine %v, input %v", a, b)
			}
			var mask []uint8
			for k := range im.Grid.Slices {
				v, _ := im.Slice(k, nil)
				mask = append(mask, greyMask(v)...)
			}
			d := host.Dice(mask, ph.Truth)
			t.Logf("NIfTI phantom: Dice %.3f against the truth", d)
			if d < 0.9 {
				t.Errorf("NIfTI phantom: Dice %.3f", d)
			}
		default:
			t.Errorf("source %q", s.Source)
		}
	}

	// Without --modality the CT-only segment does not apply, and the
	// error says what to do.
	r = mmcseg(t, bin, "segment", niiPath, "--out", out, "--plugin", "kmeans", "--format", "nifti", "--force")
	if r.code != exitFailed || !strings.Contains(r.stdout, "--modality") {
		t.Errorf("no modality: exit %d\n%s", r.code, r.stdout)
	}
}

func greyMask(v []float32) []uint8 {
	m := make([]uint8, len(v))
	for i, x := range v {
		if x != 0 {
			m[i] = 1
		}
	}
	return m
}

// TestSegmentUsage checks the exit statuses and messages of mistakes.
func TestSegmentUsage(t *testing.T) {
	bin := install(t, "kmeans")
	in := t.TempDir()
	phantom(t, in, host.PhantomOptions{Slices: 1})
	out := filepath.Join(t.TempDir(), "out")
	sum, err := host.FileSHA256(filepath.Join(filepath.Dir(bin), host.PluginPrefix+"kmeans"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"segment", in}, exitUsage, "--out DIR is required"},
		{[]string{"segment", "--out", out}, exitUsage, "Usage: mmcseg segment"},
		{[]string{"segment", in, "--out", out, "--format", "dicom"}, exitUsage, `unknown format "dicom"`},
		{[]string{"segment", in, "--out", out, "--shard", "3/3"}, exitUsage, "bad shard"},
		{[]string{"segment", in, "--out", out, "--progress", "fancy"}, exitUsage, "--progress must be"},
		{[]string{"segment", in, "--out", out, "--plugin", "kmeans", "--param", "k=99"}, exitUsage, "k"},
		{[]string{"segment", in, "--out", out, "--plugin", "kmeans", "--param", "nosuch=1"}, exitUsage, "nosuch"},
		{[]string{"segment", in, "--out", out, "--plugin", "kmeans", "--series", "1.2.3"}, exitUsage, "1.2.3 is not among the inputs"},
		{[]string{"segment", in, "--out", out, "--plugin", "nosuch"}, exitFailed, "no executable mmcseg-plugin-nosuch beside mmcseg"},
		{[]string{"segment", in, "--out", out, "--plugin", "kmeans", "--plugin-sha256", strings.Repeat("0", 64)}, exitFailed, "not the pinned"},
		{[]string{"segment", t.TempDir(), "--out", out, "--plugin", "kmeans"}, exitFailed, "no series found"},
		{[]string{"segment", "-h"}, exitOK, "Exit status: 0 every series ok"},
	} {
		r := mmcseg(t, bin, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
			t.Errorf("%q: exit %d, want %d with %q\n%s%s", tc.args, r.code, tc.code, tc.want, r.stdout, r.stderr)
		}
	}
	if fs := files(t, out); len(fs) != 0 {
		t.Errorf("mistakes wrote files: %v", fs)
	}
	// A plugin started to check the parameters is stopped when they are
	// refused.
	if p := pluginProcesses(filepath.Join(filepath.Dir(bin), host.PluginPrefix+"kmeans")); len(p) != 0 {
		t.Errorf("plugin processes left running: %v", p)
	}
	// The right checksum runs.
	r := mmcseg(t, bin, "segment", in, "--out", out, "--plugin", "kmeans", "--plugin-sha256", sum, "--format", "nifti")
	if r.code != exitOK {
		t.Errorf("pinned checksum: exit %d\n%s", r.code, r.stderr)
	}
}

// TestSegmentHungPlugin: a plugin that stops answering is declared hung
// after --timeout, stopped, and the series fails; the next series gets a
// new plugin process.
func TestSegmentHungPlugin(t *testing.T) {
	bin := install(t, "hang")
	in := t.TempDir()
	phantom(t, filepath.Join(in, "a"), host.PhantomOptions{PatientID: "A", Slices: 3})
	phantom(t, filepath.Join(in, "b"), host.PhantomOptions{PatientID: "B", Slices: 1})
	out := filepath.Join(t.TempDir(), "out")
	repPath := filepath.Join(t.TempDir(), "batch.json")
	r := mmcseg(t, bin, "segment", in, "--out", out, "--plugin", "hang", "--format", "nifti", "--timeout", "2s", "--report", repPath, "--quiet")
	if r.code != exitPartial {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	rep := readReport(t, repPath)
	if a, b := rep.Series[0], rep.Series[1]; a.Outcome != host.OutcomeFailed || !strings.Contains(a.Error, "stopped responding") || b.Outcome != host.OutcomeOK {
		t.Errorf("%s: %s; %s: %s", a.PatientID, a.Error, b.PatientID, b.Outcome)
	}
	if p := pluginProcesses(filepath.Join(filepath.Dir(bin), host.PluginPrefix+"hang")); len(p) != 0 {
		t.Errorf("plugin processes left running: %v", p)
	}
}

// TestSegmentAwkwardDICOM: a series without UIDs (TotalSegmentator's CT)
// and a series of two volumes (GE fMRI) are segmented; neither can have a
// SEG, and the report says why, and that only the first volume was done.
func TestSegmentAwkwardDICOM(t *testing.T) {
	ts := shareddata.Path(t, "ct-totalsegmentator/example_ct_dicom")
	fmri := shareddata.Path(t, "dicom-dicom2nifti/ge/fmri/001")
	bin := install(t, "probe")
	out := filepath.Join(t.TempDir(), "out")
	repPath := filepath.Join(t.TempDir(), "batch.json")
	r := mmcseg(t, bin, "segment", ts, fmri, "--out", out, "--plugin", "probe", "--format", "seg,nifti", "--report", repPath, "--quiet")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	rep := readReport(t, repPath)
	if len(rep.Series) != 2 {
		t.Fatalf("series: %+v", rep.Series)
	}
	for _, s := range rep.Series {
		warns := strings.Join(s.Warnings, "\n")
		if s.Outcome != host.OutcomeOK || !strings.Contains(warns, "seg: not written") || len(s.Outputs) != 3 {
			t.Errorf("%s: %s, outputs %v, warnings:\n%s", s.Key, s.Outcome, s.Outputs, warns)
		}
		switch {
		case strings.HasPrefix(s.Key, "synthetic-"):
			if s.Slices != 20 || !strings.Contains(warns, "use --format nifti") {
				t.Errorf("series without UIDs: %d slices, warnings:\n%s", s.Slices, warns)
			}
		default:
			if s.Slices != 4 || !strings.Contains(warns, "only the first was segmented") {
				t.Errorf("fMRI: %d slices, warnings:\n%s", s.Slices, warns)
			}
		}
	}
}
