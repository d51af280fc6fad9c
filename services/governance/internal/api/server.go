// Package api is the governance service's gRPC layer: it translates requests into the
// registry's rules and the store, and domain errors into statuses (errors.go). Requests
// reach it validated against the contract's constraints by the platform interceptor.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/protobuf/proto"

	"tongdu/platform/idempotency"
	"tongdu/platform/ids"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
	"tongdu/services/governance/internal/storage"
)

const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// Server implements tongdu.governance.v1.GovernanceService.
type Server struct {
	pb.UnimplementedGovernanceServiceServer
	store       *storage.Store
	log         *slog.Logger
	now         func() time.Time
	opt         Options
	resolutions Resolutions
}

var _ pb.GovernanceServiceServer = (*Server)(nil)

// Options are the service's settings.
type Options struct {
	// Whistle limits of rule 11: how long a department has to acknowledge and to resolve,
	// by priority. Zero takes the rule's: URGENT 2 h / 24 h, NORMAL 24 h / 72 h.
	UrgentAcknowledge, UrgentResolve time.Duration
	NormalAcknowledge, NormalResolve time.Duration
}

// ResolutionFacts is what the survey service says of an owners' resolution.
type ResolutionFacts struct {
	Found, Passed bool
	CompoundID    string
	Matter        string // RENOVATION, MAINTENANCE_FUND, COMMON_PART_BUSINESS, OTHER
	Figures       []string
}

// Resolutions asks the survey service about resolutions (a convention is adopted by one).
type Resolutions interface {
	Resolution(ctx context.Context, surveyID string) (ResolutionFacts, error)
}

// New returns the server on store. now is the clock (time.Now outside tests);
// resolutions may be nil where no survey service is wired (adopting a convention then
// answers UNAVAILABLE).
func New(store *storage.Store, log *slog.Logger, now func() time.Time, opt Options, resolutions Resolutions) *Server {
	if opt.UrgentAcknowledge == 0 {
		opt.UrgentAcknowledge = 2 * time.Hour
	}
	if opt.UrgentResolve == 0 {
		opt.UrgentResolve = 24 * time.Hour
	}
	if opt.NormalAcknowledge == 0 {
		opt.NormalAcknowledge = 24 * time.Hour
	}
	if opt.NormalResolve == 0 {
		opt.NormalResolve = 72 * time.Hour
	}
	return &Server{store: store, log: log, now: now, opt: opt, resolutions: resolutions}
}

func pageSize(n int32) int {
	switch {
	case n <= 0:
		return defaultPageSize
	case n > maxPageSize:
		return maxPageSize
	}
	return int(n)
}

func (s *Server) fail(ctx context.Context, err error) error { return toStatus(ctx, s.log, err) }

// idsFor returns n new ids for a create, or the ids an earlier request with the same
// request id made, so a retried create answers with what the first one created. The same
// request id with another body is refused with REQUEST_ID_REUSED.
func (s *Server) idsFor(ctx context.Context, method, requestID string, req proto.Message, n int) ([]string, error) {
	fresh := make([]string, n)
	for i := range fresh {
		fresh[i] = ids.New()
	}
	if requestID == "" {
		return fresh, nil
	}
	hash, err := idempotency.BodyHash(req)
	if err != nil {
		return nil, err
	}
	claim, isNew, err := s.store.ClaimRequest(ctx, method, requestID, storage.Claim{Hash: hash, IDs: fresh})
	if err != nil {
		return nil, err
	}
	if !isNew && (claim.Hash != hash || len(claim.IDs) != n) {
		return nil, fmt.Errorf("%w: request id %q was used for a different %s", registry.ErrRequestReused, requestID, method)
	}
	return claim.IDs, nil
}
