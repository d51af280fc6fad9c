// Package projects assembles the projects service: one renovation plan per compound and
// round, its work items in rule 5's order of works (basic works first, safety-critical
// first), its guarded lifecycle (rule 6: PROPOSED to MAINTENANCE, each step behind a
// guard), reports during the works and the joint acceptance, on Redis, served over gRPC.
// It asks survey, finance and governance for the facts behind its guards. Its packages
// are internal: works (the rules), app (the use cases), api (the gRPC handlers), storage
// (Redis) and peers (the other services).
package projects

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"tongdu/platform/config"
	"tongdu/platform/events"
	"tongdu/platform/grpcserver"
	"tongdu/platform/placement"
	"tongdu/platform/servicemain"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/internal/api"
	"tongdu/services/projects/internal/app"
	"tongdu/services/projects/internal/peers"
	"tongdu/services/projects/internal/storage"
	"tongdu/services/projects/internal/works"
)

// ServiceName is the gRPC service's full name, used for health statuses.
const ServiceName = "tongdu.projects.v1.ProjectsService"

// Config is the projects service's configuration.
type Config struct {
	// Residents' acceptance thresholds of rule 6 (the joint acceptance needs enough
	// respondents satisfied and enough households responding), as fractions ("2/3").
	SatisfiedShare, RespondedShare string
	// NoticePeriod is how long a plan stays on the compound's notice board at least
	// before it can be approved (rule 14).
	NoticePeriod time.Duration
	// Now is the service's clock (nil: time.Now); tests move it to end a notice period.
	Now func() time.Time
}

// Flags declares the configuration, with TONGDU_* fallbacks.
func (c *Config) Flags(s *config.Set) error {
	s.String(&c.SatisfiedShare, "acceptance-satisfied", "2/3", "rule 6 (the residents' part of the joint acceptance): share of respondents satisfied, at least")
	s.String(&c.RespondedShare, "acceptance-responded", "1/2", "rule 6 (the residents' part of the joint acceptance): share of households responding, at least")
	return s.Duration(&c.NoticePeriod, "notice-period", works.DefaultNoticePeriod, "rule 14: how long a plan stays on the compound's notice board at least before approval")
}

// Thresholds reads the acceptance thresholds; empty ones take rule 6's defaults (2/3 of
// respondents satisfied, half the households responding).
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
	outbox     *events.Outbox
	api        *api.Server
	governance grpc.ClientConnInterface
	srv        *grpcserver.Server
}

// Peers are the services the projects service asks for the facts behind its guards.
type Peers struct {
	Survey     grpc.ClientConnInterface // resolutions and the residents' acceptance
	Finance    grpc.ClientConnInterface // the funding cover
	Governance grpc.ClientConnInterface // compounds and households
}

// Module is how binaries build and run the projects service; its flags set its
// configuration.
func Module() *servicemain.Module { return ModuleWith(Config{}) }

// ModuleWith is Module starting from cfg (for tests that run the all-in-one with
// settings of their own).
func ModuleWith(cfg Config) *servicemain.Module {
	return &servicemain.Module{
		Name: "projects", DefaultAddr: ":9093", Policy: Policy,
		Peers: []servicemain.Peer{
			{Name: "survey", DefaultAddr: "127.0.0.1:9092"},
			{Name: "finance", DefaultAddr: "127.0.0.1:9094"},
			{Name: "governance", DefaultAddr: "127.0.0.1:9091"},
		},
		Flags: cfg.Flags,
		Build: func(env servicemain.Env) (servicemain.Service, error) {
			return New(env.Redis, Peers{Survey: env.Peers["survey"], Finance: env.Peers["finance"], Governance: env.Peers["governance"]}, env.Log, cfg)
		},
	}
}

// New builds the service on rdb; thresholds that are no fractions are an error.
func New(rdb redis.UniversalClient, p Peers, log *slog.Logger, cfg Config) (*Service, error) {
	th, err := cfg.Thresholds()
	if err != nil {
		return nil, err
	}
	outbox := events.NewOutbox(rdb, log)
	store := storage.New(rdb, outbox)
	now, period := cfg.Now, cfg.NoticePeriod
	if now == nil {
		now = time.Now
	}
	if period <= 0 {
		period = works.DefaultNoticePeriod
	}
	uc := app.New(store, peers.New(p.Survey, p.Finance, p.Governance), log, now, th, period)
	return &Service{store: store, outbox: outbox, governance: p.Governance, api: api.New(uc)}, nil
}

// Register adds the service to srv and teaches srv's resolver where projects lie.
func (s *Service) Register(srv *grpcserver.Server) {
	pb.RegisterProjectsServiceServer(srv.GRPC, s.api)
	s.srv = srv
	if srv.Auth != nil {
		r := srv.Auth.Resolver()
		placement.TeachRegistry(r, s.governance)
		r.Teach("projects", func(ctx context.Context, id string) ([]string, error) {
			p, err := s.store.GetProject(ctx, id)
			if err != nil {
				return nil, err
			}
			return []string{"compounds/" + p.CompoundID}, nil
		})
		r.Teach("notices", func(ctx context.Context, id string) ([]string, error) {
			n, err := s.store.GetNotice(ctx, id)
			if err != nil {
				return nil, err
			}
			return []string{"compounds/" + n.CompoundID}, nil
		})
	}
}

// Start keeps the health status in step with Redis and relays the events written with
// the changes (the outbox) until ctx ends.
func (s *Service) Start(ctx context.Context) {
	if s.srv != nil {
		s.srv.WatchReadiness(ctx, s.store.Ping, 2*time.Second, ServiceName)
	}
	go s.outbox.Run(ctx)
}
