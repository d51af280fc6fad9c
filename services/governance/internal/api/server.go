// Package api is the governance service's gRPC layer: each handler decodes its request
// into registry types, calls the use case of the same name in internal/app and encodes
// the answer. Errors pass through as they are: the platform interceptor turns their
// faults into statuses. Requests reach it validated against the contract's constraints
// by the platform interceptor.
package api

import (
	"google.golang.org/protobuf/proto"

	"tongdu/platform/idempotency"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/app"
)

// Server implements tongdu.governance.v1.GovernanceService.
type Server struct {
	pb.UnimplementedGovernanceServiceServer
	app *app.App
}

var _ pb.GovernanceServiceServer = (*Server)(nil)

// New returns the server over the use cases.
func New(a *app.App) *Server { return &Server{app: a} }

// command is a request that carries a request id.
type command interface {
	proto.Message
	GetRequestId() string
}

// request is a command's request id and, when it has one, the fingerprint of its body.
func request(req command) (app.Request, error) {
	return idempotency.Of(req.GetRequestId(), req)
}

// encoded passes a use case's answer through encode, or its error on as it is:
//
//	return encoded(regionToPB)(s.app.GetRegion(ctx, req.GetId()))
func encoded[T, P any](encode func(T) P) func(T, error) (P, error) {
	return func(v T, err error) (P, error) {
		if err != nil {
			var none P
			return none, err
		}
		return encode(v), nil
	}
}

// encodeAll encodes a page of records.
func encodeAll[T, P any](recs []T, encode func(*T) P) []P {
	out := make([]P, 0, len(recs))
	for i := range recs {
		out = append(out, encode(&recs[i]))
	}
	return out
}
