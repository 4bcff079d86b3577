package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/internal/shareddata"
)

// evalInstall puts mmcseg and the kmeans plugin side by side in a fresh
// folder, as an installation would, and returns mmcseg's path.
func evalInstall(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for pkg, name := range map[string]string{"./cmd/mmcseg": "mmcseg", "./plugin/kmeans": "mmcseg-plugin-kmeans"} {
		b, err := os.ReadFile(buildtest.Binary(t, pkg, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "mmcseg")
}

// `mmcseg eval --limit 2` with the kmeans plugin on both evaluation sets,
// through the executable and the plugin subprocess: the table on stdout,
// progress on stderr, metrics.json with per-image and mean scores under
// lower-case metric names, the CSV, the montage; DSC above a floor.
func TestEvalCommand(t *testing.T) {
	bin := evalInstall(t)
	for _, tc := range []struct {
		set    string
		args   []string
		floor  float64 // deployable DSC
		pfloor float64 // paper protocol, label 0 selectable
	}{
		{"ph2", []string{"--dataset", "ph2"}, 0.6, 0.75},
		{"lung-ct-2d", []string{"--dataset", "lung-ct-2d"}, 0.9, 0.9},
	} {
		t.Run(tc.set, func(t *testing.T) {
			images := filepath.Join(shareddata.Path(t, tc.set), "images")
			out := filepath.Join(t.TempDir(), "out")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			args := append([]string{"eval", "--images", images, "--plugin", "kmeans", "--limit", "2", "--protocol", "both", "--out", out}, tc.args...)
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + os.TempDir(), "MMCSEG_PLUGIN_PATH="}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\n%s\n%s", err, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), "| scores | n | DSC % | HM % | XOR % | HD px | HD95 px |") ||
				!strings.Contains(stdout.String(), "paper protocol: GT-assisted cluster") {
				t.Errorf("table:\n%s", stdout.String())
			}
			if !strings.Contains(stderr.String(), "[1/2] ") || !strings.Contains(stderr.String(), "[2/2] ") {
				t.Errorf("progress:\n%s", stderr.String())
			}
			var rep struct {
				Format    string `json:"format"`
				Complete  bool   `json:"complete"`
				Plugin    struct{ Name string }
				Protocol  string            `json:"protocol"`
				ScoreKeys []string          `json:"score_keys"`
				Units     map[string]string `json:"units"`
				Scored    int               `json:"scored"`
				Modality  string            `json:"modality"`
				Offset    float64           `json:"offset"`
				Means     map[string]map[string]struct {
					Mean *float64 `json:"mean"`
					Std  *float64 `json:"std"`
					N    int      `json:"n"`
				} `json:"means"`
				Images []struct {
					Name   string                        `json:"name"`
					Scores map[string]map[string]float64 `json:"scores"`
				} `json:"images"`
			}
			data, err := os.ReadFile(filepath.Join(out, "metrics.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Format != "mmcseg-eval/1" || !rep.Complete || rep.Plugin.Name != "kmeans" || rep.Protocol != "both" || rep.Scored != 2 || len(rep.Images) != 2 {
				t.Fatalf("metrics.json header: %+v", rep)
			}
			if tc.set == "lung-ct-2d" && (rep.Modality != "CT" || rep.Offset != -32768) {
				t.Errorf("lung preset: modality %q offset %g", rep.Modality, rep.Offset)
			}
			if rep.Units["dsc"] != "fraction" || rep.Units["hd95"] != "pixel" {
				t.Errorf("units %v", rep.Units)
			}
			for _, key := range []string{"deployable", "deployable_work", "paper", "paper_label0"} {
				for _, m := range []string{"dsc", "hm", "xor", "hd", "hd95"} {
					st := rep.Means[key][m]
					if st.Mean == nil || st.N != 2 {
						t.Errorf("means[%s][%s] = %+v", key, m, st)
					}
					for _, im := range rep.Images {
						if _, ok := im.Scores[key][m]; !ok {
							t.Errorf("%s: no %s.%s", im.Name, key, m)
						}
					}
				}
			}
			if d := *rep.Means["deployable"]["dsc"].Mean; d < tc.floor || d > 1 {
				t.Errorf("deployable DSC %.3f, want ≥ %.2f", d, tc.floor)
			}
			if d := *rep.Means["paper_label0"]["dsc"].Mean; d < tc.pfloor {
				t.Errorf("paper (label 0 selectable) DSC %.3f, want ≥ %.2f", d, tc.pfloor)
			}
			f, err := os.Open(filepath.Join(out, "metrics.csv"))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil || len(rows) != 3 || rows[0][0] != "name" || !strings.Contains(strings.Join(rows[0], ","), "paper.hd95") {
				t.Errorf("metrics.csv: %v %q", err, rows)
			}
			if fi, err := os.Stat(filepath.Join(out, "worst.png")); err != nil || fi.Size() < 1000 {
				t.Errorf("worst.png: %v", err)
			}
		})
	}
}

func TestEvalCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval"}, "--images DIR is required"},
		{[]string{"eval", "--images", "x", "--dataset", "mri"}, "--dataset must be ph2 or lung-ct-2d"},
		{[]string{"eval", "--images", "x", "--progress", "bars"}, "--progress must be plain, json or quiet"},
		{[]string{"eval", "--images", "x", "--jobs", "0"}, "--jobs must be at least 1"},
		{[]string{"eval", "--images", "x", "extra"}, "unexpected arguments"},
		{[]string{"eval", "--images", t.TempDir()}, "cannot pair images with masks"},
	} {
		var out, errb bytes.Buffer
		if code := dispatch(context.Background(), tc.args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
