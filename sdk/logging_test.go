package sdk

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// The plugin-side handler writes what go-plugin's host parses: @level,
// @message, @timestamp in hclog's layout, then the attributes.
func TestPluginLogHandlerSpeaksHCLogJSON(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(newPluginLogHandler(&buf, slog.LevelDebug))
	l.Warn("slice too dark", "slice", 3, slog.Group("g", "x", 1))
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	if rec["@level"] != "warn" || rec["@message"] != "slice too dark" || rec["slice"] != 3.0 {
		t.Errorf("record %v", rec)
	}
	ts, _ := rec["@timestamp"].(string)
	if _, err := time.Parse(hclogTimeFormat, ts); err != nil {
		t.Errorf("timestamp %q: %v", ts, err)
	}
	for l, want := range map[slog.Level]string{levelTrace: "trace", slog.LevelDebug: "debug", slog.LevelInfo: "info", slog.LevelError + 4: "error"} {
		if got := hclogLevelName(l); got != want {
			t.Errorf("level %v → %q, want %q", l, got, want)
		}
	}
}

// The host-side bridge maps hclog's levels, names and implied arguments
// onto slog and honours the handler's level.
func TestHCLogBridge(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	var h hclog.Logger = newHCLogBridge(base, "")
	h = h.Named("plugin").Named("kmeans").With("pid", 7)
	h.Debug("dropped")
	h.Trace("dropped too")
	h.Info("started", "version", "1.0")
	h.Error("plugin process exited", "error", "exit status 3")
	h.StandardLogger(nil).Print("from the log package")
	h.Log(hclog.Off, "never")
	got := buf.String()
	want := `level=INFO msg=started logger=plugin.kmeans pid=7 version=1.0
level=ERROR msg="plugin process exited" logger=plugin.kmeans pid=7 error="exit status 3"
level=INFO msg="from the log package" logger=plugin.kmeans pid=7
`
	if got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
	if h.GetLevel() != hclog.Info || h.IsDebug() || !h.IsWarn() || h.Name() != "plugin.kmeans" || h.ResetNamed("x").Name() != "x" {
		t.Errorf("level %v, name %q", h.GetLevel(), h.Name())
	}
}

func TestTailBufferReadable(t *testing.T) {
	tb := newTailBuffer(120)
	for i := 0; i < 10; i++ {
		tb.Write([]byte(`{"@level":"debug","@message":"noise"}` + "\n"))
	}
	tb.Write([]byte(`{"@level":"error","@message":"cannot load weights","path":"/w.bin"}` + "\n"))
	tb.Write([]byte("panic: boom\n"))
	got := tb.readable()
	if got != "error: cannot load weights path=/w.bin\npanic: boom" {
		t.Errorf("readable tail %q", got)
	}
	if len(tb.String()) > 120 || strings.HasPrefix(tb.String(), `"@level`) {
		t.Errorf("tail kept %d bytes, starting %q", len(tb.String()), tb.String()[:10])
	}
}
