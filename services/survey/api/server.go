// Package api is the survey service's gRPC layer: it checks requests against the opinion
// rules, asks governance (through peers) about compounds and households, keeps records
// through storage, and maps domain errors to statuses in one place (errors.go).
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"tongdu/platform/idempotency"
	"tongdu/platform/ids"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/opinion"
	"tongdu/services/survey/peers"
	"tongdu/services/survey/storage"
)

const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// Registry is what the survey service asks governance.
type Registry interface {
	Compound(ctx context.Context, id string) (*peers.Compound, error)
	Households(ctx context.Context, ids []string) (map[string]peers.Household, error)
	CheckRegion(ctx context.Context, id string) error
	CompoundsUnder(ctx context.Context, region string, each func([]*peers.Compound) error) error
}

// Options are the service's settings.
type Options struct {
	// Weights of the priority ranking (rule 4).
	Weights opinion.Weights
	// RankingRefresh is how old a region's ranking may grow before it is rebuilt from the
	// registry in the background (facility assessments and new compounds show up then).
	RankingRefresh time.Duration
	// RankingDelay is how long responses may wait before their compound moves in the
	// rankings (0: DefaultRankingDelay). A read of a ranking never waits for it.
	RankingDelay time.Duration
}

// DefaultRankingDelay is the RankingDelay when none is set.
const DefaultRankingDelay = time.Second

// Server implements tongdu.survey.v1.SurveyService.
type Server struct {
	pb.UnimplementedSurveyServiceServer
	store    *storage.Store
	registry Registry
	log      *slog.Logger
	now      func() time.Time
	opt      Options

	rebuilding  sync.Map // region → struct{}: one background rebuild per region at a time
	firstBuilds sync.Map // region → chan struct{} closed when its first build ends
	ranks       rankQueue
	open        openSurveys
}

var _ pb.SurveyServiceServer = (*Server)(nil)

// New returns the server.
func New(store *storage.Store, registry Registry, log *slog.Logger, now func() time.Time, opt Options) *Server {
	return &Server{store: store, registry: registry, log: log, now: now, opt: opt, ranks: newRankQueue()}
}

func (s *Server) fail(ctx context.Context, err error) error { return toStatus(ctx, s.log, err) }

func pageSize(n int32) int {
	switch {
	case n <= 0:
		return defaultPageSize
	case n > maxPageSize:
		return maxPageSize
	}
	return int(n)
}

// claim returns n new ids, or those an earlier request with the same request id made
// (replayed reports true). The same request id with another body is refused.
func (s *Server) claim(ctx context.Context, method, requestID string, req proto.Message, n int) (idList []string, replayed bool, err error) {
	fresh := make([]string, n)
	for i := range fresh {
		fresh[i] = ids.New()
	}
	if requestID == "" {
		return fresh, false, nil
	}
	hash, err := idempotency.BodyHash(req)
	if err != nil {
		return nil, false, err
	}
	c, isNew, err := s.store.ClaimRequest(ctx, method, requestID, idempotency.Claim{Hash: hash, IDs: fresh})
	if err != nil {
		return nil, false, err
	}
	if !isNew && (c.Hash != hash || len(c.IDs) != n) {
		return nil, false, fmt.Errorf("%w: request id %q was used for a different %s", opinion.ErrRequestReused, requestID, method)
	}
	return c.IDs, !isNew, nil
}

// compound asks governance for a compound named by a request field; an unknown one is
// bad input on that field.
func (s *Server) compound(ctx context.Context, id, field string) (*peers.Compound, error) {
	c, err := s.registry.Compound(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return nil, &opinion.InvalidError{Violations: []opinion.Violation{{Field: field, Reason: "no compound " + id}}}
		}
		return nil, err
	}
	return c, nil
}

// householdsOf checks that every household named belongs to the compound and returns
// their areas; field(i) names the i-th household in the request.
func (s *Server) householdsOf(ctx context.Context, compoundID string, hids []string, field func(int) string) (map[string]peers.Household, error) {
	if len(hids) == 0 {
		return map[string]peers.Household{}, nil
	}
	hs, err := s.registry.Households(ctx, hids)
	if err != nil {
		return nil, err
	}
	for i, id := range hids {
		if h, ok := hs[id]; !ok || h.CompoundID != compoundID {
			return nil, fmt.Errorf("%w: %s: household %s is not a household of compound %s", opinion.ErrNotInCompound, field(i), id, compoundID)
		}
	}
	return hs, nil
}

// electorate is what a survey counts against: frozen once closed, else the registry's
// figures now.
func (s *Server) electorate(ctx context.Context, sv *opinion.Survey) (opinion.Electorate, error) {
	if sv.Frozen {
		return sv.Electorate, nil
	}
	c, err := s.registry.Compound(ctx, sv.CompoundID)
	if err != nil {
		return opinion.Electorate{}, err
	}
	return opinion.Electorate{Households: c.Households, Area: c.Area}, nil
}

func isNotFound(err error) bool { return errors.Is(err, opinion.ErrNotFound) }
