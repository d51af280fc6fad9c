package api

import (
	"context"
	"strconv"
	"sync"
	"time"

	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/opinion"
	"tongdu/services/survey/peers"
	"tongdu/services/survey/storage"
)

// GetRanking lists the compounds under a region by rule 4's priority, each with its score
// and the three terms behind it. A page is read from a ranking kept ready, so its cost
// does not grow with the number of compounds; the ranking is rebuilt from the registry
// when first asked for and, in the background, once it is older than RankingRefresh.
func (s *Server) GetRanking(ctx context.Context, req *pb.GetRankingRequest) (*pb.Ranking, error) {
	region := req.GetRegionId()
	if err := s.registry.CheckRegion(ctx, region); err != nil {
		if isNotFound(err) {
			return nil, s.fail(ctx, &opinion.InvalidError{Violations: []opinion.Violation{{Field: "regionId", Reason: "no region " + region}}})
		}
		return nil, s.fail(ctx, err)
	}
	s.refreshMarked(ctx)
	if err := s.ensureRanking(ctx, region); err != nil {
		return nil, s.fail(ctx, err)
	}
	offset := int64(0)
	if raw, err := storage.DecodeToken(req.GetPageToken()); err != nil {
		return nil, s.fail(ctx, err)
	} else if raw != "" {
		if offset, err = strconv.ParseInt(raw, 10, 64); err != nil || offset < 0 {
			return nil, s.fail(ctx, &opinion.InvalidError{Violations: []opinion.Violation{{Field: "pageToken", Reason: "is not a token this service issued"}}})
		}
	}
	size := int64(pageSize(req.GetPageSize()))
	entries, total, err := s.store.RankPage(ctx, region, offset, size)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	w := s.opt.Weights
	out := &pb.Ranking{RegionId: region, Weights: &pb.RankingWeights{Deficit: w.Deficit, Willingness: w.Willingness, Participation: w.Participation}}
	for i := range entries {
		out.Entries = append(out.Entries, rankEntryToPB(int(offset)+i+1, &entries[i]))
	}
	if offset+size < total {
		out.NextPageToken = storage.EncodeToken(strconv.FormatInt(offset+size, 10))
	}
	return out, nil
}

// ensureRanking builds a region's ranking on first use and refreshes a stale one in the
// background, one rebuild per region at a time.
func (s *Server) ensureRanking(ctx context.Context, region string) error {
	built, err := s.store.RankBuilt(ctx, region)
	if err != nil {
		return err
	}
	if built.IsZero() {
		return s.rebuildRanking(ctx, region)
	}
	if s.now().Sub(built) < s.opt.RankingRefresh {
		return nil
	}
	if _, busy := s.rebuilding.LoadOrStore(region, struct{}{}); busy {
		return nil
	}
	// The rebuild outlives this request but keeps its trace.
	bg := context.WithoutCancel(ctx)
	go func() {
		defer s.rebuilding.Delete(region)
		if err := s.rebuildRanking(bg, region); err != nil {
			s.log.WarnContext(bg, "ranking rebuild failed", "region", region, "cause", err.Error())
		}
	}()
	return nil
}

// rebuildRanking reads every compound under the region from the registry and places each
// in the rankings.
func (s *Server) rebuildRanking(ctx context.Context, region string) error {
	started := s.now()
	err := s.registry.CompoundsUnder(ctx, region, func(page []*peers.Compound) error {
		rcs, err := s.rankEntries(ctx, page)
		if err != nil {
			return err
		}
		return s.store.UpsertRanks(ctx, rcs)
	})
	if err != nil {
		return err
	}
	return s.store.MarkRankBuilt(ctx, region, started)
}

// rankEntries computes the ranking entries of compounds from their latest NEEDS surveys.
func (s *Server) rankEntries(ctx context.Context, cs []*peers.Compound) ([]storage.RankedCompound, error) {
	rcs := make([]storage.RankedCompound, len(cs))
	for i, c := range cs {
		rcs[i] = storage.RankedCompound{
			RankEntry:  opinion.RankEntry{CompoundID: c.ID, Name: c.Name, BuildYear: c.BuildYear, Deficit: opinion.Deficit(c.Conditions)},
			Regions:    c.RegionPath,
			Households: c.Households,
		}
	}
	return rcs, s.withSurveyTerms(ctx, rcs)
}

// withSurveyTerms fills in willingness and participation from each compound's latest
// NEEDS survey (none: both 0), and the score.
func (s *Server) withSurveyTerms(ctx context.Context, rcs []storage.RankedCompound) error {
	cids := make([]string, len(rcs))
	for i := range rcs {
		cids[i] = rcs[i].CompoundID
	}
	needs, err := s.store.LatestNeeds(ctx, cids)
	if err != nil {
		return err
	}
	svs, err := s.store.GetSurveys(ctx, needs)
	if err != nil {
		return err
	}
	tallies, err := s.store.Counters(ctx, needs, opinion.CounterResponded, opinion.CounterWilling)
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
		e.Score = s.opt.Weights.Score(e.Deficit, e.Willingness, e.Participation)
	}
	return nil
}

// rerank moves compounds in the rankings after their NEEDS surveys changed, with the
// registry's current facts of each compound (its household count is participation's
// denominator, as in the survey's statistics). It asks the registry as the caller of ctx.
// The ranking is a view of records already kept: a failure is logged and mended by the
// next rebuild.
func (s *Server) rerank(ctx context.Context, compoundIDs ...string) {
	cs := make([]*peers.Compound, 0, len(compoundIDs))
	for _, id := range compoundIDs {
		c, err := s.registry.Compound(ctx, id)
		if err != nil {
			s.log.WarnContext(ctx, "ranking not moved", "compound", id, "cause", err.Error())
			continue
		}
		cs = append(cs, c)
	}
	if len(cs) == 0 {
		return
	}
	rcs, err := s.rankEntries(ctx, cs)
	if err == nil {
		err = s.store.UpsertRanks(ctx, rcs)
	}
	if err != nil {
		s.log.WarnContext(ctx, "ranking not moved", "compounds", len(cs), "cause", err.Error())
	}
}

// rankQueue holds the compounds whose NEEDS survey took responses and which have not yet
// moved in the rankings. Re-ranking a compound on every response was most of a response's
// cost (a registry call and a dozen Redis commands), while a compound's place changes
// little from one response to the next. So a response only marks its compound, and:
//
//   - every RankingDelay the loop (RunRanking) moves the marked compounds, recomputing the
//     survey terms over each one's stored entry. It acts for no caller, so it has no token
//     to show the registry, and keeps the registry's facts as last read;
//   - before a ranking is read (GetRanking), the compounds marked since their facts were
//     last read are re-ranked with the registry's facts, as the reader, so a read agrees
//     with the survey statistics (households registered while a survey is open count in
//     both) and counts every response this process answered before it.
type rankQueue struct {
	mu      sync.Mutex
	pending map[string]struct{} // not yet moved
	stale   map[string]struct{} // moved by the loop since the registry was last asked
	// moving is held for a whole move, so a reader waits for a move in flight before
	// reading (the compounds it took are no longer pending, but not yet moved either).
	moving sync.Mutex
}

// maxRefreshPerRead bounds the registry calls one ranking read makes; compounds beyond it
// wait for the next read or the next rebuild.
const maxRefreshPerRead = 200

func (q *rankQueue) mark(compoundID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending == nil {
		q.pending, q.stale = make(map[string]struct{}), make(map[string]struct{})
	}
	q.pending[compoundID] = struct{}{}
	q.stale[compoundID] = struct{}{}
}

// take returns the pending compounds, and with stale also those moved without the
// registry, up to limit (0: all); what it returns is no longer held.
func (q *rankQueue) take(stale bool, limit int) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ids []string
	from := q.pending
	if stale {
		from = q.stale
	}
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

// moveMarked moves the pending compounds from their stored entries (the loop's move). A
// compound not ranked yet is left to the first build of its region's ranking.
func (s *Server) moveMarked(ctx context.Context) {
	s.ranks.moving.Lock()
	defer s.ranks.moving.Unlock()
	ids := s.ranks.take(false, 0)
	if len(ids) == 0 {
		return
	}
	rcs, err := s.store.RankedCompounds(ctx, ids)
	if err == nil && len(rcs) > 0 {
		if err = s.withSurveyTerms(ctx, rcs); err == nil {
			err = s.store.UpsertRanks(ctx, rcs)
		}
	}
	if err != nil {
		s.log.WarnContext(ctx, "ranking not moved", "compounds", len(ids), "cause", err.Error())
	}
}

// refreshMarked re-ranks the marked compounds with the registry's facts, as the caller of
// ctx (a reader of a ranking).
func (s *Server) refreshMarked(ctx context.Context) {
	s.ranks.moving.Lock()
	defer s.ranks.moving.Unlock()
	if ids := s.ranks.take(true, maxRefreshPerRead); len(ids) > 0 {
		s.rerank(ctx, ids...)
	}
}

// RunRanking moves marked compounds in the rankings every RankingDelay until ctx ends.
// Compounds still marked when it ends move at the next read of a ranking in this process,
// or with the next rebuild.
func (s *Server) RunRanking(ctx context.Context) {
	delay := s.opt.RankingDelay
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
			s.moveMarked(ctx)
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
