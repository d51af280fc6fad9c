// Package api is the survey service's gRPC layer: each handler decodes its request,
// calls the use case of the same name in internal/app, and encodes the answer. Errors
// pass back unchanged; the platform's gRPC server turns them into statuses.
package api

import (
	"google.golang.org/protobuf/proto"

	"tongdu/platform/idempotency"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/app"
)

// Server implements tongdu.survey.v1.SurveyService over the use cases.
type Server struct {
	pb.UnimplementedSurveyServiceServer
	app *app.App
}

var _ pb.SurveyServiceServer = (*Server)(nil)

// New returns the server.
func New(a *app.App) *Server { return &Server{app: a} }

// request is a call's request id with the fingerprint of its body, for the use case's
// idempotency (no fingerprint without a request id). Every service's handlers do the
// same; it belongs beside idempotency.BodyHash in platform, which no service may edit
// during this refactor.
func request(requestID string, req proto.Message) (app.Request, error) {
	if requestID == "" {
		return app.Request{}, nil
	}
	hash, err := idempotency.BodyHash(req)
	return app.Request{ID: requestID, Hash: hash}, err
}
