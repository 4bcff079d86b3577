package host

import (
	"context"
	"errors"
	"sync"

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

	mu       sync.Mutex
	p        *sdk.Plugin
	restarts int
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
		s.restarts++
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
		s.restarts++
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
