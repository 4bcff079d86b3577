#!/usr/bin/env bash
# Regenerates the plugin contract's code from the .proto files:
#   sdk/segmenterv1/*.pb.go                 (Go; protoc-gen-go, protoc-gen-go-grpc)
#   sdk/examples/python/mmcseg/.../*_pb2*.py  (Python example plugin)
#   sdk/examples/python/health_pb2*.py        (grpc.health.v1, hand-written proto)
#
# Run it through `make proto`, which installs the pinned generators
# (protoc-gen-go v1.36.12, protoc-gen-go-grpc v1.6.2) into bin/tools and puts
# them first on PATH. Needs Debian's protobuf-compiler (protoc) and
# python3-grpc-tools (/usr/bin/python3 -m grpc_tools.protoc).
set -euo pipefail

want_go=v1.36.12
want_grpc=1.6.2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
py=$root/sdk/examples/python

for tool in protoc protoc-gen-go protoc-gen-go-grpc; do
	command -v "$tool" >/dev/null || { echo "generate.sh: $tool not found on PATH (run make proto)" >&2; exit 1; }
done
# The generated files record the generator versions: refuse others, so that
# regenerating never produces a spurious diff (Debian ships older ones).
got_go=$(protoc-gen-go --version | awk '{print $2}')
got_grpc=$(protoc-gen-go-grpc --version | awk '{print $2}')
if [[ $got_go != "$want_go" || $got_grpc != "$want_grpc" ]]; then
	echo "generate.sh: need protoc-gen-go $want_go and protoc-gen-go-grpc $want_grpc, found $got_go and $got_grpc (run make proto)" >&2
	exit 1
fi

cd "$here"
protoc -I . \
	--go_out="$root" --go_opt=module=github.com/mmcseg/mmcseg \
	--go-grpc_out="$root" --go-grpc_opt=module=github.com/mmcseg/mmcseg \
	mmcseg/segmenter/v1/segmenter.proto

/usr/bin/python3 -m grpc_tools.protoc -I . \
	--python_out="$py" --grpc_python_out="$py" \
	mmcseg/segmenter/v1/segmenter.proto
/usr/bin/python3 -m grpc_tools.protoc -I "$py/proto" \
	--python_out="$py" --grpc_python_out="$py" \
	health.proto
echo "generate.sh: regenerated Go and Python code from $here and $py/proto"
