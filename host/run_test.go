package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
)

// slowLung is an in-process segmenter for the tests: lung-density voxels
// are label 1, after an optional delay per slice; it records the threads
// it was offered.
type slowLung struct {
	delay time.Duration
	mu    sync.Mutex
	// threads the host offered, per series.
	threads []int
	// open and mostOpen count the sessions open at once.
	open, mostOpen int
}

func (*slowLung) Describe() sdk.Description {
	return sdk.Description{
		Name: "slowlung", Version: "0.1.0",
		PixelFormats: []sdk.PixelFormat{sdk.Float32, sdk.Uint8, sdk.RGB8},
		Segments: []sdk.SegmentInfo{{
			Number: 1, Label: "Lung", Color: [3]uint8{128, 174, 128},
			Category: sdk.SCT("123037004", "Anatomical Structure"), Type: sdk.SCT("39607008", "Lung"),
		}},
		Parameters:       []sdk.Parameter{{Name: "level", Type: sdk.ParamFloat, Default: "-700"}},
		ConcurrentSeries: true,
	}
}

func (s *slowLung) Open(_ context.Context, info sdk.SeriesInfo, p sdk.Params) (sdk.Session, error) {
	s.mu.Lock()
	s.threads = append(s.threads, info.Threads)
	s.open++
	s.mostOpen = max(s.mostOpen, s.open)
	s.mu.Unlock()
	return &slowSession{delay: s.delay, level: float32(p.Float("level")), close: func() {
		s.mu.Lock()
		s.open--
		s.mu.Unlock()
	}}, nil
}

type slowSession struct {
	delay time.Duration
	level float32
	close func()
}

func (s *slowSession) Segment(ctx context.Context, sl sdk.Slice) (sdk.Mask, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return sdk.Mask{}, ctx.Err()
	}
	m := sdk.NewMask(sl)
	if sl.Format != sdk.Float32 {
		return m, nil
	}
	px, err := sl.Float32s()
	if err != nil {
		return m, err
	}
	for i, v := range px {
		if v < s.level && v > -990 {
			m.Labels[i] = 1
		}
	}
	return m, nil
}

func (s *slowSession) Close() error {
	s.close()
	return nil
}

// phantoms writes n small phantom series under one folder.
func phantoms(t *testing.T, n int) (string, []*Phantom) {
	t.Helper()
	dir := t.TempDir()
	var out []*Phantom
	for i := range n {
		ph, err := WritePhantom(context.Background(), filepath.Join(dir, fmt.Sprint(i)), PhantomOptions{
			Columns: 32, Rows: 32, Slices: 3, PixelSpacing: 10, PatientID: fmt.Sprint("P", i)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ph)
	}
	return dir, out
}

// recorder keeps the events of a run.
type recorder struct {
	mu sync.Mutex
	ev []Event
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ev = append(r.ev, e)
}

// maxConcurrent is the most series that were between their start and
// done events at once.
func (r *recorder) maxConcurrent() int {
	n, most := 0, 0
	for _, e := range r.ev {
		switch e.Kind {
		case EventSeriesStarted:
			n++
			most = max(most, n)
		case EventSeriesDone:
			n--
		}
	}
	return most
}

// TestRunJobsAndMemory: --jobs runs series at once, and the memory budget
// holds them back again when two series do not fit in it together.
func TestRunJobsAndMemory(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs two CPUs for two jobs")
	}
	in, _ := phantoms(t, 4)
	for _, tc := range []struct {
		name   string
		budget int64
		want   int
	}{
		{"budget for all", 1 << 30, 2},
		{"budget for one", 10_000, 1}, // a 32×32×3 series needs about 36 kB
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			seg := &slowLung{delay: 50 * time.Millisecond}
			rep, err := Run(context.Background(), Options{
				Inputs: []string{in}, OutDir: t.TempDir(), Segmenter: seg, Formats: []Format{FormatNIfTI},
				Jobs: 2, MemoryBudget: tc.budget, Events: rec.add,
			})
			if err != nil || rep.Count(OutcomeOK) != 4 {
				t.Fatalf("%v, %+v", err, rep)
			}
			if got := rec.maxConcurrent(); got != tc.want || seg.mostOpen != tc.want {
				t.Errorf("%d series at once (%d plugin sessions), want %d", got, seg.mostOpen, tc.want)
			}
			for _, th := range seg.threads {
				if th != runtime.GOMAXPROCS(0)/2 {
					t.Errorf("plugin offered %d threads with 2 jobs on %d CPUs", th, runtime.GOMAXPROCS(0))
				}
			}
		})
	}
}

// TestRunThreads: jobs × threads never exceeds the CPUs.
func TestRunThreads(t *testing.T) {
	in, _ := phantoms(t, 1)
	cpus := runtime.GOMAXPROCS(0)
	seg := &slowLung{}
	rep, err := Run(context.Background(), Options{Inputs: []string{in}, OutDir: t.TempDir(), Segmenter: seg, Formats: []Format{FormatNIfTI}, Threads: 4 * cpus})
	if err != nil {
		t.Fatal(err)
	}
	if len(seg.threads) != 1 || seg.threads[0] != cpus {
		t.Errorf("offered %v threads on %d CPUs", seg.threads, cpus)
	}
	if w := rep.Series[0].Warnings; !slices.ContainsFunc(w, func(s string) bool { return strings.Contains(s, "--threads") }) {
		t.Errorf("no warning about the lowered thread count: %v", w)
	}
}

// TestRunSeriesFilter: Options.Series picks series by UID; an unknown UID
// is an error before anything runs.
func TestRunSeriesFilter(t *testing.T) {
	in, phs := phantoms(t, 3)
	out := t.TempDir()
	rep, err := Run(context.Background(), Options{Inputs: []string{in}, OutDir: out, Segmenter: &slowLung{}, Formats: []Format{FormatNIfTI},
		Series: []string{phs[2].SeriesInstanceUID, phs[0].SeriesInstanceUID}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range rep.Series {
		got = append(got, s.Key)
	}
	if rep.Found != 3 || !slices.Equal(got, []string{phs[0].SeriesInstanceUID, phs[2].SeriesInstanceUID}) {
		t.Errorf("found %d, ran %v", rep.Found, got)
	}
	_, err = Run(context.Background(), Options{Inputs: []string{in}, OutDir: out, Segmenter: &slowLung{}, Series: []string{"9.9.9"}})
	if !errors.Is(err, ErrSeriesNotFound) {
		t.Errorf("unknown series: %v", err)
	}
}

// TestRunCancel: cancelling the context stops the batch, reports the
// series as cancelled and leaves no file behind.
func TestRunCancel(t *testing.T) {
	in, _ := phantoms(t, 2)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rep, err := Run(ctx, Options{Inputs: []string{in}, OutDir: out, Segmenter: &slowLung{delay: 200 * time.Millisecond},
		Formats: []Format{FormatNIfTI, FormatPNG},
		Events: func(e Event) {
			if e.Kind == EventSliceDone {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) || !rep.Cancelled {
		t.Fatalf("err %v, cancelled %v", err, rep.Cancelled)
	}
	for _, s := range rep.Series {
		if s.Outcome != OutcomeCancelled {
			t.Errorf("series %s: %s", s.Key, s.Outcome)
		}
	}
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}

// TestRunBadParams: parameters are checked against the description before
// any series runs.
func TestRunBadParams(t *testing.T) {
	in, _ := phantoms(t, 1)
	_, err := Run(context.Background(), Options{Inputs: []string{in}, OutDir: t.TempDir(), Segmenter: &slowLung{}, Params: map[string]string{"level": "lots"}})
	if !errors.Is(err, sdk.ErrBadParam) || !strings.Contains(err.Error(), "level") {
		t.Errorf("bad parameter: %v", err)
	}
	for _, o := range []Options{
		{OutDir: "x", Segmenter: &slowLung{}},
		{Inputs: []string{in}, Segmenter: &slowLung{}},
		{Inputs: []string{in}, OutDir: "x", Segmenter: &slowLung{}, Formats: []Format{"dicom"}},
		{Inputs: []string{in}, OutDir: "x", Segmenter: &slowLung{}, Shard: Shard{3, 2}},
		{Inputs: []string{in}, OutDir: "x", Plugin: "kmeans", PluginSHA256: "abc"},
	} {
		if _, err := Run(context.Background(), o); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: %v, want ErrOptions", o, err)
		}
	}
}

// TestRunOutputInsideInput: an output folder inside the input folder is not
// read as input, so a second run does not segment the first run's masks
// and previews.
func TestRunOutputInsideInput(t *testing.T) {
	in, _ := phantoms(t, 1)
	out := filepath.Join(in, "results")
	for run := range 2 {
		rep, err := Run(context.Background(), Options{Inputs: []string{in}, OutDir: out, Segmenter: &slowLung{},
			Formats: []Format{FormatSEG, FormatNIfTI, FormatPNG}})
		if err != nil {
			t.Fatal(err)
		}
		want := []Outcome{OutcomeOK, OutcomeSkipped}[run]
		if rep.Found != 1 || len(rep.Skipped) != 0 || rep.Series[0].Outcome != want {
			t.Fatalf("run %d: found %d, skipped %+v, outcome %s", run, rep.Found, rep.Skipped, rep.Series[0].Outcome)
		}
	}
}
