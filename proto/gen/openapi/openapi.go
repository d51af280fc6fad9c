// Package openapi holds the OpenAPI document generated from all four contracts
// (merged by protoc-gen-openapiv2 with allow_merge), for the gateway to serve.
package openapi

import _ "embed"

// JSON is the merged OpenAPI v2 document of every Tongdu REST route.
//
//go:embed tongdu.swagger.json
var JSON []byte
