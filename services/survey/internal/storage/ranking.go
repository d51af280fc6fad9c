package storage

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"

	"tongdu/services/survey/internal/opinion"
)

// The ranking (rule 4: compounds by priority score, older build year first on ties) is
// kept ready to read, so reading a page costs the same for 300 or
// 100,000 compounds. All its keys share the {rank} slot:
//
//	svy:{rank}:z:<region|_>    sorted set: score −priority, member the tie key (older,
//	                           then name, then id), so ascending order is the ranking
//	svy:{rank}:entry:<compound> hash: data (the entry), member (its current tie key)
//	svy:{rank}:built:<region>  when the region's ranking was last rebuilt from the registry
//	svy:{rank}:needs:<compound> the compound's latest opened NEEDS survey
func rankKey(region string) string      { return "svy:{rank}:z:" + orAll(region) }
func rankEntryKey(cid string) string    { return "svy:{rank}:entry:" + cid }
func rankBuiltKey(region string) string { return "svy:{rank}:built:" + orAll(region) }
func latestNeedsKey(cid string) string  { return "svy:{rank}:needs:" + cid }

// upsertRank moves a compound's entry to its new place in every ranking it belongs to.
// KEYS: entry, then one ranking per region. ARGV: data, member, score.
var upsertRank = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], 'member')
for i = 2, #KEYS do
  if old and old ~= ARGV[2] then redis.call('ZREM', KEYS[i], old) end
  redis.call('ZADD', KEYS[i], ARGV[3], ARGV[2])
end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'member', ARGV[2])
return 1`)

// UpsertRanks writes entries into the rankings of their regions (and the all-district one).
func (s *Store) UpsertRanks(ctx context.Context, rcs []opinion.RankedCompound) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, rc := range rcs {
			data, err := json.Marshal(rc)
			if err != nil {
				return err
			}
			keys := []string{rankEntryKey(rc.CompoundID), rankKey("")}
			for _, r := range rc.Regions {
				keys = append(keys, rankKey(r))
			}
			upsertRank.Eval(ctx, p, keys, data, opinion.TieKey(rc.RankEntry), strconv.FormatFloat(-rc.Score, 'g', -1, 64))
		}
		return nil
	})
	return err
}

// RankPage reads entries offset.. of a region's ranking, and the ranking's size.
func (s *Store) RankPage(ctx context.Context, region string, offset, size int64) ([]opinion.RankEntry, int64, error) {
	var members *redis.StringSliceCmd
	var total *redis.IntCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		members = p.ZRange(ctx, rankKey(region), offset, offset+size-1)
		total = p.ZCard(ctx, rankKey(region))
		return nil
	}); err != nil {
		return nil, 0, err
	}
	cids := make([]string, len(members.Val()))
	for i, m := range members.Val() {
		// The id follows the last NUL: a name may hold anything.
		cids[i] = m[strings.LastIndex(m, "\x00")+1:]
	}
	rcs, err := s.RankedCompounds(ctx, cids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]opinion.RankEntry, len(rcs))
	for i := range rcs {
		out[i] = rcs[i].RankEntry
	}
	return out, total.Val(), nil
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
