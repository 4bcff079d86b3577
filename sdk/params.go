package sdk

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrBadParam reports a parameter value that does not fit its declaration.
var ErrBadParam = errors.New("bad parameter")

// Params are the checked parameter values of one series: every declared
// parameter has a value (the user's or the default), of its declared type
// and within its bounds.
type Params struct {
	raw   map[string]string
	typed map[string]any
}

// Get returns the value of the named parameter as text (STRING and ENUM
// values, or any value as the host sent it); "" if there is none.
func (p Params) Get(name string) string { return p.raw[name] }

// Int returns an INT parameter's value (0 if name is not an INT parameter).
func (p Params) Int(name string) int { v, _ := p.typed[name].(int); return v }

// Float returns a FLOAT parameter's value; INT parameters convert.
func (p Params) Float(name string) float64 {
	switch v := p.typed[name].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	}
	return 0
}

// Bool returns a BOOL parameter's value.
func (p Params) Bool(name string) bool { v, _ := p.typed[name].(bool); return v }

// Map returns a copy of all values as text, as sent on the wire.
func (p Params) Map() map[string]string {
	m := make(map[string]string, len(p.raw))
	for k, v := range p.raw {
		m[k] = v
	}
	return m
}

// ResolveParams checks given values against the declared parameters and
// fills in defaults. Unknown names, unparsable values, values out of range
// and unknown ENUM choices are errors wrapping ErrBadParam.
func (d Description) ResolveParams(given map[string]string) (Params, error) {
	p := Params{raw: map[string]string{}, typed: map[string]any{}}
	declared := map[string]Parameter{}
	for _, par := range d.Parameters {
		declared[par.Name] = par
	}
	var unknown []string
	for name := range given {
		if _, ok := declared[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, 0, len(d.Parameters))
		for _, par := range d.Parameters {
			names = append(names, par.Name)
		}
		known := "it takes none"
		if len(names) > 0 {
			known = "it takes " + strings.Join(names, ", ")
		}
		return Params{}, fmt.Errorf("%w: plugin %s has no parameter %s (%s)", ErrBadParam, d.Name, strings.Join(unknown, ", "), known)
	}
	for _, par := range d.Parameters {
		v, ok := given[par.Name]
		if !ok {
			v = par.Default
		}
		t, err := par.Parse(v)
		if err != nil {
			return Params{}, err
		}
		p.raw[par.Name] = v
		p.typed[par.Name] = t
	}
	return p, nil
}

// Parse checks a value against the parameter's declaration and returns it
// as int, float64, bool or string.
func (par Parameter) Parse(v string) (any, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w %s=%q: %s", ErrBadParam, par.Name, v, why)
	}
	inRange := func(x float64) error {
		if par.Min != nil && x < *par.Min {
			return bad(fmt.Sprintf("below the minimum %g", *par.Min))
		}
		if par.Max != nil && x > *par.Max {
			return bad(fmt.Sprintf("above the maximum %g", *par.Max))
		}
		return nil
	}
	switch par.Type {
	case ParamInt:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 0)
		if err != nil {
			return nil, bad("not an integer")
		}
		if err := inRange(float64(n)); err != nil {
			return nil, err
		}
		return int(n), nil
	case ParamFloat:
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, bad("not a finite number")
		}
		if err := inRange(x); err != nil {
			return nil, err
		}
		return x, nil
	case ParamBool:
		switch strings.TrimSpace(v) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, bad(`want "true" or "false"`)
	case ParamString:
		return v, nil
	case ParamEnum:
		if slices.Contains(par.Choices, v) {
			return v, nil
		}
		return nil, bad("want one of " + strings.Join(par.Choices, ", "))
	}
	return nil, bad(fmt.Sprintf("parameter has unknown type %v", par.Type))
}
