package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/governance/internal/registry"
)

// createBuilding adds a building to an existing compound unless its name is taken.
// KEYS: compound, buildings, building, building-names. ARGV: id, data, name.
var createBuilding = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local taken = redis.call('HGET', KEYS[4], ARGV[3])
if taken then return -2 end
redis.call('HSET', KEYS[3], 'data', ARGV[2], 'households', 0)
redis.call('HSET', KEYS[4], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('HINCRBY', KEYS[1], 'buildings', 1)
return 1`)

// createHouseholds writes a set of households all together or not at all, and moves the
// compound's and buildings' derived counts with them.
// KEYS: compound, households, dwellings, then per household: record, building, building's
// household set. ARGV: n, then per household: id, data, dwelling key, area, party member
// (0/1), needs accessibility (0/1); the last two feed the grid cells' figures; then the
// events, appended to the compound's outbox (the last key, given only with events) when
// the set is written, and only then.
var createHouseholds = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local n = tonumber(ARGV[1])
local replay = 0
for i = 0, n - 1 do
  local id, dwelling = ARGV[2 + i*6], ARGV[4 + i*6]
  local holder = redis.call('HGET', KEYS[3], dwelling)
  if holder then
    if holder ~= id then return {-2, i} end
    replay = replay + 1
  end
end
if replay == n then return {0} end
if replay > 0 then return {-3} end
local area = 0
for i = 0, n - 1 do
  local id, data, dwelling, a = ARGV[2 + i*6], ARGV[3 + i*6], ARGV[4 + i*6], tonumber(ARGV[5 + i*6])
  local rec, building, bset = KEYS[4 + i*3], KEYS[5 + i*3], KEYS[6 + i*3]
  redis.call('SET', rec, data)
  redis.call('HSET', KEYS[3], dwelling, id)
  redis.call('ZADD', KEYS[2], 0, id)
  redis.call('ZADD', bset, 0, id)
  redis.call('HINCRBY', building, 'households', 1)
  redis.call('HINCRBY', building, 'party', ARGV[6 + i*6])
  redis.call('HINCRBY', building, 'access', ARGV[7 + i*6])
  area = area + a
end
redis.call('HINCRBY', KEYS[1], 'households', n)
redis.call('HINCRBY', KEYS[1], 'area', area)
for i = 2 + n*6, #ARGV do redis.call('RPUSH', KEYS[4 + n*3], ARGV[i]) end
return {1}`)

// CreateBuilding stores a new building of its compound. It returns ErrNotFound when the
// compound does not exist and ErrAlreadyExists when the name is taken in the compound.
func (s *Store) CreateBuilding(ctx context.Context, b registry.Building) error {
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	// The location is written first: an orphan location (if the script then refuses) points
	// at nothing and reads as not found.
	if err := s.rdb.Set(ctx, locKey(b.ID), b.CompoundID, 0).Err(); err != nil {
		return err
	}
	keys := []string{compoundKey(b.CompoundID), buildingsKey(b.CompoundID), buildingKey(b.CompoundID, b.ID), buildingNamesKey(b.CompoundID)}
	res, err := createBuilding.Run(ctx, s.rdb, keys, b.ID, data, b.Name).Int()
	switch {
	case err != nil:
		return err
	case res == -1:
		return notFound("compound", b.CompoundID)
	case res == -2:
		return fmt.Errorf("%w: compound %s already has a building named %q", registry.ErrAlreadyExists, b.CompoundID, b.Name)
	}
	// A replay (res 0) counts too: it finishes a count a crash may have missed.
	return s.RecountCompound(ctx, b.CompoundID)
}

// GetBuilding returns a building by id, or ErrNotFound.
func (s *Store) GetBuilding(ctx context.Context, id string) (*registry.Building, error) {
	return located(ctx, s, "building", id, s.buildings)
}

// GetBuildings returns the buildings with these ids, of any compounds, in two round trips
// (where each is, then the records) rather than two a building; a missing one is nil.
// Pipelines, not MGET: the locations and records hash to many slots of a cluster.
func (s *Store) GetBuildings(ctx context.Context, ids []string) ([]*registry.Building, error) {
	locs := make([]*redis.StringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			locs[i] = p.Get(ctx, locKey(id))
		}
		return nil
	}); err != nil && !isNil(err) {
		return nil, err
	}
	for _, l := range locs {
		if err := l.Err(); err != nil && !isNil(err) {
			return nil, err
		}
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			if cid := locs[i].Val(); cid != "" {
				cmds[i] = p.HGetAll(ctx, buildingKey(cid, id))
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]*registry.Building, len(ids))
	for i, cmd := range cmds {
		if cmd == nil || len(cmd.Val()) == 0 {
			continue
		}
		b, err := buildingFrom(cmd.Val())
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (s *Store) getBuildings(ctx context.Context, cid string, ids []string) ([]registry.Building, error) {
	return present(s.buildings(cid)(ctx, ids))
}

func (s *Store) buildings(cid string) paging.Loader[registry.Building] {
	return loadHashes(s.rdb, func(id string) string { return buildingKey(cid, id) }, buildingFrom)
}

func buildingFrom(h map[string]string) (*registry.Building, error) {
	b, err := paging.Decode[registry.Building](h["data"])
	if err != nil {
		return nil, err
	}
	b.HouseholdCount = int(atoi(h["households"]))
	b.PartyMembers, b.NeedsAccessibility = int(atoi(h["party"])), int(atoi(h["access"]))
	// Elected leaders are kept beside the record, so elections of different units of
	// one building never overwrite each other.
	b.LeaderHouseholdID = h["leader"]
	for k, v := range h {
		if unit, ok := strings.CutPrefix(k, "unit-leader:"); ok {
			if b.UnitLeaders == nil {
				b.UnitLeaders = map[string]string{}
			}
			b.UnitLeaders[unit] = v
		}
	}
	return b, nil
}

// ListBuildings pages through a compound's buildings.
func (s *Store) ListBuildings(ctx context.Context, cid, token string, size int) ([]registry.Building, string, error) {
	return list(ctx, s, buildingsKey(cid), token, size, s.buildings(cid))
}

// BuildingsOf returns every building of a compound by id (a compound has tens of them).
func (s *Store) BuildingsOf(ctx context.Context, cid string) (map[string]*registry.Building, error) {
	ids, err := s.rdb.ZRange(ctx, buildingsKey(cid), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	bs, err := s.getBuildings(ctx, cid, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*registry.Building, len(bs))
	for i := range bs {
		out[bs[i].ID] = &bs[i]
	}
	return out, nil
}

// DwellingTakenError is registry.DwellingTakenError.
type DwellingTakenError = registry.DwellingTakenError

// CreateHouseholds stores households of one compound in one atomic step, with the
// events the change calls for (events.Event): all or none. Replaying the same set (same
// ids) changes nothing and writes no event. It returns ErrNotFound for a missing
// compound and a *DwellingTakenError when a dwelling is registered already.
func (s *Store) CreateHouseholds(ctx context.Context, cid string, hs []registry.Household, evs ...string) error {
	keys := make([]string, 0, 3+3*len(hs))
	keys = append(keys, compoundKey(cid), householdsKey(cid), dwellingsKey(cid))
	args := make([]any, 0, 1+6*len(hs))
	args = append(args, len(hs))
	locs := make([]any, 0, 2*len(hs))
	for _, h := range hs {
		data, err := json.Marshal(h)
		if err != nil {
			return err
		}
		keys = append(keys, householdKey(cid, h.ID), buildingKey(cid, h.BuildingID), buildingHouseholdsKey(cid, h.BuildingID))
		args = append(args, h.ID, data, h.DwellingKey(), strconv.FormatInt(int64(h.ExclusiveArea), 10), flag(h.PartyMember), flag(h.NeedsAccessibility))
		locs = append(locs, locKey(h.ID), cid)
	}
	if err := s.setLocations(ctx, locs); err != nil {
		return err
	}
	var res []int64
	err := s.withEvents(ctx, compoundKey(cid), evs, func(outbox []string) error {
		var err error
		res, err = createHouseholds.Run(ctx, s.rdb, append(keys, outbox...), append(args, strs(evs)...)...).Int64Slice()
		return err
	})
	if err != nil {
		return err
	}
	switch res[0] {
	case -1:
		return notFound("compound", cid)
	case -2:
		return &DwellingTakenError{Index: int(res[1])}
	case -3:
		return fmt.Errorf("%w: part of this set was registered by another request", registry.ErrAlreadyExists)
	}
	return s.RecountCompound(ctx, cid)
}

// setLocations writes id → compound entries. They may live in other cluster slots than
// each other, so they go as a plain pipeline, not a transaction.
func (s *Store) setLocations(ctx context.Context, pairs []any) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < len(pairs); i += 2 {
			p.Set(ctx, pairs[i].(string), pairs[i+1], 0)
		}
		return nil
	})
	return err
}

// GetHouseholds reads households by id, in the order asked; unknown ids are skipped.
func (s *Store) GetHouseholds(ctx context.Context, ids []string) ([]registry.Household, error) {
	locs := make([]*redis.StringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			locs[i] = p.Get(ctx, locKey(id))
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return nil, err
	}
	recs := make([]*redis.StringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			if cid := locs[i].Val(); cid != "" {
				recs[i] = p.Get(ctx, householdKey(cid, id))
			}
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return nil, err
	}
	out := make([]registry.Household, 0, len(ids))
	for _, cmd := range recs {
		if cmd == nil || cmd.Val() == "" {
			continue
		}
		h, err := paging.Decode[registry.Household](cmd.Val())
		if err != nil {
			return nil, err
		}
		out = append(out, *h)
	}
	return out, nil
}

// GetHousehold returns one household or ErrNotFound.
func (s *Store) GetHousehold(ctx context.Context, id string) (*registry.Household, error) {
	hs, err := s.GetHouseholds(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, notFound("household", id)
	}
	return &hs[0], nil
}

// ListHouseholds pages through a compound's households, or one building's.
func (s *Store) ListHouseholds(ctx context.Context, cid, buildingID, token string, size int) ([]registry.Household, string, error) {
	key := householdsKey(cid)
	if buildingID != "" {
		key = buildingHouseholdsKey(cid, buildingID)
	}
	return list(ctx, s, key, token, size, paging.JSON[registry.Household](s.rdb, func(id string) string { return householdKey(cid, id) }))
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
