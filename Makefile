# Tongdu's make targets. Tools are Go modules pinned in tools/ and built into .bin/.
SHELL := /bin/bash
BIN := $(CURDIR)/.bin
export PATH := $(BIN):$(PATH)

.PHONY: proto tools lint test test-cluster run deploy-check

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

# Regenerate the third-party protos, lint the contracts and regenerate all code from them.
proto: tools
	rm -rf proto/third_party proto/gen/go proto/gen/openapi/*.json
	$(BIN)/thirdparty proto/third_party
	cd proto && buf lint && buf generate

test:
	go test -race $$(go list -f '{{.Dir}}/...' -m)

# The storage tests and the Shiyang Road No. 21 story on a local three-master Redis
# Cluster: every atomic step must keep its keys in one hash slot. One package and one
# test at a time, because a cluster has one database that the test kit empties per test.
CLUSTER_PACKAGES := ./services/governance/storage/ ./services/survey/storage/ ./services/projects/storage/ ./services/finance/storage/
test-cluster:
	addrs=$$(scripts/redis-cluster.sh start) && trap 'scripts/redis-cluster.sh stop' EXIT && \
	TONGDU_TEST_REDIS_CLUSTER=$$addrs go test -count=1 -p 1 -parallel 1 $(CLUSTER_PACKAGES) && \
	TONGDU_TEST_REDIS_CLUSTER=$$addrs go test -count=1 -p 1 -parallel 1 -run '^TestShiyangRoadNo21$$' ./tests/e2e/

run:
	go run ./cmd/tongdu

# Validate deploy/ offline: render every kustomize overlay, decode each object strictly
# into its Kubernetes type, apply the deployment rules, and check compose.yaml. deploy/check
# is a module of its own, outside the workspace.
deploy-check:
	cd deploy/check && GOWORK=off go test -count=1 ./...
