package sdk

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/mmcseg/mmcseg/sdk/segmenterv1"
)

// The go-plugin handshake. A plugin in any language checks that the
// environment variable MagicCookieKey holds MagicCookieValue (otherwise it
// was not started by mmcseg) and answers on stdout with the line
// "1|ProtocolVersion|unix|/path/to.sock|grpc".
const (
	MagicCookieKey   = "MMCSEG_PLUGIN"
	MagicCookieValue = "segmenter-5f2a9c31-b7d4-4e8a-9c06-1d3e8f7a2b40"
	// ProtocolVersion is go-plugin's application protocol version: the
	// major version of the contract (mmcseg.segmenter.v1).
	ProtocolVersion = 1
	// PluginName is the key of the segmenter in go-plugin's plugin set.
	PluginName = "segmenter"
)

var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// grpcPlugin adapts the contract to go-plugin's GRPCPlugin on both sides:
// the plugin registers server, the host gets a SegmenterClient.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	server pb.SegmenterServer
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterSegmenterServer(s, p.server)
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pb.NewSegmenterClient(c), nil
}

func pluginSets(server pb.SegmenterServer) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {PluginName: &grpcPlugin{server: server}},
	}
}

// newGRPCServer raises the plugin side's message limits, which go-plugin
// leaves at gRPC's 4 MiB.
func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize))
	return grpc.NewServer(opts...)
}
