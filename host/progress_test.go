package host

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// batchEvents is a small batch: two series, one ok, one failed.
func batchEvents() []Event {
	ok := &SeriesReport{Key: "1.2.3", Description: "chest", Dir: "/out/p/s/1.2.3", Outcome: OutcomeOK, Slices: 2,
		Timings: Timings{Total: 1.5}, Outputs: []Output{{Format: "nifti", Path: "mask.nii.gz"}, {Format: "labels", Path: "mask_labels.txt"}}}
	bad := &SeriesReport{Key: "1.2.4", Description: "abdomen", Dir: "/out/p/s/1.2.4", Outcome: OutcomeFailed, Slices: 2,
		Error: "plugin kmeans exited with status 3 while segmenting slice 1 of series 1.2.4"}
	return []Event{
		{Kind: EventBatchStarted, Found: 3, Total: 2, SkippedInputs: 1},
		{Kind: EventSeriesStarted, Series: "1.2.3", Index: 1, Slices: 2, Description: "chest", Dir: ok.Dir},
		{Kind: EventProgress, Series: "1.2.3", Index: 1, Slices: 2, Slice: 0, Iteration: 3, Iterations: 10, Fraction: 0.15},
		{Kind: EventSliceDone, Series: "1.2.3", Index: 1, Slices: 2, Slice: 0, Done: 1, Fraction: 0.5},
		{Kind: EventSliceDone, Series: "1.2.3", Index: 1, Slices: 2, Slice: 1, Done: 2, Fraction: 1},
		{Kind: EventSeriesDone, Series: "1.2.3", Index: 1, Slices: 2, Result: ok},
		{Kind: EventSeriesStarted, Series: "1.2.4", Index: 2, Slices: 2, Description: "abdomen", Dir: bad.Dir},
		{Kind: EventSeriesDone, Series: "1.2.4", Index: 2, Slices: 2, Result: bad},
		{Kind: EventBatchDone, Found: 3, Total: 2, OK: 1, Failed: 1, Seconds: 3},
	}
}

func render(mode ProgressMode) string {
	var b bytes.Buffer
	p := NewProgress(&b, mode)
	clock := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	p.now = func() time.Time { clock = clock.Add(40 * time.Second); return clock }
	for _, e := range batchEvents() {
		p.Event(e)
	}
	p.Close()
	return b.String()
}

func TestProgressModes(t *testing.T) {
	plain := render(ProgressPlain)
	for _, want := range []string{
		"2 series to do (3 found, 1 input files skipped)",
		"[1/2] chest: started, 2 slices → /out/p/s/1.2.3",
		"[1/2] chest: 2/2 slices (100%)",
		"[1/2] chest: ok in 1.5s → /out/p/s/1.2.3",
		"[2/2] abdomen: failed: plugin kmeans exited with status 3",
		"done in 3s: 1 ok, 1 failed, 0 skipped",
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("plain output lacks %q:\n%s", want, plain)
		}
	}
	if strings.Contains(plain, "\x1b[") {
		t.Error("plain output holds terminal escapes")
	}

	quiet := render(ProgressQuiet)
	if lines := strings.Split(strings.TrimSpace(quiet), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "abdomen: failed") {
		t.Errorf("quiet output:\n%s", quiet)
	}

	js := render(ProgressJSON)
	lines := strings.Split(strings.TrimSpace(js), "\n")
	if len(lines) != len(batchEvents()) {
		t.Fatalf("%d JSON lines for %d events", len(lines), len(batchEvents()))
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["event"] != string(batchEvents()[i].Kind) {
			t.Errorf("line %d: %q (%v)", i, l, err)
		}
	}

	bars := render(ProgressBars)
	for _, want := range []string{"[1/2] chest [", "0/2 slices, step 3/10", "overall [", "1/2 series", "\x1b[", "[2/2] abdomen: failed"} {
		if !strings.Contains(bars, want) {
			t.Errorf("bars lack %q:\n%q", want, bars)
		}
	}
	// At the end the screen holds the permanent lines only: no bar is
	// drawn after the batch's last line.
	if !strings.HasSuffix(bars, "\ndone in 3s: 1 ok, 1 failed, 0 skipped\n") {
		t.Errorf("bars left at the end: %q", bars[max(0, len(bars)-80):])
	}
}

func TestWriteSummary(t *testing.T) {
	r := &Report{Series: []SeriesReport{*batchEvents()[5].Result, *batchEvents()[7].Result}}
	var b bytes.Buffer
	if err := WriteSummary(&b, r, "/out"); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{
		"#  SERIES   SLICES  TIME  OUTCOME  OUTPUTS",
		"1  chest    2       1.5s  ok       p/s/1.2.3/{mask.nii.gz}",
		"2  abdomen  2       -     failed   -",
		"series 2 (1.2.4) failed: plugin kmeans exited",
		"1 ok, 1 failed, 0 skipped (complete before), 0 cancelled",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}
