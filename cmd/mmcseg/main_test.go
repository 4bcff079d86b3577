package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestParseFlagsInterleaved(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "", "")
	n := fs.Int("jobs", 1, "")
	pos, _, ok := parseFlags(fs, []string{"a", "--out", "o", "b", "--jobs=3", "c", "--", "-d"})
	if !ok {
		t.Fatal("parse failed")
	}
	if *out != "o" || *n != 3 {
		t.Fatalf("flags: out=%q jobs=%d", *out, *n)
	}
	if want := []string{"a", "b", "c", "-d"}; !slices.Equal(pos, want) {
		t.Fatalf("positional = %q, want %q", pos, want)
	}
}

func TestDispatchUnknownAndVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"frobnicate"}, &out, &errb); code != exitUsage {
		t.Fatalf("unknown command exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errb.String(), "frobnicate") {
		t.Fatalf("error does not name the command: %q", errb.String())
	}
	out.Reset()
	if code := dispatch(context.Background(), []string{"version"}, &out, &errb); code != exitOK || !strings.HasPrefix(out.String(), "mmcseg ") {
		t.Fatalf("version: exit %d, output %q", code, out.String())
	}
}
