// Package app holds the governance service's use cases, one exported method per command
// or query, named like its RPC (CreateRegion, ListWhistles, AdoptConvention…): it checks
// requests against the registry's rules, claims request ids so that retries replay what
// the first request made, retries optimistic writes when another writer got in between,
// asks the survey service about resolutions, and follows other services' compound
// events. It takes and returns registry types and plain values; its errors are faults
// (platform/fault) that the gRPC layer answers as they are.
package app

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"tongdu/platform/events"
	"tongdu/platform/idempotency"
	"tongdu/services/governance/internal/registry"
)

// Store is the registry kept in Redis (internal/storage implements it). Reads of a
// record that is not there are registry.ErrNotFound; an optimistic write that lost to
// another writer is registry.ErrConflict. Writes that take events (evs, encoded by
// events.Event) write them in the same atomic step as the change, and only when the
// change is made; the store's outbox relays them to their streams.
type Store interface {
	AddServiceRecord(ctx context.Context, r registry.ServiceRecord) error
	Audit(ctx context.Context, service string, match func(*registry.AuditEntry) bool, offset, size int) ([]registry.AuditEntry, bool, error)
	BuildingHouseholds(ctx context.Context, cid, bid string) ([]registry.Household, error)
	BuildingsOf(ctx context.Context, cid string) (map[string]*registry.Building, error)
	CastVote(ctx context.Context, e *registry.Election, voter, candidate, requestID, bodyHash string) error
	idempotency.Claims // request-id claims (idempotency.NewIDs)
	CloseElection(ctx context.Context, e registry.Election) error
	CreateBuilding(ctx context.Context, b registry.Building) error
	CreateCompound(ctx context.Context, c registry.Compound, evs ...string) error
	CreateConvention(ctx context.Context, c registry.Convention) (int, error)
	CreateDepartment(ctx context.Context, d registry.Department, claim string) error
	CreateElection(ctx context.Context, e registry.Election) error
	CreateGridCell(ctx context.Context, g registry.GridCell) error
	CreateHouseholds(ctx context.Context, cid string, hs []registry.Household, evs ...string) error
	CreateLeaderContact(ctx context.Context, l registry.LeaderContact) error
	CreateLinkageMeeting(ctx context.Context, m registry.LinkageMeeting) error
	CreateLinkedUnit(ctx context.Context, u registry.LinkedUnit) error
	CreatePartyBranch(ctx context.Context, b registry.PartyBranch) error
	CreatePartyMember(ctx context.Context, m registry.PartyMember) error
	CreateRegion(ctx context.Context, r registry.Region) error
	CreateWhistle(ctx context.Context, w registry.Whistle, c registry.WhistleChange) error
	DepartmentTally(ctx context.Context, id string, now time.Time) (registry.DepartmentTally, int64, error)
	DepartmentsExist(ctx context.Context, ids []string) (map[string]bool, error)
	GetBuilding(ctx context.Context, id string) (*registry.Building, error)
	GetBuildings(ctx context.Context, ids []string) ([]*registry.Building, error)
	GetCompound(ctx context.Context, id string) (*registry.Compound, error)
	GetCompounds(ctx context.Context, ids []string) ([]registry.Compound, error)
	GetConvention(ctx context.Context, id string) (*registry.Convention, error)
	GetDepartment(ctx context.Context, id string) (*registry.Department, error)
	GetElection(ctx context.Context, id string) (*registry.Election, map[string]string, error)
	GetGridCell(ctx context.Context, id string) (*registry.GridCell, error)
	GetHousehold(ctx context.Context, id string) (*registry.Household, error)
	GetHouseholds(ctx context.Context, ids []string) ([]registry.Household, error)
	GetLeaderContact(ctx context.Context, id string) (*registry.LeaderContact, error)
	GetLinkageMeeting(ctx context.Context, id string) (*registry.LinkageMeeting, error)
	GetLinkedUnit(ctx context.Context, id string) (*registry.LinkedUnit, error)
	GetPartyBranch(ctx context.Context, id string) (*registry.PartyBranch, error)
	GetPartyMember(ctx context.Context, id string) (*registry.PartyMember, error)
	GetRegion(ctx context.Context, id string) (*registry.Region, error)
	RecountCompound(ctx context.Context, cid string) error
	CountStoredCompounds(ctx context.Context) (int, error)
	RegionStatistics(ctx context.Context, region string) (registry.RegionStatistics, error)
	GetWhistle(ctx context.Context, id string) (*registry.Whistle, error)
	GetWhistles(ctx context.Context, ids []string) ([]registry.Whistle, error)
	ListBuildings(ctx context.Context, cid, token string, size int) ([]registry.Building, string, error)
	ListCompounds(ctx context.Context, region string, match func(*registry.Compound) bool, token string, size int) ([]registry.Compound, string, error)
	ListConventions(ctx context.Context, cid string, kind registry.ConventionKind, token string, size int) ([]registry.Convention, string, error)
	ListDepartments(ctx context.Context, token string, size int) ([]registry.Department, string, error)
	ListGridCells(ctx context.Context, community, token string, size int) ([]registry.GridCell, string, error)
	ListHouseholds(ctx context.Context, cid, buildingID, token string, size int) ([]registry.Household, string, error)
	ListLeaderContacts(ctx context.Context, compoundID, communityID, token string, size int) ([]registry.LeaderContact, string, error)
	ListLinkageMeetings(ctx context.Context, cid, token string, size int) ([]registry.LinkageMeeting, string, error)
	ListLinkedUnits(ctx context.Context, community, token string, size int) ([]registry.LinkedUnit, string, error)
	ListPartyBranches(ctx context.Context, community string, match func(*registry.PartyBranch) bool, token string, size int) ([]registry.PartyBranch, string, error)
	ListPartyMembers(ctx context.Context, community, unit, token string, size int) ([]registry.PartyMember, string, error)
	ListRegions(ctx context.Context, parent, token string, size int) ([]registry.Region, string, error)
	ListWhistles(ctx context.Context, f registry.WhistleFilter, now time.Time, match func(*registry.Whistle) bool, token string, size int) ([]registry.Whistle, string, error)
	ServiceTotals(ctx context.Context, members []string, months []string) (map[string][2]int64, error)
	UnitMembers(ctx context.Context, unit string) ([]registry.PartyMember, error)
	UpdateCompound(ctx context.Context, c registry.Compound, evs ...string) (int64, error)
	UpdateConvention(ctx context.Context, c registry.Convention) (int64, error)
	UpdateWhistle(ctx context.Context, prev registry.WhistleStatus, w registry.Whistle, c registry.WhistleChange) (int64, error)
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

// Options are the service's settings.
type Options struct {
	// Whistle limits of rule 11 (a called department acknowledges and resolves within
	// limits by priority): zero takes the rule's, URGENT 2 h / 24 h, NORMAL 24 h / 72 h.
	UrgentAcknowledge, UrgentResolve time.Duration
	NormalAcknowledge, NormalResolve time.Duration
}

// Request names a write that may be retried (idempotency.Request).
type Request = idempotency.Request

// App is the governance service's use cases.
type App struct {
	store       Store
	log         *slog.Logger
	now         func() time.Time
	limits      registry.WhistleLimits
	resolutions Resolutions
}

// New returns the use cases on store. now is the clock (time.Now outside tests);
// resolutions may be nil where no survey service is wired (adopting a convention then
// answers UNAVAILABLE).
func New(store Store, log *slog.Logger, now func() time.Time, opt Options, resolutions Resolutions) *App {
	or := func(d, def time.Duration) time.Duration {
		if d == 0 {
			return def
		}
		return d
	}
	limits := registry.WhistleLimits{
		UrgentAcknowledge: or(opt.UrgentAcknowledge, 2*time.Hour), UrgentResolve: or(opt.UrgentResolve, 24*time.Hour),
		NormalAcknowledge: or(opt.NormalAcknowledge, 24*time.Hour), NormalResolve: or(opt.NormalResolve, 72*time.Hour),
	}
	return &App{store: store, log: log, now: now, limits: limits, resolutions: resolutions}
}

// factEvents are the events telling the survey service which facts behind the priority
// ranking changed for a compound (rule 4: any change of the facts behind a term reaches
// the ranking within the same short delay, whichever service it happened in). The store
// writes them with the change, in one step, so a change is never stored without them nor
// they published without it.
func factEvents(compoundID string, facts ...string) []string {
	evs := make([]string, len(facts))
	for i, f := range facts {
		evs[i] = events.Event(events.RegistryTopic, map[string]string{"compound": compoundID, "fact": f})
	}
	return evs
}

// householdsEvent tells the survey service which households a step wrote in a compound,
// with their areas (events.HouseholdsField): participation counts over all households
// (rule 4), and the survey service checks each response against its own copy of the
// compound's households and weighs it by the area (rules 2 and 3) without asking
// governance. One event per step, written with it by the store.
func householdsEvent(compoundID string, hs []registry.Household) []string {
	areas := make([]events.HouseholdArea, len(hs))
	for i, h := range hs {
		areas[i] = events.HouseholdArea{ID: h.ID, Area: int64(h.ExclusiveArea)}
	}
	return []string{events.Event(events.RegistryTopic, map[string]string{
		"compound": compoundID, "fact": registry.FactHouseholdsChanged, events.HouseholdsField: events.EncodeHouseholds(areas)})}
}

// idsFor returns n new ids for a create, or those an earlier request with the same
// request id made (idempotency.NewIDs).
func (a *App) idsFor(ctx context.Context, method string, req Request, n int) ([]string, error) {
	fresh, _, err := idempotency.NewIDs(ctx, a.store, method, req, n, registry.ErrRequestReused)
	return fresh, err
}

// pause waits a short random time before an optimistic write is tried again, longer with
// each attempt, which spreads out contenders; it ends early with ctx.
func pause(ctx context.Context, attempt int) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(1+rand.IntN(1<<min(attempt, 6))) * time.Millisecond):
		return nil
	}
}
