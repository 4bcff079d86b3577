package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// ReportFormat is the "format" value of every report.json this version
// writes. A reader refuses other formats rather than guess.
const ReportFormat = "mmcseg-report/1"

// ReportName is the file name of a series' report, written last.
const ReportName = "report.json"

// Outcome is what happened to one series.
type Outcome string

// The outcomes of a series.
const (
	// OutcomeOK: segmented, every requested output that applies written.
	OutcomeOK Outcome = "ok"
	// OutcomeFailed: nothing new was written for the series (Error says why).
	OutcomeFailed Outcome = "failed"
	// OutcomeSkipped: a complete result from an earlier run with the same
	// plugin, version and parameters was found and kept.
	OutcomeSkipped Outcome = "skipped"
	// OutcomeCancelled: the batch was interrupted before the series was
	// done; whatever it had written was removed.
	OutcomeCancelled Outcome = "cancelled"
)

// PluginInfo identifies the plugin that made a result.
type PluginInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Path    string `json:"path"`
	// SHA256 is the hex checksum of the executable that ran.
	SHA256 string `json:"sha256"`
}

// SegmentReport is one segment's size in a series.
type SegmentReport struct {
	Number int    `json:"number"`
	Label  string `json:"label"`
	Voxels int64  `json:"voxels"`
	// VolumeML is voxels × the voxel volume in millilitres; absent for
	// inputs without physical geometry (2D images).
	VolumeML *float64 `json:"volume_ml,omitempty"`
}

// Output is one file written for a series.
type Output struct {
	// Format is the output format (FormatSEG, FormatNIfTI, FormatPNG), or
	// "labels" for a NIfTI label table.
	Format string `json:"format"`
	// Path is relative to the series folder.
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

// Timings are wall-clock seconds spent on a series.
type Timings struct {
	// Segment covers streaming the slices through the plugin, including
	// reading them.
	Segment float64 `json:"segment_s"`
	// Write covers writing the outputs.
	Write float64 `json:"write_s"`
	// Total is from the start of the series to its report.
	Total float64 `json:"total_s"`
}

// SeriesReport is what happened to one series. The report.json in a series
// folder is this struct as JSON.
type SeriesReport struct {
	Format string `json:"format"`
	// Tool and ToolVersion name the program that wrote the report.
	Tool        string `json:"tool"`
	ToolVersion string `json:"tool_version"`

	// Key identifies the series in the batch (and in --shard): the
	// SeriesInstanceUID, a synthetic key for a DICOM series without UIDs,
	// or "file-…" for NIfTI and image inputs.
	Key string `json:"key"`
	// Source is "dicom", "nifti" or "image".
	Source            string `json:"source"`
	SeriesInstanceUID string `json:"series_instance_uid,omitempty"`
	StudyInstanceUID  string `json:"study_instance_uid,omitempty"`
	PatientID         string `json:"patient_id,omitempty"`
	Modality          string `json:"modality"`
	Description       string `json:"description,omitempty"`
	// Dir is the series folder (absolute). It is left out of the
	// report.json inside that folder (whose place says it) and set when
	// one is read.
	Dir string `json:"dir,omitempty"`
	// Inputs are the files the series was read from.
	Inputs []string `json:"inputs"`

	Rows    int `json:"rows"`
	Columns int `json:"columns"`
	Slices  int `json:"slices"`

	Outcome Outcome `json:"outcome"`
	Error   string  `json:"error,omitempty"`

	Plugin PluginInfo `json:"plugin"`
	// Params are every parameter value the plugin ran with, defaults
	// included.
	Params map[string]string `json:"params"`
	// Formats are the output formats that were asked for.
	Formats []Format `json:"formats"`

	Started  time.Time       `json:"started"`
	Timings  Timings         `json:"timings"`
	Warnings []string        `json:"warnings"`
	Segments []SegmentReport `json:"segments"`
	Outputs  []Output        `json:"outputs"`
}

// Report is the result of a batch.
type Report struct {
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Plugin   PluginInfo    `json:"plugin"`
	// Params are the parameters as resolved against the plugin's
	// description (defaults included).
	Params map[string]string `json:"params"`
	// Found is how many series the inputs held; Series are those this run
	// handled (after --series and --shard), in input order.
	Found  int            `json:"found"`
	Series []SeriesReport `json:"series"`
	// Skipped lists input files that are in no series, with the reason.
	Skipped []SkippedInput `json:"skipped_inputs"`
	// Cancelled is set when the batch was interrupted.
	Cancelled bool `json:"cancelled"`
}

// SkippedInput is an input file that holds no series, and why.
type SkippedInput struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Count returns how many series had the outcome o.
func (r *Report) Count(o Outcome) int {
	n := 0
	for _, s := range r.Series {
		if s.Outcome == o {
			n++
		}
	}
	return n
}

// ErrReport reports a report.json that cannot be used to decide whether a
// series is complete.
var ErrReport = errors.New("unusable report")

// ReadSeriesReport reads a series' report.json.
func ReadSeriesReport(path string) (*SeriesReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseSeriesReport(path, b)
}

func parseSeriesReport(path string, b []byte) (*SeriesReport, error) {
	var r SeriesReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrReport, err)
	}
	if r.Format != ReportFormat {
		return nil, fmt.Errorf("%s: %w: format %q, want %q", path, ErrReport, r.Format, ReportFormat)
	}
	for _, o := range r.Outputs {
		if !filepath.IsLocal(o.Path) {
			return nil, fmt.Errorf("%s: %w: output path %q is not inside the series folder", path, ErrReport, o.Path)
		}
	}
	r.Dir = filepath.Dir(path)
	return &r, nil
}

// completeness says whether an earlier result in a series folder can stand
// for this run: "" when it can (same plugin, version and parameters, every
// requested format written, every listed output present), otherwise why not.
// conflict is true when the earlier result is complete but was made
// differently, which a run must not overwrite without --force.
func completeness(prev *SeriesReport, plugin PluginInfo, params map[string]string, formats []Format) (why string, conflict bool) {
	if prev.Outcome != OutcomeOK {
		return "the earlier run did not finish it", false
	}
	for _, o := range prev.Outputs {
		fi, err := os.Stat(filepath.Join(prev.Dir, o.Path))
		if err != nil || !fi.Mode().IsRegular() || fi.Size() != o.Bytes {
			return fmt.Sprintf("output %s is missing or changed", o.Path), false
		}
	}
	switch {
	case prev.Plugin.Name != plugin.Name || prev.Plugin.Version != plugin.Version:
		return fmt.Sprintf("it was made by plugin %s %s, not %s %s", prev.Plugin.Name, prev.Plugin.Version, plugin.Name, plugin.Version), true
	case !mapsEqual(prev.Params, params):
		return fmt.Sprintf("it was made with parameters %s, not %s", formatParams(prev.Params), formatParams(params)), true
	}
	for _, f := range formats {
		if !slices.Contains(prev.Formats, f) {
			return fmt.Sprintf("format %s was not asked for then", f), false
		}
	}
	return "", false
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func formatParams(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ","
		}
		s += k + "=" + p[k]
	}
	if s == "" {
		return "(none)"
	}
	return s
}
