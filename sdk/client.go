package sdk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/mmcseg/mmcseg/sdk/segmenterv1"
)

// Defaults of ClientOptions.
const (
	// DefaultStartTimeout bounds the handshake and the first Describe.
	DefaultStartTimeout = 30 * time.Second
	// DefaultInactivityTimeout is how long a series may go without any
	// message from the plugin. It is long because one MMCFormer slice
	// takes about a minute on two cores; plugins that work longer on one
	// slice send progress, which resets the timer.
	DefaultInactivityTimeout = 10 * time.Minute
)

// killGrace is how long Close and the hang handling wait for go-plugin's
// graceful shutdown before killing the process outright.
const killGrace = 5 * time.Second

// exitWait is how long a broken stream waits for the process to be seen
// exiting, to tell a crash from other failures.
const exitWait = 3 * time.Second

// TLSMode chooses whether the host and plugin authenticate each other
// with go-plugin's AutoMTLS.
type TLSMode int

const (
	// TLSAuto uses AutoMTLS for Go executables (which always implement it
	// through go-plugin) and plain connections for anything else (scripts,
	// Python), which cannot take part in the certificate exchange.
	TLSAuto TLSMode = iota
	// TLSOn always uses AutoMTLS; a plugin without it fails to start.
	TLSOn
	// TLSOff never uses it. The connection is a Unix socket in a private
	// temporary directory either way.
	TLSOff
)

// ClientOptions configure Open. The zero value is usable.
type ClientOptions struct {
	// Logger receives go-plugin's messages and the plugin's own log, at
	// the plugin's levels. Nil means slog.Default().
	Logger *slog.Logger
	// StartTimeout bounds starting the process, the handshake and the
	// first Describe; 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// InactivityTimeout is the longest a series may go without a message
	// from the plugin before the plugin is declared hung and stopped;
	// 0 means DefaultInactivityTimeout.
	InactivityTimeout time.Duration
	// SHA256, if set, is the required checksum of the plugin executable,
	// checked before it is started (go-plugin's SecureConfig). For a
	// script it covers the script only, not what the script runs.
	SHA256 []byte
	// TLS chooses AutoMTLS; see TLSMode.
	TLS TLSMode
	// Args are extra command-line arguments; Env extra environment
	// variables ("KEY=value") on top of the host's.
	Args []string
	Env  []string
}

func (o ClientOptions) withDefaults() ClientOptions {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.InactivityTimeout <= 0 {
		o.InactivityTimeout = DefaultInactivityTimeout
	}
	return o
}

// Plugin is a running plugin process. Its methods are safe for concurrent
// use; series run concurrently when the plugin declares ConcurrentSeries,
// one at a time otherwise.
type Plugin struct {
	path  string
	label string
	opts  ClientOptions

	client  *plugin.Client
	cmd     *exec.Cmd // nil in process
	sockDir string    // the plugin's private socket directory ("" in process)
	rpc     pb.SegmenterClient
	desc    Description
	tls     bool
	version int
	stderr  *tailBuffer
	sem     chan struct{}
	// exitWait is the const exitWait, shorter in fuzz tests.
	exitWait time.Duration

	mu      sync.Mutex
	stopped error // why the plugin was stopped, nil while usable
	kills   sync.Once
}

// Open starts the plugin executable at path, completes the go-plugin
// handshake (magic cookie, application protocol version 1, AutoMTLS
// where possible, the checksum if given) and reads its description. A
// plugin that does not answer within the start timeout, prints something
// other than the handshake line, speaks another protocol version or
// describes itself invalidly is stopped and reported as an *Error of kind
// ErrStart.
func Open(ctx context.Context, path string, opts ClientOptions) (*Plugin, error) {
	opts = opts.withDefaults()
	name := filepath.Base(path)
	startErr := func(what string, err error) error {
		return &Error{Plugin: name, Slice: -1, Kind: ErrStart, What: what, Err: err}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, startErr("did not start", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, startErr("did not start", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return nil, startErr("did not start", fmt.Errorf("%s is not an executable file", abs))
	}
	useTLS := opts.TLS == TLSOn || opts.TLS == TLSAuto && isGoExecutable(abs)

	// go-plugin's server makes its Unix socket in PLUGIN_UNIX_SOCKET_DIR,
	// else in the temporary directory, and removes it only when it shuts
	// down cleanly: a plugin that crashes or is killed would leave its
	// socket behind. A private directory, removed when the plugin ends,
	// leaves nothing.
	sockDir, err := os.MkdirTemp("", "mmcseg-plugin-")
	if err != nil {
		return nil, startErr("did not start", err)
	}
	socketDirs.Store(sockDir, struct{}{})
	cmd := exec.Command(abs, opts.Args...)
	// The host's environment, then Env (later entries win), then the
	// socket directory, then go-plugin's own variables, which it appends.
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.Env = append(cmd.Env, "PLUGIN_UNIX_SOCKET_DIR="+sockDir)
	tail := newTailBuffer(4 << 10)
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  handshake,
		VersionedPlugins: pluginSets(nil),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         useTLS,
		Logger:           newHCLogBridge(opts.Logger, ""),
		StartTimeout:     opts.StartTimeout,
		SkipHostEnv:      true, // cmd.Env has it already
		Managed:          true, // stopped by CloseAll
		Stderr:           tail,
		GRPCDialOptions:  dialOptions(),
	}
	if opts.SHA256 != nil {
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: opts.SHA256, Hash: sha256.New()}
	}
	p := &Plugin{path: abs, label: name, opts: opts, client: plugin.NewClient(cfg), cmd: cmd, sockDir: sockDir, tls: useTLS, stderr: tail, exitWait: exitWait}
	if err := p.connect(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

func dialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(MaxMessageSize),
		grpc.MaxCallSendMsgSize(MaxMessageSize),
	)}
}

// isGoExecutable reports whether path is a Go binary (it carries Go build
// information), hence one whose go-plugin server implements AutoMTLS.
func isGoExecutable(path string) bool {
	_, err := buildinfo.ReadFile(path)
	return err == nil
}

// connect completes the handshake, dispenses the segmenter and reads the
// description, stopping the process on any failure.
func (p *Plugin) connect(ctx context.Context) error {
	type result struct {
		rpc pb.SegmenterClient
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// go-plugin's handshake takes no context; StartTimeout bounds it.
		cp, err := p.client.Client()
		if err != nil {
			ch <- result{err: err}
			return
		}
		raw, err := cp.Dispense(PluginName)
		if err != nil {
			ch <- result{err: err}
			return
		}
		rpc, ok := raw.(pb.SegmenterClient)
		if !ok {
			ch <- result{err: fmt.Errorf("dispensed %T, not a segmenter client", raw)}
			return
		}
		ch <- result{rpc: rpc}
	}()
	fail := func(what string, err error) error {
		p.terminate()
		if t := p.stderr.readable(); t != "" {
			err = fmt.Errorf("%w\nthe plugin's last output on stderr:\n%s", err, t)
		}
		return &Error{Plugin: p.label, Slice: -1, Kind: ErrStart, What: what, Err: err}
	}
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		go func() { <-ch; p.terminate() }()
		return &Error{Plugin: p.label, Slice: -1, Kind: ctx.Err(), What: "was not started", Err: ctx.Err()}
	}
	if r.err != nil {
		what := "did not complete the go-plugin handshake"
		if errors.Is(r.err, plugin.ErrChecksumsDoNotMatch) {
			what = "does not have the expected SHA-256 checksum"
		}
		return fail(what, r.err)
	}
	p.rpc = r.rpc
	p.version = p.client.NegotiatedVersion()
	if p.cmd != nil && p.version != ProtocolVersion {
		return fail("did not start", fmt.Errorf("negotiated protocol version %d, want %d", p.version, ProtocolVersion))
	}
	dctx, cancel := context.WithTimeout(ctx, p.opts.StartTimeout)
	defer cancel()
	d, err := p.rpc.Describe(dctx, &pb.DescribeRequest{})
	if err != nil {
		if ctx.Err() != nil {
			p.terminate()
			return &Error{Plugin: p.label, Slice: -1, Kind: ctx.Err(), What: "was not started", Err: ctx.Err()}
		}
		return fail("did not answer Describe", err)
	}
	p.desc = descriptionFromPB(d)
	if p.desc.InputMode == 0 {
		p.desc.InputMode = SliceMode
	}
	if p.desc.ContractVersion != ContractVersion {
		return fail("did not start", fmt.Errorf("%w: it implements contract version %d, this host version %d", ErrBadDescription, p.desc.ContractVersion, ContractVersion))
	}
	if err := p.desc.Validate(); err != nil {
		return fail("described itself invalidly", err)
	}
	p.label = p.desc.Name
	if !p.desc.ConcurrentSeries {
		p.sem = make(chan struct{}, 1)
	}
	p.opts.Logger.Debug("plugin started", "plugin", p.label, "version", p.desc.Version, "path", p.path, "protocol", p.version, "mtls", p.tls)
	return nil
}

// Description returns what the plugin said about itself when it started.
func (p *Plugin) Description() Description { return p.desc }

// Describe asks the running plugin for its description again.
func (p *Plugin) Describe(ctx context.Context) (Description, error) {
	d, err := p.rpc.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return Description{}, p.callError(ctx, err, "", -1)
	}
	return descriptionFromPB(d), nil
}

// Path returns the plugin executable's absolute path ("" in process).
func (p *Plugin) Path() string { return p.path }

// ProtocolVersion returns the negotiated go-plugin application protocol
// version (0 for a plugin served in process).
func (p *Plugin) ProtocolVersion() int { return p.version }

// MTLS reports whether the connection uses go-plugin's AutoMTLS.
func (p *Plugin) MTLS() bool { return p.tls }

// Exited reports whether the plugin process has ended.
func (p *Plugin) Exited() bool { return p.client.Exited() }

// Close stops the plugin process: gracefully if it answers, killed
// otherwise. Calls in flight fail with ErrClosed. Close is idempotent.
func (p *Plugin) Close() error {
	p.stop(ErrClosed)
	return nil
}

// CloseAll stops every plugin process started by Open that is still
// running. A host calls it on its way out (including after a signal), so
// that no plugin outlives it.
func CloseAll() {
	plugin.CleanupClients()
	socketDirs.Range(func(dir, _ any) bool {
		removeSocketDir(dir.(string))
		return true
	})
}

// socketDirs holds the socket directories of the plugins Open started
// that have not been terminated yet.
var socketDirs sync.Map

func removeSocketDir(dir string) {
	if dir != "" {
		_ = os.RemoveAll(dir)
		socketDirs.Delete(dir)
	}
}

// stop records why the plugin is being stopped (the first reason wins)
// and stops it.
func (p *Plugin) stop(reason error) {
	p.mu.Lock()
	if p.stopped == nil {
		p.stopped = reason
	}
	p.mu.Unlock()
	p.terminate()
}

func (p *Plugin) stopReason() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

// terminate ends the process, at most killGrace after asking nicely. A
// process too stuck to answer go-plugin's Shutdown call is killed.
func (p *Plugin) terminate() {
	p.kills.Do(func() {
		defer removeSocketDir(p.sockDir)
		done := make(chan struct{})
		go func() {
			p.client.Kill()
			close(done)
		}()
		select {
		case <-done:
			return
		case <-time.After(killGrace):
		}
		if p.cmd != nil && p.cmd.Process != nil {
			_ = p.cmd.Process.Kill()
		}
		select {
		case <-done:
		case <-time.After(killGrace):
			p.opts.Logger.Error("plugin process did not end after being killed", "plugin", p.label, "path", p.path)
		}
	})
}

// exitStatus waits up to d for the process to be seen exiting and says
// how it ended ("with status 3", "after signal: killed").
func (p *Plugin) exitStatus(d time.Duration) (string, bool) {
	deadline := time.Now().Add(d)
	for !p.client.Exited() {
		if time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Exited is set after the process was waited for, under go-plugin's
	// lock, so ProcessState is safe to read now.
	if p.cmd == nil || p.cmd.ProcessState == nil {
		return "exited", true
	}
	if c := p.cmd.ProcessState.ExitCode(); c >= 0 {
		return fmt.Sprintf("exited with status %d", c), true
	}
	return "exited after " + p.cmd.ProcessState.String(), true
}

// callError classifies a failed gRPC call on this plugin.
func (p *Plugin) callError(ctx context.Context, err error, series string, slice int) error {
	mk := func(kind error, what string, cause error) *Error {
		return &Error{Plugin: p.label, Series: series, Slice: slice, Kind: kind, What: what, Err: cause}
	}
	if ctx.Err() != nil {
		return mk(ctx.Err(), "was interrupted", ctx.Err())
	}
	st := status.Convert(err)
	msg := errors.New(st.Message())
	if slice == 0 && st.Code() != codes.Unavailable && st.Code() != codes.Canceled && st.Code() != codes.Unknown {
		// A series-level answer before any slice was answered is about
		// the series, not its first slice.
		slice = -1
	}
	switch st.Code() {
	case codes.InvalidArgument:
		return mk(ErrInvalidInput, "rejected the input", msg)
	case codes.Unimplemented:
		return mk(ErrUnsupported, "does not support the input", msg)
	case codes.ResourceExhausted:
		return mk(ErrPluginFailed, "exceeded a message size limit", msg)
	}
	if reason := p.stopReason(); reason != nil {
		if errors.Is(reason, ErrClosed) {
			return mk(ErrClosed, "was closed", nil)
		}
		return mk(reason, "was stopped", reason)
	}
	wait := time.Duration(0)
	if c := st.Code(); c == codes.Unavailable || c == codes.Canceled || c == codes.Unknown {
		wait = p.exitWait
	}
	if what, ok := p.exitStatus(wait); ok {
		return mk(ErrExited, what, nil)
	}
	if c := st.Code(); c != codes.Internal && c != codes.Unknown {
		msg = fmt.Errorf("%v: %s", c, st.Message())
	}
	return mk(ErrPluginFailed, "failed", msg)
}

// tailBuffer keeps the last bytes written to it: the end of the plugin's
// stderr, quoted in start errors.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
		if i := bytes.IndexByte(t.buf, '\n'); i >= 0 {
			t.buf = t.buf[i+1:]
		}
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimRight(string(t.buf), "\n")
}

// readable returns the tail for an error message: JSON log lines (the
// SDK's and go-plugin's) as "level: message key=value", debug and trace
// lines left out, other lines as they are.
func (t *tailBuffer) readable() string {
	var out []string
	for _, line := range strings.Split(t.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			if strings.TrimSpace(line) != "" {
				out = append(out, line)
			}
			continue
		}
		level, _ := rec["@level"].(string)
		if level == "debug" || level == "trace" {
			continue
		}
		msg, _ := rec["@message"].(string)
		var kv []string
		for k, v := range rec {
			if !strings.HasPrefix(k, "@") {
				kv = append(kv, fmt.Sprintf("%s=%v", k, v))
			}
		}
		sort.Strings(kv)
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s: %s %s", level, msg, strings.Join(kv, " "))))
	}
	return strings.Join(out, "\n")
}
