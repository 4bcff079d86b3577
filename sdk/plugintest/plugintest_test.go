package plugintest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/sdk/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	buildtest.Cleanup()
	os.Exit(code)
}

func bin(tb testing.TB, name string) string {
	tb.Helper()
	switch name {
	case "threshold":
		return buildtest.Binary(tb, "./sdk/examples/threshold", "mmcseg-plugin-threshold")
	case "wrongsize", "badlabel", "outoforder", "nodone", "badversion", "baddescribe":
		raw := buildtest.Binary(tb, "./sdk/plugintest/testdata/raw", "mmcseg-plugin-raw")
		link := filepath.Join(tb.TempDir(), "mmcseg-plugin-"+name)
		if err := os.Symlink(raw, link); err != nil {
			tb.Fatal(err)
		}
		return link
	}
	return buildtest.Binary(tb, "./sdk/plugintest/testdata/"+name, "mmcseg-plugin-"+name)
}

func TestGoExamplePasses(t *testing.T) {
	plugintest.Run(t, bin(t, "threshold"))
}

func result(r *plugintest.Report, name string) (plugintest.Result, bool) {
	for _, res := range r.Results {
		if res.Name == name {
			return res, true
		}
	}
	return plugintest.Result{}, false
}

// Broken plugins fail the check that exposes them, with the host's
// message, and the kit goes on (restarting the plugin where needed).
func TestBrokenPluginsFail(t *testing.T) {
	for _, tc := range []struct {
		plugin, check, message string
		restarts               bool
	}{
		{"garbage", "handshake", "plugin mmcseg-plugin-garbage did not complete the go-plugin handshake: Unrecognized remote plugin message: starting up, loading model weights...", false},
		{"badversion", "handshake", "incompatible API version with plugin. Plugin version: 2, Client versions: [1]", false},
		{"baddescribe", "handshake", "described itself invalidly: bad plugin description: no segments", false},
		{"crash", "series", "plugin crash exited with status 3 while segmenting slice 1 of series 2.25.", true},
		{"hang", "series", "plugin hang stopped responding (no message for 700ms) while segmenting slice 1 of series 2.25.", true},
		{"wrongsize", "masks/257x257", "plugin wrongsize broke the contract while segmenting slice 0 of series 2.25.1002002: the mask of slice 0 is 258×257 with 66306 labels, the slice is 257×257", false},
		{"badlabel", "series", "the mask of slice 0 has label 7, which is not a segment for CT FLOAT32 input", false},
		{"outoforder", "series", "it sent the mask for slice 1 when slice 0 was due", false},
	} {
		t.Run(tc.plugin, func(t *testing.T) {
			opts := plugintest.Options{StartTimeout: 10 * time.Second, InactivityTimeout: 700 * time.Millisecond, LargeSide: 300}
			r, err := plugintest.Check(context.Background(), bin(t, tc.plugin), opts)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := r.Write(&b); err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + b.String())
			if r.Passed() || !strings.Contains(b.String(), "RESULT: FAIL") {
				t.Fatal("the broken plugin passed")
			}
			res, ok := result(r, tc.check)
			if !ok || res.Status != plugintest.Fail || !strings.Contains(res.Message, tc.message) {
				t.Errorf("check %s: %+v\nwant FAIL containing %q", tc.check, res, tc.message)
			}
			if tc.restarts && r.Restarts == 0 {
				t.Error("the kit did not restart the plugin")
			}
			if tc.check == "handshake" && (len(r.Results) != 2 || r.Results[1].Status != plugintest.Skip) {
				t.Errorf("after a failed handshake: %+v", r.Results)
			}
		})
	}
}

// The report reads well: one aligned line per check and a verdict.
func TestReportFormat(t *testing.T) {
	r := &plugintest.Report{
		Plugin: "/opt/mmcseg-plugin-x",
		Description: &sdk.Description{Name: "x", Version: "2.0", ContractVersion: 1, InputMode: sdk.SliceMode,
			Segments: make([]sdk.SegmentInfo, 2), Parameters: make([]sdk.Parameter, 1)},
		Results: []plugintest.Result{
			{Name: "handshake", Status: plugintest.Pass, Message: "protocol version 1, AutoMTLS on", Duration: 123 * time.Millisecond},
			{Name: "masks/1x1", Status: plugintest.Fail, Message: "plugin x exited with status 3", Duration: 2 * time.Second},
			{Name: "progress", Status: plugintest.Info, Message: "2 progress reports"},
		},
		Restarts: 1,
	}
	var b strings.Builder
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := `mmcseg plugin check: /opt/mmcseg-plugin-x
plugin x 2.0: contract v1, SLICE mode, one series at a time, 2 segments, 1 parameters
PASS  handshake    0.12s  protocol version 1, AutoMTLS on
FAIL  masks/1x1    2.00s  plugin x exited with status 3
INFO  progress     0.00s  2 progress reports
3 checks: 1 passed, 1 failed, 0 skipped, 1 for information; the plugin was restarted 1 times
RESULT: FAIL
`
	if b.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", b.String(), want)
	}
}
