package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mmcseg/mmcseg/plugin/onnx/onnxcheck"
	"github.com/mmcseg/mmcseg/plugin/onnx/onnxmodel"
)

// checkModel is `mmcseg-plugin-onnx check MODEL.onnx [SIDECAR.json]`: the
// load-time checks and the dry run, for a user preparing a model, without
// mmcseg. It prints what it found to w and returns the exit status: 0 when
// the plugin can run the model with its sidecar, 1 otherwise, 2 for bad
// usage.
func checkModel(ctx context.Context, w io.Writer, args []string) int {
	if len(args) < 1 || len(args) > 2 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(w, "usage: mmcseg-plugin-onnx check MODEL.onnx [SIDECAR.json]")
		fmt.Fprintln(w, "Checks that this plugin can run the model (sidecar: MODEL.json by default).")
		return 2
	}
	model := args[0]
	side := sidecarPath(model, "")
	if len(args) == 2 {
		side = args[1]
	}
	m, err := onnxmodel.Load(ctx, model)
	if err != nil {
		var ue *onnxcheck.UnsupportedError
		if errors.As(err, &ue) {
			fmt.Fprintf(w, "REFUSED: %v\n", err)
		} else {
			fmt.Fprintf(w, "FAILED: %v\n", err)
		}
		return 1
	}
	info := m.Info()
	ops := make([]string, 0, len(info.Operators))
	for op, n := range info.Operators {
		ops = append(ops, fmt.Sprintf("%s×%d", op, n))
	}
	sort.Strings(ops)
	fmt.Fprintf(w, "model %s: opset %d, IR %d, producer %q\n", model, info.Opset, info.IRVersion, info.Producer)
	fmt.Fprintf(w, "  input %q %v, output %q %v (dry run), %d weights\n", info.Input.Name, m.InputShape(), info.Output.Name, m.OutputShape(), info.Weights)
	fmt.Fprintf(w, "  operators: %s\n", strings.Join(ops, ", "))
	spec, err := loadSpec(model, side)
	if err == nil {
		err = spec.CheckModel(m.InputShape(), m.OutputShape())
		if err != nil {
			err = fmt.Errorf("sidecar %s: %w", side, err)
		}
	}
	if err != nil {
		fmt.Fprintf(w, "FAILED: %v\n", err)
		return 1
	}
	labels := make([]string, len(spec.Segments))
	for i, s := range spec.Segments {
		labels[i] = fmt.Sprintf("%d %q %v", s.Number, s.Label, s.Type)
	}
	fmt.Fprintf(w, "sidecar %s: %s preprocessing, fit %s, %s output; segments %s\n", side, spec.Preprocess.Kind, spec.Fit, spec.Output.Kind, strings.Join(labels, ", "))
	fmt.Fprintln(w, "OK: mmcseg-plugin-onnx can run this model")
	return 0
}
