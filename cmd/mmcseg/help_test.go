package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/host"
)

// TestSegmentHelpEvents checks that the JSON fields `mmcseg segment -h`
// lists for each event are the fields the events really carry.
func TestSegmentHelpEvents(t *testing.T) {
	res := &host.SeriesReport{Outcome: host.OutcomeFailed, Error: "e", Warnings: []string{"w"}}
	full := host.Event{Series: "s", Index: 1, Slices: 2, Dir: "d", Description: "x", Modality: "CT", Slice: 1, Done: 1,
		Iteration: 1, Iterations: 2, Fraction: 0.5, Message: "m", Result: res, Found: 1, Total: 1, OK: 1, SkippedInputs: 1, Seconds: 1}
	// The help's event table: a kind, then its fields, possibly continued
	// on an indented line; parenthesised notes are not fields.
	text := regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(segmentHelp, "")
	text = regexp.MustCompile(`,\s*\n\s+`).ReplaceAllString(text, ", ")
	documented := map[string][]string{}
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z_]+)\s{2,}(.+)$`).FindAllStringSubmatch(text, -1) {
		var f []string
		for _, x := range strings.Split(m[2], ",") {
			f = append(f, strings.TrimSpace(x))
		}
		documented[m[1]] = f
	}
	for _, k := range []host.EventKind{host.EventBatchStarted, host.EventSeriesStarted, host.EventProgress, host.EventSliceDone, host.EventSeriesDone, host.EventBatchDone} {
		e := full
		e.Kind = k
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		var got []string
		for f := range m {
			if f != "event" && f != "time" {
				got = append(got, f)
			}
		}
		want := slices.Clone(documented[string(k)])
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the events carry %v, the help lists %v", k, got, want)
		}
	}
}
