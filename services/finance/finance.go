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

	"tongdu/platform/auth"
	"tongdu/platform/grpcserver"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/finance/api"
	"tongdu/services/finance/peers"
	"tongdu/services/finance/storage"
)

// ServiceName is the gRPC service's full name, used for health statuses.
const ServiceName = "tongdu.finance.v1.FinanceService"

// Service is the finance service over one Redis.
type Service struct {
	store                *storage.Store
	api                  *api.Server
	projects, governance grpc.ClientConnInterface
}

// New builds the service on rdb, asking its peers over the given connections.
func New(rdb redis.UniversalClient, projects, governance, survey grpc.ClientConnInterface, log *slog.Logger) *Service {
	store := storage.New(rdb)
	return &Service{store: store, projects: projects, governance: governance, api: api.New(store, peers.New(projects, governance, survey), log, time.Now)}
}

// Register adds the service to srv and keeps its health status in step with Redis.
func (s *Service) Register(ctx context.Context, srv *grpcserver.Server) {
	pb.RegisterFinanceServiceServer(srv.GRPC, s.api)
	if srv.Auth != nil {
		r := srv.Auth.Resolver()
		auth.TeachRegistry(r, s.governance)
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
	srv.WatchReadiness(ctx, s.store.Ping, 2*time.Second, ServiceName)
}
