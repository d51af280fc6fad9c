package app

import (
	"context"
	"strconv"
	"sync"
	"time"

	"tongdu/platform/events"
	"tongdu/platform/fault"
	"tongdu/platform/paging"
	"tongdu/services/survey/internal/opinion"
)

// Ranking is a page of a region's ranking.
type Ranking struct {
	RegionID string
	Weights  opinion.Weights
	// First is the rank of Entries[0] (1 for the first page).
	First         int
	Entries       []opinion.RankEntry
	NextPageToken string
}

// GetRanking lists the compounds under a region by rule 4's priority (0.40·deficit +
// 0.35·willingness + 0.25·participation by default), each with its score, the three
// terms behind it and its status; only compounds of the statuses asked for, by default
// those still waiting for a plan (INVENTORIED, SURVEYING), as rule 4 ranks them. A page is read from a ranking kept ready, so its cost does not grow
// with the number of compounds; the ranking is rebuilt from the registry when first
// asked for and, in the background, once it is older than RankingRefresh. An unknown
// region is bad input on regionId.
func (a *App) GetRanking(ctx context.Context, region string, statuses []opinion.CompoundStatus, token string, size int) (Ranking, error) {
	if err := a.registry.CheckRegion(ctx, region); err != nil {
		if isNotFound(err) {
			return Ranking{}, fault.Field("regionId", "no region "+region)
		}
		return Ranking{}, err
	}
	a.refreshMarked(ctx)
	if err := a.ensureRanking(ctx, region); err != nil {
		return Ranking{}, err
	}
	// The ranking moves, so its pages go by offset.
	offset := int64(0)
	if raw, err := paging.DecodeToken(token); err != nil {
		return Ranking{}, err
	} else if raw != "" {
		if offset, err = strconv.ParseInt(raw, 10, 64); err != nil || offset < 0 {
			return Ranking{}, fault.Field("pageToken", "is not a token this service issued")
		}
	}
	n := int64(size)
	entries, total, err := a.store.RankPage(ctx, region, opinion.RankedStatuses(statuses), offset, n)
	if err != nil {
		return Ranking{}, err
	}
	out := Ranking{RegionID: region, Weights: a.opt.Weights, First: int(offset) + 1, Entries: entries}
	if offset+n < total {
		out.NextPageToken = paging.EncodeToken(strconv.FormatInt(offset+n, 10))
	}
	return out, nil
}

// ensureRanking builds a region's ranking on first use and refreshes a stale one in the
// background, one rebuild per region at a time. Readers arriving while the first build
// runs wait for it rather than each reading the whole registry again (if it fails, the
// next of them tries).
func (a *App) ensureRanking(ctx context.Context, region string) error {
	built, err := a.store.RankBuilt(ctx, region)
	if err != nil {
		return err
	}
	for built.IsZero() {
		done := make(chan struct{})
		if other, building := a.firstBuilds.LoadOrStore(region, done); building {
			select {
			case <-other.(chan struct{}):
			case <-ctx.Done():
				return ctx.Err()
			}
			if built, err = a.store.RankBuilt(ctx, region); err != nil {
				return err
			}
			continue
		}
		// Deferred, so waiting readers are let go even if the build panics.
		defer func() {
			a.firstBuilds.Delete(region)
			close(done)
		}()
		// A build may have ended between the read above and taking the turn.
		if built, err = a.store.RankBuilt(ctx, region); err != nil || !built.IsZero() {
			return err
		}
		return a.rebuildRanking(ctx, region)
	}
	if a.now().Sub(built) < a.opt.RankingRefresh {
		return nil
	}
	if _, busy := a.rebuilding.LoadOrStore(region, struct{}{}); busy {
		return nil
	}
	// The rebuild outlives this request but keeps its trace.
	bg := context.WithoutCancel(ctx)
	go func() {
		defer a.rebuilding.Delete(region)
		if err := a.rebuildRanking(bg, region); err != nil {
			a.log.WarnContext(bg, "ranking rebuild failed", "region", region, "cause", err.Error())
		}
	}()
	return nil
}

// rebuildRanking reads every compound under the region from the registry and places each
// in the rankings.
func (a *App) rebuildRanking(ctx context.Context, region string) error {
	started := a.now()
	err := a.registry.CompoundsUnder(ctx, region, func(page []*Compound) error {
		rcs, err := a.rankEntries(ctx, page)
		if err != nil {
			return err
		}
		return a.store.UpsertRanks(ctx, rcs)
	})
	if err != nil {
		return err
	}
	return a.store.MarkRankBuilt(ctx, region, started)
}

// rankEntries computes the ranking entries of compounds from their latest NEEDS surveys.
func (a *App) rankEntries(ctx context.Context, cs []*Compound) ([]opinion.RankedCompound, error) {
	rcs := make([]opinion.RankedCompound, len(cs))
	for i, c := range cs {
		rcs[i] = opinion.RankedCompound{
			RankEntry:  opinion.RankEntry{CompoundID: c.ID, Name: c.Name, BuildYear: c.BuildYear, Deficit: opinion.Deficit(c.Conditions), Status: c.Status},
			Regions:    c.RegionPath,
			Households: c.Households,
		}
	}
	return rcs, a.withSurveyTerms(ctx, rcs)
}

// withSurveyTerms fills in willingness and participation from each compound's latest
// NEEDS survey (none: both 0), and the score.
func (a *App) withSurveyTerms(ctx context.Context, rcs []opinion.RankedCompound) error {
	cids := make([]string, len(rcs))
	for i := range rcs {
		cids[i] = rcs[i].CompoundID
	}
	needs, err := a.store.LatestNeeds(ctx, cids)
	if err != nil {
		return err
	}
	svs, err := a.store.GetSurveys(ctx, needs)
	if err != nil {
		return err
	}
	tallies, err := a.store.Counters(ctx, needs, opinion.CounterResponded, opinion.CounterWilling)
	if err != nil {
		return err
	}
	for i := range rcs {
		e := &rcs[i].RankEntry
		e.SurveyID, e.Willingness, e.Participation = "", 0, 0
		if sv := svs[i]; sv != nil {
			t := tallies[i]
			e.SurveyID = sv.ID
			e.Willingness = share(t[opinion.CounterWilling], t[opinion.CounterResponded])
			// The same electorate as the survey's statistics: frozen once closed, the
			// registry's count while open.
			households := rcs[i].Households
			if sv.Frozen {
				households = sv.Electorate.Households
			}
			e.Participation = share(t[opinion.CounterResponded], int64(households))
		}
		e.Score = a.opt.Weights.Score(e.Deficit, e.Willingness, e.Participation)
	}
	return nil
}

// rerank moves compounds in the rankings after their NEEDS surveys changed, with the
// registry's current facts of each compound (its household count is participation's
// denominator, as in the survey's statistics). It asks the registry as the caller of ctx,
// a few compounds at a time. The ranking is a view of records already kept: a failure is
// logged, and the compounds that did not move are returned.
func (a *App) rerank(ctx context.Context, compoundIDs ...string) (notMoved []string) {
	cs := make([]*Compound, len(compoundIDs))
	errs := make([]error, len(compoundIDs))
	slots := make(chan struct{}, registryCallsAtOnce)
	var wg sync.WaitGroup
	for i, id := range compoundIDs {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			cs[i], errs[i] = a.registry.Compound(ctx, id)
		}()
	}
	wg.Wait()
	var got []*Compound
	var gotIDs []string
	for i, err := range errs {
		if isNotFound(err) {
			// Not (or no longer) in the registry: nothing to rank; a rebuild drops it.
			a.log.WarnContext(ctx, "ranking not moved: no such compound", "compound", compoundIDs[i])
			continue
		}
		if err != nil {
			a.log.WarnContext(ctx, "ranking not moved", "compound", compoundIDs[i], "cause", err.Error())
			notMoved = append(notMoved, compoundIDs[i])
			continue
		}
		got, gotIDs = append(got, cs[i]), append(gotIDs, compoundIDs[i])
	}
	if len(got) == 0 {
		return notMoved
	}
	rcs, err := a.rankEntries(ctx, got)
	if err == nil {
		err = a.store.UpsertRanks(ctx, rcs)
	}
	if err != nil {
		a.log.WarnContext(ctx, "ranking not moved", "compounds", len(got), "cause", err.Error())
		notMoved = append(notMoved, gotIDs...)
	}
	return notMoved
}

// registryCallsAtOnce bounds the registry calls one re-ranking has in flight.
const registryCallsAtOnce = 8

// rankQueue holds the compounds whose NEEDS survey took responses and which have not yet
// moved in the rankings. Re-ranking a compound on every response was most of a response's
// cost (a registry call and a dozen Redis commands), while a compound's place changes
// little from one response to the next. So a response only marks its compound, and:
//
//   - every RankingDelay the loop (RunRanking) moves the marked compounds, recomputing the
//     survey terms over each one's stored entry. It acts for no caller, so it has no token
//     to show the registry, and keeps the registry's facts as last read;
//   - before a ranking is read (GetRanking), the compounds marked since their facts were
//     last read (up to maxRefreshPerRead) are re-ranked with the registry's facts, as the
//     reader, and any other pending ones move as the loop moves them. A read thus counts every response this process
//     answered before it, and agrees with the survey statistics (households registered
//     while a survey is open count in both).
//
// Marks live in this process: with several survey replicas, a replica's responses reach
// the rankings by its own loop, within RankingDelay. A compound whose move fails stays
// marked for the next one.
type rankQueue struct {
	mu      sync.Mutex
	pending map[string]struct{} // not yet moved
	stale   map[string]struct{} // moved without the registry since it was last asked
	// moving is held (a one-slot channel, so a reader can stop waiting when its call
	// ends) for a whole move: a reader waits for a move in flight before reading, as the
	// compounds it took are no longer pending but not yet moved either.
	moving chan struct{}
}

// maxRefreshPerRead bounds the registry calls one ranking read makes; the rest keep the
// registry's facts as last read until the next read.
const maxRefreshPerRead = 200

func newRankQueue() rankQueue {
	return rankQueue{pending: map[string]struct{}{}, stale: map[string]struct{}{}, moving: make(chan struct{}, 1)}
}

// lock takes the right to move, or gives up when ctx ends first.
func (q *rankQueue) lock(ctx context.Context) bool {
	select {
	case q.moving <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (q *rankQueue) unlock() { <-q.moving }

// mark notes that a compound's survey terms changed.
func (q *rankQueue) mark(compoundIDs ...string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, id := range compoundIDs {
		q.pending[id] = struct{}{}
		q.stale[id] = struct{}{}
	}
}

// take removes and returns up to limit (0: all) of the pending compounds, or of the stale
// ones (which are then no longer pending either: the registry's move covers both).
func (q *rankQueue) take(stale bool, limit int) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	from := q.pending
	if stale {
		from = q.stale
	}
	var ids []string
	for id := range from {
		if limit > 0 && len(ids) == limit {
			break
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		delete(q.pending, id)
		if stale {
			delete(q.stale, id)
		}
	}
	return ids
}

// movePending moves the pending compounds from their stored entries; the caller holds
// the right to move. A compound not ranked yet is left to the first build of its region's
// ranking; a compound whose move failed stays pending.
func (a *App) movePending(ctx context.Context) {
	ids := a.ranks.take(false, 0)
	if len(ids) == 0 {
		return
	}
	rcs, err := a.store.RankedCompounds(ctx, ids)
	if err == nil && len(rcs) > 0 {
		if err = a.withSurveyTerms(ctx, rcs); err == nil {
			err = a.store.UpsertRanks(ctx, rcs)
		}
	}
	if err != nil {
		a.log.WarnContext(ctx, "ranking not moved", "compounds", len(ids), "cause", err.Error())
		a.ranks.mark(ids...)
	}
}

// moveMarked is the loop's move.
func (a *App) moveMarked(ctx context.Context) {
	if !a.ranks.lock(ctx) {
		return
	}
	defer a.ranks.unlock()
	a.movePending(ctx)
}

// refreshMarked is a reader's move: the stale compounds with the registry's facts, as the
// caller of ctx, and the pending ones beyond them from their stored entries.
func (a *App) refreshMarked(ctx context.Context) {
	if !a.ranks.lock(ctx) {
		return
	}
	defer a.ranks.unlock()
	ids := a.ranks.take(true, maxRefreshPerRead)
	a.movePending(ctx)
	if len(ids) > 0 {
		if notMoved := a.rerank(ctx, ids...); len(notMoved) > 0 {
			a.ranks.mark(notMoved...)
		}
	}
	// The compounds whose registry facts changed (registry events, whichever replica took
	// them), with the facts as the registry says them now.
	changed, err := a.store.TakeRegistryChanged(ctx, maxRefreshPerRead)
	if err != nil {
		a.log.WarnContext(ctx, "registry changes not read", "cause", err.Error())
		return
	}
	if len(changed) > 0 {
		if notMoved := a.rerank(ctx, changed...); len(notMoved) > 0 {
			if err := a.store.MarkRegistryChanged(ctx, notMoved...); err != nil {
				a.log.WarnContext(ctx, "registry changes lost until the next rebuild", "compounds", len(notMoved), "cause", err.Error())
			}
		}
	}
}

// FollowRegistryEvent handles an event of the registry topic (fields compound and fact:
// FACILITIES_ASSESSED, HOUSEHOLDS_CHANGED, CLASSIFIED, STATUS_CHANGED, CREATED): any
// change of the registry's facts behind rule 4's ranking (deficit, participation's
// households, the status that decides whether it is ranked by default) marks the compound,
// so the next ranking read ranks it again with the registry's facts, as a response moves
// it within the same delay. The mark is kept in Redis, so a read in any replica moves it.
// The loop cannot ask the registry itself: it acts for no caller and has no token to show.
// Marking twice is harmless, so a redelivered event is too. Households added or changed
// also go into the electorate of the compound's surveys (electorate.go).
func (a *App) FollowRegistryEvent(ctx context.Context, _ string, fields map[string]string) error {
	cid := fields["compound"]
	if cid == "" {
		a.log.WarnContext(ctx, "registry event without a compound dropped", "fact", fields["fact"])
		return nil
	}
	if hs := fields[events.HouseholdsField]; hs != "" {
		if err := a.keepHouseholds(ctx, cid, hs); err != nil {
			return err
		}
	}
	return a.store.MarkRegistryChanged(ctx, cid)
}

// RunRanking moves marked compounds in the rankings every RankingDelay until ctx ends.
// Compounds still marked when it ends move at the next read of a ranking in this process,
// or with the next rebuild.
func (a *App) RunRanking(ctx context.Context) {
	delay := a.opt.RankingDelay
	if delay <= 0 {
		delay = DefaultRankingDelay
	}
	t := time.NewTicker(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.moveMarked(ctx)
		}
	}
}

func share(n, d int64) float64 {
	if d <= 0 {
		return 0
	}
	if n > d {
		return 1
	}
	return float64(n) / float64(d)
}
