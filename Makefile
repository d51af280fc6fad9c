# Tongdu's make targets. Tools are Go modules pinned in tools/ and built into .bin/.
SHELL := /bin/bash
BIN := $(CURDIR)/.bin
export PATH := $(BIN):$(PATH)

.PHONY: proto tools lint test run

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

run:
	go run ./cmd/tongdu
