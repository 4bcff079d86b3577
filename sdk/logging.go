package sdk

import (
	"context"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// Logging crosses the process boundary as go-plugin expects: the plugin
// writes one JSON object per line to stderr with hclog's keys (@level,
// @message, @timestamp, then the attributes), and the host's go-plugin
// client parses each line and re-logs it through an hclog.Logger, which
// hclogBridge forwards into the host's *slog.Logger.

// lockedWriter serialises whole log lines from several loggers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// hclogTimeFormat is the timestamp layout go-plugin's host parses.
const hclogTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// newPluginLogHandler returns a slog handler writing hclog-style JSON.
func newPluginLogHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format(hclogTimeFormat))
			case slog.LevelKey:
				return slog.String("@level", hclogLevelName(a.Value.Any().(slog.Level)))
			case slog.MessageKey:
				return slog.String("@message", a.Value.String())
			}
			return a
		},
	})
}

func hclogLevelName(l slog.Level) string {
	switch {
	case l < slog.LevelDebug:
		return "trace"
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	}
	return "error"
}

// levelTrace is hclog's Trace in slog terms.
const levelTrace = slog.LevelDebug - 4

func slogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return levelTrace
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

// hclogBridge is an hclog.Logger that logs through a *slog.Logger, so that
// go-plugin's own messages and the plugin's forwarded log lines end up in
// the host's log.
type hclogBridge struct {
	l       *slog.Logger
	name    string
	implied []any
}

var _ hclog.Logger = (*hclogBridge)(nil)

func newHCLogBridge(l *slog.Logger, name string) *hclogBridge {
	return &hclogBridge{l: l, name: name}
}

func (b *hclogBridge) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off {
		return
	}
	lv := slogLevel(level)
	ctx := context.Background()
	if !b.l.Enabled(ctx, lv) {
		return
	}
	attrs := make([]any, 0, len(b.implied)+len(args)+2)
	if b.name != "" {
		attrs = append(attrs, "logger", b.name)
	}
	attrs = append(attrs, b.implied...)
	attrs = append(attrs, args...)
	b.l.Log(ctx, lv, msg, attrs...)
}

func (b *hclogBridge) Trace(msg string, args ...any) { b.Log(hclog.Trace, msg, args...) }
func (b *hclogBridge) Debug(msg string, args ...any) { b.Log(hclog.Debug, msg, args...) }
func (b *hclogBridge) Info(msg string, args ...any)  { b.Log(hclog.Info, msg, args...) }
func (b *hclogBridge) Warn(msg string, args ...any)  { b.Log(hclog.Warn, msg, args...) }
func (b *hclogBridge) Error(msg string, args ...any) { b.Log(hclog.Error, msg, args...) }

func (b *hclogBridge) IsTrace() bool { return b.l.Enabled(context.Background(), levelTrace) }
func (b *hclogBridge) IsDebug() bool { return b.l.Enabled(context.Background(), slog.LevelDebug) }
func (b *hclogBridge) IsInfo() bool  { return b.l.Enabled(context.Background(), slog.LevelInfo) }
func (b *hclogBridge) IsWarn() bool  { return b.l.Enabled(context.Background(), slog.LevelWarn) }
func (b *hclogBridge) IsError() bool { return b.l.Enabled(context.Background(), slog.LevelError) }

func (b *hclogBridge) ImpliedArgs() []any { return b.implied }

func (b *hclogBridge) With(args ...any) hclog.Logger {
	c := *b
	c.implied = append(append([]any(nil), b.implied...), args...)
	return &c
}

func (b *hclogBridge) Name() string { return b.name }

func (b *hclogBridge) Named(name string) hclog.Logger {
	c := *b
	if c.name != "" {
		c.name += "." + name
	} else {
		c.name = name
	}
	return &c
}

func (b *hclogBridge) ResetNamed(name string) hclog.Logger {
	c := *b
	c.name = name
	return &c
}

// SetLevel is ignored: the slog handler decides what is logged.
func (b *hclogBridge) SetLevel(hclog.Level) {}

// GetLevel reports the most verbose level the slog handler accepts.
// go-plugin uses it to skip parsing plugin lines that would be dropped.
func (b *hclogBridge) GetLevel() hclog.Level {
	switch {
	case b.IsTrace():
		return hclog.Trace
	case b.IsDebug():
		return hclog.Debug
	case b.IsInfo():
		return hclog.Info
	case b.IsWarn():
		return hclog.Warn
	case b.IsError():
		return hclog.Error
	}
	return hclog.Off
}

func (b *hclogBridge) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(b.StandardWriter(opts), "", 0)
}

func (b *hclogBridge) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	level := hclog.Info
	if opts != nil && opts.ForceLevel != hclog.NoLevel {
		level = opts.ForceLevel
	}
	return &bridgeWriter{b: b, level: level}
}

// bridgeWriter logs each line written to it.
type bridgeWriter struct {
	b     *hclogBridge
	level hclog.Level
}

func (w *bridgeWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			w.b.Log(w.level, line)
		}
	}
	return len(p), nil
}
