// Package api is the projects service's gRPC layer: it checks requests against the works
// rules, asks the owners of each guard (survey, finance, governance) through peers, keeps
// records through storage, and maps domain errors to statuses in one place (errors.go).
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/proto"

	"tongdu/platform/idempotency"
	"tongdu/platform/ids"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/storage"
	"tongdu/services/projects/works"
)

const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// Owners is what the projects service asks the services that own its guards.
type Owners interface {
	Resolution(ctx context.Context, compoundID, surveyID string) (works.ResolutionFacts, error)
	AcceptanceSurvey(ctx context.Context, compoundID, surveyID string) (works.AcceptanceSurveyFacts, error)
	Funding(ctx context.Context, projectID string) (works.FundingFacts, error)
	HouseholdCompound(ctx context.Context, householdID string) (string, error)
	CompoundExists(ctx context.Context, compoundID string) (bool, error)
}

// Server implements tongdu.projects.v1.ProjectsService.
type Server struct {
	pb.UnimplementedProjectsServiceServer
	store      *storage.Store
	owners     Owners
	log        *slog.Logger
	now        func() time.Time
	thresholds works.Thresholds
}

var _ pb.ProjectsServiceServer = (*Server)(nil)

// New returns the server; thresholds are rule 6's residents' acceptance thresholds.
func New(store *storage.Store, owners Owners, log *slog.Logger, now func() time.Time, thresholds works.Thresholds) *Server {
	return &Server{store: store, owners: owners, log: log, now: now, thresholds: thresholds}
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
func (s *Server) claim(ctx context.Context, method, requestID string, req proto.Message, n int) ([]string, bool, error) {
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
		return nil, false, fmt.Errorf("%w: request id %q was used for a different %s", works.ErrRequestReused, requestID, method)
	}
	return c.IDs, !isNew, nil
}

// view returns a project as the API shows it, with its derived item figures.
func (s *Server) view(ctx context.Context, p *works.Project) (*pb.Project, error) {
	items, err := s.store.Items(ctx, p.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return projectToPB(p, items), nil
}

// retryPause spreads out writers that lost a revision race.
func retryPause(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(1+rand.IntN(8)) * time.Millisecond):
		return nil
	}
}

func isConflict(err error) bool { return errors.Is(err, works.ErrConflict) }

func isNotFound(err error) bool { return errors.Is(err, works.ErrNotFound) }
