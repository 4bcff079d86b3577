// Package refdata reads the reference cases that plugin/onnx/testdata/gen.py
// writes (models, sidecars and numpy-computed outputs) and computes the
// same synthetic inputs as the script, for the tests of plugin/onnx and its
// packages.
package refdata

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"

	"github.com/mmcseg/mmcseg/sdk"
)

// Dir returns the absolute path of plugin/onnx/testdata.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}

// Path returns the absolute path of a file under testdata (an absolute
// path is returned as it is).
func Path(rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(Dir(), filepath.FromSlash(rel))
}

// ModelCase is a model and its output for ModelInput(Input).
type ModelCase struct {
	Model string `json:"model"`
	// Input and Output are the tensor shapes, in Layout ("NCHW" or
	// "NHWC").
	Input     []int  `json:"input"`
	Output    []int  `json:"output"`
	Layout    string `json:"layout"`
	Reference string `json:"reference"`
}

// ModelInput returns the case's input tensor: ModelInput of the NCHW
// shape, in the case's layout.
func (c ModelCase) ModelInput() []float32 {
	if c.Layout != "NHWC" {
		return ModelInput(c.Input)
	}
	n, h, w, ch := c.Input[0], c.Input[1], c.Input[2], c.Input[3]
	nchw := ModelInput([]int{n, ch, h, w})
	out := make([]float32, len(nchw))
	for k := range ch {
		for i := range h * w {
			out[i*ch+k] = nchw[k*h*w+i]
		}
	}
	return out
}

// PipelineCase is a whole slice → labels run: the slice is
// SlicePixels(Format, Rows, Columns); Scores are the model's outputs
// mapped back to the slice (Classes planes of Rows×Columns) and Labels the
// mask, both from the sidecar next to Model.
type PipelineCase struct {
	Model   string `json:"model"`
	Format  string `json:"format"`
	Rows    int    `json:"rows"`
	Columns int    `json:"columns"`
	Classes int    `json:"classes"`
	Scores  string `json:"scores"`
	Labels  string `json:"labels"`
}

// Cases is testdata/cases.json.
type Cases struct {
	Models    []ModelCase    `json:"models"`
	Pipelines []PipelineCase `json:"pipelines"`
	Refused   []string       `json:"refused"`
}

// Load reads testdata/cases.json.
func Load() (*Cases, error) {
	b, err := os.ReadFile(Path("cases.json"))
	if err != nil {
		return nil, err
	}
	var c Cases
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("cases.json: %w", err)
	}
	return &c, nil
}

// ReadF32 reads a file of little-endian float32 values (see Path).
func ReadF32(rel string) ([]float32, error) {
	b, err := os.ReadFile(Path(rel))
	if err != nil {
		return nil, err
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of float32", rel, len(b))
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

// ReadU8 reads a file of bytes under testdata.
func ReadU8(rel string) ([]uint8, error) { return os.ReadFile(Path(rel)) }

// ModelInput is gen.py's model_input: the model-space test input for an
// NCHW shape, x[n,c,i,j] = sin(0.3i+0.7c)·cos(0.2j−0.5c) + ((7i+13j+5c) mod 17)/17 − 0.5.
func ModelInput(shape []int) []float32 {
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	out := make([]float32, 0, n*c*h*w)
	for range n {
		for ch := range c {
			for i := range h {
				for j := range w {
					x := math.Sin(0.3*float64(i)+0.7*float64(ch))*math.Cos(0.2*float64(j)-0.5*float64(ch)) +
						float64((i*7+j*13+ch*5)%17)/17 - 0.5
					out = append(out, float32(x))
				}
			}
		}
	}
	return out
}

// SlicePixels is gen.py's slice_pixels as an sdk.Slice: "FLOAT32" is CT-like
// (HU), "UINT8" grey, "RGB8" colour.
func SlicePixels(format string, rows, cols int) (sdk.Slice, error) {
	switch format {
	case "FLOAT32":
		px := make([]float32, rows*cols)
		for i := range rows {
			for j := range cols {
				v := -1000 + 1400*(0.5+0.5*math.Sin(0.11*float64(i))*math.Cos(0.07*float64(j))) +
					40*float64((i*3+j*5)%7)
				px[i*cols+j] = float32(v)
			}
		}
		return sdk.NewFloat32Slice(0, rows, cols, px), nil
	case "UINT8":
		px := make([]uint8, rows*cols)
		for i := range rows {
			for j := range cols {
				px[i*cols+j] = uint8((i*11 + j*7 + (i*j)%23) % 256)
			}
		}
		return sdk.NewUint8Slice(0, rows, cols, px), nil
	case "RGB8":
		px := make([]uint8, 3*rows*cols)
		for i := range rows {
			for j := range cols {
				for c := range 3 {
					px[3*(i*cols+j)+c] = uint8((i*11 + j*7 + c*50 + (i*j)%23) % 256)
				}
			}
		}
		return sdk.NewRGB8Slice(0, rows, cols, px), nil
	}
	return sdk.Slice{}, fmt.Errorf("unknown slice format %q", format)
}
