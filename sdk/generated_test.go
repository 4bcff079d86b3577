package sdk_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/mmcseg/mmcseg/internal/buildtest"
	"github.com/mmcseg/mmcseg/internal/shareddata"
	pb "github.com/mmcseg/mmcseg/sdk/segmenterv1"
)

func needTool(t *testing.T, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil || exec.Command(name, args...).Run() != nil {
		if shareddata.InCI() {
			t.Fatalf("%s %v is needed", name, args)
		}
		t.Skipf("no %s %v", name, args)
	}
}

func protoDir(t *testing.T) (root, dir string) {
	root, err := buildtest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root, filepath.Join(root, "sdk", "proto")
}

// The committed Go code was generated from the committed .proto: the
// descriptor protoc compiles now equals the one embedded in segmenterv1.
func TestGoCodeMatchesProto(t *testing.T) {
	needTool(t, "protoc", "--version")
	_, dir := protoDir(t)
	out := filepath.Join(t.TempDir(), "set.pb")
	cmd := exec.Command("protoc", "-I", dir, "--descriptor_set_out="+out, "mmcseg/segmenter/v1/segmenter.proto")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, msg)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	embedded := protodesc.ToFileDescriptorProto(pb.File_mmcseg_segmenter_v1_segmenter_proto)
	if len(set.File) != 1 || !proto.Equal(set.File[0], embedded) {
		t.Fatal("sdk/segmenterv1 is stale: run make proto")
	}
}

// The committed Python stubs are what grpc_tools generates now.
func TestPythonStubsMatchProto(t *testing.T) {
	needTool(t, "/usr/bin/python3", "-c", "import grpc_tools.protoc")
	root, dir := protoDir(t)
	py := filepath.Join(root, "sdk", "examples", "python")
	tmp := t.TempDir()
	for _, run := range [][]string{
		{"-I", dir, "mmcseg/segmenter/v1/segmenter.proto"},
		{"-I", filepath.Join(py, "proto"), "health.proto"},
	} {
		args := append([]string{"-m", "grpc_tools.protoc", "--python_out=" + tmp, "--grpc_python_out=" + tmp}, run...)
		if msg, err := exec.Command("/usr/bin/python3", args...).CombinedOutput(); err != nil {
			t.Fatalf("grpc_tools.protoc %v: %v\n%s", run, err, msg)
		}
	}
	for _, f := range []string{
		"mmcseg/segmenter/v1/segmenter_pb2.py", "mmcseg/segmenter/v1/segmenter_pb2_grpc.py",
		"health_pb2.py", "health_pb2_grpc.py",
	} {
		want, err := os.ReadFile(filepath.Join(tmp, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(py, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("sdk/examples/python/%s is stale: run make proto", f)
		}
	}
}
