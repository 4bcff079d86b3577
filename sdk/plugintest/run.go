package plugintest

import (
	"context"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/sdk"
)

// Run checks the plugin executable at path from a go test, logging the
// report and failing t for every failed check. Options are optional.
func Run(t testing.TB, path string, opts ...Options) {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	r, err := Check(context.Background(), path, o)
	report(t, r, err)
}

// RunInProcess is Run for a Go implementation served in process.
func RunInProcess(t testing.TB, impl sdk.Segmenter, opts ...Options) {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	r, err := CheckInProcess(context.Background(), impl, o)
	report(t, r, err)
}

func report(t testing.TB, r *Report, err error) {
	t.Helper()
	var b strings.Builder
	_ = r.Write(&b)
	t.Log("\n" + b.String())
	if err != nil {
		t.Errorf("conformance run interrupted: %v", err)
	}
	for _, res := range r.Failed() {
		t.Errorf("%s: %s", res.Name, res.Message)
	}
}
