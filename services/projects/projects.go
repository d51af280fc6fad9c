// Package projects assembles the projects service. Its contract (proto/tongdu/projects/v1) is
// complete; its methods are built by their own issue and until then answer
// UNIMPLEMENTED, which the gateway shows as 501.
package projects

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/grpcserver"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
)

// ServiceName is the gRPC service's full name, used for health statuses.
const ServiceName = "tongdu.projects.v1.ProjectsService"

// Service is the projects service over one Redis.
type Service struct {
	pb.UnimplementedProjectsServiceServer
	rdb redis.UniversalClient
	log *slog.Logger
}

// New builds the service on rdb.
func New(rdb redis.UniversalClient, log *slog.Logger) *Service {
	return &Service{rdb: rdb, log: log}
}

// Register adds the service to srv and keeps its health status in step with Redis.
func (s *Service) Register(ctx context.Context, srv *grpcserver.Server) {
	pb.RegisterProjectsServiceServer(srv.GRPC, s)
	srv.WatchReadiness(ctx, func(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }, 2*time.Second, ServiceName)
}
