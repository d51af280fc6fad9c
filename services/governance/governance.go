// Package governance assembles the governance service: the registry of regions,
// compounds, buildings and households on Redis, served over gRPC. cmd/governance runs it
// alone; cmd/tongdu runs it beside the other services.
package governance

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"tongdu/platform/config"
	"tongdu/platform/events"
	"tongdu/platform/grpcserver"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/api"
	"tongdu/services/governance/peers"
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

// Config is the governance service's configuration.
type Config struct {
	// Whistle limits of rule 11 (zero: the rule's 2 h / 24 h and 24 h / 72 h).
	UrgentAcknowledge, UrgentResolve, NormalAcknowledge, NormalResolve time.Duration
}

// Flags declares the configuration, with TONGDU_* fallbacks.
func (c *Config) Flags(s *config.Set) error {
	for _, f := range []struct {
		p    *time.Duration
		name string
		def  time.Duration
		use  string
	}{
		{&c.UrgentAcknowledge, "whistle-urgent-acknowledge", 2 * time.Hour, "rule 11: time to acknowledge an URGENT whistle"},
		{&c.UrgentResolve, "whistle-urgent-resolve", 24 * time.Hour, "rule 11: time to resolve an URGENT whistle"},
		{&c.NormalAcknowledge, "whistle-normal-acknowledge", 24 * time.Hour, "rule 11: time to acknowledge a NORMAL whistle"},
		{&c.NormalResolve, "whistle-normal-resolve", 72 * time.Hour, "rule 11: time to resolve a NORMAL whistle"},
	} {
		if err := s.Duration(f.p, f.name, f.def, f.use); err != nil {
			return err
		}
	}
	return nil
}

// New builds the service on rdb; survey is its connection to the survey service (for
// the resolutions that adopt conventions), or nil.
func New(rdb redis.UniversalClient, survey grpc.ClientConnInterface, log *slog.Logger, cfg Config) *Service {
	store := storage.New(rdb)
	var resolutions api.Resolutions
	if survey != nil {
		resolutions = peers.NewSurvey(survey)
	}
	opt := api.Options{UrgentAcknowledge: cfg.UrgentAcknowledge, UrgentResolve: cfg.UrgentResolve, NormalAcknowledge: cfg.NormalAcknowledge, NormalResolve: cfg.NormalResolve}
	return &Service{rdb: rdb, store: store, log: log, api: api.New(store, log, time.Now, opt, resolutions)}
}

// Register adds the service to srv, keeps its health status in step with Redis, and
// follows the compound events the survey and projects services publish (a compound's
// status follows its renovation) until ctx ends. The stream's consumer group remembers
// what was handled, so a restart resumes where the last run stopped.
func (s *Service) Register(ctx context.Context, srv *grpcserver.Server) {
	pb.RegisterGovernanceServiceServer(srv.GRPC, s.api)
	if srv.Auth != nil {
		teach(srv.Auth.Resolver(), s.store)
	}
	srv.WatchReadiness(ctx, s.store.Ping, 2*time.Second, ServiceName)
	s.watchOverdue(ctx)
	go events.Consume(ctx, s.rdb, s.log, events.CompoundTopic, "governance", "governance", s.api.FollowCompoundEvent)
}
