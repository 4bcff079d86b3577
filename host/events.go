package host

import (
	"encoding/json"
	"time"
)

// EventKind names a progress event. The names are part of the JSON lines
// contract of `mmcseg segment --progress=json`.
type EventKind string

// The kinds of Event, in the order a batch emits them.
const (
	// EventBatchStarted: the inputs are scanned; Total series will be
	// handled (after --series and --shard) of Found.
	EventBatchStarted EventKind = "batch_started"
	// EventSeriesStarted: a series is being worked on.
	EventSeriesStarted EventKind = "series_started"
	// EventProgress: the plugin reported progress within a slice
	// (Iteration of Iterations).
	EventProgress EventKind = "progress"
	// EventSliceDone: a slice's mask arrived (Done of Slices).
	EventSliceDone EventKind = "slice_done"
	// EventSeriesDone: a series ended (Result.Outcome says how: ok,
	// failed, skipped or cancelled).
	EventSeriesDone EventKind = "series_done"
	// EventBatchDone: every series has ended, or the batch was cancelled.
	EventBatchDone EventKind = "batch_done"
)

// Event is one step of a batch, delivered to Options.Events. Run calls the
// handler from one goroutine at a time, in order, so a handler needs no
// locking of its own; it should return quickly.
type Event struct {
	Kind EventKind
	Time time.Time

	// Series fields (every kind but the batch ones).
	Series string // the series key
	Index  int    // 1-based position of the series in the batch
	Slices int    // slices in the series

	// EventSeriesStarted.
	Dir         string // the series' output folder
	Description string // series description, or the input file name
	Modality    string

	// EventProgress and EventSliceDone.
	Slice      int     // slice index (0-based)
	Done       int     // slices finished so far (EventSliceDone)
	Iteration  int     // plugin progress within the slice (EventProgress)
	Iterations int     // 0 when the plugin does not count
	Fraction   float64 // of the series, 0..1
	Message    string  // the plugin's progress message

	// EventSeriesDone.
	Result *SeriesReport

	// EventBatchStarted and EventBatchDone.
	Found, Total        int // series found in the inputs, and selected
	OK, Failed, Skipped int // outcomes so far (EventBatchDone)
	Cancelled           bool
	SkippedInputs       int     // input files in no series
	Seconds             float64 // since the batch started (EventBatchDone)
}

// jsonEvent is the JSON form of an Event: only the fields of its kind.
type jsonEvent struct {
	Event string `json:"event"`
	Time  string `json:"time"`

	Series *string `json:"series,omitempty"`
	Index  *int    `json:"index,omitempty"`
	Slices *int    `json:"slices,omitempty"`

	Dir         *string `json:"dir,omitempty"`
	Description *string `json:"description,omitempty"`
	Modality    *string `json:"modality,omitempty"`

	Slice      *int     `json:"slice,omitempty"`
	Done       *int     `json:"done,omitempty"`
	Iteration  *int     `json:"iteration,omitempty"`
	Iterations *int     `json:"iterations,omitempty"`
	Fraction   *float64 `json:"fraction,omitempty"`
	Message    *string  `json:"message,omitempty"`

	Outcome  *Outcome  `json:"outcome,omitempty"`
	Error    *string   `json:"error,omitempty"`
	Outputs  *[]string `json:"outputs,omitempty"`
	Warnings []string  `json:"warnings,omitempty"`
	Elapsed  *float64  `json:"seconds,omitempty"`

	Found         *int  `json:"found,omitempty"`
	Total         *int  `json:"total,omitempty"`
	OK            *int  `json:"ok,omitempty"`
	Failed        *int  `json:"failed,omitempty"`
	Skipped       *int  `json:"skipped,omitempty"`
	Cancelled     *bool `json:"cancelled,omitempty"`
	SkippedInputs *int  `json:"skipped_inputs,omitempty"`
}

// MarshalJSON writes the event as one JSON object holding "event", "time"
// (RFC 3339, UTC, nanoseconds) and the fields of its kind; see
// docs/progress-json in the package documentation for the list.
func (e Event) MarshalJSON() ([]byte, error) {
	j := jsonEvent{Event: string(e.Kind), Time: e.Time.UTC().Format(time.RFC3339Nano)}
	series := func() {
		j.Series, j.Index, j.Slices = &e.Series, &e.Index, &e.Slices
	}
	switch e.Kind {
	case EventBatchStarted:
		j.Found, j.Total, j.SkippedInputs = &e.Found, &e.Total, &e.SkippedInputs
	case EventSeriesStarted:
		series()
		j.Dir, j.Description, j.Modality = &e.Dir, &e.Description, &e.Modality
	case EventProgress:
		series()
		j.Slice, j.Iteration, j.Iterations, j.Fraction, j.Message = &e.Slice, &e.Iteration, &e.Iterations, &e.Fraction, &e.Message
	case EventSliceDone:
		series()
		j.Slice, j.Done, j.Fraction = &e.Slice, &e.Done, &e.Fraction
	case EventSeriesDone:
		series()
		if r := e.Result; r != nil {
			j.Dir, j.Outcome = &r.Dir, &r.Outcome
			if r.Error != "" {
				j.Error = &r.Error
			}
			outs := []string{}
			for _, o := range r.Outputs {
				outs = append(outs, o.Path)
			}
			j.Outputs = &outs
			j.Warnings = r.Warnings
			j.Elapsed = &r.Timings.Total
		}
	case EventBatchDone:
		j.Found, j.Total, j.OK, j.Failed, j.Skipped, j.Cancelled, j.Elapsed =
			&e.Found, &e.Total, &e.OK, &e.Failed, &e.Skipped, &e.Cancelled, &e.Seconds
	}
	return json.Marshal(j)
}
