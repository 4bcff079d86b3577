package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/host"
)

// TestPluginList: plugins beside mmcseg come first, then those on
// $MMCSEG_PLUGIN_PATH, then on $PATH; a name found twice is listed as
// shadowed; each plugin is started for its description, and one that does
// not start is reported, not fatal.
func TestPluginList(t *testing.T) {
	bin := install(t, "kmeans", "garbage")
	extra := t.TempDir()
	onPath := t.TempDir()
	probe := install(t, "probe")
	copyFile := func(src, dst string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(filepath.Join(filepath.Dir(probe), host.PluginPrefix+"probe"), filepath.Join(extra, host.PluginPrefix+"probe"))
	copyFile(filepath.Join(filepath.Dir(bin), host.PluginPrefix+"kmeans"), filepath.Join(onPath, host.PluginPrefix+"kmeans"))
	os.WriteFile(filepath.Join(onPath, host.PluginPrefix+"notexec"), []byte("#!/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(onPath, "unrelated"), []byte("#!/bin/sh\n"), 0o755)

	cmd := exec.Command(bin, "plugin", "list", "--json")
	cmd.Env = []string{"PATH=" + onPath + ":/usr/bin:/bin", host.EnvPluginPath + "=" + extra}
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("plugin list: %v\n%s", err, outb)
	}
	var got struct {
		SearchPath []host.SearchDir `json:"search_path"`
		Plugins    []struct {
			host.FoundPlugin
			Description *struct{ Name, Version string }
			Error       string
		}
	}
	if err := json.Unmarshal(outb, &got); err != nil {
		t.Fatalf("%v\n%s", err, outb)
	}
	if len(got.SearchPath) < 3 || got.SearchPath[0].Dir != filepath.Dir(bin) || got.SearchPath[0].Source != "executable" ||
		got.SearchPath[1].Dir != extra || got.SearchPath[1].Source != host.EnvPluginPath || got.SearchPath[2].Dir != onPath {
		t.Errorf("search path: %+v", got.SearchPath)
	}
	type row struct {
		name, source string
		shadowed     bool
		version      string
		broken       bool
	}
	var rows []row
	for _, p := range got.Plugins {
		r := row{name: p.Name, source: p.Source, shadowed: p.Shadowed, broken: p.Error != ""}
		if p.Description != nil {
			r.version = p.Description.Version
		}
		rows = append(rows, r)
	}
	want := []row{
		{"garbage", "executable", false, "", true},
		{"kmeans", "executable", false, "1.1.0", false},
		{"kmeans", "PATH", true, "", false},
		{"probe", host.EnvPluginPath, false, "0.0.1", false},
	}
	if len(rows) != len(want) {
		t.Fatalf("plugins: %+v\nwant %+v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("plugin %d: %+v, want %+v", i, rows[i], want[i])
		}
	}

	// The table names the parameters of each plugin.
	cmd = exec.Command(bin, "plugin", "list")
	cmd.Env = []string{"PATH=" + onPath + ":/usr/bin:/bin", host.EnvPluginPath + "=" + extra}
	outb, err = cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"--param k=2 (int [2, 8])", "(shadowed)", "garbage: does not start", "segment 1: Lung (for CT FLOAT32)"} {
		if !strings.Contains(string(outb), s) {
			t.Errorf("plugin list does not say %q:\n%s", s, outb)
		}
	}
}
