package host

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCompleteness(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mask.nii.gz"), []byte("12345"), 0o644)
	plugin := PluginInfo{Name: "kmeans", Version: "1.0.0"}
	params := map[string]string{"k": "2"}
	base := SeriesReport{
		Format: ReportFormat, Dir: dir, Outcome: OutcomeOK, Plugin: plugin, Params: params,
		Formats: []Format{FormatNIfTI, FormatPNG},
		Outputs: []Output{{Format: "nifti", Path: "mask.nii.gz", Bytes: 5}},
	}
	for _, tc := range []struct {
		name     string
		change   func(r *SeriesReport)
		formats  []Format
		complete bool
		conflict bool
		why      string
	}{
		{"same", func(*SeriesReport) {}, []Format{FormatNIfTI}, true, false, ""},
		{"failed before", func(r *SeriesReport) { r.Outcome = OutcomeFailed }, []Format{FormatNIfTI}, false, false, "did not finish"},
		{"output gone", func(r *SeriesReport) { r.Outputs[0].Path = "gone.nii.gz" }, []Format{FormatNIfTI}, false, false, "missing or changed"},
		{"output changed", func(r *SeriesReport) { r.Outputs[0].Bytes = 6 }, []Format{FormatNIfTI}, false, false, "missing or changed"},
		{"other plugin", func(r *SeriesReport) { r.Plugin.Name = "mmcformer" }, []Format{FormatNIfTI}, false, true, "made by plugin mmcformer"},
		{"other version", func(r *SeriesReport) { r.Plugin.Version = "0.9" }, []Format{FormatNIfTI}, false, true, "made by plugin kmeans 0.9"},
		{"other params", func(r *SeriesReport) { r.Params = map[string]string{"k": "3"} }, []Format{FormatNIfTI}, false, true, "parameters k=3"},
		{"format not asked then", func(*SeriesReport) {}, []Format{FormatSEG}, false, false, "format seg"},
	} {
		r := base
		r.Outputs = append([]Output(nil), base.Outputs...)
		tc.change(&r)
		why, conflict := completeness(&r, plugin, params, tc.formats)
		if (why == "") != tc.complete || conflict != tc.conflict || !strings.Contains(why, tc.why) {
			t.Errorf("%s: why %q conflict %v; want complete %v conflict %v why ~%q", tc.name, why, conflict, tc.complete, tc.conflict, tc.why)
		}
	}
}

func TestReadSeriesReport(t *testing.T) {
	dir := t.TempDir()
	r := SeriesReport{Format: ReportFormat, Key: "1.2.3", Outcome: OutcomeOK, Started: time.Unix(0, 0).UTC(), Outputs: []Output{{Format: "nifti", Path: "mask.nii.gz", Bytes: 1}}}
	b, _ := json.Marshal(r)
	p := filepath.Join(dir, ReportName)
	os.WriteFile(p, b, 0o644)
	got, err := ReadSeriesReport(p)
	if err != nil || got.Key != "1.2.3" || got.Dir != dir || got.Outputs[0].Path != "mask.nii.gz" {
		t.Fatalf("ReadSeriesReport = %+v, %v", got, err)
	}
	for name, body := range map[string]string{
		"not json":         "{",
		"other format":     `{"format":"mmcseg-report/9"}`,
		"escaping path":    `{"format":"` + ReportFormat + `","outputs":[{"path":"../../etc/passwd"}]}`,
		"absolute path":    `{"format":"` + ReportFormat + `","outputs":[{"path":"/etc/passwd"}]}`,
		"no format at all": `{}`,
	} {
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := ReadSeriesReport(p); !errors.Is(err, ErrReport) {
			t.Errorf("%s: error %v, want ErrReport", name, err)
		}
	}
}

// FuzzReadSeriesReport: a report.json found in an output folder is input
// too (it may be damaged or planted); reading it never panics, and an
// accepted one never points outside its folder.
func FuzzReadSeriesReport(f *testing.F) {
	b, _ := json.Marshal(SeriesReport{Format: ReportFormat, Outputs: []Output{{Path: "a.png"}}})
	f.Add(b)
	f.Add([]byte(`{"format":"mmcseg-report/1","outputs":[{"path":".."}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseSeriesReport("/x/report.json", data)
		if err != nil {
			return
		}
		for _, o := range r.Outputs {
			if !filepath.IsLocal(o.Path) {
				t.Fatalf("accepted output path %q", o.Path)
			}
		}
	})
}

// TestEventJSON pins the JSON lines contract: field names per kind.
func TestEventJSON(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	res := &SeriesReport{Dir: "/o/p/s/x", Outcome: OutcomeFailed, Error: "boom", Outputs: []Output{}, Warnings: []string{"w"}, Timings: Timings{Total: 1.5}}
	for _, tc := range []struct {
		e    Event
		want string
	}{
		{Event{Kind: EventBatchStarted, Time: at, Found: 3, Total: 2, SkippedInputs: 1},
			`{"event":"batch_started","time":"2026-01-02T03:04:05.000000006Z","found":3,"total":2,"skipped_inputs":1}`},
		{Event{Kind: EventSeriesStarted, Time: at, Series: "1.2", Index: 1, Slices: 4, Dir: "/o/d", Description: "CT", Modality: "CT"},
			`{"event":"series_started","time":"2026-01-02T03:04:05.000000006Z","series":"1.2","index":1,"slices":4,"dir":"/o/d","description":"CT","modality":"CT"}`},
		{Event{Kind: EventProgress, Time: at, Series: "1.2", Index: 1, Slices: 4, Slice: 0, Iteration: 3, Iterations: 50, Fraction: 0.0125, Message: "step 3"},
			`{"event":"progress","time":"2026-01-02T03:04:05.000000006Z","series":"1.2","index":1,"slices":4,"slice":0,"iteration":3,"iterations":50,"fraction":0.0125,"message":"step 3"}`},
		{Event{Kind: EventSliceDone, Time: at, Series: "1.2", Index: 1, Slices: 4, Slice: 0, Done: 1, Fraction: 0.25},
			`{"event":"slice_done","time":"2026-01-02T03:04:05.000000006Z","series":"1.2","index":1,"slices":4,"slice":0,"done":1,"fraction":0.25}`},
		{Event{Kind: EventSeriesDone, Time: at, Series: "1.2", Index: 1, Slices: 4, Result: res},
			`{"event":"series_done","time":"2026-01-02T03:04:05.000000006Z","series":"1.2","index":1,"slices":4,"dir":"/o/p/s/x","outcome":"failed","error":"boom","outputs":[],"warnings":["w"],"seconds":1.5}`},
		{Event{Kind: EventBatchDone, Time: at, Found: 3, Total: 2, OK: 1, Failed: 1, Seconds: 2},
			`{"event":"batch_done","time":"2026-01-02T03:04:05.000000006Z","seconds":2,"found":3,"total":2,"ok":1,"failed":1,"skipped":0,"cancelled":false}`},
	} {
		b, err := json.Marshal(tc.e)
		if err != nil || string(b) != tc.want {
			t.Errorf("%s:\n got %s (%v)\nwant %s", tc.e.Kind, b, err, tc.want)
		}
	}
}
