package sdk

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"math"
	"os/exec"
	"reflect"
	"strconv"
	"testing"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	pb "github.com/mmcseg/mmcseg/sdk/segmenterv1"
)

// The wire is untrusted in both directions: the plugin side parses the
// host's request stream, the host side the plugin's response stream. Both
// are fuzzed here through the real handlers with in-memory streams.

// splitMessages cuts fuzz input into length-prefixed protobuf messages.
func splitMessages(data []byte) [][]byte {
	var out [][]byte
	for len(data) >= 2 {
		n := int(binary.LittleEndian.Uint16(data))
		data = data[2:]
		if n > len(data) {
			n = len(data)
		}
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

func joinMessages(msgs ...proto.Message) []byte {
	var out []byte
	for _, m := range msgs {
		b, _ := proto.Marshal(m)
		out = binary.LittleEndian.AppendUint16(out, uint16(len(b)))
		out = append(out, b...)
	}
	return out
}

// serverStream is an in-memory Segmenter_SegmentServer.
type serverStream struct {
	grpc.ServerStream
	ctx     context.Context
	in      []*pb.SegmentRequest
	out     []*pb.SegmentResponse
	started *pb.SeriesStart
}

func (s *serverStream) Context() context.Context     { return s.ctx }
func (s *serverStream) SetHeader(metadata.MD) error  { return nil }
func (s *serverStream) SendHeader(metadata.MD) error { return nil }
func (s *serverStream) SetTrailer(metadata.MD)       {}
func (s *serverStream) Send(r *pb.SegmentResponse) error {
	s.out = append(s.out, r)
	return nil
}
func (s *serverStream) Recv() (*pb.SegmentRequest, error) {
	if len(s.in) == 0 {
		return nil, io.EOF
	}
	r := s.in[0]
	s.in = s.in[1:]
	if s.started == nil {
		s.started = r.GetStart()
	}
	return r, nil
}

// fuzzSegmenter thresholds at zero; its masks are always well-formed.
type fuzzSegmenter struct{}

func (fuzzSegmenter) Describe() Description {
	return Description{
		Name: "fuzz", Version: "1", PixelFormats: []PixelFormat{Float32, Uint8, RGB8},
		Segments: []SegmentInfo{{Number: 1, Label: "X", Category: SCT("91723000", "Anatomical Structure"), Type: SCT("85756007", "Tissue")},
			{Number: 2, Label: "Y", Category: SCT("91723000", "Anatomical Structure"), Type: SCT("85756007", "Tissue"), Modalities: []string{"CT"}}},
		Parameters: []Parameter{{Name: "n", Type: ParamInt, Default: "1", Min: Bound(0), Max: Bound(2)}},
	}
}

func (fuzzSegmenter) Open(context.Context, SeriesInfo, Params) (Session, error) {
	return fuzzSession{}, nil
}

type fuzzSession struct{}

func (fuzzSession) Segment(_ context.Context, s Slice) (Mask, error) {
	m := NewMask(s)
	for i := range m.Labels {
		if s.Data[i*s.Format.BytesPerPixel()] > 128 {
			m.Labels[i] = 1
		}
	}
	return m, nil
}

func (fuzzSession) Close() error { return nil }

func FuzzServerSegment(f *testing.F) {
	start := &pb.SegmentRequest{Kind: &pb.SegmentRequest_Start{Start: &pb.SeriesStart{
		SeriesUid: "1.2", Modality: "CT", PixelFormat: pb.PixelFormat_PIXEL_FORMAT_UINT8, Rows: 2, Columns: 3, Slices: 2,
		Parameters: map[string]string{"n": "2"},
	}}}
	slice := func(i uint32, data []byte) *pb.SegmentRequest {
		return &pb.SegmentRequest{Kind: &pb.SegmentRequest_Slice{Slice: &pb.Slice{Index: i, PixelFormat: pb.PixelFormat_PIXEL_FORMAT_UINT8, Rows: 2, Columns: 3, Data: data}}}
	}
	end := &pb.SegmentRequest{Kind: &pb.SegmentRequest_End{End: &pb.End{}}}
	f.Add(joinMessages(start, slice(0, []byte{1, 200, 3, 4, 5, 250}), slice(1, []byte{9, 9, 9, 9, 9, 9}), end))
	f.Add(joinMessages(start, slice(0, []byte{1, 2}), slice(1, []byte{9, 9, 9, 9, 9, 9}), end))
	f.Add(joinMessages(start, slice(1, []byte{1, 2, 3, 4, 5, 6}), end))
	f.Add(joinMessages(start, end))
	f.Add(joinMessages(slice(0, nil)))
	f.Add([]byte{3, 0, 1, 2})
	srv, err := newServer(fuzzSegmenter{}, slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st := &serverStream{ctx: context.Background()}
		for _, b := range splitMessages(data) {
			var m pb.SegmentRequest
			if proto.Unmarshal(b, &m) == nil {
				st.in = append(st.in, &m)
			}
		}
		err := srv.Segment(st)
		if err != nil {
			return
		}
		// A series that ends well has one answer per declared slice, in
		// order, then Done, and only well-formed masks.
		info := seriesFromPB(st.in0())
		if len(st.out) == 0 || st.out[len(st.out)-1].GetDone() == nil {
			t.Fatalf("no Done at the end: %v", st.out)
		}
		next := 0
		for _, r := range st.out[:len(st.out)-1] {
			switch {
			case r.GetMask() != nil:
				m := r.GetMask()
				if int(m.GetIndex()) != next || len(m.GetLabels()) != info.Rows*info.Columns {
					t.Fatalf("mask %d (want %d) with %d labels", m.GetIndex(), next, len(m.GetLabels()))
				}
				next++
			case r.GetSliceError() != nil:
				if int(r.GetSliceError().GetIndex()) != next {
					t.Fatalf("slice error %d, want %d", r.GetSliceError().GetIndex(), next)
				}
				next++
			}
		}
		if next != info.Slices {
			t.Fatalf("%d answers for %d slices", next, info.Slices)
		}
	})
}

// in0 returns the SeriesStart the stream began with (tests only).
func (s *serverStream) in0() *pb.SeriesStart { return s.started }

// clientStream is an in-memory Segmenter_SegmentClient.
type clientStream struct {
	grpc.ClientStream
	ctx context.Context
	in  []*pb.SegmentResponse
}

func (s *clientStream) Context() context.Context      { return s.ctx }
func (s *clientStream) Send(*pb.SegmentRequest) error { return nil }
func (s *clientStream) Recv() (*pb.SegmentResponse, error) {
	if len(s.in) == 0 {
		return nil, io.EOF
	}
	r := s.in[0]
	s.in = s.in[1:]
	return r, nil
}

func FuzzHostReceive(f *testing.F) {
	mask := func(i uint32, labels []byte) *pb.SegmentResponse {
		return &pb.SegmentResponse{Kind: &pb.SegmentResponse_Mask{Mask: &pb.Mask{Index: i, Rows: 2, Columns: 2, Labels: labels}}}
	}
	done := &pb.SegmentResponse{Kind: &pb.SegmentResponse_Done{Done: &pb.Done{Warnings: []string{"w"}}}}
	f.Add(joinMessages(mask(0, []byte{0, 1, 1, 0}), mask(1, []byte{0, 0, 0, 0}), done))
	f.Add(joinMessages(mask(0, []byte{0, 1, 7, 0}), done))
	f.Add(joinMessages(mask(1, []byte{0, 1, 1, 0}), done))
	f.Add(joinMessages(&pb.SegmentResponse{Kind: &pb.SegmentResponse_SliceError{SliceError: &pb.SliceError{Index: 0, Code: 9}}},
		&pb.SegmentResponse{Kind: &pb.SegmentResponse_Progress{Progress: &pb.Progress{Fraction: math.Inf(1)}}}, mask(1, []byte{1, 1, 1, 1}), done, done))
	desc := fuzzSegmenter{}.Describe()
	p := &Plugin{label: "fuzz", desc: desc, client: plugin.NewClient(&plugin.ClientConfig{HandshakeConfig: handshake, Cmd: exec.Command("/bin/true")})}
	f.Fuzz(func(t *testing.T, data []byte) {
		st := &clientStream{ctx: context.Background()}
		for _, b := range splitMessages(data) {
			var m pb.SegmentResponse
			if proto.Unmarshal(b, &m) == nil {
				st.in = append(st.in, &m)
			}
		}
		series := SeriesInfo{UID: "1.2", Modality: "MR", Format: Uint8, Rows: 2, Columns: 2, Slices: 2}
		var got []Mask
		r := &run{p: p, series: series, allowed: labelSet(desc.SegmentsFor("MR", Uint8)),
			req: SegmentRequest{OnMask: func(m Mask) error { got = append(got, m); return nil }, OnProgress: func(pr Progress) {
				if !(pr.Fraction >= 0 && pr.Fraction <= 1) {
					t.Fatalf("progress fraction %v passed on", pr.Fraction)
				}
			}}}
		res, err := r.receive(context.Background(), st)
		for i, m := range got {
			if m.Index < i || len(m.Labels) != 4 {
				t.Fatalf("mask %d passed on: %+v", i, m)
			}
			for _, l := range m.Labels {
				if l > 1 {
					t.Fatalf("label %d passed on (segment 2 is for CT only)", l)
				}
			}
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrProtocol) {
				t.Fatalf("error %v is not a protocol error", err)
			}
			return
		}
		if res.Masks+len(res.SliceErrors) != 2 || res.Masks != len(got) {
			t.Fatalf("result %+v for 2 slices, %d masks passed on", res, len(got))
		}
	})
}

func FuzzParameterParse(f *testing.F) {
	for _, s := range []string{"3", "-2", "1.5", "1e400", "NaN", "true", "x", " 7 ", ""} {
		f.Add(uint8(1), s, 0.0, 10.0)
	}
	f.Add(uint8(5), "b", 0.0, 0.0)
	f.Fuzz(func(t *testing.T, typ uint8, v string, lo, hi float64) {
		par := Parameter{Name: "p", Type: ParamType(typ % 7), Min: Bound(lo), Max: Bound(hi), Choices: []string{"a", "b"}}
		x, err := par.Parse(v)
		if err != nil {
			if !errors.Is(err, ErrBadParam) {
				t.Fatalf("error %v does not wrap ErrBadParam", err)
			}
			return
		}
		switch par.Type {
		case ParamInt:
			n := x.(int)
			if float64(n) < lo || float64(n) > hi {
				t.Fatalf("%d outside [%g, %g]", n, lo, hi)
			}
			if y, err := par.Parse(strconv.Itoa(n)); err != nil || y != x {
				t.Fatalf("%d does not round-trip", n)
			}
		case ParamFloat:
			g := x.(float64)
			if math.IsNaN(g) || math.IsInf(g, 0) || g < lo || g > hi {
				t.Fatalf("%g accepted for [%g, %g]", g, lo, hi)
			}
		case ParamEnum:
			if x != "a" && x != "b" {
				t.Fatalf("%q accepted as a choice", x)
			}
		}
	})
}

func FuzzDescriptionFromWire(f *testing.F) {
	good, _ := proto.Marshal(descriptionToPB(fuzzSegmenter{}.Describe()))
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		var m pb.Description
		if proto.Unmarshal(data, &m) != nil {
			return
		}
		d := descriptionFromPB(&m)
		if d.Validate() != nil {
			return
		}
		if _, err := d.ResolveParams(nil); err != nil {
			t.Fatalf("valid description whose defaults do not resolve: %v", err)
		}
		for _, s := range d.Segments {
			for _, mod := range append([]string{"CT", ""}, s.Modalities...) {
				for _, f := range append([]PixelFormat{Float32}, s.PixelFormats...) {
					seen := map[int]bool{}
					for _, x := range d.SegmentsFor(mod, f) {
						if seen[x.Number] {
							t.Fatalf("valid description with segment number %d twice for %s %v", x.Number, mod, f)
						}
						seen[x.Number] = true
					}
				}
			}
		}
		if again := descriptionFromPB(descriptionToPB(d)); !reflect.DeepEqual(again, d) {
			t.Fatalf("round trip changed the description:\n%+v\n%+v", d, again)
		}
	})
}
