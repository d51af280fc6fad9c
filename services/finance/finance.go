// Package finance assembles the finance service: funding plans, household quotas and
// contributions, receipts, disbursements with retention, upkeep income and expenses, all
// on an exact double-entry ledger in Redis, plus public disclosures; served over gRPC. It
// asks projects, governance and survey for the facts behind its rules.
package finance

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"tongdu/platform/grpcserver"
	"tongdu/platform/placement"
	"tongdu/platform/servicemain"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/finance/internal/api"
	"tongdu/services/finance/internal/app"
	"tongdu/services/finance/internal/peers"
	"tongdu/services/finance/internal/storage"
)

// ServiceName is the gRPC service's full name, used for health statuses.
const ServiceName = "tongdu.finance.v1.FinanceService"

// Service is the finance service over one Redis.
type Service struct {
	store                *storage.Store
	api                  *api.Server
	projects, governance grpc.ClientConnInterface
	srv                  *grpcserver.Server
}

// Config is the finance service's configuration: it has no settings of its own yet.
type Config struct{}

// Peers are the services the finance service asks for the facts behind its rules.
type Peers struct {
	Projects   grpc.ClientConnInterface // projects, their items and acceptance
	Governance grpc.ClientConnInterface // compounds and households
	Survey     grpc.ClientConnInterface // business-use resolutions (rule 10: income from common parts needs one)
}

// Module is how binaries build and run the finance service.
func Module() *servicemain.Module { return ModuleWith(Config{}) }

// ModuleWith is Module with cfg.
func ModuleWith(cfg Config) *servicemain.Module {
	return &servicemain.Module{
		Name: "finance", DefaultAddr: ":9094", Policy: Policy,
		Peers: []servicemain.Peer{
			{Name: "projects", DefaultAddr: "127.0.0.1:9093"},
			{Name: "governance", DefaultAddr: "127.0.0.1:9091"},
			{Name: "survey", DefaultAddr: "127.0.0.1:9092"},
		},
		Build: func(env servicemain.Env) (servicemain.Service, error) {
			return New(env.Redis, Peers{Projects: env.Peers["projects"], Governance: env.Peers["governance"], Survey: env.Peers["survey"]}, env.Log, cfg)
		},
	}
}

// New builds the service on rdb: the store, the peers' clients, the use cases over them
// and the gRPC handlers over those. Its errors reach clients through the server's one
// interceptor (grpcserver), so log is not needed here.
func New(rdb redis.UniversalClient, p Peers, _ *slog.Logger, _ Config) (*Service, error) {
	store := storage.New(rdb)
	uses := app.New(store, peers.New(p.Projects, p.Governance, p.Survey), time.Now)
	return &Service{store: store, projects: p.Projects, governance: p.Governance, api: api.New(uses)}, nil
}

// Register adds the service to srv and teaches srv's resolver where books and
// transactions lie.
func (s *Service) Register(srv *grpcserver.Server) {
	pb.RegisterFinanceServiceServer(srv.GRPC, s.api)
	s.srv = srv
	if srv.Auth != nil {
		r := srv.Auth.Resolver()
		placement.TeachRegistry(r, s.governance)
		pc := projectspb.NewProjectsServiceClient(s.projects)
		r.TeachIfAbsent("projects", func(ctx context.Context, id string) ([]string, error) {
			p, err := pc.GetProject(ctx, &projectspb.GetProjectRequest{Id: id})
			if err != nil {
				return nil, err
			}
			return []string{"compounds/" + p.GetCompoundId()}, nil
		})
		// Books are named after what they keep; a transaction lies in its book.
		r.Teach("books", func(_ context.Context, id string) ([]string, error) {
			if p, ok := strings.CutPrefix(id, "renovation-"); ok {
				return []string{"projects/" + p}, nil
			}
			if c, ok := strings.CutPrefix(id, "maintenance-"); ok {
				return []string{"compounds/" + c}, nil
			}
			return nil, nil
		})
		r.Teach("transactions", func(ctx context.Context, id string) ([]string, error) {
			b, err := s.store.TransactionBook(ctx, id)
			if err != nil {
				return nil, err
			}
			return []string{"books/" + b}, nil
		})
	}
}

// Start keeps the health status in step with Redis until ctx ends.
func (s *Service) Start(ctx context.Context) {
	if s.srv != nil {
		s.srv.WatchReadiness(ctx, s.store.Ping, 2*time.Second, ServiceName)
	}
}
