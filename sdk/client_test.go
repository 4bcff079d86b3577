package sdk_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/geom"
	"github.com/mmcseg/mmcseg/sdk"
)

// The threshold example marks values above its threshold; check the masks
// pixel by pixel for a non-square multi-slice series.
func TestSegmentThroughSubprocess(t *testing.T) {
	p := open(t, "threshold", testOptions(t))
	if p.ProtocolVersion() != sdk.ProtocolVersion {
		t.Errorf("negotiated protocol %d, want %d", p.ProtocolVersion(), sdk.ProtocolVersion)
	}
	if !p.MTLS() {
		t.Error("a Go plugin should run with AutoMTLS under TLSAuto")
	}
	d := p.Description()
	if d.Name != "threshold" || d.ContractVersion != sdk.ContractVersion || d.InputMode != sdk.SliceMode || len(d.Segments) != 1 {
		t.Fatalf("description = %+v", d)
	}
	value := func(k, r, c int) float32 { return float32(10*k + r - c) }
	s := floatSeries("1.2.3", 5, 7, 3, value)
	s.info.Geometry = &geom.Grid{Rows: 5, Columns: 7, Slices: 3, RowDir: geom.Vec3{1, 0, 0}, ColDir: geom.Vec3{0, 1, 0}, SliceDir: geom.Vec3{0, 0, 1}, RowSpacing: 1, ColSpacing: 1, SliceSpacing: 2}
	masks, res, err := collect(context.Background(), p, s, map[string]string{"threshold": "9.5"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Masks != 3 || len(res.SliceErrors) != 0 {
		t.Fatalf("result %+v", res)
	}
	for k := 0; k < 3; k++ {
		m := masks[k]
		if m.Rows != 5 || m.Columns != 7 || len(m.Labels) != 35 {
			t.Fatalf("mask %d is %d×%d (%d labels)", k, m.Columns, m.Rows, len(m.Labels))
		}
		for r := 0; r < 5; r++ {
			for c := 0; c < 7; c++ {
				want := uint8(0)
				if value(k, r, c) > 9.5 {
					want = 1
				}
				if got := m.Labels[r*7+c]; got != want {
					t.Fatalf("slice %d pixel (%d,%d) = %d, want %d", k, c, r, got, want)
				}
			}
		}
	}
}

// A 4096×4096 float32 slice is 64 MiB, sixteen times gRPC's default limit.
func TestSegment64MiBSlice(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 64 MiB through a subprocess")
	}
	p := open(t, "threshold", testOptions(t))
	const n = 4096
	s := floatSeries("big", n, n, 1, func(_, r, c int) float32 { return float32((r + c) % 256) })
	masks, _, err := collect(context.Background(), p, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := masks[0]
	for _, rc := range [][2]int{{0, 0}, {0, 101}, {4095, 4095}, {2000, 1000}, {17, 90}} {
		r, c := rc[0], rc[1]
		want := uint8(0)
		if (r+c)%256 > 100 {
			want = 1
		}
		if got := m.Labels[r*n+c]; got != want {
			t.Errorf("pixel (%d,%d) = %d, want %d", c, r, got, want)
		}
	}
}

func TestPluginLogsReachHostSlog(t *testing.T) {
	rec := &logRecorder{}
	opts := testOptions(t)
	opts.Logger = slog.New(rec)
	p := open(t, "probe", opts)
	if _, _, err := collect(context.Background(), p, floatSeries("log.series", 2, 2, 1, func(_, _, _ int) float32 { return 1 }), nil); err != nil {
		t.Fatal(err)
	}
	// The plugin's Info record comes back at INFO, with its attributes.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if r, ok := rec.find("INFO probe opened a series", "series=log.series", "slices=1"); ok {
			t.Logf("host log: %s", r)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin's log record did not reach the host logger; got %q", rec.records)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestChecksumPinning(t *testing.T) {
	bin := pluginBin(t, "threshold")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	opts := testOptions(t)
	opts.SHA256 = sum[:]
	p, err := sdk.Open(context.Background(), bin, opts)
	if err != nil {
		t.Fatalf("right checksum refused: %v", err)
	}
	p.Close()
	sum[0] ^= 1
	opts.SHA256 = sum[:]
	_, err = sdk.Open(context.Background(), bin, opts)
	if !errors.Is(err, sdk.ErrStart) || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("wrong checksum: err = %v", err)
	}
}

// Broken plugins fail to open with ErrStart and a message that says why.
func TestOpenFailures(t *testing.T) {
	dir := t.TempDir()
	silent := filepath.Join(dir, "mmcseg-plugin-silent")
	if err := os.WriteFile(silent, []byte("#!/bin/sh\necho \"about to sleep $MMCSEG_TEST_X $1\" >&2\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExec := filepath.Join(dir, "mmcseg-plugin-data")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MMCSEG_TEST_X", "from-host")
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"garbage on stdout", pluginBin(t, "garbage"), []string{"handshake", "Unrecognized remote plugin message: starting up, loading model weights..."}},
		{"wrong protocol version", pluginBin(t, "badversion"), []string{"handshake", "Plugin version: 2", "Client versions: [1]"}},
		{"invalid description", pluginBin(t, "baddescribe"), []string{"described itself invalidly", "no segments"}},
		// ClientOptions.Env overrides the host's environment; Args reach the plugin.
		{"no handshake within the start timeout", silent, []string{"timeout while waiting for plugin to start", "about to sleep from-options arg1"}},
		{"not executable", notExec, []string{"not an executable file"}},
		{"missing", filepath.Join(dir, "nothing"), []string{"no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions(t)
			if tc.path == silent {
				// Only the silent plugin runs into the timeout; the others
				// must fail for their own reason even on a loaded machine.
				opts.StartTimeout = 1500 * time.Millisecond
			}
			opts.Env = []string{"MMCSEG_TEST_X=from-options"}
			opts.Args = []string{"arg1"}
			begin := time.Now()
			p, err := sdk.Open(context.Background(), tc.path, opts)
			if err == nil {
				p.Close()
				t.Fatal("opened")
			}
			if el := time.Since(begin); el > 15*time.Second {
				t.Errorf("took %v", el)
			}
			if !errors.Is(err, sdk.ErrStart) {
				t.Errorf("not ErrStart: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// A plugin that exits mid-series is a typed error naming the slice.
func TestCrashMidSeries(t *testing.T) {
	p := open(t, "crash", testOptions(t))
	begin := time.Now()
	_, _, err := collect(context.Background(), p, floatSeries("1.9", 3, 3, 4, func(_, _, _ int) float32 { return 0 }), nil)
	var pe *sdk.Error
	if !errors.As(err, &pe) || !errors.Is(err, sdk.ErrExited) {
		t.Fatalf("err = %v", err)
	}
	want := "plugin crash exited with status 3 while segmenting slice 1 of series 1.9"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if el := time.Since(begin); el > 10*time.Second {
		t.Errorf("took %v", el)
	}
	if !p.Exited() {
		t.Error("Exited() = false")
	}
	_, _, err = collect(context.Background(), p, floatSeries("2.0", 1, 1, 1, func(_, _, _ int) float32 { return 0 }), nil)
	if !errors.Is(err, sdk.ErrExited) {
		t.Errorf("a call after the crash: %v", err)
	}
}

// A plugin that stops answering is stopped after the inactivity timeout,
// whether its Go runtime still answers go-plugin's shutdown (hang) or the
// whole process is frozen (freeze).
func TestHangIsBounded(t *testing.T) {
	for _, name := range []string{"hang", "freeze"} {
		t.Run(name, func(t *testing.T) {
			if name == "freeze" && testing.Short() {
				t.Skip("waits for the forced kill")
			}
			opts := testOptions(t)
			opts.InactivityTimeout = time.Second
			p := open(t, name, opts)
			begin := time.Now()
			_, _, err := collect(context.Background(), p, floatSeries("1.7", 2, 2, 3, func(_, _, _ int) float32 { return 0 }), nil)
			el := time.Since(begin)
			if !errors.Is(err, sdk.ErrHung) {
				t.Fatalf("err = %v", err)
			}
			if want := "plugin " + name + " stopped responding (no message for 1s) while segmenting slice 1 of series 1.7"; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			if el > 15*time.Second {
				t.Errorf("took %v", el)
			}
			if !p.Exited() {
				t.Error("the hung plugin is still running")
			}
			_, _, err = collect(context.Background(), p, floatSeries("1.8", 1, 1, 1, func(_, _, _ int) float32 { return 0 }), nil)
			if !errors.Is(err, sdk.ErrHung) {
				t.Errorf("a call after the hang: %v", err)
			}
		})
	}
}

func TestContractViolations(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string
	}{
		{"wrongsize", "plugin wrongsize broke the contract while segmenting slice 0 of series s: the mask of slice 0 is 4×3 with 12 labels, the slice is 3×3"},
		{"badlabel", "plugin badlabel broke the contract while segmenting slice 0 of series s: the mask of slice 0 has label 7, which is not a segment for CT FLOAT32 input"},
		{"outoforder", "plugin outoforder broke the contract while segmenting slice 0 of series s: it sent the mask for slice 1 when slice 0 was due"},
		{"nodone", "plugin nodone broke the contract while segmenting slice 2 of series s: the response stream ended without Done, after 2 of 2 slices"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := open(t, tc.name, testOptions(t))
			_, _, err := collect(context.Background(), p, floatSeries("s", 3, 3, 2, func(_, _, _ int) float32 { return 0 }), nil)
			if !errors.Is(err, sdk.ErrProtocol) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant   %s", err, tc.want)
			}
		})
	}
}

// Cancelling the host's context cancels the plugin's, promptly.
func TestCancellationReachesPlugin(t *testing.T) {
	p := open(t, "probe", testOptions(t))
	marker := filepath.Join(t.TempDir(), "cancelled")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	began := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		s := floatSeries("c.1", 8, 8, 50, func(_, _, _ int) float32 { return 1 })
		_, err := p.Segment(ctx, sdk.SegmentRequest{
			Series:     s.info,
			Params:     map[string]string{"delay_ms": "60000", "marker": marker},
			Slice:      s.slice,
			OnMask:     func(sdk.Mask) error { return nil },
			OnProgress: func(sdk.Progress) { once.Do(func() { close(began) }) },
		})
		errc <- err
	}()
	select {
	case <-began:
	case <-time.After(20 * time.Second):
		t.Fatal("no progress from the plugin")
	}
	cancel()
	var err error
	select {
	case err = <-errc:
	case <-time.After(5 * time.Second):
		t.Fatal("Segment did not return after cancellation")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var got []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, err = os.ReadFile(marker); err == nil && len(got) > 0 {
			break
		}
	}
	if !strings.HasPrefix(string(got), "cancelled at slice 0: context canceled") {
		t.Fatalf("the plugin did not see the cancellation: marker %q", got)
	}
	// The plugin survives and serves the next series.
	if _, _, err := collect(context.Background(), p, floatSeries("c.2", 2, 2, 2, func(_, _, _ int) float32 { return 1 }), nil); err != nil {
		t.Fatalf("after cancellation: %v", err)
	}
}

// Errors inside a session stay per slice; rejections fail the series with
// the input's error kinds; the plugin survives all of it.
func TestSliceErrorsAndRejections(t *testing.T) {
	p := open(t, "probe", testOptions(t))
	s := floatSeries("e.1", 2, 3, 4, func(_, _, _ int) float32 { return 1 })
	masks, res, err := collect(context.Background(), p, s, map[string]string{"fail_at": "1", "panic_at": "2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(masks) != 2 || masks[0].Labels == nil || masks[3].Labels == nil {
		t.Errorf("masks for %d slices", len(masks))
	}
	if len(res.SliceErrors) != 2 ||
		res.SliceErrors[0] != (sdk.SliceError{Index: 1, Code: sdk.SliceFailed, Message: "probe was told to fail"}) ||
		res.SliceErrors[1].Index != 2 || res.SliceErrors[1].Code != sdk.SliceInternal || !strings.Contains(res.SliceErrors[1].Message, "panic: probe was told to panic") {
		t.Errorf("slice errors = %+v", res.SliceErrors)
	}
	if len(res.Warnings) != 1 || res.Warnings[0] != "probe ran" {
		t.Errorf("warnings = %q", res.Warnings)
	}

	for _, tc := range []struct {
		params    map[string]string
		unchecked bool
		kind      error
		want      string
	}{
		{map[string]string{"reject": "invalid"}, false, sdk.ErrInvalidInput, "plugin probe rejected the input for series e.1: invalid input: probe was told to reject series e.1"},
		{map[string]string{"reject": "unsupported"}, false, sdk.ErrUnsupported, "plugin probe does not support the input"},
		{map[string]string{"reject": "internal"}, false, sdk.ErrPluginFailed, "plugin probe failed for series e.1: probe was told to fail"},
		{map[string]string{"nonsense": "1"}, false, sdk.ErrBadParam, "series e.1: bad parameter: plugin probe has no parameter nonsense"},
		{map[string]string{"nonsense": "1"}, true, sdk.ErrInvalidInput, "plugin probe rejected the input for series e.1: bad parameter: plugin probe has no parameter nonsense"},
		{map[string]string{"delay_ms": "-5"}, true, sdk.ErrInvalidInput, `bad parameter delay_ms="-5": below the minimum 0`},
	} {
		_, err := p.Segment(context.Background(), sdk.SegmentRequest{
			Series: s.info, Params: tc.params, Slice: s.slice, Unchecked: tc.unchecked,
			OnMask: func(sdk.Mask) error { return nil },
		})
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("params %v: err = %v\nwant %v containing %q", tc.params, err, tc.kind, tc.want)
		}
	}

	// Bad slices: checked by the host, or (unchecked) by the plugin's SDK,
	// which answers a per-slice error and goes on.
	short := func(_ context.Context, k int) (sdk.Slice, error) {
		sl, _ := s.slice(context.Background(), k)
		if k == 1 {
			sl.Data = sl.Data[:5]
		}
		return sl, nil
	}
	_, err = p.Segment(context.Background(), sdk.SegmentRequest{Series: s.info, Slice: short, OnMask: func(sdk.Mask) error { return nil }})
	if !errors.Is(err, sdk.ErrInvalidInput) || !strings.Contains(err.Error(), "slice 1: 5 bytes of pixel data, want 24") {
		t.Errorf("host check of a short slice: %v", err)
	}
	res, err = p.Segment(context.Background(), sdk.SegmentRequest{Series: s.info, Slice: short, Unchecked: true, OnMask: func(sdk.Mask) error { return nil }})
	if err != nil || res.Masks != 3 || len(res.SliceErrors) != 1 || res.SliceErrors[0].Code != sdk.SliceInvalidInput {
		t.Errorf("plugin check of a short slice: %+v, %v", res, err)
	}
}

func TestConcurrentSeries(t *testing.T) {
	p := open(t, "threshold", testOptions(t))
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			value := func(k, r, c int) float32 { return float32((g*7 + k*3 + r*5 + c) % 11) }
			s := floatSeries("conc."+string(rune('a'+g)), 9, 4+g, 5, value)
			masks, _, err := collect(context.Background(), p, s, map[string]string{"threshold": "5"})
			if err != nil {
				errs <- err
				return
			}
			for k := 0; k < 5; k++ {
				for r := 0; r < 9; r++ {
					for c := 0; c < 4+g; c++ {
						want := uint8(0)
						if value(k, r, c) > 5 {
							want = 1
						}
						if masks[k].Labels[r*(4+g)+c] != want {
							errs <- errors.New("series " + s.info.UID + ": wrong mask")
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// An error from OnMask stops the series and comes back unchanged.
func TestOnMaskErrorStopsSeries(t *testing.T) {
	p := open(t, "threshold", testOptions(t))
	s := floatSeries("m.1", 2, 2, 5, func(_, _, _ int) float32 { return 1 })
	boom := errors.New("disk full")
	n := 0
	_, err := p.Segment(context.Background(), sdk.SegmentRequest{Series: s.info, Slice: s.slice, OnMask: func(sdk.Mask) error {
		n++
		if n == 2 {
			return boom
		}
		return nil
	}})
	if !errors.Is(err, boom) || n != 2 {
		t.Fatalf("err = %v after %d masks", err, n)
	}
	if _, _, err := collect(context.Background(), p, s, nil); err != nil {
		t.Fatalf("next series: %v", err)
	}
}

func TestCloseAll(t *testing.T) {
	a := open(t, "threshold", testOptions(t))
	b := open(t, "probe", testOptions(t))
	sdk.CloseAll()
	if !a.Exited() || !b.Exited() {
		t.Fatalf("after CloseAll: exited %v, %v", a.Exited(), b.Exited())
	}
}

// A plugin that dies without shutting down leaves its Unix socket behind
// wherever go-plugin's server made it; Open gives each plugin a private
// socket directory and removes it when the plugin ends, by Close or by
// CloseAll, so nothing is left in the temporary directory.
func TestPluginsLeaveNoSockets(t *testing.T) {
	crash, threshold := pluginBin(t, "crash"), pluginBin(t, "threshold")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	left := func(when string) {
		t.Helper()
		entries, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Errorf("%s: %s left in the temporary directory", when, e.Name())
		}
	}

	p, err := sdk.Open(context.Background(), crash, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Errorf("while the plugin runs: %d entries in the temporary directory, want its socket directory", len(entries))
	}
	_, _, err = collect(context.Background(), p, floatSeries("1.9", 3, 3, 4, func(_, _, _ int) float32 { return 0 }), nil)
	if !errors.Is(err, sdk.ErrExited) {
		t.Fatalf("err = %v", err)
	}
	p.Close()
	left("after a crash and Close")

	if _, err := sdk.Open(context.Background(), threshold, testOptions(t)); err != nil {
		t.Fatal(err)
	}
	sdk.CloseAll()
	left("after CloseAll")
}
