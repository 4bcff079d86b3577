package host

import (
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strings"
)

// MaxComponent is the longest path component SeriesDir makes. Longer values
// are cut and end in a hash of the whole value, so distinct long values stay
// distinct.
const MaxComponent = 64

// SanitizeComponent turns an untrusted value (a UID, a patient ID, a file
// name) into one safe path component: characters outside [A-Za-z0-9._-]
// become '_' and a leading '.' becomes '_' (no hidden names, no "." or
// ".."), and then, so that distinct values never share a folder, the value
// gets "-" and 8 hex digits of its hash (a value with nothing left but '_'
// becomes "h-" and 16 hex digits); values longer than MaxComponent are cut
// and end in a hash of the whole value. An empty value becomes fallback
// (itself sanitised; a hash when fallback is empty too). Values that need
// none of this, such as UIDs, are kept as they are. The result never
// contains a path separator, is never "." or "..", and is never empty.
func SanitizeComponent(value, fallback string) string {
	if value == "" {
		if fallback == "" {
			return "h-" + hash16(value)
		}
		return SanitizeComponent(fallback, "")
	}
	b := []byte(value)
	changed := false
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			b[i] = '_'
			changed = true
		}
	}
	if b[0] == '.' {
		b[0] = '_'
		changed = true
	}
	s := string(b)
	switch {
	case changed && strings.Trim(s, "_") == "":
		// Nothing of the value survived (e.g. a run of NULs).
		return "h-" + hash16(value)
	case changed:
		// Distinct values stay distinct: "a/b" and "a_b" differ.
		s += "-" + hash16(value)[:8]
	}
	if len(s) > MaxComponent {
		s = s[:MaxComponent-17] + "-" + hash16(value)
	}
	return s
}

// hash16 is 16 hex digits of the FNV-1a 64 hash of s.
func hash16(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return fmt.Sprintf("%016x", h.Sum64())
}

// SeriesDir returns the output folder of a series: outDir/<patient>/<study>/
// <series>, each component made by SanitizeComponent (empty values get the
// fallbacks "unknown-patient", "unknown-study" and a hash). It is the one
// place that builds output paths from values found in input files, and the
// result is always inside outDir.
func SeriesDir(outDir, patient, study, series string) (string, error) {
	rel := filepath.Join(
		SanitizeComponent(patient, "unknown-patient"),
		SanitizeComponent(study, "unknown-study"),
		SanitizeComponent(series, ""),
	)
	// Belt and braces: sanitised components cannot climb out, but the
	// check costs nothing and documents the promise.
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("output path %q would leave %s", rel, outDir)
	}
	return filepath.Join(outDir, rel), nil
}
