// Package survey assembles the survey service: surveys, responses and their statistics,
// resolutions, courtyard meetings, golden ideas and the priority ranking, on Redis,
// served over gRPC. It asks the governance service about compounds and households.
package survey

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"tongdu/platform/config"
	"tongdu/platform/events"
	"tongdu/platform/grpcserver"
	"tongdu/platform/placement"
	"tongdu/platform/servicemain"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/api"
	"tongdu/services/survey/internal/app"
	"tongdu/services/survey/internal/opinion"
	"tongdu/services/survey/internal/peers"
	"tongdu/services/survey/internal/storage"
)

// ServiceName is the gRPC service's full name, used for health statuses.
const ServiceName = "tongdu.survey.v1.SurveyService"

// Config is the survey service's configuration.
type Config struct {
	Weights        string // "deficit,willingness,participation"
	RankingRefresh time.Duration
	RankingDelay   time.Duration
}

// Flags declares the configuration, with TONGDU_* fallbacks.
func (c *Config) Flags(s *config.Set) error {
	s.String(&c.Weights, "ranking-weights", "0.40,0.35,0.25", "rule 4 (the priority ranking) weights: deficit,willingness,participation")
	if err := s.Duration(&c.RankingRefresh, "ranking-refresh", 5*time.Minute, "age at which a region's ranking is rebuilt from the registry"); err != nil {
		return err
	}
	return s.Duration(&c.RankingDelay, "ranking-delay", app.DefaultRankingDelay, "longest wait of responses before their compound moves in the rankings (a ranking read moves it at once)")
}

// options turns the configuration into the service's options; what is left empty takes
// the defaults (rule 4's weights of the priority score, 0.40·deficit + 0.35·willingness +
// 0.25·participation; a five-minute refresh; a one-second delay).
func (c *Config) options() (app.Options, error) {
	refresh := c.RankingRefresh
	if refresh <= 0 {
		refresh = 5 * time.Minute
	}
	if c.Weights == "" {
		return app.Options{Weights: opinion.DefaultWeights, RankingRefresh: refresh, RankingDelay: c.RankingDelay}, nil
	}
	parts := strings.Split(c.Weights, ",")
	if len(parts) != 3 {
		return app.Options{}, fmt.Errorf("ranking-weights: want three numbers, got %q", c.Weights)
	}
	var w [3]float64
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return app.Options{}, fmt.Errorf("ranking-weights: %w", err)
		}
		w[i] = v
	}
	weights := opinion.Weights{Deficit: w[0], Willingness: w[1], Participation: w[2]}
	if err := weights.Check(); err != nil {
		return app.Options{}, err
	}
	return app.Options{Weights: weights, RankingRefresh: refresh, RankingDelay: c.RankingDelay}, nil
}

// Service is the survey service over one Redis.
type Service struct {
	rdb        redis.UniversalClient
	log        *slog.Logger
	store      *storage.Store
	outbox     *events.Outbox
	app        *app.App
	governance grpc.ClientConnInterface
	srv        *grpcserver.Server
}

// Peers are the services the survey service calls.
type Peers struct {
	// Governance owns the compounds and households responses are checked against.
	Governance grpc.ClientConnInterface
}

// Module is how binaries build and run the survey service; its flags set its
// configuration.
func Module() *servicemain.Module { return ModuleWith(Config{}) }

// ModuleWith is Module starting from cfg (for tests that run the all-in-one with
// settings of their own).
func ModuleWith(cfg Config) *servicemain.Module {
	return &servicemain.Module{
		Name: "survey", DefaultAddr: ":9092", Policy: Policy,
		Peers: []servicemain.Peer{{Name: "governance", DefaultAddr: "127.0.0.1:9091"}},
		Flags: cfg.Flags,
		Build: func(env servicemain.Env) (servicemain.Service, error) {
			return New(env.Redis, Peers{Governance: env.Peers["governance"]}, env.Log, cfg)
		},
	}
}

// New builds the service on rdb; a configuration that makes no sense (weights that do
// not add up) is an error.
func New(rdb redis.UniversalClient, p Peers, log *slog.Logger, cfg Config) (*Service, error) {
	opt, err := cfg.options()
	if err != nil {
		return nil, err
	}
	outbox := events.NewOutbox(rdb, log)
	store := storage.New(rdb, outbox)
	return &Service{rdb: rdb, log: log, store: store, outbox: outbox, governance: p.Governance, app: app.New(store, peers.NewGovernance(p.Governance), log, time.Now, opt)}, nil
}

// Register adds the service to srv and teaches srv's resolver where surveys, meetings and
// ideas lie.
func (s *Service) Register(srv *grpcserver.Server) {
	pb.RegisterSurveyServiceServer(srv.GRPC, api.New(s.app))
	s.srv = srv
	if srv.Auth != nil {
		// What lies above a survey, meeting or idea: its compound, placed by governance.
		r := srv.Auth.Resolver()
		placement.TeachRegistry(r, s.governance)
		r.Teach("surveys", func(ctx context.Context, id string) ([]string, error) {
			sv, err := s.store.GetSurvey(ctx, id)
			if err != nil {
				return nil, err
			}
			return []string{"compounds/" + sv.CompoundID}, nil
		})
		r.Teach("meetings", func(ctx context.Context, id string) ([]string, error) {
			m, err := s.store.GetMeeting(ctx, id)
			if err != nil {
				return nil, err
			}
			return []string{"compounds/" + m.CompoundID}, nil
		})
		r.Teach("ideas", func(ctx context.Context, id string) ([]string, error) {
			i, err := s.store.GetIdea(ctx, id)
			if err != nil {
				return nil, err
			}
			return []string{"compounds/" + i.CompoundID}, nil
		})
	}
}

// Start keeps the health status in step with Redis, moves the rankings (every
// --ranking-delay), follows the registry's changes behind them (rule 4: governance's
// events on the registry topic) and relays the events written with the changes (the
// outbox) until ctx ends.
func (s *Service) Start(ctx context.Context) {
	if s.srv != nil {
		s.srv.WatchReadiness(ctx, s.store.Ping, 2*time.Second, ServiceName)
	}
	go s.app.RunRanking(ctx)
	go s.outbox.Run(ctx)
	// One consumer per process (events.ConsumerName); what a dead replica left pending is
	// claimed by a live one.
	go events.Follow(ctx, s.rdb, s.log, events.RegistryTopic, "survey", s.app.FollowRegistryEvent, events.Options{})
}
