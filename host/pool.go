package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mmcseg/mmcseg/sdk"
)

// slot is one job slot's plugin process: started when first needed, reused
// for every series of the slot, and started afresh after it crashed, hung
// or broke the contract.
type slot struct {
	path string
	opts sdk.ClientOptions
	// impl, if set, is served in process instead of starting path.
	impl sdk.Segmenter

	mu sync.Mutex
	p  *sdk.Plugin
}

// plugin returns the slot's running plugin, starting one if needed.
func (s *slot) plugin(ctx context.Context) (*sdk.Plugin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil && !s.p.Exited() {
		return s.p, nil
	}
	if s.p != nil {
		s.p.Close()
		s.p = nil
	}
	var p *sdk.Plugin
	var err error
	if s.impl != nil {
		p, err = sdk.ServeInProcess(ctx, s.impl, s.opts)
	} else {
		p, err = sdk.Open(ctx, s.path, s.opts)
	}
	if err != nil {
		return nil, err
	}
	s.p = p
	return p, nil
}

// failed drops the plugin after an error that leaves its process unusable
// or suspect, so that the next series starts a new one.
func (s *slot) failed(err error) {
	if !errors.Is(err, sdk.ErrExited) && !errors.Is(err, sdk.ErrHung) && !errors.Is(err, sdk.ErrClosed) &&
		!errors.Is(err, sdk.ErrProtocol) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		s.p.Close()
		s.p = nil
	}
}

// close stops the slot's plugin process.
func (s *slot) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		s.p.Close()
		s.p = nil
	}
}

// pluginSpec says which plugin a pool starts and how.
type pluginSpec struct {
	name   string      // a name or path, as for FindPlugin
	dirs   []SearchDir // where names are looked up; nil: SearchPath
	sha256 string      // hex pin of the executable, already checked by parseSHA256; "" for none
	impl   sdk.Segmenter
	jobs   int // job slots, one plugin process each
	// threads is the thread count each process is told through its
	// environment.
	threads                         int
	logger                          *slog.Logger
	startTimeout, inactivityTimeout time.Duration
	params                          map[string]string
}

// pool is a plugin's job slots, with the description and the parameters
// resolved against it, shared by Run and Evaluate.
type pool struct {
	plugin PluginInfo
	desc   sdk.Description
	params map[string]string
	slots  []*slot
}

// startPlugins finds the plugin, makes the job slots, starts the first
// slot's process and resolves the parameters against its description.
func (pl *pool) startPlugins(ctx context.Context, spec pluginSpec) error {
	t := strconv.Itoa(spec.threads)
	copts := sdk.ClientOptions{
		Logger:            spec.logger,
		StartTimeout:      spec.startTimeout,
		InactivityTimeout: spec.inactivityTimeout,
		Env:               []string{"GOMAXPROCS=" + t, "OMP_NUM_THREADS=" + t, "OPENBLAS_NUM_THREADS=" + t},
	}
	path, sum := "in-process", ""
	if spec.impl == nil {
		dirs := spec.dirs
		if dirs == nil {
			dirs = SearchPath()
		}
		var err error
		if path, err = FindPlugin(spec.name, dirs); err != nil {
			return fmt.Errorf("%w: %w", ErrPluginStart, err)
		}
		if sum, err = FileSHA256(path); err != nil {
			return fmt.Errorf("%w: %w", ErrPluginStart, err)
		}
		if spec.sha256 != "" {
			want, _ := parseSHA256(spec.sha256)
			if !strings.EqualFold(sum, strings.TrimSpace(spec.sha256)) {
				return fmt.Errorf("%w: %s has SHA-256 %s, not the pinned %s", ErrPluginStart, path, sum, strings.TrimSpace(spec.sha256))
			}
			copts.SHA256 = want
		}
	}
	for range spec.jobs {
		pl.slots = append(pl.slots, &slot{path: path, opts: copts, impl: spec.impl})
	}
	p, err := pl.slots[0].plugin(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPluginStart, err)
	}
	pl.desc = p.Description()
	pl.plugin = PluginInfo{Name: pl.desc.Name, Version: pl.desc.Version, Path: path, SHA256: sum}
	params, err := pl.desc.ResolveParams(spec.params)
	if err != nil {
		return fmt.Errorf("plugin %s: %w", pl.desc.Name, err)
	}
	pl.params = params.Map()
	return nil
}

// closePlugins stops every slot's process.
func (pl *pool) closePlugins() {
	var wg sync.WaitGroup
	for _, s := range pl.slots {
		wg.Go(s.close)
	}
	wg.Wait()
}
