package onnxcheck

import (
	"fmt"
	"sort"
	"strings"
)

// supported is the set of ai.onnx operators that onnx-go v0.5.0's gorgonnx
// backend registers (its register("…") calls; dependencies.md §3).
var supported = map[string]bool{
	"Abs": true, "Add": true, "BatchNormalization": true, "Ceil": true, "Concat": true,
	"Constant": true, "Conv": true, "Cos": true, "Cube": true, "Div": true, "Dropout": true,
	"Exp": true, "Expm1": true, "Flatten": true, "Floor": true, "Gemm": true,
	"GlobalAveragePool": true, "Identity": true, "ImageScaler": true, "Inverse": true,
	"LeakyRelu": true, "Log": true, "Log1p": true, "Log2": true, "MatMul": true, "Max": true,
	"MaxPool": true, "Min": true, "Mul": true, "Neg": true, "Relu": true, "Reshape": true,
	"Sigmoid": true, "Sign": true, "Sin": true, "Softmax": true, "Softplus": true, "Sqrt": true,
	"Square": true, "Squeeze": true, "Sub": true, "Tanh": true, "Transpose": true,
	"Unsqueeze": true,
}

// SupportedOperators returns the operators this plugin's ONNX runtime
// (onnx-go v0.5.0, gorgonnx backend) can run, sorted.
func SupportedOperators() []string {
	ops := make([]string, 0, len(supported))
	for op := range supported {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// What to change in the export, by kind of problem.
const (
	fixUpsample = "replace nn.Upsample / F.interpolate by a Conv to r²·C channels followed by a pixel shuffle " +
		"written with fixed sizes, x.reshape(1, C, r, r, H, W).permute(0, 1, 4, 2, 5, 3).reshape(1, C, H*r, W*r) " +
		"(it exports as Reshape+Transpose+Reshape), or use a network without upsampling"
	fixConvTranspose = "replace nn.ConvTranspose2d(C, D, 2, stride=2) by nn.Conv2d(C, 4·D, 1) followed by the " +
		"fixed-size pixel shuffle above (Reshape+Transpose+Reshape)"
	fixGrouped = "use groups=1: a depth-wise or grouped Conv2d can be rewritten before export as a full " +
		"convolution whose weights are zero between channels of different groups"
	fixDynamic = "export with a fixed input shape: no dynamic_axes in torch.onnx.export, a dummy input of " +
		"shape (1, channels, height, width) as in the sidecar"
	fixOpset = "export with opset_version=11 (torch.onnx.export(..., opset_version=11))"
	fixPads  = "pad equally on all four sides (padding=k//2 with a square, odd kernel)"
	fixShape = "remove size arithmetic from forward(): use fixed sizes instead of x.size()/x.shape, so that " +
		"the exporter writes constants, and keep do_constant_folding=True"
	fixPad      = "drop F.pad / nn.ZeroPad2d and use the Conv2d padding argument (padding=k//2)"
	fixAvgPool  = "use nn.MaxPool2d or a stride-2 Conv2d instead of average pooling (global average pooling works)"
	fixClip     = "use nn.ReLU instead of ReLU6 / Hardtanh / clamp"
	fixCustom   = "export with the standard ONNX operator set only (no custom or ONNX Runtime contrib operators)"
	fixConv3D   = "mmcseg gives the model 2-D slices: use Conv2d / MaxPool2d"
	fixOther    = "rewrite that part of the network with the operators onnx-go runs: "
	fixFloat32  = "export in float32 (model.float() before torch.onnx.export)"
	fixExternal = "keep the weights inside the .onnx file (onnx.save_model(m, path, save_as_external_data=False); " +
		"models over 2 GB cannot be used)"
	fixOneInput  = "export a model with a single image input (put other inputs in the model as constants)"
	fixOneOutput = "export only the segmentation output (return one tensor from forward())"
	fixBatch     = "export with batch size 1"
	fixAttr      = "export with torch.onnx.export at opset 11, which writes this attribute explicitly"
	fixInputs    = "export with keep_initializers_as_inputs=False (the default from opset 9 on)"
	fixPool      = "use ceil_mode=False and dilation=1 in nn.MaxPool2d"
	fixOutputs   = "export the model in eval mode (model.eval()), so that Dropout, BatchNorm and MaxPool " +
		"have one output each"
)

// fixForOp is what to change for an operator onnx-go does not run.
var fixForOp = map[string]string{
	"Resize": fixUpsample, "Upsample": fixUpsample, "DepthToSpace": fixUpsample,
	"ConvTranspose": fixConvTranspose,
	"Shape":         fixShape, "Gather": fixShape, "Slice": fixShape, "Expand": fixShape,
	"ConstantOfShape": fixShape, "Range": fixShape, "Cast": fixShape, "Tile": fixShape,
	"Pad":         fixPad,
	"AveragePool": fixAvgPool,
	"Clip":        fixClip, "HardSigmoid": fixClip,
}

// Problem is one reason a model cannot be run, with the nodes it concerns
// and what to change in the export.
type Problem struct {
	// Nodes are the names of the nodes concerned (empty for a problem of
	// the whole graph: its inputs, outputs or weights).
	Nodes []string
	// Op is the operator concerned, if any.
	Op string
	// Reason says what is wrong, Fix what to change in the export.
	Reason, Fix string
}

func (p Problem) String() string {
	if p.Op == "" {
		return p.Reason
	}
	var b strings.Builder
	b.WriteString(p.Op)
	if len(p.Nodes) > 0 {
		const show = 4
		names := p.Nodes
		more := ""
		if len(names) > show {
			more = fmt.Sprintf(" and %d more", len(names)-show)
			names = names[:show]
		}
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = fmt.Sprintf("%q", n)
		}
		noun := "node"
		if len(p.Nodes) > 1 {
			noun = "nodes"
		}
		fmt.Fprintf(&b, " (%s %s%s)", noun, strings.Join(quoted, ", "), more)
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return b.String()
}

// UnsupportedError lists everything in a model that this plugin's ONNX
// runtime cannot run, each with what to change in the export.
type UnsupportedError struct {
	// Model names the model (its file).
	Model    string
	Problems []Problem
}

func (e *UnsupportedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "model %s cannot be run by onnx-go v0.5.0 (the ONNX runtime of this plugin): %d problem", e.Model, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	for i, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %d. %s\n     fix: %s", i+1, p, p.Fix)
	}
	return b.String()
}

// Tensor describes a graph input or output.
type Tensor struct {
	Name string
	// Type is the element type ("float32").
	Type string
	// Shape holds the dimensions; -1 marks one that is not a fixed
	// number (symbolic, or not stated).
	Shape []int64
}

// ShapeString writes the shape as 1×3×64×64, with ? for dimensions that
// are not fixed.
func (t Tensor) ShapeString() string {
	parts := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return strings.Join(parts, "×")
}

// Info is what a model's file says about it.
type Info struct {
	// Graph is the graph's name; Producer the exporter ("pytorch 1.13.1").
	Graph, Producer string
	IRVersion       int64
	// Opset is the imported version of the default (ai.onnx) operator set.
	Opset int64
	// Input is the image input, Output the first output.
	Input, Output Tensor
	// Operators counts the nodes of each operator type.
	Operators map[string]int
	// Weights is the number of values in the initializers.
	Weights int64
}

// problems collects problems, merging those that differ only in the node.
type problems struct {
	list []Problem
	at   map[string]int
}

func (ps *problems) add(node, op, reason, fix string) {
	key := op + "\x00" + reason + "\x00" + fix
	if ps.at == nil {
		ps.at = map[string]int{}
	}
	if i, ok := ps.at[key]; ok {
		if node != "" {
			ps.list[i].Nodes = append(ps.list[i].Nodes, node)
		}
		return
	}
	p := Problem{Op: op, Reason: reason, Fix: fix}
	if node != "" {
		p.Nodes = []string{node}
	}
	ps.at[key] = len(ps.list)
	ps.list = append(ps.list, p)
}

// maxElements bounds any one tensor of a model (2³¹ values, 8 GiB of
// float32): beyond it a shape is corrupt, not a model.
const maxElements = 1 << 31

// maxInputElements bounds the image input (256 MiB of float32), which Decode
// allocates before the dry run.
const maxInputElements = 1 << 26

// Inspect decodes a model and checks it against what onnx-go v0.5.0 can
// run, without running it. It returns the model's Info and, if anything
// cannot be run, an *UnsupportedError listing every problem with its fix
// (Info is still returned then). Data that is not an ONNX model gives an
// error wrapping ErrNotONNX. name is used in errors.
func Inspect(name string, data []byte) (*Info, error) {
	mp, err := decodeModel(data)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	g := mp.graph
	info := &Info{
		Graph:     g.name,
		Producer:  strings.TrimSpace(mp.producer + " " + mp.producerV),
		IRVersion: mp.irVersion,
		Opset:     mp.opsets[""],
		Operators: map[string]int{},
	}
	if len(g.nodes) == 0 {
		return info, fmt.Errorf("model %s: %w: the graph has no nodes", name, ErrNotONNX)
	}
	var ps problems

	// Weights.
	initialized := map[string]*tensorProto{}
	for i := range g.initializers {
		t := &g.initializers[i]
		initialized[t.name] = t
		if n, ok := checkTensor(&ps, "", "", "weight "+quote(t.name), t); ok {
			info.Weights += n
		}
	}
	if g.sparseInitializers > 0 {
		ps.add("", "", fmt.Sprintf("%d sparse weight tensor(s)", g.sparseInitializers), fixExternal)
	}

	// The image input: the one graph input that is not a weight. onnx-go
	// feeds the first graph input, whatever its name.
	var real []int
	for i, in := range g.inputs {
		if _, ok := initialized[in.name]; !ok {
			real = append(real, i)
		}
	}
	switch {
	case len(real) == 0:
		ps.add("", "", "the graph has no input", fixOneInput)
	case len(real) > 1:
		names := make([]string, len(real))
		for i, k := range real {
			names[i] = quote(g.inputs[k].name)
		}
		ps.add("", "", fmt.Sprintf("the graph has %d inputs (%s); this plugin feeds one image", len(real), strings.Join(names, ", ")), fixOneInput)
	case real[0] != 0:
		ps.add("", "", fmt.Sprintf("the image input %q is not the first graph input (weights are listed before it), and onnx-go feeds the first", g.inputs[real[0]].name), fixInputs)
	}
	if len(real) > 0 {
		in := g.inputs[real[0]]
		info.Input = tensorOf(in)
		checkValue(&ps, "input", in, true)
	}

	switch len(g.outputs) {
	case 0:
		ps.add("", "", "the graph has no output", fixOneOutput)
	case 1:
	default:
		ps.add("", "", fmt.Sprintf("the graph has %d outputs; this plugin reads one", len(g.outputs)), fixOneOutput)
	}
	if len(g.outputs) > 0 {
		info.Output = tensorOf(g.outputs[0])
		checkValue(&ps, "output", g.outputs[0], false)
	}

	// Nodes.
	ranks := map[string]int{}
	for name, t := range initialized {
		ranks[name] = len(t.dims)
	}
	if len(real) > 0 && g.inputs[real[0]].hasShape {
		ranks[g.inputs[real[0]].name] = len(g.inputs[real[0]].dims)
	}
	constants := map[string]*tensorProto{}
	for i := range g.nodes {
		n := &g.nodes[i]
		info.Operators[n.op]++
		checkNode(&ps, n, mp.opsets, initialized, constants, ranks)
	}

	if len(ps.list) > 0 {
		return info, &UnsupportedError{Model: name, Problems: ps.list}
	}
	return info, nil
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func tensorOf(v valueInfo) Tensor {
	t := Tensor{Name: v.name, Type: dataTypeName(v.elemType)}
	for _, d := range v.dims {
		if d.set && d.value > 0 {
			t.Shape = append(t.Shape, d.value)
		} else {
			t.Shape = append(t.Shape, -1)
		}
	}
	return t
}

// checkValue checks the image input (or the output) of the graph: float32,
// a fixed shape with a batch of 1.
func checkValue(ps *problems, what string, v valueInfo, isInput bool) {
	if !v.tensor {
		ps.add("", "", fmt.Sprintf("the %s %q is not a tensor", what, v.name), fixOneOutput)
		return
	}
	if v.elemType != dtFloat {
		ps.add("", "", fmt.Sprintf("the %s %q is %s, not float32", what, v.name, dataTypeName(v.elemType)), fixFloat32)
	}
	if !v.hasShape {
		if isInput {
			ps.add("", "", fmt.Sprintf("the input %q has no shape", v.name), fixDynamic)
		}
		return
	}
	var dynamic []string
	for i, d := range v.dims {
		switch {
		case d.param != "":
			dynamic = append(dynamic, fmt.Sprintf("axis %d is %q", i, d.param))
		case !d.set:
			dynamic = append(dynamic, fmt.Sprintf("axis %d has no size", i))
		case d.value <= 0:
			dynamic = append(dynamic, fmt.Sprintf("axis %d is %d", i, d.value))
		}
	}
	if len(dynamic) > 0 && isInput {
		ps.add("", "", fmt.Sprintf("the input %q has a dynamic shape (%s); onnx-go fixes every shape when it builds the graph", v.name, strings.Join(dynamic, ", ")), fixDynamic)
		return
	}
	if isInput {
		if len(v.dims) != 4 {
			ps.add("", "", fmt.Sprintf("the input %q has %d axes; this plugin feeds one image as 1×channels×height×width (or 1×height×width×channels)", v.name, len(v.dims)), fixDynamic)
			return
		}
		if v.dims[0].value != 1 {
			ps.add("", "", fmt.Sprintf("the input %q has a batch of %d", v.name, v.dims[0].value), fixBatch)
		}
		var n int64 = 1
		for _, d := range v.dims {
			if d.value > maxInputElements/n {
				ps.add("", "", fmt.Sprintf("the input %q is larger than %d values", v.name, maxInputElements), fixDynamic)
				return
			}
			n *= d.value
		}
	}
}

// checkTensor checks a weight (or a Constant's value) and returns its
// number of elements.
func checkTensor(ps *problems, node, op, what string, t *tensorProto) (int64, bool) {
	if t.external {
		ps.add(node, op, what+" is stored outside the model file", fixExternal)
		return 0, false
	}
	if t.segmented {
		ps.add(node, op, what+" is segmented", fixExternal)
		return 0, false
	}
	var n int64 = 1
	for _, d := range t.dims {
		if d < 0 || (d > 0 && n > maxElements/d) {
			ps.add(node, op, fmt.Sprintf("%s has an invalid shape %v", what, t.dims), fixFloat32)
			return 0, false
		}
		n *= d
	}
	var size int
	var count int
	switch t.dataType {
	case dtFloat:
		size, count = 4, t.floatN
	case dtDouble:
		size, count = 8, t.doubleN
	case dtInt64:
		size, count = 8, t.int64N
	case dtInt32:
		size, count = 4, t.int32N
	default:
		ps.add(node, op, fmt.Sprintf("%s is %s (onnx-go reads float32, float64, int32 and int64 weights)", what, dataTypeName(t.dataType)), fixFloat32)
		return 0, false
	}
	got := int64(count)
	if t.rawLen > 0 {
		if t.rawLen%size != 0 || count > 0 {
			ps.add(node, op, fmt.Sprintf("%s is corrupt: %d bytes of data for %s values", what, t.rawLen, dataTypeName(t.dataType)), fixFloat32)
			return 0, false
		}
		got = int64(t.rawLen / size)
	}
	if got != n {
		ps.add(node, op, fmt.Sprintf("%s is corrupt: %d values for shape %v", what, got, t.dims), fixFloat32)
		return 0, false
	}
	return n, true
}

// checkNode checks one node and records the rank of its output when it can
// be told (for the opset-13 Softmax check).
func checkNode(ps *problems, n *nodeProto, opsets map[string]int64, inits, consts map[string]*tensorProto, ranks map[string]int) {
	name := n.name
	if name == "" && len(n.outputs) > 0 {
		name = n.outputs[0]
	}
	op := n.op
	if n.domain != "" {
		ps.add(name, n.domain+"."+op, "operator outside the standard ONNX set", fixCustom)
		return
	}
	if !supported[op] {
		fix, ok := fixForOp[op]
		if !ok {
			fix = fixOther + strings.Join(SupportedOperators(), ", ")
		}
		ps.add(name, op, "operator not supported by onnx-go", fix)
		return
	}
	opset := opsets[""]
	outputs := 0
	for _, o := range n.outputs {
		if o != "" {
			outputs++
		}
	}
	if outputs > 1 {
		ps.add(name, op, fmt.Sprintf("%d outputs; onnx-go computes only the first", outputs), fixOutputs)
	}
	rank := func(i int) int {
		if i >= len(n.inputs) {
			return -1
		}
		if r, ok := ranks[n.inputs[i]]; ok {
			return r
		}
		return -1
	}
	out := -1 // the output's rank, when known
	switch op {
	case "Conv":
		checkConv(ps, name, n, inits)
		out = rank(0)
	case "MaxPool":
		checkPool(ps, name, n)
		out = rank(0)
	case "Squeeze", "Unsqueeze":
		if len(n.inputs) > 1 || opset >= 13 {
			ps.add(name, op, fmt.Sprintf("axes given as an input (opset %d); onnx-go reads the opset-11 axes attribute", opset), fixOpset)
			break
		}
		axes, ok := n.attrs["axes"]
		if !ok {
			if op == "Unsqueeze" {
				ps.add(name, op, "no axes attribute", fixAttr)
			}
			break // Squeeze without axes drops every axis of size 1
		}
		if r := rank(0); r >= 0 {
			if op == "Squeeze" {
				out = r - len(axes.ints)
			} else {
				out = r + len(axes.ints)
			}
		}
	case "Softmax":
		axis := int64(1)
		if opset >= 13 {
			axis = -1
		}
		if a, ok := n.attrs["axis"]; ok {
			axis = a.i
		}
		r := rank(0)
		if opset >= 13 && axis != -1 && (r < 0 || axis != int64(r-1)) {
			ps.add(name, op, fmt.Sprintf("opset %d Softmax over axis %d; onnx-go computes the opset-11 soft-max (over all axes from %d on)", opset, axis, axis), fixOpset)
		}
		out = r
	case "Transpose":
		if a, ok := n.attrs["perm"]; !ok {
			ps.add(name, op, "no perm attribute (onnx-go does not implement the default reversal)", fixAttr)
		} else {
			out = len(a.ints)
		}
	case "Reshape":
		if len(n.inputs) < 2 {
			ps.add(name, op, "no target shape", fixShape)
			break
		}
		t := inits[n.inputs[1]]
		if t == nil {
			t = consts[n.inputs[1]]
		}
		if t == nil {
			ps.add(name, op, "target shape computed inside the graph; onnx-go needs it as a constant", fixShape)
			break
		}
		if len(t.dims) == 1 {
			out = int(t.dims[0])
		}
	case "Constant":
		a, ok := n.attrs["value"]
		if !ok || a.t == nil {
			ps.add(name, op, "no tensor value (onnx-go reads only Constant value=tensor)", fixAttr)
			break
		}
		if _, ok := checkTensor(ps, name, op, "its value", a.t); ok && len(n.outputs) > 0 {
			consts[n.outputs[0]] = a.t
			out = len(a.t.dims)
		}
	case "Flatten", "Gemm":
		out = 2
	case "BatchNormalization":
		out = rank(0)
	case "Add", "Sub", "Mul", "Div", "Max", "Min", "MatMul", "Concat":
		for i := range n.inputs {
			out = max(out, rank(i))
		}
		if op != "Concat" && op != "MatMul" {
			for i := range n.inputs {
				if rank(i) < 0 {
					out = -1
				}
			}
		}
	default: // element-wise, one input
		out = rank(0)
	}
	if out >= 0 && len(n.outputs) > 0 {
		ranks[n.outputs[0]] = out
	}
}

func ints(n *nodeProto, name string) ([]int64, bool) {
	a, ok := n.attrs[name]
	if !ok {
		return nil, false
	}
	return a.ints, true
}

// checkPads checks ONNX pads [h_begin, w_begin, h_end, w_end]. onnx-go
// reads them as (h, w) pairs in the wrong order, so only equal padding on
// all four sides computes what the model means.
func checkPads(ps *problems, name, op string, n *nodeProto) {
	pads, ok := ints(n, "pads")
	if !ok {
		return
	}
	if len(pads) != 4 {
		ps.add(name, op, fmt.Sprintf("pads %v for a 2-D operator", pads), fixPads)
		return
	}
	if pads[0] != pads[1] || pads[0] != pads[2] || pads[0] != pads[3] {
		ps.add(name, op, fmt.Sprintf("pads %v are not equal on all four sides; onnx-go handles only equal padding", pads), fixPads)
	}
}

func checkAutoPad(ps *problems, name, op string, n *nodeProto, allowSameUpper bool) {
	a, ok := n.attrs["auto_pad"]
	if !ok {
		return
	}
	switch a.s {
	case "", "NOTSET", "VALID":
	case "SAME_UPPER":
		if !allowSameUpper {
			ps.add(name, op, "auto_pad SAME_UPPER", fixPads)
		}
	default:
		ps.add(name, op, "auto_pad "+a.s, fixPads)
	}
}

func checkConv(ps *problems, name string, n *nodeProto, inits map[string]*tensorProto) {
	const op = "Conv"
	if g, ok := n.attrs["group"]; ok && g.i != 1 {
		ps.add(name, op, fmt.Sprintf("group=%d (grouped or depth-wise convolution); onnx-go ignores group", g.i), fixGrouped)
	}
	ks, ok := ints(n, "kernel_shape")
	switch {
	case !ok:
		if len(n.inputs) > 1 {
			if w := inits[n.inputs[1]]; w != nil && len(w.dims) != 4 {
				ps.add(name, op, fmt.Sprintf("%d-D convolution; onnx-go runs only 2-D ones", len(w.dims)-2), fixConv3D)
				return
			}
		}
		ps.add(name, op, "no kernel_shape attribute (onnx-go needs it)", fixAttr)
	case len(ks) != 2:
		ps.add(name, op, fmt.Sprintf("%d-D convolution; onnx-go runs only 2-D ones", len(ks)), fixConv3D)
		return
	}
	if len(n.inputs) > 1 {
		if w := inits[n.inputs[1]]; w != nil && len(w.dims) != 4 {
			ps.add(name, op, fmt.Sprintf("weights of shape %v; a 2-D convolution has 4 axes", w.dims), fixConv3D)
		}
	}
	checkPads(ps, name, op, n)
	checkAutoPad(ps, name, op, n, true)
	for _, attr := range []string{"strides", "dilations"} {
		if v, ok := ints(n, attr); ok && len(v) != 2 {
			ps.add(name, op, fmt.Sprintf("%s %v for a 2-D convolution", attr, v), fixConv3D)
		}
	}
}

func checkPool(ps *problems, name string, n *nodeProto) {
	const op = "MaxPool"
	if ks, _ := ints(n, "kernel_shape"); len(ks) != 2 {
		ps.add(name, op, fmt.Sprintf("kernel_shape %v; onnx-go pools only in 2-D", ks), fixConv3D)
	}
	checkPads(ps, name, op, n)
	checkAutoPad(ps, name, op, n, false)
	if a, ok := n.attrs["ceil_mode"]; ok && a.i != 0 {
		ps.add(name, op, "ceil_mode=1", fixPool)
	}
	if _, ok := n.attrs["dilations"]; ok {
		ps.add(name, op, "a dilations attribute (onnx-go refuses it, even [1 1])", fixPool)
	}
	if v, ok := ints(n, "strides"); ok && len(v) != 2 {
		ps.add(name, op, fmt.Sprintf("strides %v for a 2-D pooling", v), fixConv3D)
	}
}
