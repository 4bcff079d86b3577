package sdk_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLightDependencies keeps the heavy dependencies of the ONNX plugin out
// of what plugin authors and embedders import: a plugin author's go get of
// sdk, and the host library and command, must not pull in onnx-go,
// gorgonia or gonum.
func TestLightDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	for _, pkg := range []string{"github.com/mmcseg/mmcseg/sdk", "github.com/mmcseg/mmcseg/sdk/plugintest",
		"github.com/mmcseg/mmcseg/host", "github.com/mmcseg/mmcseg/cmd/mmcseg"} {
		out, err := exec.Command(goTool, "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps %s listed only %q", pkg, deps)
		}
		for _, d := range deps {
			for _, heavy := range []string{"github.com/owulveryck/onnx-go", "gorgonia.org/", "gonum.org/"} {
				if strings.HasPrefix(d, heavy) {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
}
