// Package shareddata locates the project's read-only corpus of real test
// data (../shared/data beside the checkout) for tests and benchmarks.
//
// Tests read the corpus in place and never copy it into the project. When
// the corpus is missing, a test that needs it is skipped with a message
// saying where it looked — except in CI (environment CI=true), where a
// missing corpus fails the test, so that a green CI run always means the
// real-data tests ran.
package shareddata

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// EnvDir names an environment variable that, when set, overrides where the
// corpus is looked for.
const EnvDir = "MMCSEG_SHARED_DATA"

var (
	once  sync.Once
	found string
	tried []string
)

func locate() {
	if d := os.Getenv(EnvDir); d != "" {
		tried = append(tried, d)
		if isDir(d) {
			found = d
		}
		return
	}
	wd, err := os.Getwd()
	if err == nil {
		// Walk up from the package directory: the corpus sits at
		// ../shared/data relative to the checkout, i.e. beside some ancestor.
		for d := wd; ; d = filepath.Dir(d) {
			c := filepath.Join(d, "shared", "data")
			if d != wd {
				tried = append(tried, c)
				if isDir(c) && isFile(filepath.Join(c, "README.md")) {
					found = c
					return
				}
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	// A clone made elsewhere (e.g. /tmp/ci-check) still finds the workplace copy.
	const fallback = "/work/shared/data"
	tried = append(tried, fallback)
	if isDir(fallback) {
		found = fallback
	}
}

func isDir(p string) bool  { fi, err := os.Stat(p); return err == nil && fi.IsDir() }
func isFile(p string) bool { fi, err := os.Stat(p); return err == nil && fi.Mode().IsRegular() }

// InCI reports whether the tests run under CI (CI=true), where missing data
// is an error rather than a reason to skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// Dir returns the absolute path of the corpus, or "" if it was not found.
func Dir() string {
	once.Do(locate)
	return found
}

// Path returns the path of rel (slash-separated, relative to the corpus
// root) and checks that it exists. If it does not, tb is skipped outside CI
// and failed in CI.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	d := Dir()
	if d == "" {
		missing(tb, "the shared test corpus was not found (looked in %v; set %s)", tried, EnvDir)
		return ""
	}
	p := filepath.Join(d, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing(tb, "shared test data %s is missing: %v", rel, err)
		return ""
	}
	return p
}

func missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if InCI() {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format+" (skipping outside CI)", args...)
}
