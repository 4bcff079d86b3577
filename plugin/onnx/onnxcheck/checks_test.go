package onnxcheck

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// A small ONNX protobuf writer for tests: each case below edits one
// well-formed model to break one rule.

type pb []byte

func (b pb) varint(n protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, n, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func (b pb) bytes(n protowire.Number, v []byte) pb {
	b = protowire.AppendTag(b, n, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func (b pb) str(n protowire.Number, s string) pb { return b.bytes(n, []byte(s)) }

func tensor(name string, dtype int, dims ...int64) pb {
	var b pb
	n := int64(1)
	for _, d := range dims {
		b = b.varint(1, uint64(d))
		n *= d
	}
	size := map[int]int64{dtFloat: 4, dtDouble: 8, dtInt64: 8, dtInt32: 4, dtFloat16: 2, dtUint8: 1}[dtype]
	return b.varint(2, uint64(dtype)).str(8, name).bytes(9, make([]byte, n*size))
}

func int64Tensor(name string, vals ...int64) pb {
	raw := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return pb(nil).varint(1, uint64(len(vals))).varint(2, dtInt64).str(8, name).bytes(9, raw)
}

// value writes a ValueInfoProto; dims are int64 sizes or string names.
func value(name string, elem int, dims ...any) pb {
	var shape pb
	for _, d := range dims {
		var dim pb
		switch d := d.(type) {
		case int:
			dim = dim.varint(1, uint64(d))
		case string:
			dim = dim.str(2, d)
		}
		shape = shape.bytes(1, dim)
	}
	tt := pb(nil).varint(1, uint64(elem)).bytes(2, shape)
	return pb(nil).str(1, name).bytes(2, pb(nil).bytes(1, tt))
}

func intsAttr(name string, v ...int64) pb {
	b := pb(nil).str(1, name).varint(20, atInts)
	for _, x := range v {
		b = b.varint(8, uint64(x))
	}
	return b
}

func intAttr(name string, v int64) pb {
	return pb(nil).str(1, name).varint(20, atInt).varint(3, uint64(v))
}

func strAttr(name, v string) pb { return pb(nil).str(1, name).varint(20, atString).str(4, v) }

func tensorAttr(name string, t pb) pb { return pb(nil).str(1, name).varint(20, atTensor).bytes(5, t) }

func node(op, name string, in, out []string, attrs ...pb) pb {
	var b pb
	for _, s := range in {
		b = b.str(1, s)
	}
	for _, s := range out {
		b = b.str(2, s)
	}
	b = b.str(3, name).str(4, op)
	for _, a := range attrs {
		b = b.bytes(5, a)
	}
	return b
}

type graph struct {
	opset   int64
	nodes   []pb
	inits   []pb
	inputs  []pb
	outputs []pb
}

func (g graph) encode() []byte {
	var gb pb
	for _, n := range g.nodes {
		gb = gb.bytes(1, n)
	}
	gb = gb.str(2, "test")
	for _, t := range g.inits {
		gb = gb.bytes(5, t)
	}
	for _, v := range g.inputs {
		gb = gb.bytes(11, v)
	}
	for _, v := range g.outputs {
		gb = gb.bytes(12, v)
	}
	m := pb(nil).varint(1, 6).str(2, "test")
	m = m.bytes(8, pb(nil).str(1, "").varint(2, uint64(g.opset)))
	return m.bytes(7, gb)
}

func conv(name, in, out string, attrs ...pb) pb {
	if attrs == nil {
		attrs = []pb{intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1)}
	}
	return node("Conv", name, []string{in, "w", "b"}, []string{out}, attrs...)
}

// base is Conv(1→8, 3×3) → Conv(8→1) → Sigmoid on a 1×1×32×32 input.
func base() graph {
	return graph{
		opset: 11,
		nodes: []pb{
			conv("conv1", "image", "c1"),
			node("Conv", "conv2", []string{"c1", "w2", "b2"}, []string{"c2"}, intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1)),
			node("Sigmoid", "sigmoid", []string{"c2"}, []string{"prob"}),
		},
		inits:   []pb{tensor("w", dtFloat, 8, 1, 3, 3), tensor("b", dtFloat, 8), tensor("w2", dtFloat, 1, 8, 3, 3), tensor("b2", dtFloat, 1)},
		inputs:  []pb{value("image", dtFloat, 1, 1, 32, 32)},
		outputs: []pb{value("prob", dtFloat, 1, 1, 32, 32)},
	}
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name string
		edit func(g *graph)
		// want are substrings of the problems' reasons (nil: accepted).
		want []string
		fix  string
	}{
		{"base", func(*graph) {}, nil, ""},
		{"pads of two", func(g *graph) {
			g.nodes[0] = conv("conv1", "image", "c1", intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1))
		},
			[]string{"pads [1 1] for a 2-D operator"}, "pad equally"},
		{"pads h≠w", func(g *graph) {
			g.nodes[0] = conv("conv1", "image", "c1", intsAttr("kernel_shape", 3, 5), intsAttr("pads", 1, 2, 1, 2))
		},
			[]string{"pads [1 2 1 2] are not equal on all four sides"}, "pad equally"},
		{"SAME_LOWER", func(g *graph) {
			g.nodes[0] = conv("conv1", "image", "c1", intsAttr("kernel_shape", 3, 3), strAttr("auto_pad", "SAME_LOWER"))
		}, []string{"auto_pad SAME_LOWER"}, "pad equally"},
		{"SAME_UPPER conv", func(g *graph) {
			g.nodes[0] = conv("conv1", "image", "c1", intsAttr("kernel_shape", 3, 3), strAttr("auto_pad", "SAME_UPPER"))
		}, nil, ""},
		{"no kernel_shape", func(g *graph) { g.nodes[0] = conv("conv1", "image", "c1", intsAttr("pads", 1, 1, 1, 1)) },
			[]string{"no kernel_shape attribute"}, "opset 11"},
		{"3-D conv", func(g *graph) {
			g.nodes[0] = conv("conv1", "image", "c1", intsAttr("kernel_shape", 3, 3, 3))
			g.inits[0] = tensor("w", dtFloat, 8, 1, 3, 3, 3)
		}, []string{"3-D convolution"}, "Conv2d"},
		{"group 1 is fine", func(g *graph) {
			g.nodes[0] = conv("conv1", "image", "c1", intsAttr("kernel_shape", 3, 3), intAttr("group", 1))
		}, nil, ""},
		{"maxpool ceil and dilations", func(g *graph) {
			g.nodes = append(g.nodes[:1], append([]pb{node("MaxPool", "pool", []string{"c1"}, []string{"p1"},
				intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2), intAttr("ceil_mode", 1), intsAttr("dilations", 1, 1))}, g.nodes[1:]...)...)
			g.nodes[2] = node("Conv", "conv2", []string{"p1", "w2", "b2"}, []string{"c2"}, intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1))
		}, []string{"ceil_mode=1", "a dilations attribute"}, "ceil_mode=False"},
		{"maxpool SAME_UPPER", func(g *graph) {
			g.nodes[1] = node("MaxPool", "pool", []string{"c1"}, []string{"c2"}, intsAttr("kernel_shape", 2, 2), strAttr("auto_pad", "SAME_UPPER"))
		}, []string{"auto_pad SAME_UPPER"}, "pad equally"},
		{"external weights", func(g *graph) { g.inits[0] = tensor("w", dtFloat, 8, 1, 3, 3).varint(14, 1) },
			[]string{`weight "w" is stored outside the model file`}, "save_as_external_data=False"},
		{"float16 weights", func(g *graph) { g.inits[0] = tensor("w", dtFloat16, 8, 1, 3, 3) },
			[]string{`weight "w" is float16`}, "model.float()"},
		{"corrupt weights", func(g *graph) {
			g.inits[1] = pb(nil).varint(1, 8).varint(2, dtFloat).str(8, "b").bytes(9, make([]byte, 12))
		}, []string{`weight "b" is corrupt: 3 values for shape [8]`}, ""},
		{"negative dims", func(g *graph) {
			g.inits[1] = pb(nil).varint(1, math.MaxUint64).varint(2, dtFloat).str(8, "b").bytes(9, make([]byte, 4))
		}, []string{`weight "b" has an invalid shape [-1]`}, ""},
		{"two outputs", func(g *graph) { g.outputs = append(g.outputs, value("c1", dtFloat, 1, 8, 32, 32)) },
			[]string{"the graph has 2 outputs"}, "return one tensor"},
		{"weights before the image", func(g *graph) {
			g.inputs = []pb{value("w", dtFloat, 8, 1, 3, 3), value("image", dtFloat, 1, 1, 32, 32)}
		}, []string{`the image input "image" is not the first graph input`}, "keep_initializers_as_inputs=False"},
		{"two inputs", func(g *graph) { g.inputs = append(g.inputs, value("mask", dtFloat, 1, 1, 32, 32)) },
			[]string{`the graph has 2 inputs ("image", "mask")`}, "single image input"},
		{"uint8 input", func(g *graph) { g.inputs[0] = value("image", dtUint8, 1, 1, 32, 32) },
			[]string{`the input "image" is uint8, not float32`}, "float32"},
		{"batch 2", func(g *graph) { g.inputs[0] = value("image", dtFloat, 2, 1, 32, 32) },
			[]string{"has a batch of 2"}, "batch size 1"},
		{"rank 3", func(g *graph) { g.inputs[0] = value("image", dtFloat, 1, 32, 32) },
			[]string{"has 3 axes"}, ""},
		{"huge", func(g *graph) { g.inputs[0] = value("image", dtFloat, 1, 1, 100000, 100000) },
			[]string{"larger than 67108864 values"}, ""},
		{"custom domain", func(g *graph) {
			g.nodes[2] = pb(node("FusedSigmoid", "fused", []string{"c2"}, []string{"prob"})).str(7, "com.microsoft")
		}, []string{"operator outside the standard ONNX set"}, "standard ONNX operator set"},
		{"unknown operator", func(g *graph) { g.nodes[2] = node("Mish", "act", []string{"c2"}, []string{"prob"}) },
			[]string{"operator not supported by onnx-go"}, "Abs, Add, BatchNormalization"},
		{"computed reshape", func(g *graph) {
			g.nodes = append(g.nodes[:2],
				node("Shape", "shape", []string{"c2"}, []string{"s"}),
				node("Reshape", "reshape", []string{"c2", "s"}, []string{"r"}),
				node("Sigmoid", "sigmoid", []string{"r"}, []string{"prob"}))
		}, []string{"operator not supported by onnx-go", "target shape computed inside the graph"}, "x.size()"},
		{"constant reshape", func(g *graph) {
			g.nodes = append(g.nodes[:2],
				node("Reshape", "reshape", []string{"c2", "s"}, []string{"r"}),
				node("Sigmoid", "sigmoid", []string{"r"}, []string{"prob"}))
			g.inits = append(g.inits, int64Tensor("s", 1, 1, 32, 32))
		}, nil, ""},
		{"Constant shape", func(g *graph) {
			g.nodes = append(g.nodes[:2],
				node("Constant", "const", nil, []string{"s"}, tensorAttr("value", int64Tensor("", 1, 1, 32, 32))),
				node("Reshape", "reshape", []string{"c2", "s"}, []string{"r"}),
				node("Sigmoid", "sigmoid", []string{"r"}, []string{"prob"}))
		}, nil, ""},
		{"Constant without tensor", func(g *graph) {
			g.nodes = append([]pb{node("Constant", "const", nil, []string{"k"}, intAttr("value_int", 3))}, g.nodes...)
		}, []string{"no tensor value"}, ""},
		{"dropout mask", func(g *graph) {
			g.nodes[2] = node("Dropout", "drop", []string{"c2"}, []string{"prob", "mask"})
		}, []string{"2 outputs; onnx-go computes only the first"}, "model.eval()"},
		{"transpose without perm", func(g *graph) { g.nodes[2] = node("Transpose", "t", []string{"c2"}, []string{"prob"}) },
			[]string{"no perm attribute"}, ""},
		{"unsqueeze without axes", func(g *graph) { g.nodes[2] = node("Unsqueeze", "u", []string{"c2"}, []string{"prob"}) },
			[]string{"no axes attribute"}, ""},
		{"squeeze without axes", func(g *graph) { g.nodes[2] = node("Squeeze", "s", []string{"c2"}, []string{"prob"}) },
			nil, ""},
		{"opset 11 softmax axis 1", func(g *graph) {
			g.nodes[2] = node("Softmax", "sm", []string{"c2"}, []string{"prob"}, intAttr("axis", 1))
		}, nil, ""},
		{"opset 13 softmax axis 1", func(g *graph) {
			g.opset = 13
			g.nodes[2] = node("Softmax", "sm", []string{"c2"}, []string{"prob"}, intAttr("axis", 1))
		}, []string{"opset 13 Softmax over axis 1"}, "opset_version=11"},
		{"opset 13 softmax last axis", func(g *graph) {
			g.opset = 13
			g.nodes[2] = node("Softmax", "sm", []string{"c2"}, []string{"prob"}, intAttr("axis", 3))
		}, nil, ""},
		{"opset 13 softmax default", func(g *graph) {
			g.opset = 13
			g.nodes[2] = node("Softmax", "sm", []string{"c2"}, []string{"prob"})
		}, nil, ""},
		{"opset 13 softmax after transpose", func(g *graph) {
			g.opset = 14
			g.nodes[2] = node("Transpose", "t", []string{"c2"}, []string{"n"}, intsAttr("perm", 0, 2, 3, 1))
			g.nodes = append(g.nodes, node("Softmax", "sm", []string{"n"}, []string{"prob"}, intAttr("axis", 3)))
		}, nil, ""},
		{"opset 13 softmax of unknown rank", func(g *graph) {
			g.opset = 13
			g.nodes[2] = node("Reshape", "r", []string{"c2", "s"}, []string{"n"})
			g.nodes = append(g.nodes, node("Softmax", "sm", []string{"n"}, []string{"prob"}, intAttr("axis", 1)))
			g.nodes = append([]pb{node("Identity", "id", []string{"s0"}, []string{"s"})}, g.nodes...)
			g.inits = append(g.inits, int64Tensor("s0", 1, 1, 32, 32))
		}, []string{"opset 13 Softmax over axis 1", "target shape computed inside the graph"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := base()
			tc.edit(&g)
			info, err := Inspect("m.onnx", g.encode())
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if info.Opset != g.opset || len(info.Input.Shape) != 4 {
					t.Errorf("info %+v", info)
				}
				return
			}
			var ue *UnsupportedError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v, want *UnsupportedError", err)
			}
			if info == nil {
				t.Error("no Info with the refusal")
			}
			for _, w := range tc.want {
				found := false
				for _, p := range ue.Problems {
					if strings.Contains(p.Reason, w) && strings.Contains(p.Fix, tc.fix) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem %q (fix %q) in\n%v", w, tc.fix, err)
				}
			}
			if len(ue.Problems) != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%v", len(ue.Problems), len(tc.want), err)
			}
		})
	}
}

// TestProblemsGrouped: the same problem at several nodes is one entry that
// names them, shortened after four.
func TestProblemsGrouped(t *testing.T) {
	g := base()
	g.nodes = g.nodes[:2]
	prev := "c2"
	for i := range 6 {
		out := "u" + string(rune('0'+i))
		g.nodes = append(g.nodes, node("Resize", "up"+string(rune('0'+i)), []string{prev}, []string{out}))
		prev = out
	}
	g.nodes = append(g.nodes, node("Sigmoid", "sigmoid", []string{prev}, []string{"prob"}))
	_, err := Inspect("m.onnx", g.encode())
	var ue *UnsupportedError
	if !errors.As(err, &ue) || len(ue.Problems) != 1 || len(ue.Problems[0].Nodes) != 6 {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(err.Error(), `Resize (nodes "up0", "up1", "up2", "up3" and 2 more)`) {
		t.Errorf("message:\n%v", err)
	}
}

func TestNotONNX(t *testing.T) {
	good := base().encode()
	for name, data := range map[string][]byte{
		"empty":       nil,
		"text":        []byte("this is not a model\n"),
		"truncated":   good[:len(good)-7],
		"wrong type":  pb(nil).varint(7, 3), // graph as a varint
		"bad tag":     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"no nodes":    pb(nil).bytes(7, pb(nil).str(2, "g")),
		"node in dim": pb(nil).bytes(7, pb(nil).bytes(11, pb(nil).str(1, "x").bytes(2, pb(nil).bytes(1, pb(nil).bytes(2, pb(nil).bytes(1, pb(nil).str(1, "a"))))))),
	} {
		_, err := Inspect(name, data)
		if !errors.Is(err, ErrNotONNX) {
			t.Errorf("%s: error %v, want ErrNotONNX", name, err)
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name the model", name, err)
		}
	}
}
