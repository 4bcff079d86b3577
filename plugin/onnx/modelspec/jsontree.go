package modelspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A strict reader for the sidecar: it decodes JSON into a tree of
// map[string]any / []any / json.Number / string / bool / nil, rejecting
// duplicate keys and trailing data (encoding/json accepts both silently),
// and the accessors below report errors with the JSON path of the value
// ("preprocess.width: must be > 0"), collecting all of them.

// maxDepth bounds the nesting of a sidecar; the schema needs 4 levels.
const maxDepth = 16

type object struct {
	keys []string // in file order
	vals map[string]any
}

func decodeTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := readValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, errors.New("data after the top-level object")
		}
		return nil, err
	}
	return v, nil
}

func readValue(dec *json.Decoder, path string, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("%sunexpected end of data", at(path))
		}
		return nil, fmt.Errorf("%s%w", at(path), err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxDepth {
			return nil, fmt.Errorf("%snested more than %d levels deep", at(path), maxDepth)
		}
		switch t {
		case '{':
			o := &object{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("%s%w", at(path), err)
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("%sobject key is not a string", at(path))
				}
				sub := join(path, k)
				if _, dup := o.vals[k]; dup {
					return nil, fmt.Errorf("%sgiven twice", at(sub))
				}
				v, err := readValue(dec, sub, depth+1)
				if err != nil {
					return nil, err
				}
				o.keys = append(o.keys, k)
				o.vals[k] = v
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, fmt.Errorf("%s%w", at(path), err)
			}
			return o, nil
		case '[':
			var a []any
			for dec.More() {
				v, err := readValue(dec, fmt.Sprintf("%s[%d]", path, len(a)), depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, fmt.Errorf("%s%w", at(path), err)
			}
			if a == nil {
				a = []any{}
			}
			return a, nil
		}
		return nil, fmt.Errorf("%sunexpected %v", at(path), t)
	default:
		return t, nil // json.Number, string, bool, nil
	}
}

func at(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// FieldError is one problem with a sidecar value, at a JSON path such as
// "segments[0].color".
type FieldError struct {
	Path, Message string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// checker walks a decoded tree, collecting FieldErrors.
type checker struct {
	errs []error
}

func (c *checker) fail(path, format string, args ...any) {
	c.errs = append(c.errs, &FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func typeName(v any) string {
	switch v.(type) {
	case *object:
		return "an object"
	case []any:
		return "an array"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case bool:
		return "true/false"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// obj checks that v is an object with only the allowed keys and all the
// required ones; it returns nil (after recording why) if v is no object.
func (c *checker) obj(path string, v any, required, optional []string) *object {
	o, ok := v.(*object)
	if !ok {
		c.fail(path, "want an object, got %s", typeName(v))
		return nil
	}
	for _, k := range o.keys {
		if !slices.Contains(required, k) && !slices.Contains(optional, k) {
			known := append(slices.Clone(required), optional...)
			c.fail(join(path, k), "unknown field (%s takes %s)", orTop(path), strings.Join(known, ", "))
		}
	}
	for _, k := range required {
		if _, ok := o.vals[k]; !ok {
			c.fail(join(path, k), "missing")
		}
	}
	return o
}

func orTop(path string) string {
	if path == "" {
		return "the sidecar"
	}
	return path
}

func (o *object) get(k string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.vals[k]
	return v, ok
}

func (c *checker) str(path string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.fail(path, "want a string, got %s", typeName(v))
	}
	return s, ok
}

func (c *checker) nonEmpty(path string, v any) (string, bool) {
	s, ok := c.str(path, v)
	if ok && strings.TrimSpace(s) == "" {
		c.fail(path, "must not be empty")
		return s, false
	}
	return s, ok
}

func (c *checker) num(path string, v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		c.fail(path, "want a number, got %s", typeName(v))
		return 0, false
	}
	x, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		c.fail(path, "%s is not a finite number", n)
		return 0, false
	}
	return x, true
}

func (c *checker) integer(path string, v any, lo, hi int) (int, bool) {
	x, ok := c.num(path, v)
	if !ok {
		return 0, false
	}
	if x != math.Trunc(x) {
		c.fail(path, "want a whole number, got %v", v)
		return 0, false
	}
	if x < float64(lo) || x > float64(hi) {
		c.fail(path, "must be between %d and %d, got %v", lo, hi, v)
		return 0, false
	}
	return int(x), true
}

func (c *checker) boolean(path string, v any) (bool, bool) {
	b, ok := v.(bool)
	if !ok {
		c.fail(path, "want true or false, got %s", typeName(v))
	}
	return b, ok
}

func (c *checker) array(path string, v any) ([]any, bool) {
	a, ok := v.([]any)
	if !ok {
		c.fail(path, "want an array, got %s", typeName(v))
	}
	return a, ok
}

func (c *checker) enum(path string, v any, choices ...string) (string, bool) {
	s, ok := c.str(path, v)
	if !ok {
		return "", false
	}
	if !slices.Contains(choices, s) {
		c.fail(path, "%q is not one of %s", s, strings.Join(quoteAll(choices), ", "))
		return "", false
	}
	return s, true
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}
