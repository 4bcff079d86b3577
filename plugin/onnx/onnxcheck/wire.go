package onnxcheck

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file decodes the parts of an ONNX ModelProto that the load-time
// checks need, straight from the protobuf wire format (onnx-go keeps its
// generated protobuf types in an internal package). Field numbers are those
// of onnx/onnx.proto (IR version 8). Unknown fields are skipped; a field of
// a known number with the wrong wire type is malformed input.

// ErrNotONNX reports data that is not a decodable ONNX model.
var ErrNotONNX = errors.New("not an ONNX model")

// ONNX TensorProto.DataType values.
const (
	dtUndefined = 0
	dtFloat     = 1
	dtUint8     = 2
	dtInt8      = 3
	dtUint16    = 4
	dtInt16     = 5
	dtInt32     = 6
	dtInt64     = 7
	dtString    = 8
	dtBool      = 9
	dtFloat16   = 10
	dtDouble    = 11
	dtUint32    = 12
	dtUint64    = 13
	dtComplex64 = 14
	dtComplex   = 15
	dtBfloat16  = 16
)

var dataTypeNames = map[int64]string{
	dtUndefined: "undefined", dtFloat: "float32", dtUint8: "uint8", dtInt8: "int8",
	dtUint16: "uint16", dtInt16: "int16", dtInt32: "int32", dtInt64: "int64",
	dtString: "string", dtBool: "bool", dtFloat16: "float16", dtDouble: "float64",
	dtUint32: "uint32", dtUint64: "uint64", dtComplex64: "complex64",
	dtComplex: "complex128", dtBfloat16: "bfloat16",
}

func dataTypeName(t int64) string {
	if s, ok := dataTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("data type %d", t)
}

// ONNX AttributeProto.AttributeType values.
const (
	atFloat   = 1
	atInt     = 2
	atString  = 3
	atTensor  = 4
	atGraph   = 5
	atFloats  = 6
	atInts    = 7
	atStrings = 8
	atTensors = 9
	atGraphs  = 10
)

type modelProto struct {
	irVersion int64
	producer  string
	producerV string
	opsets    map[string]int64 // domain ("" = ai.onnx) → version
	graph     *graphProto
}

type graphProto struct {
	name               string
	nodes              []nodeProto
	initializers       []tensorProto
	sparseInitializers int
	inputs             []valueInfo
	outputs            []valueInfo
}

type nodeProto struct {
	name, op, domain string
	inputs, outputs  []string
	attrs            map[string]attribute
}

type attribute struct {
	typ     int64
	f       float32
	i       int64
	s       string
	ints    []int64
	floats  int
	strings int
	t       *tensorProto
	graphs  int // GRAPH and GRAPHS values: counted, not decoded
}

type tensorProto struct {
	name         string
	dims         []int64
	dataType     int64
	external     bool // data_location EXTERNAL or external_data entries
	segmented    bool
	rawLen       int
	floatN       int
	int32N       int
	int64N       int
	doubleN      int
	stringN      int
	uint64N      int
	int64Values  []int64 // the values of a small INT64 tensor (shapes)
	int64Partial bool
}

type valueInfo struct {
	name     string
	elemType int64
	hasShape bool
	dims     []dim
	tensor   bool // TypeProto.tensor_type present
}

type dim struct {
	value int64
	param string
	set   bool // dim_value given
}

// fieldFunc receives one field: v is the payload of a BYTES field, u the
// value of a VARINT, FIXED32 or FIXED64 one.
type fieldFunc func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error

func eachField(b []byte, what string, f fieldFunc) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %s: %v", ErrNotONNX, what, protowire.ParseError(n))
		}
		b = b[n:]
		var v []byte
		var u uint64
		switch typ {
		case protowire.VarintType:
			u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			u = uint64(x)
		case protowire.Fixed64Type:
			u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%w: %s field %d: %v", ErrNotONNX, what, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := f(num, typ, v, u); err != nil {
			return err
		}
	}
	return nil
}

func wrongType(what string, num protowire.Number, typ protowire.Type) error {
	return fmt.Errorf("%w: %s field %d has wire type %d", ErrNotONNX, what, num, typ)
}

// int64s appends the values of a repeated int64 field, packed or not.
func int64s(dst []int64, what string, num protowire.Number, typ protowire.Type, v []byte, u uint64) ([]int64, error) {
	switch typ {
	case protowire.VarintType:
		return append(dst, int64(u)), nil
	case protowire.BytesType:
		for len(v) > 0 {
			x, n := protowire.ConsumeVarint(v)
			if n < 0 {
				return dst, fmt.Errorf("%w: %s field %d: %v", ErrNotONNX, what, num, protowire.ParseError(n))
			}
			dst = append(dst, int64(x))
			v = v[n:]
		}
		return dst, nil
	}
	return dst, wrongType(what, num, typ)
}

// countPacked counts the elements of a repeated scalar field occurrence:
// width is 4 or 8 for fixed-size elements, 0 for varints.
func countPacked(what string, num protowire.Number, typ protowire.Type, v []byte, width int) (int, error) {
	switch typ {
	case protowire.VarintType, protowire.Fixed32Type, protowire.Fixed64Type:
		return 1, nil
	case protowire.BytesType:
		if width > 0 {
			if len(v)%width != 0 {
				return 0, fmt.Errorf("%w: %s field %d: %d bytes is not a whole number of %d-byte values", ErrNotONNX, what, num, len(v), width)
			}
			return len(v) / width, nil
		}
		n := 0
		for len(v) > 0 {
			_, k := protowire.ConsumeVarint(v)
			if k < 0 {
				return 0, fmt.Errorf("%w: %s field %d: %v", ErrNotONNX, what, num, protowire.ParseError(k))
			}
			v = v[k:]
			n++
		}
		return n, nil
	}
	return 0, wrongType(what, num, typ)
}

func decodeModel(b []byte) (*modelProto, error) {
	m := &modelProto{opsets: map[string]int64{}}
	err := eachField(b, "ModelProto", func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
		switch num {
		case 1: // ir_version
			if typ != protowire.VarintType {
				return wrongType("ModelProto", num, typ)
			}
			m.irVersion = int64(u)
		case 2, 3: // producer_name, producer_version
			if typ != protowire.BytesType {
				return wrongType("ModelProto", num, typ)
			}
			if num == 2 {
				m.producer = string(v)
			} else {
				m.producerV = string(v)
			}
		case 7: // graph
			if typ != protowire.BytesType {
				return wrongType("ModelProto", num, typ)
			}
			g, err := decodeGraph(v)
			if err != nil {
				return err
			}
			m.graph = g
		case 8: // opset_import
			if typ != protowire.BytesType {
				return wrongType("ModelProto", num, typ)
			}
			var domain string
			var version int64
			err := eachField(v, "OperatorSetIdProto", func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
				switch {
				case num == 1 && typ == protowire.BytesType:
					domain = string(v)
				case num == 2 && typ == protowire.VarintType:
					version = int64(u)
				case num == 1 || num == 2:
					return wrongType("OperatorSetIdProto", num, typ)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if domain == "ai.onnx" {
				domain = ""
			}
			m.opsets[domain] = version
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m.graph == nil {
		return nil, fmt.Errorf("%w: no graph", ErrNotONNX)
	}
	return m, nil
}

func decodeGraph(b []byte) (*graphProto, error) {
	g := &graphProto{}
	err := eachField(b, "GraphProto", func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
		switch num {
		case 1, 2, 5, 11, 12, 15:
			if typ != protowire.BytesType {
				return wrongType("GraphProto", num, typ)
			}
		default:
			return nil
		}
		switch num {
		case 1:
			n, err := decodeNode(v)
			if err != nil {
				return err
			}
			g.nodes = append(g.nodes, n)
		case 2:
			g.name = string(v)
		case 5:
			t, err := decodeTensor(v)
			if err != nil {
				return err
			}
			g.initializers = append(g.initializers, t)
		case 11, 12:
			vi, err := decodeValueInfo(v)
			if err != nil {
				return err
			}
			if num == 11 {
				g.inputs = append(g.inputs, vi)
			} else {
				g.outputs = append(g.outputs, vi)
			}
		case 15:
			g.sparseInitializers++
		}
		return nil
	})
	return g, err
}

func decodeNode(b []byte) (nodeProto, error) {
	n := nodeProto{attrs: map[string]attribute{}}
	err := eachField(b, "NodeProto", func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
		switch num {
		case 1, 2, 3, 4, 5, 7:
			if typ != protowire.BytesType {
				return wrongType("NodeProto", num, typ)
			}
		default:
			return nil
		}
		switch num {
		case 1:
			n.inputs = append(n.inputs, string(v))
		case 2:
			n.outputs = append(n.outputs, string(v))
		case 3:
			n.name = string(v)
		case 4:
			n.op = string(v)
		case 7:
			n.domain = string(v)
		case 5:
			name, a, err := decodeAttribute(v)
			if err != nil {
				return err
			}
			n.attrs[name] = a
		}
		return nil
	})
	if n.domain == "ai.onnx" {
		n.domain = ""
	}
	return n, err
}

func decodeAttribute(b []byte) (string, attribute, error) {
	var name string
	var a attribute
	const what = "AttributeProto"
	err := eachField(b, what, func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
		var err error
		switch num {
		case 1:
			if typ != protowire.BytesType {
				return wrongType(what, num, typ)
			}
			name = string(v)
		case 20:
			if typ != protowire.VarintType {
				return wrongType(what, num, typ)
			}
			a.typ = int64(u)
		case 2:
			if typ != protowire.Fixed32Type {
				return wrongType(what, num, typ)
			}
			a.f = math.Float32frombits(uint32(u))
		case 3:
			if typ != protowire.VarintType {
				return wrongType(what, num, typ)
			}
			a.i = int64(u)
		case 4:
			if typ != protowire.BytesType {
				return wrongType(what, num, typ)
			}
			a.s = string(v)
		case 5:
			if typ != protowire.BytesType {
				return wrongType(what, num, typ)
			}
			t, err := decodeTensor(v)
			if err != nil {
				return err
			}
			a.t = &t
		case 6, 11:
			a.graphs++
		case 7:
			var k int
			k, err = countPacked(what, num, typ, v, 4)
			a.floats += k
		case 8:
			a.ints, err = int64s(a.ints, what, num, typ, v, u)
		case 9:
			a.strings++
		}
		return err
	})
	if err != nil {
		return "", a, err
	}
	if a.typ == 0 {
		// IR < 3 files may omit the type; infer it from what is set.
		switch {
		case a.t != nil:
			a.typ = atTensor
		case len(a.ints) > 0:
			a.typ = atInts
		case a.floats > 0:
			a.typ = atFloats
		case a.strings > 0:
			a.typ = atStrings
		case a.s != "":
			a.typ = atString
		case a.graphs > 0:
			a.typ = atGraph
		}
	}
	return name, a, nil
}

// maxShapeValues bounds the INT64 tensor values kept for rank inference.
const maxShapeValues = 16

func decodeTensor(b []byte) (tensorProto, error) {
	var t tensorProto
	const what = "TensorProto"
	var rawInt64 []byte
	err := eachField(b, what, func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
		var err error
		var k int
		switch num {
		case 1:
			t.dims, err = int64s(t.dims, what, num, typ, v, u)
		case 2:
			if typ != protowire.VarintType {
				return wrongType(what, num, typ)
			}
			t.dataType = int64(u)
		case 3:
			t.segmented = true
		case 4:
			k, err = countPacked(what, num, typ, v, 4)
			t.floatN += k
		case 5:
			k, err = countPacked(what, num, typ, v, 0)
			t.int32N += k
		case 6:
			t.stringN++
		case 7:
			before := len(t.int64Values)
			var vals []int64
			vals, err = int64s(nil, what, num, typ, v, u)
			t.int64N += len(vals)
			if room := maxShapeValues - before; room > 0 {
				t.int64Values = append(t.int64Values, vals[:min(room, len(vals))]...)
			}
			if len(vals) > maxShapeValues-before {
				t.int64Partial = true
			}
		case 8:
			if typ != protowire.BytesType {
				return wrongType(what, num, typ)
			}
			t.name = string(v)
		case 9:
			if typ != protowire.BytesType {
				return wrongType(what, num, typ)
			}
			t.rawLen += len(v)
			rawInt64 = v // a view of the model's bytes, read below if INT64
		case 10:
			k, err = countPacked(what, num, typ, v, 8)
			t.doubleN += k
		case 11:
			k, err = countPacked(what, num, typ, v, 0)
			t.uint64N += k
		case 13:
			t.external = true
		case 14:
			if typ != protowire.VarintType {
				return wrongType(what, num, typ)
			}
			if u == 1 {
				t.external = true
			}
		}
		return err
	})
	if err != nil {
		return t, err
	}
	if t.dataType == dtInt64 && t.int64N == 0 && len(rawInt64) > 0 {
		if len(rawInt64)/8 > maxShapeValues {
			t.int64Partial = true
		}
		for i := 0; i+8 <= len(rawInt64) && len(t.int64Values) < maxShapeValues; i += 8 {
			t.int64Values = append(t.int64Values, int64(binary.LittleEndian.Uint64(rawInt64[i:])))
		}
	}
	return t, nil
}

func decodeValueInfo(b []byte) (valueInfo, error) {
	var vi valueInfo
	err := eachField(b, "ValueInfoProto", func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
		switch num {
		case 1:
			if typ != protowire.BytesType {
				return wrongType("ValueInfoProto", num, typ)
			}
			vi.name = string(v)
		case 2:
			if typ != protowire.BytesType {
				return wrongType("ValueInfoProto", num, typ)
			}
			return decodeType(v, &vi)
		}
		return nil
	})
	return vi, err
}

func decodeType(b []byte, vi *valueInfo) error {
	return eachField(b, "TypeProto", func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
		if num != 1 {
			return nil
		}
		if typ != protowire.BytesType {
			return wrongType("TypeProto", num, typ)
		}
		vi.tensor = true
		return eachField(v, "TypeProto.Tensor", func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
			switch num {
			case 1:
				if typ != protowire.VarintType {
					return wrongType("TypeProto.Tensor", num, typ)
				}
				vi.elemType = int64(u)
			case 2:
				if typ != protowire.BytesType {
					return wrongType("TypeProto.Tensor", num, typ)
				}
				vi.hasShape = true
				return eachField(v, "TensorShapeProto", func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
					if num != 1 {
						return nil
					}
					if typ != protowire.BytesType {
						return wrongType("TensorShapeProto", num, typ)
					}
					var d dim
					err := eachField(v, "Dimension", func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
						switch {
						case num == 1 && typ == protowire.VarintType:
							d.value, d.set = int64(u), true
						case num == 2 && typ == protowire.BytesType:
							d.param = string(v)
						case num == 1 || num == 2:
							return wrongType("Dimension", num, typ)
						}
						return nil
					})
					vi.dims = append(vi.dims, d)
					return err
				})
			}
			return nil
		})
	})
}
