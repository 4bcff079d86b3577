package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/host"
	"github.com/mmcseg/mmcseg/internal/buildtest"
)

// docBlocks returns the fenced code blocks of a Markdown file by language.
func docBlocks(t *testing.T, rel string) map[string][]string {
	t.Helper()
	root, err := buildtest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	re := regexp.MustCompile("(?s)```([a-z]+)\n(.*?)```")
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = append(out[m[1]], m[2])
	}
	return out
}

// checkSegmentArgs parses a documented `mmcseg segment` command line with
// the command's own flags and checks the shard it selects.
func checkSegmentArgs(t *testing.T, where string, args []string, shard host.Shard) {
	t.Helper()
	if len(args) == 0 || args[0] != "segment" {
		t.Fatalf("%s: not a segment command: %q", where, args)
	}
	fs, f := newSegmentFlags(io.Discard)
	inputs, _, ok := parseFlags(fs, args[1:])
	if !ok {
		t.Fatalf("%s: flags do not parse: %q", where, args)
	}
	opts, _, err := f.options(inputs, io.Discard)
	if err != nil {
		t.Fatalf("%s: %v (%q)", where, err, args)
	}
	if opts.Shard != shard || len(opts.Inputs) != 1 || opts.OutDir == "" || f.reportFile == "" {
		t.Errorf("%s: shard %v inputs %v out %q report %q; want shard %v", where, opts.Shard, opts.Inputs, opts.OutDir, f.reportFile, shard)
	}
	if !strings.Contains(f.reportFile, strconv.Itoa(shard.Index)) {
		t.Errorf("%s: shards would share the report file %s", where, f.reportFile)
	}
}

// TestScaleOutKubernetes parses the Indexed Job manifest of
// docs/scale-out.md with a YAML parser (PyYAML) and checks that, for every
// completion index, its command line is valid `mmcseg segment` flags
// selecting that shard of as many as there are completions.
func TestScaleOutKubernetes(t *testing.T) {
	py := python(t)
	blocks := docBlocks(t, "docs/scale-out.md")["yaml"]
	if len(blocks) != 1 {
		t.Fatalf("%d YAML blocks in docs/scale-out.md, want 1", len(blocks))
	}
	cmd := exec.Command(py, "-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))")
	cmd.Stdin = strings.NewReader(blocks[0])
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("PyYAML: %v\n%s", err, out)
	}
	var job struct {
		APIVersion string `json:"apiVersion"`
		Kind       string
		Spec       struct {
			Completions      int
			Parallelism      int
			CompletionMode   string `json:"completionMode"`
			PodFailurePolicy struct {
				Rules []struct {
					Action      string
					OnExitCodes struct {
						ContainerName string `json:"containerName"`
						Values        []int
					} `json:"onExitCodes"`
				}
			} `json:"podFailurePolicy"`
			Template struct {
				Spec struct {
					RestartPolicy string `json:"restartPolicy"`
					Containers    []struct {
						Name    string
						Command []string
						Args    []string
					}
				}
			}
		}
	}
	if err := json.Unmarshal(out, &job); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := job.Spec
	if job.APIVersion != "batch/v1" || job.Kind != "Job" || s.CompletionMode != "Indexed" || s.Completions < 2 ||
		s.Parallelism < 1 || s.Parallelism > s.Completions || s.Template.Spec.RestartPolicy != "Never" || len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("manifest: %+v", job)
	}
	c := s.Template.Spec.Containers[0]
	if len(c.Command) != 1 || c.Command[0] != "mmcseg" {
		t.Fatalf("command %q", c.Command)
	}
	if r := s.PodFailurePolicy.Rules; len(r) != 1 || r[0].Action != "FailJob" || r[0].OnExitCodes.ContainerName != c.Name ||
		len(r[0].OnExitCodes.Values) != 1 || r[0].OnExitCodes.Values[0] != exitUsage {
		t.Errorf("podFailurePolicy does not fail the job on a usage error: %+v", r)
	}
	for i := range s.Completions {
		args := make([]string, len(c.Args))
		for j, a := range c.Args {
			// Kubernetes expands $(VAR) from the container's environment.
			args[j] = strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", strconv.Itoa(i))
		}
		checkSegmentArgs(t, fmt.Sprintf("pod %d", i), args, host.Shard{Index: i, Count: s.Completions})
	}
}

// TestScaleOutSlurm runs the job array script of docs/scale-out.md with
// bash, as Slurm would for each array task, with stand-ins for srun,
// mkdir and mmcseg that record the command line, and parses that with
// the command's own flags.
func TestScaleOutSlurm(t *testing.T) {
	bash := tool(t, "bash")
	blocks := docBlocks(t, "docs/scale-out.md")["bash"]
	if len(blocks) != 1 {
		t.Fatalf("%d bash blocks in docs/scale-out.md, want 1", len(blocks))
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "array.sh")
	os.WriteFile(script, []byte(blocks[0]), 0o755)
	if out, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^#SBATCH --array=(\d+)-(\d+)$`).FindStringSubmatch(blocks[0])
	if m == nil {
		t.Fatal("no #SBATCH --array=A-B line")
	}
	lo, _ := strconv.Atoi(m[1])
	hi, _ := strconv.Atoi(m[2])
	n := hi - lo + 1
	if lo != 0 {
		t.Fatalf("array starts at %d: shards count from 0", lo)
	}
	stubs := filepath.Join(dir, "stubs")
	os.MkdirAll(stubs, 0o755)
	record := filepath.Join(dir, "args")
	os.WriteFile(filepath.Join(stubs, "srun"), []byte("#!/bin/sh\nexec \"$@\"\n"), 0o755)
	os.WriteFile(filepath.Join(stubs, "mkdir"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	os.WriteFile(filepath.Join(stubs, "mmcseg"), []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > \""+record+"\"\n"), 0o755)
	run := func(task, count int) (int, []string) {
		os.Remove(record)
		cmd := exec.Command(bash, script)
		cmd.Env = []string{"PATH=" + stubs + ":/usr/bin:/bin", fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", task),
			fmt.Sprintf("SLURM_ARRAY_TASK_COUNT=%d", count), "SLURM_CPUS_PER_TASK=4"}
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(record)
		var args []string
		for _, a := range strings.Split(string(b), "\x00") {
			if a != "" {
				args = append(args, a)
			}
		}
		return code, args
	}
	for i := range n {
		code, args := run(i, n)
		if code != 0 {
			t.Fatalf("task %d: exit %d", i, code)
		}
		checkSegmentArgs(t, fmt.Sprintf("task %d", i), args, host.Shard{Index: i, Count: n})
	}
	// An array resized without the script: refused before any work.
	if code, args := run(0, n+1); code != exitUsage || args != nil {
		t.Errorf("mismatched array: exit %d, mmcseg ran with %q", code, args)
	}
}
