package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"

	"tongdu/services/survey/internal/opinion"
)

// createSurvey writes a new survey unless it exists (a replayed request).
var createSurvey = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'rev', 1, 'state', ARGV[2])
return 1`)

// updateSurvey replaces the record only if its revision is still the one read. The
// state is kept beside the data so the response script can check it atomically. The
// events the change calls for (ARGV[4]…) go to the outbox (KEYS[2]) in the same step: a
// refused write appends nothing.
var updateSurvey = redis.NewScript(`
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if rev ~= ARGV[1] then return -2 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'state', ARGV[3])
for i = 4, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
return redis.call('HINCRBY', KEYS[1], 'rev', 1)`)

// CreateSurvey stores a new survey and lists it under its compound.
func (s *Store) CreateSurvey(ctx context.Context, sv opinion.Survey) error {
	data, err := json.Marshal(sv)
	if err != nil {
		return err
	}
	if err := createSurvey.Run(ctx, s.rdb, []string{surveyKey(sv.ID)}, data, sv.State.String()).Err(); err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, surveysKey(sv.CompoundID), redis.Z{Member: sv.ID})
		p.ZAdd(ctx, surveysKey(""), redis.Z{Member: sv.ID})
		return nil
	})
	return err
}

// GetSurvey returns a survey or opinion.ErrNotFound.
func (s *Store) GetSurvey(ctx context.Context, id string) (*opinion.Survey, error) {
	h, err := s.rdb.HGetAll(ctx, surveyKey(id)).Result()
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, notFound("survey", id)
	}
	return surveyFrom(h)
}

func surveyFrom(h map[string]string) (*opinion.Survey, error) {
	sv, err := paging.Decode[opinion.Survey](h["data"])
	if err != nil {
		return nil, err
	}
	sv.Revision = atoi(h["rev"])
	return sv, nil
}

// UpdateSurvey writes sv if its stored revision is still sv.Revision; it returns
// opinion.ErrConflict when the survey changed meanwhile. The events given (events.Event)
// are published with the write and only with it: the write and their place in the
// survey's outbox are one step.
func (s *Store) UpdateSurvey(ctx context.Context, sv opinion.Survey, evs ...string) error {
	data, err := json.Marshal(sv)
	if err != nil {
		return err
	}
	args := []any{strconv.FormatInt(sv.Revision, 10), data, sv.State.String()}
	for _, ev := range evs {
		args = append(args, ev)
	}
	var rev int64
	err = s.withEvents(ctx, surveyKey(sv.ID), evs, func(keys []string) (err error) {
		rev, err = updateSurvey.Run(ctx, s.rdb, keys, args...).Int64()
		return err
	})
	switch {
	case err != nil:
		return err
	case rev == -1:
		return notFound("survey", sv.ID)
	case rev == -2:
		return fmt.Errorf("%w: survey %s", opinion.ErrConflict, sv.ID)
	}
	return nil
}

// ListSurveys pages through the surveys of a compound ("" for all) that match.
func (s *Store) ListSurveys(ctx context.Context, compoundID string, match func(*opinion.Survey) bool, token string, size int) ([]opinion.Survey, string, error) {
	return paging.Filtered(ctx, s.rdb, surveysKey(compoundID), token, size, s.loadSurveys, match)
}

// loadSurveys reads surveys in one round trip; a missing one is nil.
func (s *Store) loadSurveys(ctx context.Context, ids []string) ([]*opinion.Survey, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			if id != "" {
				cmds[i] = p.HGetAll(ctx, surveyKey(id))
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]*opinion.Survey, len(ids))
	for i, c := range cmds {
		if c == nil || len(c.Val()) == 0 {
			continue
		}
		sv, err := surveyFrom(c.Val())
		if err != nil {
			return nil, err
		}
		out[i] = sv
	}
	return out, nil
}

// Tally returns a survey's counters and how many responses it has.
func (s *Store) Tally(ctx context.Context, id string) (opinion.Tally, error) {
	h, err := s.rdb.HGetAll(ctx, tallyKey(id)).Result()
	if err != nil {
		return nil, err
	}
	t := make(opinion.Tally, len(h))
	for k, v := range h {
		t[k] = atoi(v)
	}
	return t, nil
}
