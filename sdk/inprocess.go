package sdk

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
)

// ServeInProcess serves impl inside the calling process, over the same
// go-plugin gRPC machinery as a plugin executable (a Unix socket, the
// contract's message limits, the same Serve-side checks), and returns a
// client for it. It is for tests of Go plugins that want no subprocess:
// sdk/plugintest.CheckInProcess uses it. There is no handshake, AutoMTLS or
// checksum, and a crash of impl is a crash of the caller. Close stops the
// server.
func ServeInProcess(ctx context.Context, impl Segmenter, opts ClientOptions) (*Plugin, error) {
	opts = opts.withDefaults()
	srv, err := newServer(impl, opts.Logger)
	if err != nil {
		return nil, &Error{Plugin: "in-process", Slice: -1, Kind: ErrStart, What: "did not start", Err: err}
	}
	serveCtx, stopServe := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	// closed is the end of the server and of the series it was running:
	// go-plugin's Shutdown stops gRPC without waiting for its handlers.
	served, closed := make(chan struct{}), make(chan struct{})
	go func() {
		<-served
		srv.drain(drainGrace)
		close(closed)
	}()
	go plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  handshake,
		VersionedPlugins: pluginSets(srv),
		GRPCServer:       newGRPCServer,
		Logger:           newHCLogBridge(opts.Logger, "in-process"),
		Test: &plugin.ServeTestConfig{
			Context:          serveCtx,
			ReattachConfigCh: reattach,
			CloseCh:          served,
		},
	})
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-closed:
		stopServe()
		return nil, &Error{Plugin: srv.desc.Name, Slice: -1, Kind: ErrStart, What: "did not start", Err: fmt.Errorf("in-process server ended at once")}
	case <-ctx.Done():
		stopServe()
		<-closed
		return nil, ctx.Err()
	}
	// Reattach through a runner that stands for this process, so that
	// Kill asks the server to shut down and waits for it, as for a
	// subprocess.
	rc.Test = false
	rc.Pid = 0
	rc.ReattachFunc = func() (runner.AttachedRunner, error) {
		return &inProcessRunner{closed: closed, stop: stopServe}, nil
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: handshake,
		// A reattached client negotiates nothing: it dispenses from Plugins.
		Plugins:          pluginSets(nil)[ProtocolVersion],
		Reattach:         rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           newHCLogBridge(opts.Logger, ""),
		GRPCDialOptions:  dialOptions(),
	})
	p := &Plugin{label: srv.desc.Name, opts: opts, client: client, stderr: newTailBuffer(1), exitWait: exitWait}
	if err := p.connect(ctx); err != nil {
		stopServe()
		return nil, err
	}
	return p, nil
}

// inProcessRunner is go-plugin's view of a server running in this process.
type inProcessRunner struct {
	closed <-chan struct{}
	stop   context.CancelFunc
}

func (r *inProcessRunner) Wait(ctx context.Context) error {
	select {
	case <-r.closed:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func (r *inProcessRunner) Kill(context.Context) error {
	r.stop()
	<-r.closed
	return nil
}

func (r *inProcessRunner) ID() string { return "in-process" }

func (r *inProcessRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *inProcessRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}
