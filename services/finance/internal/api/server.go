// Package api is the finance service's gRPC layer: each handler decodes its request,
// calls the use case of the same name in internal/app, and encodes the answer. Errors
// go back as they are; the server's interceptor turns them into statuses.
package api

import (
	"google.golang.org/protobuf/proto"

	"tongdu/platform/idempotency"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/internal/app"
)

// Server implements tongdu.finance.v1.FinanceService.
type Server struct {
	pb.UnimplementedFinanceServiceServer
	app *app.App
}

var _ pb.FinanceServiceServer = (*Server)(nil)

// New returns the server over the use cases.
func New(a *app.App) *Server { return &Server{app: a} }

// bodyHash fingerprints a write's request, so that a retry with the same request id
// replays and another body under that id is refused.
func bodyHash(req proto.Message) (string, error) { return idempotency.BodyHash(req) }
