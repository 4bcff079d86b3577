package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/host"
	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// Plugins the end-to-end tests install beside mmcseg, by name.
var testPlugins = map[string]string{
	"kmeans":    "./plugin/kmeans",
	"mmcformer": "./plugin/mmcformer",
	"probe":     "./sdk/plugintest/testdata/probe",
	"crash":     "./sdk/plugintest/testdata/crash",
	"garbage":   "./sdk/plugintest/testdata/garbage",
	"hang":      "./sdk/plugintest/testdata/hang",
}

// install builds mmcseg and the named plugins and puts them side by side in
// a fresh folder, as an installation would, so that plugin names resolve
// next to the binary. It returns the path of mmcseg.
func install(t *testing.T, plugins ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	place := func(src, name string) {
		dst := filepath.Join(dir, name)
		if err := os.Link(src, dst); err != nil {
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	place(buildtest.Binary(t, "./cmd/mmcseg", "mmcseg"), "mmcseg")
	for _, p := range plugins {
		pkg, ok := testPlugins[p]
		if !ok {
			t.Fatalf("no test plugin %q", p)
		}
		place(buildtest.Binary(t, pkg, host.PluginPrefix+p), host.PluginPrefix+p)
	}
	return filepath.Join(dir, "mmcseg")
}

// testEnv is the environment of mmcseg in the tests: no plugin folders
// but the binary's own, so that nothing installed on the machine is found.
func testEnv(extra ...string) []string {
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + os.TempDir(), host.EnvPluginPath + "="}
	return append(env, extra...)
}

// result is one finished mmcseg run.
type result struct {
	code           int
	stdout, stderr string
}

// mmcseg runs the binary to completion.
func mmcseg(t *testing.T, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = testEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("mmcseg %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// events parses JSON progress lines (other lines are ignored).
func events(s string) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(s, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["event"] != nil {
			out = append(out, m)
		}
	}
	return out
}

// running is an mmcseg process whose stderr JSON lines are watched.
type running struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []string
	waitCh chan error
	seen   chan map[string]any
}

func start(t *testing.T, bin string, args ...string) *running {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = testEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &running{cmd: cmd, waitCh: make(chan error, 1), seen: make(chan map[string]any, 10000)}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			r.mu.Lock()
			r.lines = append(r.lines, sc.Text())
			r.mu.Unlock()
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				r.seen <- m
			}
		}
		close(r.seen)
		r.waitCh <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	return r
}

// waitFor returns the first event matching ok, failing after the timeout.
func (r *running) waitFor(t *testing.T, timeout time.Duration, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e, open := <-r.seen:
			if !open {
				t.Fatalf("mmcseg ended before the awaited event:\n%s", r.stderr())
			}
			if ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no awaited event within %v:\n%s", timeout, r.stderr())
		}
	}
}

// wait waits for the process to end and returns its exit status.
func (r *running) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	go func() {
		for range r.seen {
		}
	}()
	select {
	case err := <-r.waitCh:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(timeout):
		t.Fatalf("mmcseg did not end within %v:\n%s", timeout, r.stderr())
	}
	return -1
}

func (r *running) stderr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// readReport reads the JSON batch report written with --report.
func readReport(t *testing.T, path string) *host.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r host.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// seriesReports reads every report.json under out, by series key.
func seriesReports(t *testing.T, out string) map[string]*host.SeriesReport {
	t.Helper()
	reps := map[string]*host.SeriesReport{}
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == host.ReportName {
			r, err := host.ReadSeriesReport(p)
			if err != nil {
				t.Fatal(err)
			}
			reps[r.Key] = r
		}
		return nil
	})
	return reps
}

// files lists the regular files under dir (relative paths).
func files(t *testing.T, dir string) []string {
	t.Helper()
	if dir == "" {
		t.Fatal("files: no folder given")
	}
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// python returns Debian's python3 (with numpy, pydicom, nibabel), or skips
// (fails in CI) when it is missing.
func python(t *testing.T) string {
	t.Helper()
	return tool(t, "/usr/bin/python3")
}

func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if shareddata.InCI() {
			t.Fatalf("%s is needed: %v", name, err)
		}
		t.Skipf("%s is missing: %v", name, err)
	}
	return p
}

// phantom writes a small chest phantom series for a test.
func phantom(t *testing.T, dir string, o host.PhantomOptions) *host.Phantom {
	t.Helper()
	if o.Columns == 0 {
		o.Columns, o.Rows, o.PixelSpacing = 32, 32, 10
	}
	if o.Slices == 0 {
		o.Slices = 3
	}
	ph, err := host.WritePhantom(context.Background(), dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return ph
}

// execPython runs a Python script with arguments.
func execPython(py, script string, args ...string) ([]byte, error) {
	return exec.Command(py, append([]string{"-c", script}, args...)...).CombinedOutput()
}
