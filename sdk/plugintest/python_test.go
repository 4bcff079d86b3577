package plugintest_test

import (
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/internal/shareddata"
	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/sdk/plugintest"
)

// pythonPlugin returns the Python example's launcher, skipping (failing in
// CI) where Debian's python3 with grpcio and numpy is missing.
func pythonPlugin(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("/usr/bin/python3"); err != nil || exec.Command("/usr/bin/python3", "-c", "import grpc, numpy").Run() != nil {
		if shareddata.InCI() {
			t.Fatal("/usr/bin/python3 with grpc and numpy (python3-grpcio, python3-numpy) is needed")
		}
		t.Skip("no /usr/bin/python3 with grpc and numpy")
	}
	root, err := buildtest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "sdk", "examples", "python", "mmcseg-plugin-pythresh")
}

// The Python example, a plugin without the Go SDK, passes the kit through
// the real subprocess path: handshake line, health service, 256 MiB limits,
// no AutoMTLS.
func TestPythonExamplePasses(t *testing.T) {
	plugintest.Run(t, pythonPlugin(t), plugintest.Options{StartTimeout: 20 * time.Second})
}

// The Python plugin implements go-plugin's Shutdown, so closing it is
// graceful (go-plugin would otherwise wait two seconds and kill it), and its
// JSON log lines reach the host's logger at their level.
func TestPythonShutdownAndLogs(t *testing.T) {
	rec := &recorder{}
	p, err := sdk.Open(context.Background(), pythonPlugin(t), sdk.ClientOptions{Logger: slog.New(rec)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Segment(context.Background(), sdk.SegmentRequest{
		Series: sdk.SeriesInfo{UID: "py.1", Modality: "CT", Format: sdk.Uint8, Rows: 1, Columns: 2, Slices: 1},
		Slice:  func(context.Context, int) (sdk.Slice, error) { return sdk.NewUint8Slice(0, 1, 2, []uint8{0, 9}), nil },
		OnMask: func(m sdk.Mask) error {
			if m.Labels[0] != 0 || m.Labels[1] != 1 {
				t.Errorf("mask %v", m.Labels)
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if !p.Exited() {
		t.Error("the plugin is still running")
	}
	if !rec.has(slog.LevelInfo, "segmenting a series") {
		t.Errorf("the plugin's log line did not reach the host at INFO: %v", rec.lines())
	}
	// go-plugin says so when the Shutdown call did not end the process
	// and it had to kill it (a timing check would flake on a loaded machine).
	if rec.has(slog.LevelWarn, "plugin failed to exit gracefully") {
		t.Error("go-plugin had to kill the plugin")
	}
}

type recorder struct {
	mu  sync.Mutex
	got []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.got = append(r.got, rec.Clone())
	r.mu.Unlock()
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) has(level slog.Level, msg string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.got {
		if rec.Level == level && rec.Message == msg {
			return true
		}
	}
	return false
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.got {
		out = append(out, rec.Level.String()+" "+rec.Message)
	}
	return out
}
