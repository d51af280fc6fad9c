package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/governance/internal/registry"
)

// An election lives in its compound's slot, beside the building whose leader it records:
//
//	gov:{c:<compound>}:election:<id>        hash: data, state
//	gov:{c:<compound>}:election:<id>:votes  hash: household → candidate (one vote each)
//	gov:{c:<compound>}:open-elections       hash: seat (building/unit) → the open election
func openElectionsKey(cid string) string { return "gov:{c:" + cid + "}:open-elections" }
func electionKey(cid, id string) string  { return "gov:{c:" + cid + "}:election:" + id }
func votesKey(cid, id string) string     { return "gov:{c:" + cid + "}:election:" + id + ":votes" }
func ballotsKey(cid, id string) string   { return "gov:{c:" + cid + "}:election:" + id + ":requests" }

// castVote records (or replaces) a household's vote while the election is open. A
// request id seen before with the same body changes nothing (a late retry must not undo
// a newer vote); with another body it is refused.
// KEYS: election, votes, requests. ARGV: voter, candidate, request id, body hash.
var castVote = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return -1 end
if ARGV[3] ~= '' then
  local prev = redis.call('HGET', KEYS[3], ARGV[3])
  if prev then
    if prev ~= ARGV[4] then return -3 end
    return 0
  end
end
if st ~= 'OPEN' then return -2 end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[3], ARGV[4]) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'rev', 1)
return 1`)

// createElection stores a new election if no other is open for its seat (rule 12: one
// election per building, or unit, is open at a time), taking the seat in the same step,
// so of two concurrent creates one wins. An election stored already is a replay of the
// request that made it: nothing changes. It returns 1 when created, 0 for a replay, or
// the id of the election holding the seat.
// KEYS: election, open elections. ARGV: seat, id, data.
var createElection = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local open = redis.call('HGET', KEYS[2], ARGV[1])
if open and open ~= ARGV[2] then return open end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], 'data', ARGV[3], 'state', 'OPEN')
return 1`)

// closeElection states the result if the election is still open and no vote arrived or
// changed since the votes were counted (rev), records the winner on the building and
// frees the seat for the next election.
// KEYS: election, votes, building, open elections. ARGV: data, rev counted, leader
// field, winner, seat, id.
var closeElection = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return -1 end
if st ~= 'OPEN' then return -2 end
if (redis.call('HGET', KEYS[1], 'rev') or '0') ~= ARGV[2] then return -3 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'state', 'CLOSED')
if ARGV[4] ~= '' then redis.call('HSET', KEYS[3], ARGV[3], ARGV[4]) end
if redis.call('HGET', KEYS[4], ARGV[5]) == ARGV[6] then redis.call('HDEL', KEYS[4], ARGV[5]) end
return 1`)

// CreateElection stores a new election of a building (or unit), unless another is open
// for the same seat: registry.ErrElectionOpen, nothing stored. Storing it again (a
// replayed request) changes nothing.
func (s *Store) CreateElection(ctx context.Context, e registry.Election) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	// The locator goes first: one left by a refused or failed create points at no
	// election and reads as not found, while an election without its locator would hold
	// its seat unreachable.
	if err := s.rdb.Set(ctx, locKey(e.ID), e.CompoundID, 0).Err(); err != nil {
		return err
	}
	keys := []string{electionKey(e.CompoundID, e.ID), openElectionsKey(e.CompoundID)}
	res, err := createElection.Run(ctx, s.rdb, keys, e.Seat(), e.ID, data).Result()
	if err != nil {
		return err
	}
	if open, ok := res.(string); ok {
		return fmt.Errorf("%w: election %s is open for this building (or unit); one is open at a time", registry.ErrElectionOpen, open)
	}
	return nil
}

// GetElection returns an election with its votes, or ErrNotFound.
func (s *Store) GetElection(ctx context.Context, id string) (*registry.Election, map[string]string, error) {
	cid, err := s.rdb.Get(ctx, locKey(id)).Result()
	if isNil(err) {
		return nil, nil, notFound("election", id)
	}
	if err != nil {
		return nil, nil, err
	}
	var h, votes *redis.MapStringStringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		h = p.HGetAll(ctx, electionKey(cid, id))
		votes = p.HGetAll(ctx, votesKey(cid, id))
		return nil
	}); err != nil {
		return nil, nil, err
	}
	if h.Val()["data"] == "" {
		return nil, nil, notFound("election", id)
	}
	e, err := paging.Decode[registry.Election](h.Val()["data"])
	if err != nil {
		return nil, nil, err
	}
	e.VoteRevision = atoi(h.Val()["rev"])
	return e, votes.Val(), nil
}

// CastVote records a household's vote, replacing its earlier one; a closed election is
// ErrWrongState. With a request id, a retry (same bodyHash) changes nothing and another
// body is ErrRequestReused.
func (s *Store) CastVote(ctx context.Context, e *registry.Election, voter, candidate, requestID, bodyHash string) error {
	keys := []string{electionKey(e.CompoundID, e.ID), votesKey(e.CompoundID, e.ID), ballotsKey(e.CompoundID, e.ID)}
	n, err := castVote.Run(ctx, s.rdb, keys, voter, candidate, requestID, bodyHash).Int()
	switch {
	case err != nil:
		return err
	case n == -1:
		return notFound("election", e.ID)
	case n == -2:
		return fmt.Errorf("%w: election %s is closed", registry.ErrWrongState, e.ID)
	case n == -3:
		return fmt.Errorf("%w: request id %q was used for another vote", registry.ErrRequestReused, requestID)
	}
	return nil
}

// CloseElection stores the closed election and records its winner on the building (the
// unit's leader for a unit election) in one step. It returns ErrConflict when a vote
// arrived after the count (count again), ErrWrongState when it closed already.
func (s *Store) CloseElection(ctx context.Context, e registry.Election) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	field, winner := "leader", ""
	if e.Unit != "" {
		field = "unit-leader:" + e.Unit
	}
	if e.Result != nil {
		winner = e.Result.Winner
	}
	keys := []string{electionKey(e.CompoundID, e.ID), votesKey(e.CompoundID, e.ID), buildingKey(e.CompoundID, e.BuildingID), openElectionsKey(e.CompoundID)}
	n, err := closeElection.Run(ctx, s.rdb, keys, data, e.VoteRevision, field, winner, e.Seat(), e.ID).Int()
	switch {
	case err != nil:
		return err
	case n == -1:
		return notFound("election", e.ID)
	case n == -2:
		return fmt.Errorf("%w: election %s is closed", registry.ErrWrongState, e.ID)
	case n == -3:
		return fmt.Errorf("%w: election %s had new votes", registry.ErrConflict, e.ID)
	}
	return nil
}

// BuildingHouseholds lists every household of a building (tens).
func (s *Store) BuildingHouseholds(ctx context.Context, cid, bid string) ([]registry.Household, error) {
	return paging.Collect(func(token string) ([]registry.Household, string, error) {
		return s.ListHouseholds(ctx, cid, bid, token, 1000)
	})
}
