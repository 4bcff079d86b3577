package sdk_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/sdk"
)

func TestMain(m *testing.M) {
	code := m.Run()
	buildtest.Cleanup()
	os.Exit(code)
}

// pluginBin builds one of the test plugins: "threshold" (the Go example),
// the test plugins under plugintest/testdata, or a name served by the raw
// family (wrongsize, badlabel, outoforder, nodone, badversion, baddescribe,
// badaux, unaskedaux).
func pluginBin(tb testing.TB, name string) string {
	tb.Helper()
	switch name {
	case "threshold":
		return buildtest.Binary(tb, "./sdk/examples/threshold", "mmcseg-plugin-threshold")
	case "wrongsize", "badlabel", "outoforder", "nodone", "badversion", "baddescribe", "badaux", "unaskedaux":
		// One build, linked under each name: the name selects the fault.
		raw := buildtest.Binary(tb, "./sdk/plugintest/testdata/raw", "mmcseg-plugin-raw")
		link := filepath.Join(tb.TempDir(), "mmcseg-plugin-"+name)
		if err := os.Symlink(raw, link); err != nil {
			tb.Fatal(err)
		}
		return link
	}
	return buildtest.Binary(tb, "./sdk/plugintest/testdata/"+name, "mmcseg-plugin-"+name)
}

// logRecorder is a slog handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []string
	attrs   []slog.Attr
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	for _, a := range l.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.records = append(l.records, b.String())
	l.mu.Unlock()
	return nil
}

func (l *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &logView{root: l, attrs: as}
}

func (l *logRecorder) WithGroup(string) slog.Handler { return l }

func (l *logRecorder) find(substrs ...string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
next:
	for _, r := range l.records {
		for _, s := range substrs {
			if !strings.Contains(r, s) {
				continue next
			}
		}
		return r, true
	}
	return "", false
}

type logView struct {
	root  *logRecorder
	attrs []slog.Attr
}

func (v *logView) Enabled(context.Context, slog.Level) bool { return true }
func (v *logView) Handle(ctx context.Context, r slog.Record) error {
	r2 := r.Clone()
	r2.AddAttrs(v.attrs...)
	return v.root.Handle(ctx, r2)
}
func (v *logView) WithAttrs(as []slog.Attr) slog.Handler {
	return &logView{root: v.root, attrs: append(append([]slog.Attr(nil), v.attrs...), as...)}
}
func (v *logView) WithGroup(string) slog.Handler { return v }

// testOptions are client options with a quiet logger and short timeouts.
func testOptions(tb testing.TB) sdk.ClientOptions {
	return sdk.ClientOptions{
		Logger:            slog.New(&logRecorder{}),
		StartTimeout:      20 * time.Second,
		InactivityTimeout: 20 * time.Second,
	}
}

func open(tb testing.TB, name string, opts sdk.ClientOptions) *sdk.Plugin {
	tb.Helper()
	p, err := sdk.Open(context.Background(), pluginBin(tb, name), opts)
	if err != nil {
		tb.Fatalf("opening %s: %v", name, err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// series returns a float32 series whose pixel (c, r) of slice k is
// value(k, r, c), and a request that streams it.
type series struct {
	info  sdk.SeriesInfo
	value func(k, r, c int) float32
}

func floatSeries(uid string, rows, cols, slices int, value func(k, r, c int) float32) series {
	return series{
		info:  sdk.SeriesInfo{UID: uid, Modality: "CT", Format: sdk.Float32, Rows: rows, Columns: cols, Slices: slices},
		value: value,
	}
}

func (s series) slice(_ context.Context, k int) (sdk.Slice, error) {
	px := make([]float32, s.info.Rows*s.info.Columns)
	for r := 0; r < s.info.Rows; r++ {
		for c := 0; c < s.info.Columns; c++ {
			px[r*s.info.Columns+c] = s.value(k, r, c)
		}
	}
	return sdk.NewFloat32Slice(k, s.info.Rows, s.info.Columns, px), nil
}

// collect runs a series and returns the masks by slice index.
func collect(ctx context.Context, p *sdk.Plugin, s series, params map[string]string) (map[int]sdk.Mask, *sdk.SegmentResult, error) {
	masks := map[int]sdk.Mask{}
	res, err := p.Segment(ctx, sdk.SegmentRequest{
		Series: s.info,
		Params: params,
		Slice:  s.slice,
		OnMask: func(m sdk.Mask) error { masks[m.Index] = m; return nil },
	})
	return masks, res, err
}
