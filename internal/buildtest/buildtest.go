// Package buildtest builds the project's commands and plugins for tests that
// must run them as real subprocesses (go-plugin, the mmcseg command).
//
// Each binary is built at most once per test process, into a directory that
// is removed when the process's tests finish (see Cleanup).
package buildtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	mu     sync.Mutex
	dir    string
	built  = map[string]string{}
	errors = map[string]error{}
)

// ModuleRoot returns the directory holding the project's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the mmcseg module")
	}
	return filepath.Dir(gomod), nil
}

// Binary builds the main package pkg (a path relative to the module root,
// such as "./plugin/kmeans") into a binary called name and returns its path.
// extra are additional `go build` flags (e.g. "-tags", "purego"). A build
// failure fails tb.
func Binary(tb testing.TB, pkg, name string, extra ...string) string {
	tb.Helper()
	p, err := build(pkg, name, extra)
	if err != nil {
		tb.Fatalf("building %s: %v", pkg, err)
	}
	return p
}

func build(pkg, name string, extra []string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	key := pkg + "\x00" + name + "\x00" + strings.Join(extra, "\x00")
	if p, ok := built[key]; ok {
		return p, nil
	}
	if err, ok := errors[key]; ok {
		return "", err
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "mmcseg-buildtest-")
		if err != nil {
			return "", err
		}
		dir = d
	}
	root, err := ModuleRoot()
	if err != nil {
		errors[key] = err
		return "", err
	}
	sub := filepath.Join(dir, fmt.Sprint(len(built)))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(sub, name)
	args := append([]string{"build", "-o", out}, extra...)
	args = append(args, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
		errors[key] = err
		return "", err
	}
	built[key] = out
	return out, nil
}

// Cleanup removes every binary built so far. Call it from TestMain after
// m.Run; binaries left behind otherwise live in the system temp directory.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
		dir = ""
		built = map[string]string{}
	}
}
