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

	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/grpcserver"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/api"
	"tongdu/services/survey/opinion"
	"tongdu/services/survey/peers"
	"tongdu/services/survey/storage"
)

// ServiceName is the gRPC service's full name, used for health statuses.
const ServiceName = "tongdu.survey.v1.SurveyService"

// Config is the survey service's configuration.
type Config struct {
	GovernanceAddr string
	Weights        string // "deficit,willingness,participation"
	RankingRefresh time.Duration
	RankingDelay   time.Duration
}

// Flags declares the configuration, with TONGDU_* fallbacks. governanceAddr is the
// default peer address ("" where the caller wires the peer itself).
func (c *Config) Flags(s *config.Set, governanceAddr string) error {
	s.String(&c.GovernanceAddr, "governance-addr", governanceAddr, "governance service gRPC address")
	s.String(&c.Weights, "ranking-weights", "0.40,0.35,0.25", "rule 4 weights: deficit,willingness,participation")
	if err := s.Duration(&c.RankingRefresh, "ranking-refresh", 5*time.Minute, "age at which a region's ranking is rebuilt from the registry"); err != nil {
		return err
	}
	return s.Duration(&c.RankingDelay, "ranking-delay", api.DefaultRankingDelay, "longest wait of responses before their compound moves in the rankings (a ranking read moves it at once)")
}

// Options turns the configuration into the service's options; what is left empty takes
// the defaults (rule 4's weights, a five-minute refresh, a one-second delay).
func (c *Config) Options() (api.Options, error) {
	refresh := c.RankingRefresh
	if refresh <= 0 {
		refresh = 5 * time.Minute
	}
	if c.Weights == "" {
		return api.Options{Weights: opinion.DefaultWeights, RankingRefresh: refresh, RankingDelay: c.RankingDelay}, nil
	}
	parts := strings.Split(c.Weights, ",")
	if len(parts) != 3 {
		return api.Options{}, fmt.Errorf("ranking-weights: want three numbers, got %q", c.Weights)
	}
	var w [3]float64
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return api.Options{}, fmt.Errorf("ranking-weights: %w", err)
		}
		w[i] = v
	}
	weights := opinion.Weights{Deficit: w[0], Willingness: w[1], Participation: w[2]}
	if err := weights.Check(); err != nil {
		return api.Options{}, err
	}
	return api.Options{Weights: weights, RankingRefresh: refresh, RankingDelay: c.RankingDelay}, nil
}

// Service is the survey service over one Redis.
type Service struct {
	store      *storage.Store
	api        *api.Server
	governance grpc.ClientConnInterface
}

// New builds the service on rdb; governance is its connection to the governance service.
func New(rdb redis.UniversalClient, governance grpc.ClientConnInterface, log *slog.Logger, opt api.Options) *Service {
	store := storage.New(rdb)
	return &Service{store: store, governance: governance, api: api.New(store, peers.NewGovernance(governance), log, time.Now, opt)}
}

// Register adds the service to srv and keeps its health status in step with Redis.
func (s *Service) Register(ctx context.Context, srv *grpcserver.Server) {
	pb.RegisterSurveyServiceServer(srv.GRPC, s.api)
	go s.api.RunRanking(ctx)
	if srv.Auth != nil {
		// What lies above a survey, meeting or idea: its compound, placed by governance.
		r := srv.Auth.Resolver()
		auth.TeachRegistry(r, s.governance)
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
	srv.WatchReadiness(ctx, s.store.Ping, 2*time.Second, ServiceName)
}
