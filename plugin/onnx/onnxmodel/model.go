package onnxmodel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/mmcseg/mmcseg/plugin/onnx/onnxcheck"
	onnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"
)

// MaxFileSize bounds the model files Load reads: protobuf cannot encode a
// larger ONNX model without external data, which onnx-go does not read.
const MaxFileSize = 2 << 30

// engine serialises all use of onnx-go and gorgonia in the process (a
// one-slot semaphore, so that waiting honours a context): gorgonnx names
// graph nodes from an unsynchronised package counter while it builds a
// graph, and a gorgonia tape machine must not run twice at once. Running
// two graphs at once would gain nothing anyway: gonum's GEMM under each
// convolution already spreads over every core.
var engine = make(chan struct{}, 1)

func lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case engine <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func unlock() { <-engine }

// ErrBroken reports a model whose runtime failed earlier in an
// unrecoverable way (a panic inside gorgonia); it is not run again.
var ErrBroken = errors.New("model runtime broken by an earlier failure")

// Model is an ONNX model that passed the load-time checks, built as a
// gorgonia graph for its one fixed input shape and run once on zeros. It is
// safe for concurrent use; runs are serialised.
type Model struct {
	name     string
	info     *onnxcheck.Info
	inShape  []int
	outShape []int

	graph *gorgonnx.Graph
	model *onnx.Model
	in    []float32
	inT   *tensor.Dense

	broken error // set under engine
}

// Load reads, checks and builds the model in the file at path; see Decode.
func Load(ctx context.Context, path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("model %s: is a directory, not an .onnx file", path)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("model %s: %d bytes is more than an ONNX file without external data can hold (2 GiB)", path, st.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	return Decode(ctx, path, data)
}

// Decode checks the model in data (name is used in errors), builds its
// graph with onnx-go's gorgonnx backend and runs it once on zeros, so that
// every problem shows here and not on the first slice of a series. A model
// that cannot be run gives an *onnxcheck.UnsupportedError listing all the reasons
// found before building (operators, attributes, shapes), or an error from
// onnx-go naming what failed while building or on the dry run.
func Decode(ctx context.Context, name string, data []byte) (*Model, error) {
	info, err := onnxcheck.Inspect(name, data)
	if err != nil {
		return nil, err
	}
	inShape := make([]int, len(info.Input.Shape))
	for i, d := range info.Input.Shape {
		inShape[i] = int(d)
	}
	n := 1
	for _, d := range inShape {
		n *= d
	}
	m := &Model{name: name, info: info, inShape: inShape, in: make([]float32, n)}
	m.inT = tensor.New(tensor.WithShape(inShape...), tensor.WithBacking(m.in))

	if err := lock(ctx); err != nil {
		return nil, err
	}
	defer unlock()
	err = guard(func() error {
		m.graph = gorgonnx.NewGraph()
		m.model = onnx.NewModel(m.graph)
		if err := m.model.UnmarshalBinary(data); err != nil {
			return err
		}
		return m.model.SetInput(0, m.inT)
	})
	if err != nil {
		return nil, fmt.Errorf("model %s: onnx-go cannot build the graph: %w", name, err)
	}
	out, err := m.runLocked()
	if err != nil {
		return nil, fmt.Errorf("model %s: the dry run on a zero %s input failed: %w", name, shapeString(inShape), err)
	}
	m.outShape = slices.Clone(out.Shape())
	if want := info.Output.Shape; len(want) > 0 {
		ok := len(want) == len(m.outShape)
		for i := 0; ok && i < len(want); i++ {
			ok = want[i] < 0 || int(want[i]) == m.outShape[i]
		}
		if !ok {
			return nil, fmt.Errorf("model %s: the dry run's output is %s, but the model declares %s", name, shapeString(m.outShape), info.Output.ShapeString())
		}
	}
	return m, nil
}

// guard turns a panic inside onnx-go or gorgonia into an error.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			stack := string(debug.Stack())
			if i := strings.Index(stack, "panic("); i > 0 {
				stack = stack[i:]
			}
			if len(stack) > 2000 {
				stack = stack[:2000]
			}
			err = fmt.Errorf("onnx-go panicked: %v\n%s", r, stack)
		}
	}()
	return f()
}

// runLocked runs the graph on m.in; the engine lock must be held.
func (m *Model) runLocked() (*tensor.Dense, error) {
	if m.broken != nil {
		return nil, m.broken
	}
	var out *tensor.Dense
	err := guard(func() error {
		if err := m.model.SetInput(0, m.inT); err != nil {
			return err
		}
		if err := m.graph.Run(); err != nil {
			return err
		}
		ts, err := m.model.GetOutputTensors()
		if err != nil {
			return err
		}
		if len(ts) == 0 || ts[0] == nil {
			return errors.New("no output tensor")
		}
		d, ok := ts[0].(*tensor.Dense)
		if !ok {
			return fmt.Errorf("output is a %T, not a dense tensor", ts[0])
		}
		if d.RequiresIterator() {
			// A view (a Transpose at the end): copy it out in order.
			d, ok = d.Materialize().(*tensor.Dense)
			if !ok {
				return errors.New("cannot materialise the output")
			}
		}
		if d.Dtype() != tensor.Float32 {
			return fmt.Errorf("output is %v, not float32", d.Dtype())
		}
		out = d
		return nil
	})
	if err != nil {
		if strings.Contains(err.Error(), "onnx-go panicked") {
			m.broken = fmt.Errorf("%w: %v", ErrBroken, err)
		}
		return nil, err
	}
	return out, nil
}

// Name returns the name the model was loaded under (its path).
func (m *Model) Name() string { return m.name }

// Info returns what the model's file says about it.
func (m *Model) Info() *onnxcheck.Info { return m.info }

// InputShape returns the model's input shape (4 axes, batch 1).
func (m *Model) InputShape() []int { return slices.Clone(m.inShape) }

// OutputShape returns the shape of the output, as found by the dry run.
func (m *Model) OutputShape() []int { return slices.Clone(m.outShape) }

// Run runs the model on in (row-major, InputShape's size) and writes the
// output into out (OutputShape's size). It waits while another Run of any
// model is in progress, or until ctx is done.
func (m *Model) Run(ctx context.Context, in, out []float32) error {
	if len(in) != len(m.in) {
		return fmt.Errorf("model %s: %d input values, want %d for %s", m.name, len(in), len(m.in), shapeString(m.inShape))
	}
	if want := product(m.outShape); len(out) != want {
		return fmt.Errorf("model %s: room for %d output values, want %d for %s", m.name, len(out), want, shapeString(m.outShape))
	}
	if err := lock(ctx); err != nil {
		return err
	}
	defer unlock()
	copy(m.in, in)
	t, err := m.runLocked()
	if err != nil {
		return fmt.Errorf("model %s: %w", m.name, err)
	}
	data, ok := t.Data().([]float32)
	if !ok || len(data) != len(out) || !slices.Equal(t.Shape(), tensor.Shape(m.outShape)) {
		return fmt.Errorf("model %s: output %v changed from %s since the dry run", m.name, t.Shape(), shapeString(m.outShape))
	}
	copy(out, data)
	return nil
}

func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "×")
}
