// Package governance assembles the governance service: the registry of regions,
// compounds, buildings and households on Redis, served over gRPC. cmd/governance runs it
// alone; cmd/tongdu runs it beside the other services.
package governance

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/events"
	"tongdu/platform/grpcserver"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/api"
	"tongdu/services/governance/storage"
)

// ServiceName is the gRPC service's full name, used for health statuses.
const ServiceName = "tongdu.governance.v1.GovernanceService"

// Service is the governance service over one Redis.
type Service struct {
	rdb   redis.UniversalClient
	store *storage.Store
	api   *api.Server
	log   *slog.Logger
}

// New builds the service on rdb.
func New(rdb redis.UniversalClient, log *slog.Logger) *Service {
	store := storage.New(rdb)
	return &Service{rdb: rdb, store: store, log: log, api: api.New(store, log, time.Now, api.Options{}, nil)}
}

// Register adds the service to srv, keeps its health status in step with Redis, and
// follows the compound events the survey and projects services publish (a compound's
// status follows its renovation) until ctx ends. The stream's consumer group remembers
// what was handled, so a restart resumes where the last run stopped.
func (s *Service) Register(ctx context.Context, srv *grpcserver.Server) {
	pb.RegisterGovernanceServiceServer(srv.GRPC, s.api)
	srv.WatchReadiness(ctx, s.store.Ping, 2*time.Second, ServiceName)
	go events.Consume(ctx, s.rdb, s.log, events.CompoundTopic, "governance", "governance", s.api.FollowCompoundEvent)
}
