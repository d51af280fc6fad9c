// Package api is the projects service's gRPC layer: each handler decodes its request,
// calls the use case of the same name in app, and encodes the answer. Errors pass
// through as they are; grpcserver's interceptor turns them into statuses.
package api

import (
	"context"

	"tongdu/platform/auth"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/internal/app"
)

// Server implements tongdu.projects.v1.ProjectsService over the use cases. Every
// service's gRPC layer has this shape (a Server over its app, and request below); the
// parallel is intended.
type Server struct {
	pb.UnimplementedProjectsServiceServer
	app *app.App
}

var _ pb.ProjectsServiceServer = (*Server)(nil)

// New returns the server over the use cases.
func New(a *app.App) *Server { return &Server{app: a} }

// actorOf is who a history entry names: the body's actor when given (the office acting,
// such as "区住建局"), otherwise the authenticated caller's subject, so that no entry is
// anonymous. The audit trail keeps the caller in every case.
func actorOf(ctx context.Context, given string) string {
	if given != "" {
		return given
	}
	p, _ := auth.FromContext(ctx)
	return p.Subject
}
