// Command raw is a family of broken test plugins that speak the wire
// contract directly (without sdk.Serve, whose own checks would catch
// these mistakes before they reach the host). Its behaviour depends on the
// name it is built as:
//
//	mmcseg-plugin-wrongsize    masks one column too wide
//	mmcseg-plugin-badlabel     masks with label 7, which it never declared
//	mmcseg-plugin-outoforder   answers slice 1 before slice 0
//	mmcseg-plugin-nodone       ends the stream without Done
//	mmcseg-plugin-badversion   serves application protocol version 2 only
//	mmcseg-plugin-baddescribe  describes itself with no segments
//	mmcseg-plugin-badaux       aux map "clusters" one label short when asked
//	mmcseg-plugin-unaskedaux   aux map "clusters" with every mask, asked or not
package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/mmcseg/mmcseg/sdk"
	pb "github.com/mmcseg/mmcseg/sdk/segmenterv1"
)

var mode = strings.TrimPrefix(filepath.Base(os.Args[0]), "mmcseg-plugin-")

func main() {
	version := sdk.ProtocolVersion
	if mode == "badversion" {
		version = 2
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  uint(version),
			MagicCookieKey:   sdk.MagicCookieKey,
			MagicCookieValue: sdk.MagicCookieValue,
		},
		VersionedPlugins: map[int]plugin.PluginSet{version: {sdk.PluginName: &rawPlugin{}}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(sdk.MaxMessageSize), grpc.MaxSendMsgSize(sdk.MaxMessageSize))...)
		},
	})
}

type rawPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (rawPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterSegmenterServer(s, &server{})
	return nil
}

func (rawPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("server side only")
}

type server struct {
	pb.UnimplementedSegmenterServer
}

func (server) Describe(context.Context, *pb.DescribeRequest) (*pb.Description, error) {
	d := &pb.Description{
		Name: mode, Version: "0.0.1", ContractVersion: 1,
		PixelFormats: []pb.PixelFormat{pb.PixelFormat_PIXEL_FORMAT_FLOAT32, pb.PixelFormat_PIXEL_FORMAT_UINT8, pb.PixelFormat_PIXEL_FORMAT_RGB8},
		InputMode:    pb.InputMode_INPUT_MODE_SLICE,
		Segments: []*pb.SegmentDescription{{
			Number: 1, Label: "Anything", Color: &pb.Color{R: 1, G: 2, B: 3},
			Category: &pb.Code{Scheme: "SCT", Value: "91723000", Meaning: "Anatomical Structure"},
			Type:     &pb.Code{Scheme: "SCT", Value: "85756007", Meaning: "Tissue"},
		}},
	}
	if mode == "baddescribe" {
		d.Segments = nil
	}
	if mode == "badaux" || mode == "unaskedaux" {
		d.AuxMaps = []string{sdk.AuxClusters}
	}
	return d, nil
}

func (server) Segment(stream pb.Segmenter_SegmentServer) error {
	var start *pb.SeriesStart
	var held *pb.Mask
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch k := req.Kind.(type) {
		case *pb.SegmentRequest_Start:
			start = k.Start
		case *pb.SegmentRequest_Slice:
			rows, cols := start.GetRows(), start.GetColumns()
			m := &pb.Mask{Index: k.Slice.GetIndex(), Rows: rows, Columns: cols, Labels: make([]byte, rows*cols)}
			switch mode {
			case "wrongsize":
				m.Columns++
				m.Labels = make([]byte, rows*m.Columns)
			case "badlabel":
				m.Labels[len(m.Labels)/2] = 7
			case "outoforder":
				if m.Index == 0 && start.GetSlices() > 1 {
					held = m
					continue
				}
			case "badaux", "unaskedaux":
				if mode == "unaskedaux" || len(start.GetWantAux()) > 0 {
					n := rows * cols
					if mode == "badaux" {
						n--
					}
					m.Aux = []*pb.LabelMap{{Name: sdk.AuxClusters, Rows: rows, Columns: cols, Labels: make([]byte, n)}}
				}
			}
			if err := stream.Send(&pb.SegmentResponse{Kind: &pb.SegmentResponse_Mask{Mask: m}}); err != nil {
				return err
			}
			if held != nil {
				if err := stream.Send(&pb.SegmentResponse{Kind: &pb.SegmentResponse_Mask{Mask: held}}); err != nil {
					return err
				}
				held = nil
			}
		case *pb.SegmentRequest_End:
			if mode == "nodone" {
				return nil
			}
			return stream.Send(&pb.SegmentResponse{Kind: &pb.SegmentResponse_Done{Done: &pb.Done{}}})
		}
	}
}
