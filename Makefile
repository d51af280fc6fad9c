# Tongdu's make targets. Tools are Go modules pinned in tools/ and built into .bin/.
SHELL := /bin/bash
BIN := $(CURDIR)/.bin
export PATH := $(BIN):$(PATH)

.PHONY: proto web web-assets tools lint test test-cluster run deploy-check fuzz bench soak

# Build the pinned code generators (protoc plugins and buf) into .bin/.
tools:
	@mkdir -p $(BIN)
	cd tools/protoc && GOWORK=off go build -o $(BIN)/ \
		google.golang.org/protobuf/cmd/protoc-gen-go \
		google.golang.org/grpc/cmd/protoc-gen-go-grpc \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2 \
		./thirdparty
	cd tools/buf && GOWORK=off go build -o $(BIN)/ github.com/bufbuild/buf/cmd/buf
	cd tools/templ && GOWORK=off go build -o $(BIN)/ github.com/a-h/templ/cmd/templ

# Regenerate the third-party protos, lint the contracts and regenerate all code from them.
proto: tools
	rm -rf proto/third_party proto/gen/go proto/gen/openapi/*.json
	$(BIN)/thirdparty proto/third_party
	cd proto && buf lint && buf generate

# Regenerate the web console's pages from their templ sources (web/**/*.templ).
web: tools
	cd web && $(BIN)/templ generate -path . -log-level warn

# Vendor the console's browser assets (htmx, ECharts, axe-core) from their npm packages
# at the versions scripts/vendor-assets.sh pins, checked against web/assets/vendor/SHA256SUMS.
web-assets:
	scripts/vendor-assets.sh

# Every module's tests with the race detector, then the console's browser tests without
# it: Chromium takes most of their time, and the server code they drive is race-checked
# by the other modules' tests.
test:
	go test -race $$(go list -f '{{.Dir}}/...' -m | grep -v '/tests/browser/')
	go test ./tests/browser/

# The storage tests and the Shiyang Road No. 21 story on a local three-master Redis
# Cluster: every atomic step must keep its keys in one hash slot. One package and one
# test at a time, because a cluster has one database that the test kit empties per test.
CLUSTER_PACKAGES := ./services/governance/internal/storage/ ./services/survey/internal/storage/ ./services/projects/internal/storage/ ./services/finance/internal/storage/
test-cluster:
	addrs=$$(scripts/redis-cluster.sh start) && trap 'scripts/redis-cluster.sh stop' EXIT && \
	TONGDU_TEST_REDIS_CLUSTER=$$addrs go test -count=1 -p 1 -parallel 1 $(CLUSTER_PACKAGES) && \
	TONGDU_TEST_REDIS_CLUSTER=$$addrs go test -count=1 -p 1 -parallel 1 -run '^TestShiyangRoadNo21$$' ./tests/e2e/

# Fuzz each target briefly (go test takes one -fuzz target at a time). Plain `go test`
# runs only their seed corpora (f.Add and testdata/fuzz/); this explores beyond them.
# A failing input is written to the package's testdata/fuzz/<Target>/: keep it there.
FUZZTIME ?= 5s
fuzz:
	go test -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./gateway/
	go test -run '^$$' -fuzz '^FuzzProblem$$' -fuzztime $(FUZZTIME) ./platform/textrule/
	go test -run '^$$' -fuzz '^FuzzResolve$$' -fuzztime $(FUZZTIME) ./services/survey/internal/opinion/
	go test -run '^$$' -fuzz '^FuzzSchedule$$' -fuzztime $(FUZZTIME) ./services/projects/internal/works/
	go test -run '^$$' -fuzz '^FuzzTransactions$$' -fuzztime $(FUZZTIME) ./services/finance/internal/ledger/
	go test -run '^$$' -fuzz '^FuzzNewHouseholds$$' -fuzztime $(FUZZTIME) ./services/governance/internal/registry/
	go test -run '^$$' -fuzz '^FuzzClassify$$' -fuzztime $(FUZZTIME) ./services/governance/internal/registry/

run:
	go run ./cmd/tongdu

# Validate deploy/ offline: render every kustomize overlay, decode each object strictly
# into its Kubernetes type, apply the deployment rules, and check compose.yaml. deploy/check
# is a module of its own, outside the workspace.
deploy-check:
	cd deploy/check && GOWORK=off go test -count=1 ./...

# Measure Tongdu on this machine (see bench/README.md): the all-in-one on its private
# redis-server, by gRPC and REST, next to a no-op gRPC server and redis-benchmark.
# BENCH_QUICK=1 is the short run. bench/ is a module of its own, outside the workspace.
bench:
	cd bench && GOWORK=off go run .

# A soak (bench/README.md): every measured call, by gRPC and REST in turn, at SOAK_RATE
# calls/s (default 1000) for SOAK (default 10m), sampled every SOAK_EVERY (30s); fails
# when goroutines or memory grow, or an acknowledged write is missing or doubled.
SOAK ?= 10m
soak:
	cd bench && GOWORK=off go run . -soak $(SOAK)
