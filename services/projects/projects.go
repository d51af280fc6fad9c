// Package projects assembles the projects service: one renovation plan per compound and
// round, its work items in rule 5's order, its guarded lifecycle (rule 6), reports during
// the works and the joint acceptance, on Redis, served over gRPC. It asks survey,
// finance and governance for the facts behind its guards.
package projects

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/grpcserver"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/api"
	"tongdu/services/projects/peers"
	"tongdu/services/projects/storage"
	"tongdu/services/projects/works"
)

// ServiceName is the gRPC service's full name, used for health statuses.
const ServiceName = "tongdu.projects.v1.ProjectsService"

// Config is the projects service's configuration.
type Config struct {
	SurveyAddr, FinanceAddr, GovernanceAddr string
	// Residents' acceptance thresholds of rule 6, as fractions ("2/3").
	SatisfiedShare, RespondedShare string
}

// Flags declares the configuration, with TONGDU_* fallbacks. withPeers adds the peer
// addresses (the all-in-one wires its peers itself).
func (c *Config) Flags(s *config.Set, withPeers bool) {
	if withPeers {
		s.String(&c.SurveyAddr, "survey-addr", "127.0.0.1:9092", "survey service gRPC address")
		s.String(&c.FinanceAddr, "finance-addr", "127.0.0.1:9094", "finance service gRPC address")
		s.String(&c.GovernanceAddr, "governance-addr", "127.0.0.1:9091", "governance service gRPC address")
	}
	s.String(&c.SatisfiedShare, "acceptance-satisfied", "2/3", "rule 6: share of respondents satisfied, at least")
	s.String(&c.RespondedShare, "acceptance-responded", "1/2", "rule 6: share of households responding, at least")
}

// Thresholds reads the acceptance thresholds; empty ones take rule 6's defaults.
func (c *Config) Thresholds() (works.Thresholds, error) {
	th := works.DefaultThresholds
	var err error
	if c.SatisfiedShare != "" {
		if th.Satisfied, err = works.ParseFraction(c.SatisfiedShare); err != nil {
			return th, err
		}
	}
	if c.RespondedShare != "" {
		if th.Responded, err = works.ParseFraction(c.RespondedShare); err != nil {
			return th, err
		}
	}
	return th, nil
}

// Service is the projects service over one Redis.
type Service struct {
	store      *storage.Store
	api        *api.Server
	governance grpc.ClientConnInterface
}

// New builds the service on rdb, asking its owners over the given connections.
func New(rdb redis.UniversalClient, survey, finance, governance grpc.ClientConnInterface, log *slog.Logger, th works.Thresholds) *Service {
	store := storage.New(rdb)
	return &Service{store: store, governance: governance, api: api.New(store, peers.New(survey, finance, governance), log, time.Now, th)}
}

// Register adds the service to srv and keeps its health status in step with Redis.
func (s *Service) Register(ctx context.Context, srv *grpcserver.Server) {
	pb.RegisterProjectsServiceServer(srv.GRPC, s.api)
	if srv.Auth != nil {
		r := srv.Auth.Resolver()
		auth.TeachRegistry(r, s.governance)
		r.Teach("projects", func(ctx context.Context, id string) ([]string, error) {
			p, err := s.store.GetProject(ctx, id)
			if err != nil {
				return nil, err
			}
			return []string{"compounds/" + p.CompoundID}, nil
		})
	}
	srv.WatchReadiness(ctx, s.store.Ping, 2*time.Second, ServiceName)
}
