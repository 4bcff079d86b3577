package host

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// ProgressMode chooses how a Progress renders events.
type ProgressMode string

// The progress modes.
const (
	// ProgressBars redraws a bar per running series and one for the batch
	// (for a terminal), printing a line as each series ends.
	ProgressBars ProgressMode = "bars"
	// ProgressPlain prints log lines: series started, every tenth of a
	// series (at most every 30 s), series ended, batch done.
	ProgressPlain ProgressMode = "plain"
	// ProgressJSON prints every event as one JSON object per line (see
	// Event.MarshalJSON).
	ProgressJSON ProgressMode = "json"
	// ProgressQuiet prints only failed series.
	ProgressQuiet ProgressMode = "quiet"
)

// Progress renders the events of a batch on a writer (normally stderr).
// Use its Event method as Options.Events and call Close when Run returns.
type Progress struct {
	mode ProgressMode
	w    io.Writer
	// Width of the terminal in columns for ProgressBars (0: 100).
	Width int
	// now is the clock, replaceable in tests.
	now func() time.Time

	mu       sync.Mutex
	total    int
	finished int
	failed   int
	active   []*barState // series running, in start order
	drawn    int         // lines of bars currently on screen
	lastDraw time.Time
}

type barState struct {
	series, name  string
	index, slices int
	done          int
	iter, iters   int
	lastLine      time.Time
	lastTenth     int
	started       time.Time
}

// NewProgress returns a renderer writing to w in the given mode.
func NewProgress(w io.Writer, mode ProgressMode) *Progress {
	return &Progress{mode: mode, w: w, now: time.Now}
}

// Event renders one event; it is safe for concurrent use.
func (p *Progress) Event(e Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == ProgressJSON {
		b, err := json.Marshal(e)
		if err == nil {
			p.w.Write(append(b, '\n'))
		}
		return
	}
	switch e.Kind {
	case EventBatchStarted:
		p.total = e.Total
		if p.mode != ProgressQuiet {
			p.line(fmt.Sprintf("%d series to do (%d found, %d input files skipped)", e.Total, e.Found, e.SkippedInputs))
		}
	case EventSeriesStarted:
		b := &barState{series: e.Series, name: seriesName(e), index: e.Index, slices: e.Slices, started: p.now(), lastLine: p.now()}
		p.active = append(p.active, b)
		if p.mode == ProgressPlain {
			p.line(fmt.Sprintf("[%d/%d] %s: started, %d slices → %s", e.Index, p.total, b.name, e.Slices, e.Dir))
		}
	case EventProgress, EventSliceDone:
		b := p.find(e.Series)
		if b == nil {
			return
		}
		if e.Kind == EventSliceDone {
			b.done, b.iter, b.iters = e.Done, 0, 0
		} else {
			b.iter, b.iters = e.Iteration, e.Iterations
		}
		if p.mode == ProgressPlain && e.Kind == EventSliceDone {
			tenth := 10 * b.done / max(1, b.slices)
			if tenth > b.lastTenth && p.now().Sub(b.lastLine) >= 30*time.Second || b.done == b.slices {
				b.lastTenth, b.lastLine = tenth, p.now()
				p.line(fmt.Sprintf("[%d/%d] %s: %d/%d slices (%d%%)", b.index, p.total, b.name, b.done, b.slices, 100*b.done/max(1, b.slices)))
			}
		}
	case EventSeriesDone:
		r := e.Result
		p.remove(e.Series)
		p.finished++
		if r != nil && (r.Outcome == OutcomeFailed || r.Outcome == OutcomeCancelled) {
			p.failed++
		}
		if r == nil || (p.mode == ProgressQuiet && r.Outcome != OutcomeFailed) {
			break
		}
		name := r.Description
		if name == "" {
			name = r.Key
		}
		msg := fmt.Sprintf("[%d/%d] %s: %s", e.Index, p.total, short(name, 40), r.Outcome)
		switch r.Outcome {
		case OutcomeOK:
			msg += fmt.Sprintf(" in %s → %s", seconds(r.Timings.Total), r.Dir)
		case OutcomeSkipped:
			msg += " (complete from an earlier run)"
		default:
			msg += ": " + r.Error
		}
		p.line(msg)
	case EventBatchDone:
		if p.mode != ProgressQuiet {
			msg := fmt.Sprintf("done in %s: %d ok, %d failed, %d skipped", seconds(e.Seconds), e.OK, e.Failed, e.Skipped)
			if e.Cancelled {
				msg = "interrupted after " + seconds(e.Seconds) + fmt.Sprintf(": %d ok, %d failed, %d skipped", e.OK, e.Failed, e.Skipped)
			}
			p.line(msg)
		}
	}
	if p.mode == ProgressBars && (e.Kind != EventProgress || p.now().Sub(p.lastDraw) >= 100*time.Millisecond) {
		p.draw()
	}
}

// Close removes the bars from the screen.
func (p *Progress) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active = nil
	if p.mode == ProgressBars {
		p.draw()
	}
}

func (p *Progress) find(series string) *barState {
	for _, b := range p.active {
		if b.series == series {
			return b
		}
	}
	return nil
}

func (p *Progress) remove(series string) {
	for i, b := range p.active {
		if b.series == series {
			p.active = append(p.active[:i], p.active[i+1:]...)
			return
		}
	}
}

// line prints a permanent line (above the bars in bars mode).
func (p *Progress) line(s string) {
	if p.mode == ProgressBars {
		p.clear()
		fmt.Fprintf(p.w, "%s\n", s)
		return
	}
	fmt.Fprintf(p.w, "%s %s\n", p.now().Format("15:04:05"), s)
}

// clear erases the bars drawn last and leaves the cursor where they began.
func (p *Progress) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA\x1b[J", p.drawn)
		p.drawn = 0
	}
}

func (p *Progress) draw() {
	p.clear()
	p.lastDraw = p.now()
	width := p.Width
	if width <= 0 {
		width = 100
	}
	var lines []string
	for _, b := range p.active {
		frac := float64(b.done) / float64(max(1, b.slices))
		if b.iters > 0 {
			frac += float64(b.iter) / float64(b.iters) / float64(max(1, b.slices))
		}
		extra := fmt.Sprintf(" %d/%d slices", b.done, b.slices)
		if b.iters > 0 {
			extra += fmt.Sprintf(", step %d/%d", b.iter, b.iters)
		}
		extra += " " + seconds(p.now().Sub(b.started).Seconds())
		lines = append(lines, bar(fmt.Sprintf("[%d/%d] %s", b.index, p.total, b.name), frac, extra, width))
	}
	if p.total > 0 && (len(p.active) > 0 || p.finished < p.total) {
		extra := fmt.Sprintf(" %d/%d series", p.finished, p.total)
		if p.failed > 0 {
			extra += fmt.Sprintf(", %d failed", p.failed)
		}
		lines = append(lines, bar("overall", float64(p.finished)/float64(p.total), extra, width))
	}
	for _, l := range lines {
		fmt.Fprintf(p.w, "%s\n", l)
	}
	p.drawn = len(lines)
}

// bar formats "label [#####.....] extra" to fit width.
func bar(label string, frac float64, extra string, width int) string {
	frac = min(max(frac, 0), 1)
	label = short(label, 40)
	n := width - len([]rune(label)) - len([]rune(extra)) - 4
	if n < 10 {
		n = 10
	}
	full := int(frac * float64(n))
	return fmt.Sprintf("%-*s [%s%s]%s", len([]rune(label)), label, strings.Repeat("#", full), strings.Repeat(".", n-full), extra)
}

func seriesName(e Event) string {
	if e.Description != "" {
		return short(e.Description, 40)
	}
	return short(e.Series, 40)
}

// short cuts s to n runes, marking the cut.
func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// WriteSummary prints the batch as a table: series, slices, time, outcome
// and outputs (relative to outDir), then the errors of failed series.
func WriteSummary(w io.Writer, r *Report, outDir string) error {
	if abs, err := filepath.Abs(outDir); err == nil {
		outDir = abs
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSERIES\tSLICES\tTIME\tOUTCOME\tOUTPUTS")
	for i, s := range r.Series {
		name := s.Description
		if name == "" {
			name = s.Key
		}
		outputs := "-"
		if len(s.Outputs) > 0 {
			dir := s.Dir
			if rel, err := filepath.Rel(outDir, s.Dir); err == nil {
				dir = rel
			}
			var names []string
			for _, o := range s.Outputs {
				if o.Format != "labels" {
					names = append(names, o.Path)
				}
			}
			outputs = dir + "/{" + strings.Join(names, ",") + "}"
		}
		t := "-"
		if s.Timings.Total > 0 {
			t = seconds(s.Timings.Total)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", i+1, short(name, 40), s.Slices, t, s.Outcome, outputs)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, s := range r.Series {
		if s.Outcome == OutcomeFailed {
			fmt.Fprintf(w, "series %d (%s) failed: %s\n", i+1, s.Key, s.Error)
		}
	}
	fmt.Fprintf(w, "%d ok, %d failed, %d skipped (complete before), %d cancelled; %d input files were not part of any series\n",
		r.Count(OutcomeOK), r.Count(OutcomeFailed), r.Count(OutcomeSkipped), r.Count(OutcomeCancelled), len(r.Skipped))
	return nil
}
