package plugintest

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
)

// Status is the outcome of one check.
type Status int

const (
	Pass Status = iota
	Fail
	Skip
	// Info is a finding that is not a requirement of the contract
	// (determinism, progress reports).
	Info
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	case Skip:
		return "SKIP"
	case Info:
		return "INFO"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalText writes the status as PASS, FAIL, SKIP or INFO.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Result is the outcome of one check.
type Result struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Message  string        `json:"message"`
	Duration time.Duration `json:"duration_ns"`
}

// Report is the outcome of a conformance run.
type Report struct {
	// Plugin is the executable checked, or "in-process".
	Plugin string `json:"plugin"`
	// Description is what the plugin said about itself; nil if it did not
	// start.
	Description *sdk.Description `json:"description,omitempty"`
	Results     []Result         `json:"results"`
	// Restarts counts how often the plugin had to be started again after
	// it crashed or hung.
	Restarts int `json:"restarts"`
}

// Passed reports whether no check failed.
func (r *Report) Passed() bool { return len(r.Failed()) == 0 }

// Failed returns the failed checks.
func (r *Report) Failed() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Status == Fail {
			out = append(out, res)
		}
	}
	return out
}

// Write prints the report for people: one line per check, then a summary.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "mmcseg plugin check: %s\n", r.Plugin)
	if d := r.Description; d != nil {
		conc := "one series at a time"
		if d.ConcurrentSeries {
			conc = "concurrent series"
		}
		fmt.Fprintf(&b, "plugin %s %s: contract v%d, %v mode, %s, %d segments, %d parameters\n",
			d.Name, d.Version, d.ContractVersion, d.InputMode, conc, len(d.Segments), len(d.Parameters))
	}
	width := 0
	for _, res := range r.Results {
		width = max(width, len(res.Name))
	}
	counts := map[Status]int{}
	for _, res := range r.Results {
		counts[res.Status]++
		msg := strings.ReplaceAll(res.Message, "\n", "\n"+strings.Repeat(" ", width+18))
		fmt.Fprintf(&b, "%-4s  %-*s  %7s  %s\n", res.Status, width, res.Name, formatDuration(res.Duration), msg)
	}
	fmt.Fprintf(&b, "%d checks: %d passed, %d failed, %d skipped, %d for information", len(r.Results), counts[Pass], counts[Fail], counts[Skip], counts[Info])
	if r.Restarts > 0 {
		fmt.Fprintf(&b, "; the plugin was restarted %d times", r.Restarts)
	}
	b.WriteString("\n")
	if r.Passed() {
		b.WriteString("RESULT: PASS\n")
	} else {
		b.WriteString("RESULT: FAIL\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatDuration(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return d.Round(100 * time.Millisecond).String()
}
