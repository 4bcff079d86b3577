# mmcseg — common tasks. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go

STATICCHECK_VERSION        := v0.8.2
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2

# Every plugin/NAME directory with a main package becomes bin/mmcseg-plugin-NAME.
PLUGINS := $(patsubst plugin/%/,%,$(dir $(wildcard plugin/*/main.go)))

.PHONY: help deps build test bench lint proto demo clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

deps: ## install the Debian packages the build and tests need (only those missing)
	@./.ci/deps

build: deps ## build bin/mmcseg and every bin/mmcseg-plugin-NAME
	@mkdir -p bin
	$(GO) build -o bin/mmcseg ./cmd/mmcseg
	@for p in $(PLUGINS); do echo "$(GO) build -o bin/mmcseg-plugin-$$p ./plugin/$$p"; \
		$(GO) build -o bin/mmcseg-plugin-$$p ./plugin/$$p; done

test: deps lint ## lint, then run every test (real data from ../shared/data)
	$(GO) test -timeout 30m ./...
	@echo "pure-Go paths: the no-cgo build, DICOM decoding without cgo codecs, the pure-Go GEMM:"
	CGO_ENABLED=0 $(GO) build ./...
	CGO_ENABLED=0 $(GO) vet ./...
	CGO_ENABLED=0 $(GO) test -timeout 15m ./dicomio/...
	$(GO) test -short -tags purego -timeout 15m ./segmenter/...

bench: deps ## run the benchmarks once each
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint: ## gofmt, go vet and staticcheck (pinned)
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './bin/*')); \
		if [[ -n "$$out" ]]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

proto: ## regenerate the plugin contract's Go and Python code from sdk/proto
	@mkdir -p bin/tools
	GOBIN=$(CURDIR)/bin/tools $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(CURDIR)/bin/tools $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	PATH=$(CURDIR)/bin/tools:$$PATH ./sdk/proto/generate.sh

demo: build ## segment a synthetic chest CT phantom into ./demo-out
	./bin/mmcseg demo --out demo-out

clean: ## remove build outputs
	rm -rf bin demo-out
