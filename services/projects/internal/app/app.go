// Package app holds the projects service's use cases, one method per API call and named
// like it: it checks requests against the works rules, asks the owners of each guard
// (survey, finance, governance) through the peer interfaces below, keeps records through
// Store, and owns idempotency (request-id claims), the retries of revision-checked writes
// and the events a transition publishes. Errors are platform/fault errors (the works
// sentinels, bad input, guard refusals) or causes the gRPC layer reports as unexpected.
package app

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"tongdu/platform/fault"
	"tongdu/platform/idempotency"
	"tongdu/services/projects/internal/works"
)

// Store is what the use cases need of storage (internal/storage implements it on
// Redis). Lookups of what does not exist return
// works.ErrNotFound; revision-checked writes that lost a race return works.ErrConflict.
type Store interface {
	idempotency.Claims // request-id claims (idempotency.NewIDs)

	CreateProject(ctx context.Context, p works.Project) error
	GetProject(ctx context.Context, id string) (*works.Project, error)
	// UpdateProject writes p with the events the change calls for (events.Event), in
	// one step: both or neither.
	UpdateProject(ctx context.Context, p works.Project, evs ...string) (int64, error)
	ListProjects(ctx context.Context, compoundID string, match func(*works.Project) bool, token string, size int) ([]works.Project, string, error)
	ReleasePlan(ctx context.Context, p works.Project) error
	ClaimResolution(ctx context.Context, surveyID, projectID string) (holder string, err error)
	ReleaseResolution(ctx context.Context, surveyID, projectID string) error

	CreateItem(ctx context.Context, it works.Item) error
	GetItem(ctx context.Context, projectID, id string) (*works.Item, error)
	Items(ctx context.Context, projectID string) ([]works.Item, error)
	ListItems(ctx context.Context, projectID string, match func(*works.Item) bool, token string, size int) ([]works.Item, string, error)
	UpdateItem(ctx context.Context, it works.Item, report *works.ProgressReport) error

	ProgressReport(ctx context.Context, projectID, id string) (*works.ProgressReport, error)
	ProgressReports(ctx context.Context, projectID string, match func(*works.ProgressReport) bool, token string, size int) ([]works.ProgressReport, string, error)
	AddSupervisionReport(ctx context.Context, r works.SupervisionReport) error
	SupervisionReports(ctx context.Context, projectID string, match func(*works.SupervisionReport) bool, token string, size int) ([]works.SupervisionReport, string, error)

	AddSignoff(ctx context.Context, so works.Signoff) (works.Signoff, bool, error)
	LatestSignoffs(ctx context.Context, projectID string) (map[works.Role]works.Signoff, error)

	NoticeStore
}

// Survey answers for the residents' votes: the renovation resolution (rule 3) and the
// residents' part of the joint acceptance (rule 6).
type Survey interface {
	Resolution(ctx context.Context, compoundID, surveyID string) (works.ResolutionFacts, error)
	// AcceptanceSurvey reads the survey named or, with none, the compound's latest closed
	// ACCEPTANCE survey opened after since (none when since is zero).
	AcceptanceSurvey(ctx context.Context, compoundID, surveyID string, since time.Time) (works.AcceptanceSurveyFacts, error)
	Describe(ctx context.Context, surveyID string) (works.SurveyFacts, error)
}

// Finance answers for the funding cover of a project.
type Finance interface {
	Funding(ctx context.Context, projectID string) (works.FundingFacts, error)
}

// Governance answers for the registry: compounds and households.
type Governance interface {
	HouseholdCompound(ctx context.Context, householdID string) (string, error)
	CompoundExists(ctx context.Context, compoundID string) (bool, error)
}

// Peers are the services the use cases ask.
type Peers struct {
	Survey     Survey
	Finance    Finance
	Governance Governance
	Board      Board // what notices publish
}

// ErrPeerNotBuilt is what a peer answers when the service that owns a guard does not
// offer the call yet; a client is told to come back (UNAVAILABLE). Peers wrap it as
// fmt.Errorf("a guard cannot be checked yet: %w: <call> is not built in this version").
var ErrPeerNotBuilt = fault.New(fault.Unavailable, "", "peer service not built")

// App runs the projects service's use cases.
type App struct {
	store      Store
	peers      Peers
	log        *slog.Logger
	now        func() time.Time
	thresholds works.Thresholds
	// noticePeriod is how long a plan stays on the board at least (rule 14).
	noticePeriod time.Duration
}

// New returns the use cases over store and peers; thresholds are rule 6's (the
// residents' part of the joint acceptance) shares of satisfied and responding households,
// noticePeriod rule 14's least time a plan stays on the board.
func New(store Store, peers Peers, log *slog.Logger, now func() time.Time, thresholds works.Thresholds, noticePeriod time.Duration) *App {
	return &App{store: store, peers: peers, log: log, now: now, thresholds: thresholds, noticePeriod: noticePeriod}
}

// Request names a write that may be retried (idempotency.Request).
type Request = idempotency.Request

// claim returns n new ids, or those an earlier request with the same request id made
// (idempotency.NewIDs).
func (a *App) claim(ctx context.Context, method string, rq Request, n int) ([]string, bool, error) {
	return idempotency.NewIDs(ctx, a.store, method, rq, n, works.ErrRequestReused)
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

// projectFor reads a project and checks with allows (a works rule such as
// works.CanSignOff) that it takes the change asked for.
func (a *App) projectFor(ctx context.Context, projectID string, allows func(*works.Project) error) (*works.Project, error) {
	p, err := a.store.GetProject(ctx, projectID)
	if err != nil {
		return nil, err
	}
	if err := allows(p); err != nil {
		return nil, err
	}
	return p, nil
}

func isConflict(err error) bool { return errors.Is(err, works.ErrConflict) }

// fieldNotFound turns an unknown record named in a request into bad input on that field.
func fieldNotFound(err error, field string) error {
	if errors.Is(err, works.ErrNotFound) {
		return fault.Field(field, err.Error())
	}
	return err
}

// Now is the use cases' clock, for states that follow it (a notice's).
func (a *App) Now() time.Time { return a.now() }
