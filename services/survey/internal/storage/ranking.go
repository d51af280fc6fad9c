package storage

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"

	"tongdu/services/survey/internal/opinion"
)

// The ranking (rule 4: compounds by priority score, older build year first on ties) is
// kept ready to read, so reading a page costs the same for 300 or 100,000 compounds. By
// default rule 4 ranks only compounds still waiting for a plan (INVENTORIED, SURVEYING),
// so each region keeps one sorted set per compound status and one for that default
// group, and a read never filters the whole region. All keys share the {rank} slot:
//
//	svy:{rank}:s:<region|_>:<status> sorted set per status (0..6): score −priority,
//	                           member the tie key (older, then name, then id), so
//	                           ascending order is the ranking
//	svy:{rank}:w:<region|_>    the same for the compounds waiting for a plan (the default)
//	svy:{rank}:entry:<compound> hash: data (the entry), member (its current tie key),
//	                           status (the set it is in)
//	svy:{rank}:built2:<region> when the region's ranking was last rebuilt from the registry
//	                           (a new name: rankings of the layout before statuses, under
//	                           svy:{rank}:z:…, are rebuilt on first read and left unread)
//	svy:{rank}:needs:<compound> the compound's latest opened NEEDS survey
//	svy:{rank}:changed         set of compounds whose registry facts changed since they
//	                           were last ranked (registry events), for the next reader
func rankStatusKey(region string, st opinion.CompoundStatus) string {
	return "svy:{rank}:s:" + orAll(region) + ":" + strconv.Itoa(int(st))
}
func rankWaitingKey(region string) string { return "svy:{rank}:w:" + orAll(region) }
func rankEntryKey(cid string) string      { return "svy:{rank}:entry:" + cid }
func rankBuiltKey(region string) string   { return "svy:{rank}:built2:" + orAll(region) }
func latestNeedsKey(cid string) string    { return "svy:{rank}:needs:" + cid }

const rankChangedKey = "svy:{rank}:changed"

// keysPerRegion is how many ranking sets a region has: one per status, then the waiting.
const keysPerRegion = int(opinion.MaxCompoundStatus) + 2

// regionKeys are a region's ranking sets in the order upsertRank expects them.
func regionKeys(region string) []string {
	keys := make([]string, 0, keysPerRegion)
	for st := opinion.StatusUnspecified; st <= opinion.MaxCompoundStatus; st++ {
		keys = append(keys, rankStatusKey(region, st))
	}
	return append(keys, rankWaitingKey(region))
}

// upsertRank moves a compound's entry to its new place (and status) in every ranking it
// belongs to, atomically, so a reader never sees it in two statuses or none.
// KEYS: entry, then for each region its keysPerRegion sets (statuses 0..6, waiting).
// ARGV: data, member, score, status, waiting ("1" if the status waits for a plan),
// keysPerRegion.
var upsertRank = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], 'member')
local oldStatus = tonumber(redis.call('HGET', KEYS[1], 'status') or '')
local status = tonumber(ARGV[4])
local per = tonumber(ARGV[6])
local function waiting(s) return s == 1 or s == 2 end
for base = 2, #KEYS, per do
  if old then
    if oldStatus then
      redis.call('ZREM', KEYS[base + oldStatus], old)
      if waiting(oldStatus) then redis.call('ZREM', KEYS[base + per - 1], old) end
    end
    -- the same compound under another tie key (renamed) in its new sets
    if old ~= ARGV[2] then
      redis.call('ZREM', KEYS[base + status], old)
      redis.call('ZREM', KEYS[base + per - 1], old)
    end
  end
  redis.call('ZADD', KEYS[base + status], ARGV[3], ARGV[2])
  if ARGV[5] == '1' then redis.call('ZADD', KEYS[base + per - 1], ARGV[3], ARGV[2]) end
end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'member', ARGV[2], 'status', ARGV[4])
return 1`)

// UpsertRanks writes entries into the rankings of their regions (and the all-district
// one), in the sets of their statuses.
func (s *Store) UpsertRanks(ctx context.Context, rcs []opinion.RankedCompound) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, rc := range rcs {
			rc.Status = rc.Status.Known()
			data, err := json.Marshal(rc)
			if err != nil {
				return err
			}
			keys := append([]string{rankEntryKey(rc.CompoundID)}, regionKeys("")...)
			for _, r := range rc.Regions {
				keys = append(keys, regionKeys(r)...)
			}
			waiting := "0"
			if rc.Status.WaitingForPlan() {
				waiting = "1"
			}
			upsertRank.Eval(ctx, p, keys, data, opinion.TieKey(rc.RankEntry), strconv.FormatFloat(-rc.Score, 'g', -1, 64),
				int(rc.Status), waiting, keysPerRegion)
		}
		return nil
	})
	return err
}

// RankPage reads entries offset.. of a region's ranking of compounds of the given
// statuses (distinct; at least one), and that ranking's size. What a read costs: the
// default group (INVENTORIED and SURVEYING together) or a single status is one sorted
// set, O(log N + size); any other mix of k statuses merges the first offset+size members
// of each of its k sets (k ≤ 7), O(k·(offset+size)), never the whole region.
func (s *Store) RankPage(ctx context.Context, region string, statuses []opinion.CompoundStatus, offset, size int64) ([]opinion.RankEntry, int64, error) {
	var keys []string
	if sameStatuses(statuses, opinion.WaitingStatuses) {
		keys = []string{rankWaitingKey(region)}
	} else {
		for _, st := range statuses {
			keys = append(keys, rankStatusKey(region, st.Known()))
		}
	}
	var cids []string
	var total int64
	if len(keys) == 1 {
		var members *redis.StringSliceCmd
		var card *redis.IntCmd
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			members = p.ZRange(ctx, keys[0], offset, offset+size-1)
			card = p.ZCard(ctx, keys[0])
			return nil
		}); err != nil {
			return nil, 0, err
		}
		for _, m := range members.Val() {
			cids = append(cids, memberID(m))
		}
		total = card.Val()
	} else {
		heads := make([]*redis.ZSliceCmd, len(keys))
		cards := make([]*redis.IntCmd, len(keys))
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				heads[i] = p.ZRangeWithScores(ctx, k, 0, offset+size-1)
				cards[i] = p.ZCard(ctx, k)
			}
			return nil
		}); err != nil {
			return nil, 0, err
		}
		var all []redis.Z
		for i := range keys {
			all = append(all, heads[i].Val()...)
			total += cards[i].Val()
		}
		// The sets' own order: score, then member bytewise (Go compares strings so).
		sort.Slice(all, func(i, j int) bool {
			if all[i].Score != all[j].Score {
				return all[i].Score < all[j].Score
			}
			return all[i].Member.(string) < all[j].Member.(string)
		})
		for i := offset; i < offset+size && i < int64(len(all)); i++ {
			cids = append(cids, memberID(all[i].Member.(string)))
		}
	}
	rcs, err := s.RankedCompounds(ctx, cids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]opinion.RankEntry, len(rcs))
	for i := range rcs {
		out[i] = rcs[i].RankEntry
	}
	return out, total, nil
}

// memberID is the compound id of a ranking member: it follows the last NUL, as a name may
// hold anything.
func memberID(m string) string { return m[strings.LastIndex(m, "\x00")+1:] }

func sameStatuses(a, b []opinion.CompoundStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// MarkRegistryChanged notes compounds whose registry facts changed (a registry event),
// so that the next ranking read, in any replica, ranks them again with those facts.
func (s *Store) MarkRegistryChanged(ctx context.Context, compoundIDs ...string) error {
	if len(compoundIDs) == 0 {
		return nil
	}
	members := make([]any, len(compoundIDs))
	for i, id := range compoundIDs {
		members[i] = id
	}
	return s.rdb.SAdd(ctx, rankChangedKey, members...).Err()
}

// TakeRegistryChanged removes and returns up to n of the compounds marked by
// MarkRegistryChanged.
func (s *Store) TakeRegistryChanged(ctx context.Context, n int) ([]string, error) {
	ids, err := s.rdb.SPopN(ctx, rankChangedKey, int64(n)).Result()
	if isNil(err) {
		return nil, nil
	}
	return ids, err
}

// RankedCompounds reads the stored entries of compounds, in one round trip; a compound
// not in any ranking yet is left out.
func (s *Store) RankedCompounds(ctx context.Context, compoundIDs []string) ([]opinion.RankedCompound, error) {
	cmds := make([]*redis.StringCmd, len(compoundIDs))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, cid := range compoundIDs {
			cmds[i] = p.HGet(ctx, rankEntryKey(cid), "data")
		}
		return nil
	}); err != nil && !isNil(err) {
		return nil, err
	}
	out := make([]opinion.RankedCompound, 0, len(cmds))
	for _, c := range cmds {
		// The pipeline reports its first error only: a missing entry there could hide
		// another command's failure.
		if err := c.Err(); err != nil && !isNil(err) {
			return nil, err
		}
		if c.Val() == "" {
			continue
		}
		rc, err := paging.Decode[opinion.RankedCompound](c.Val())
		if err != nil {
			return nil, err
		}
		out = append(out, *rc)
	}
	return out, nil
}

// RankBuilt returns when a region's ranking was last rebuilt (zero if never).
func (s *Store) RankBuilt(ctx context.Context, region string) (time.Time, error) {
	v, err := s.rdb.Get(ctx, rankBuiltKey(region)).Int64()
	if isNil(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMicro(v), nil
}

// MarkRankBuilt records a rebuild of a region's ranking.
func (s *Store) MarkRankBuilt(ctx context.Context, region string, at time.Time) error {
	return s.rdb.Set(ctx, rankBuiltKey(region), at.UnixMicro(), 0).Err()
}

// SetLatestNeeds records the NEEDS survey that now speaks for a compound in the ranking.
func (s *Store) SetLatestNeeds(ctx context.Context, compoundID, surveyID string) error {
	return s.rdb.Set(ctx, latestNeedsKey(compoundID), surveyID, 0).Err()
}

// LatestNeeds returns each compound's latest NEEDS survey id ("" for none), in order.
func (s *Store) LatestNeeds(ctx context.Context, compoundIDs []string) ([]string, error) {
	if len(compoundIDs) == 0 {
		return nil, nil
	}
	keys := make([]string, len(compoundIDs))
	for i, c := range compoundIDs {
		keys[i] = latestNeedsKey(c)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i], _ = v.(string)
	}
	return out, nil
}

// Counters reads a few counters of several surveys' tallies in one round trip.
func (s *Store) Counters(ctx context.Context, surveyIDs []string, counters ...string) ([]opinion.Tally, error) {
	cmds := make([]*redis.SliceCmd, len(surveyIDs))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range surveyIDs {
			if id != "" {
				cmds[i] = p.HMGet(ctx, tallyKey(id), counters...)
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]opinion.Tally, len(surveyIDs))
	for i, c := range cmds {
		out[i] = opinion.Tally{}
		if c == nil {
			continue
		}
		for j, v := range c.Val() {
			if str, ok := v.(string); ok {
				out[i][counters[j]] = atoi(str)
			}
		}
	}
	return out, nil
}

// GetSurveys reads several surveys in one round trip ("" names none); missing ones are
// nil.
func (s *Store) GetSurveys(ctx context.Context, ids []string) ([]*opinion.Survey, error) {
	return s.loadSurveys(ctx, ids)
}
