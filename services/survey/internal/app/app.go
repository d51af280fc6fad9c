// Package app holds the survey service's use cases, one method per command or query of
// the API, named like its RPC: it checks requests against the opinion rules, asks
// governance (Registry) about compounds and households, keeps records through a Store,
// and owns what lies between: request-id claims and replays, retries of optimistic
// writes, the compound events, the cache of OPEN surveys and the priority ranking read
// model. It takes and returns domain values; errors are platform/fault values (the
// opinion sentinels), which the gRPC server turns into statuses.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"tongdu/platform/fault"
	"tongdu/platform/idempotency"
	"tongdu/services/survey/internal/opinion"
)

// Store keeps the survey service's records; internal/storage implements it on Redis.
// Reads of a missing record return opinion.ErrNotFound; a write on a stale revision
// returns opinion.ErrConflict.
type Store interface {
	idempotency.Claims // request-id claims (idempotency.NewIDs)

	CreateSurvey(ctx context.Context, sv opinion.Survey) error
	GetSurvey(ctx context.Context, id string) (*opinion.Survey, error)
	GetSurveys(ctx context.Context, ids []string) ([]*opinion.Survey, error)
	// UpdateSurvey writes sv with the events the change calls for (events.Event), in
	// one step: both or neither.
	UpdateSurvey(ctx context.Context, sv opinion.Survey, evs ...string) error
	ListSurveys(ctx context.Context, compoundID string, match func(*opinion.Survey) bool, token string, size int) ([]opinion.Survey, string, error)
	Tally(ctx context.Context, id string) (opinion.Tally, error)
	Counters(ctx context.Context, surveyIDs []string, counters ...string) ([]opinion.Tally, error)

	// SubmitResponses records checked responses in one step, each household checked
	// against and weighed by the survey's electorate (KeepElectorate), after adding the
	// households learned (id → area); households it does not hold are an
	// *opinion.UnknownHouseholds and nothing is recorded.
	SubmitResponses(ctx context.Context, sv *opinion.Survey, rs []opinion.Response, requestID, bodyHash string, learned map[string]int64) ([]opinion.Outcome, bool, error)
	// KeepElectorate writes households (id → area, hundredths of m²) into a survey's copy
	// of its compound's households: over what is there with replace, else beside it.
	KeepElectorate(ctx context.Context, surveyID string, areas map[string]int64, replace bool) error
	ForgetElectorate(ctx context.Context, surveyID string) error
	GetResponse(ctx context.Context, surveyID, householdID string) (*opinion.Response, error)
	ListResponses(ctx context.Context, surveyID string, match func(*opinion.Response) bool, token string, size int) ([]opinion.Response, string, error)

	CreateMeeting(ctx context.Context, m opinion.Meeting) error
	GetMeeting(ctx context.Context, id string) (*opinion.Meeting, error)
	CloseMeeting(ctx context.Context, m opinion.Meeting) error
	ListMeetings(ctx context.Context, cid string, match func(*opinion.Meeting) bool, token string, size int) ([]opinion.Meeting, string, error)

	CreateIdea(ctx context.Context, i opinion.Idea) error
	GetIdea(ctx context.Context, id string) (*opinion.Idea, error)
	EndorseIdea(ctx context.Context, i *opinion.Idea, householdID string) (*opinion.Idea, error)
	DecideIdea(ctx context.Context, i opinion.Idea) error
	ListIdeas(ctx context.Context, cid string, byEndorsements bool, match func(*opinion.Idea) bool, token string, size int) ([]opinion.Idea, string, error)

	UpsertRanks(ctx context.Context, rcs []opinion.RankedCompound) error
	RankPage(ctx context.Context, region string, statuses []opinion.CompoundStatus, offset, size int64) ([]opinion.RankEntry, int64, error)
	RankedCompounds(ctx context.Context, compoundIDs []string) ([]opinion.RankedCompound, error)
	RankBuilt(ctx context.Context, region string) (time.Time, error)
	MarkRankBuilt(ctx context.Context, region string, at time.Time) error
	SetLatestNeeds(ctx context.Context, compoundID, surveyID string) error
	LatestNeeds(ctx context.Context, compoundIDs []string) ([]string, error)
	MarkRegistryChanged(ctx context.Context, compoundIDs ...string) error
	TakeRegistryChanged(ctx context.Context, n int) ([]string, error)
}

// Registry is what the survey service asks governance; internal/peers implements it over
// gRPC. An unknown compound or region is opinion.ErrNotFound.
type Registry interface {
	Compound(ctx context.Context, id string) (*Compound, error)
	// Households returns the households asked for by id; unknown ones are absent.
	Households(ctx context.Context, ids []string) (map[string]Household, error)
	// HouseholdsIn calls each with successive pages of a compound's households.
	HouseholdsIn(ctx context.Context, compoundID string, each func([]Household) error) error
	CheckRegion(ctx context.Context, id string) error
	// CompoundsUnder calls each with successive pages of the compounds under a region.
	CompoundsUnder(ctx context.Context, region string, each func([]*Compound) error) error
}

// Compound is what the survey service needs to know of a compound.
type Compound struct {
	ID         string
	Name       string
	BuildYear  int
	RegionPath []string
	Households int
	Area       int64 // hundredths of m²
	Conditions []opinion.Condition
	Status     opinion.CompoundStatus
}

// Household is what the survey service needs to know of a household: where it is and
// how much its vote weighs.
type Household struct {
	ID         string
	CompoundID string
	Area       int64 // hundredths of m²
}

// Options are the service's settings.
type Options struct {
	// Weights of the priority ranking (rule 4: priority = 0.40·deficit + 0.35·willingness
	// + 0.25·participation by default).
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

// Request names a write that may be retried (idempotency.Request).
type Request = idempotency.Request

// App is the survey service's use cases.
type App struct {
	store    Store
	registry Registry
	log      *slog.Logger
	now      func() time.Time
	opt      Options

	rebuilding  sync.Map // region → struct{}: one background rebuild per region at a time
	firstBuilds sync.Map // region → chan struct{} closed when its first build ends
	ranks       rankQueue
	open        openSurveys
}

// New returns the use cases over store and registry, with now as the clock.
func New(store Store, registry Registry, log *slog.Logger, now func() time.Time, opt Options) *App {
	return &App{store: store, registry: registry, log: log, now: now, opt: opt, ranks: newRankQueue()}
}

// claim returns n new ids, or those an earlier request with the same request id made
// (idempotency.NewIDs).
func (a *App) claim(ctx context.Context, method string, req Request, n int) ([]string, bool, error) {
	return idempotency.NewIDs(ctx, a.store, method, req, n, opinion.ErrRequestReused)
}

// compound asks governance for a compound named by a request field; an unknown one is
// bad input on that field.
func (a *App) compound(ctx context.Context, id, field string) (*Compound, error) {
	c, err := a.registry.Compound(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return nil, fault.Field(field, "no compound "+id)
		}
		return nil, err
	}
	return c, nil
}

// householdsOf checks that every household named belongs to the compound and returns
// their areas; field(i) names the i-th household in the request.
func (a *App) householdsOf(ctx context.Context, compoundID string, hids []string, field func(int) string) (map[string]Household, error) {
	if len(hids) == 0 {
		return map[string]Household{}, nil
	}
	hs, err := a.registry.Households(ctx, hids)
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
func (a *App) electorate(ctx context.Context, sv *opinion.Survey) (opinion.Electorate, error) {
	if sv.Frozen {
		return sv.Electorate, nil
	}
	c, err := a.registry.Compound(ctx, sv.CompoundID)
	if err != nil {
		return opinion.Electorate{}, err
	}
	return opinion.Electorate{Households: c.Households, Area: c.Area}, nil
}

func isNotFound(err error) bool { return errors.Is(err, opinion.ErrNotFound) }
