package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"

	"tongdu/services/survey/internal/opinion"
)

// closeMeeting writes the closed meeting if it is still open.
var closeMeeting = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return -1 end
if st ~= 'OPEN' then return -2 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'state', 'CLOSED')
return 1`)

// CreateMeeting stores a new courtyard meeting and lists it under its compound.
func (s *Store) CreateMeeting(ctx context.Context, m opinion.Meeting) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := s.rdb.HSetNX(ctx, meetingKey(m.ID), "data", data).Err(); err != nil {
		return err
	}
	if err := s.rdb.HSetNX(ctx, meetingKey(m.ID), "state", "OPEN").Err(); err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, meetingsKey(m.CompoundID), redis.Z{Member: m.ID})
		p.ZAdd(ctx, meetingsKey(""), redis.Z{Member: m.ID})
		return nil
	})
	return err
}

// GetMeeting returns a meeting or opinion.ErrNotFound.
func (s *Store) GetMeeting(ctx context.Context, id string) (*opinion.Meeting, error) {
	data, err := s.rdb.HGet(ctx, meetingKey(id), "data").Result()
	if isNil(err) {
		return nil, notFound("meeting", id)
	}
	if err != nil {
		return nil, err
	}
	return paging.Decode[opinion.Meeting](data)
}

// CloseMeeting stores the closed meeting if nobody closed it meanwhile.
func (s *Store) CloseMeeting(ctx context.Context, m opinion.Meeting) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	n, err := closeMeeting.Run(ctx, s.rdb, []string{meetingKey(m.ID)}, data).Int64()
	switch {
	case err != nil:
		return err
	case n == -1:
		return notFound("meeting", m.ID)
	case n == -2:
		return fmt.Errorf("%w: meeting %s is closed already", opinion.ErrWrongState, m.ID)
	}
	return nil
}

// ListMeetings pages through a compound's meetings ("" for all) that match.
func (s *Store) ListMeetings(ctx context.Context, cid string, match func(*opinion.Meeting) bool, token string, size int) ([]opinion.Meeting, string, error) {
	return paging.Filtered(ctx, s.rdb, meetingsKey(cid), token, size, s.loadMeetings, match)
}

// loadMeetings reads meetings in one round trip; a missing one is nil.
func (s *Store) loadMeetings(ctx context.Context, ids []string) ([]*opinion.Meeting, error) {
	cmds := make([]*redis.StringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGet(ctx, meetingKey(id), "data")
		}
		return nil
	}); err != nil && !isNil(err) {
		return nil, err
	}
	out := make([]*opinion.Meeting, len(ids))
	for i, c := range cmds {
		if c.Val() == "" {
			continue
		}
		m, err := paging.Decode[opinion.Meeting](c.Val())
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}
