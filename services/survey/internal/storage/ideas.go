package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/fault"
	"tongdu/platform/paging"

	"tongdu/services/survey/internal/opinion"
)

// createIdea writes a new idea unless it exists. KEYS: idea, ideas, by-endorsements.
var createIdea = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'endorsements', 0)
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
return 1`)

// endorseIdea counts a household's endorsement once. KEYS: idea, endorsers,
// by-endorsements. ARGV: idea id, household id. Returns the count, or -1 for a missing
// idea, or -2 when the idea is decided already.
var endorseIdea = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'open') == '0' then return -2 end
if redis.call('SADD', KEYS[2], ARGV[2]) == 1 then
  redis.call('ZINCRBY', KEYS[3], -1, ARGV[1])
  return redis.call('HINCRBY', KEYS[1], 'endorsements', 1)
end
return tonumber(redis.call('HGET', KEYS[1], 'endorsements'))`)

// decideIdea writes an adopted or declined idea if it is still undecided.
var decideIdea = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'open') == '0' then return -2 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'open', '0')
return 1`)

// CreateIdea stores a new idea of its compound.
func (s *Store) CreateIdea(ctx context.Context, i opinion.Idea) error {
	data, err := json.Marshal(i)
	if err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, ideaLocKey(i.ID), i.CompoundID, 0).Err(); err != nil {
		return err
	}
	return createIdea.Run(ctx, s.rdb, []string{ideaKey(i.CompoundID, i.ID), ideasKey(i.CompoundID), ideasByEndorsement(i.CompoundID)}, i.ID, data).Err()
}

// GetIdea returns an idea with its endorsement count, or opinion.ErrNotFound.
func (s *Store) GetIdea(ctx context.Context, id string) (*opinion.Idea, error) {
	cid, err := s.rdb.Get(ctx, ideaLocKey(id)).Result()
	if isNil(err) {
		return nil, notFound("idea", id)
	}
	if err != nil {
		return nil, err
	}
	is, err := s.getIdeas(ctx, cid, []string{id})
	if err != nil {
		return nil, err
	}
	if len(is) == 0 {
		return nil, notFound("idea", id)
	}
	return &is[0], nil
}

func (s *Store) getIdeas(ctx context.Context, cid string, ids []string) ([]opinion.Idea, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, ideaKey(cid, id))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]opinion.Idea, 0, len(ids))
	for _, c := range cmds {
		if len(c.Val()) == 0 {
			continue
		}
		i, err := paging.Decode[opinion.Idea](c.Val()["data"])
		if err != nil {
			return nil, err
		}
		i.Endorsements = atoi(c.Val()["endorsements"])
		out = append(out, *i)
	}
	return out, nil
}

// EndorseIdea counts household's endorsement of an idea once; a second endorsement by
// the same household changes nothing. It returns the idea as it now stands.
func (s *Store) EndorseIdea(ctx context.Context, i *opinion.Idea, householdID string) (*opinion.Idea, error) {
	keys := []string{ideaKey(i.CompoundID, i.ID), endorsersKey(i.CompoundID, i.ID), ideasByEndorsement(i.CompoundID)}
	n, err := endorseIdea.Run(ctx, s.rdb, keys, i.ID, householdID).Int64()
	switch {
	case err != nil:
		return nil, err
	case n == -1:
		return nil, notFound("idea", i.ID)
	case n == -2:
		return nil, fmt.Errorf("%w: idea %s is decided already; endorsements are closed", opinion.ErrWrongState, i.ID)
	}
	return s.GetIdea(ctx, i.ID)
}

// DecideIdea stores an adopted or declined idea, if nobody decided it meanwhile.
func (s *Store) DecideIdea(ctx context.Context, i opinion.Idea) error {
	data, err := json.Marshal(i)
	if err != nil {
		return err
	}
	n, err := decideIdea.Run(ctx, s.rdb, []string{ideaKey(i.CompoundID, i.ID)}, data).Int64()
	switch {
	case err != nil:
		return err
	case n == -1:
		return notFound("idea", i.ID)
	case n == -2:
		return fmt.Errorf("%w: idea %s is decided already", opinion.ErrWrongState, i.ID)
	}
	return nil
}

// ListIdeas pages through a compound's ideas, in creation order or by endorsements (most
// first, then oldest first), keeping those that match. A next page token comes only when
// another matching idea exists.
func (s *Store) ListIdeas(ctx context.Context, cid string, byEndorsements bool, match func(*opinion.Idea) bool, token string, size int) ([]opinion.Idea, string, error) {
	raw, err := paging.DecodeToken(token)
	if err != nil {
		return nil, "", err
	}
	// Creation order pages by the last id; the endorsement order moves, so it pages by
	// offset into the order.
	after, off := raw, int64(0)
	if byEndorsements && raw != "" {
		if off, err = strconv.ParseInt(raw, 10, 64); err != nil || off < 0 {
			return nil, "", fault.Field("pageToken", "is not a token this service issued")
		}
	}
	var out []opinion.Idea
	var tokens []string // the token that resumes after each idea in out
	for {
		var ids []string
		if byEndorsements {
			ids, err = s.rdb.ZRange(ctx, ideasByEndorsement(cid), off, off+int64(size)).Result()
		} else {
			min := "-"
			if after != "" {
				min = "(" + after
			}
			ids, err = s.rdb.ZRangeByLex(ctx, ideasKey(cid), &redis.ZRangeBy{Min: min, Max: "+", Count: int64(size + 1)}).Result()
		}
		if err != nil {
			return nil, "", err
		}
		if len(ids) == 0 {
			return out, "", nil
		}
		is, err := s.getIdeas(ctx, cid, ids)
		if err != nil {
			return nil, "", err
		}
		byID := make(map[string]*opinion.Idea, len(is))
		for k := range is {
			byID[is[k].ID] = &is[k]
		}
		for _, id := range ids {
			off++
			after = id
			i, ok := byID[id]
			if !ok || !match(i) {
				continue
			}
			if len(out) == size {
				// One more matches: the page is full and another follows.
				return out, tokens[size-1], nil
			}
			out = append(out, *i)
			if byEndorsements {
				tokens = append(tokens, paging.EncodeToken(strconv.FormatInt(off, 10)))
			} else {
				tokens = append(tokens, paging.EncodeToken(id))
			}
		}
	}
}
