// Package api is the survey service's gRPC layer: each handler decodes its request,
// calls the use case of the same name in internal/app, and encodes the answer. Errors
// pass back unchanged; the platform's gRPC server turns them into statuses.
package api

import (
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
