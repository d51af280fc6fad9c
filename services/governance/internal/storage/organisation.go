package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/governance/internal/registry"
)

// The organisation's records (party branches, grid cells, linked units, party members
// and their service) are few per community and read together, so they share the {org}
// slot: each write below is one atomic step.
func branchKey(id string) string             { return "gov:{org}:branch:" + id }
func branchesKey(community string) string    { return "gov:{org}:branches:" + orAll(community) }
func compoundBranchKey() string              { return "gov:{org}:compound-branch" }
func gridKey(id string) string               { return "gov:{org}:grid:" + id }
func gridsKey(community string) string       { return "gov:{org}:grids:" + orAll(community) }
func buildingGridKey() string                { return "gov:{org}:building-grid" }
func unitKey(id string) string               { return "gov:{org}:unit:" + id }
func unitsKey(community string) string       { return "gov:{org}:units:" + orAll(community) }
func memberKey(id string) string             { return "gov:{org}:member:" + id }
func membersKey(scope string) string         { return "gov:{org}:members:" + orAll(scope) }
func serviceRecordsKey(member string) string { return "gov:{org}:records:" + member }
func serviceTotalsKey(member string) string  { return "gov:{org}:service:" + member }

// createBranch stores a branch; a compound has one branch. KEYS: branch, by community,
// all, compound-branch. ARGV: id, data, compound ("" for a general branch).
var createBranch = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[3] ~= '' then
  local holder = redis.call('HGET', KEYS[4], ARGV[3])
  if holder and holder ~= ARGV[1] then return -1 end
  redis.call('HSET', KEYS[4], ARGV[3], ARGV[1])
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
return 1`)

// CreatePartyBranch stores a party branch; a second branch of one compound is
// ErrAlreadyExists.
func (s *Store) CreatePartyBranch(ctx context.Context, b registry.PartyBranch) error {
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	n, err := createBranch.Run(ctx, s.rdb, []string{branchKey(b.ID), branchesKey(b.CommunityID), branchesKey(""), compoundBranchKey()}, b.ID, data, b.CompoundID).Int()
	if err != nil {
		return err
	}
	if n == -1 {
		return fmt.Errorf("%w: compound %s has a party branch already", registry.ErrAlreadyExists, b.CompoundID)
	}
	return nil
}

// GetPartyBranch returns a branch or ErrNotFound.
func (s *Store) GetPartyBranch(ctx context.Context, id string) (*registry.PartyBranch, error) {
	return getJSON[registry.PartyBranch](ctx, s, branchKey(id), "party branch", id)
}

// GetGridCell returns a grid cell or ErrNotFound.
func (s *Store) GetGridCell(ctx context.Context, id string) (*registry.GridCell, error) {
	return getJSON[registry.GridCell](ctx, s, gridKey(id), "grid cell", id)
}

// ListPartyBranches pages through a community's branches ("" for all) that match.
func (s *Store) ListPartyBranches(ctx context.Context, community string, match func(*registry.PartyBranch) bool, token string, size int) ([]registry.PartyBranch, string, error) {
	return listJSON(ctx, s, branchesKey(community), branchKey, match, token, size)
}

// createGrid stores a grid cell and assigns its buildings, each to one cell only.
// KEYS: grid, by community, all, building-grid. ARGV: id, data, buildings….
var createGrid = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
for i = 3, #ARGV do
  local holder = redis.call('HGET', KEYS[4], ARGV[i])
  if holder and holder ~= ARGV[1] then return {-1, i - 3} end
end
for i = 3, #ARGV do redis.call('HSET', KEYS[4], ARGV[i], ARGV[1]) end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
return {1}`)

// BuildingTakenError is registry.BuildingTakenError.
type BuildingTakenError = registry.BuildingTakenError

// CreateGridCell stores a grid cell; a building of another cell is a *BuildingTakenError.
func (s *Store) CreateGridCell(ctx context.Context, g registry.GridCell) error {
	data, err := json.Marshal(g)
	if err != nil {
		return err
	}
	args := []any{g.ID, data}
	for _, b := range g.BuildingIDs {
		args = append(args, b)
	}
	res, err := createGrid.Run(ctx, s.rdb, []string{gridKey(g.ID), gridsKey(g.CommunityID), gridsKey(""), buildingGridKey()}, args...).Int64Slice()
	if err != nil {
		return err
	}
	if res[0] == -1 {
		return &BuildingTakenError{Index: int(res[1])}
	}
	return nil
}

// ListGridCells pages through a community's grid cells ("" for all).
func (s *Store) ListGridCells(ctx context.Context, community, token string, size int) ([]registry.GridCell, string, error) {
	return listJSON(ctx, s, gridsKey(community), gridKey, paging.All[registry.GridCell], token, size)
}

// CreateLinkedUnit stores a linked unit of a community.
func (s *Store) CreateLinkedUnit(ctx context.Context, u registry.LinkedUnit) error {
	return s.createJSON(ctx, unitKey(u.ID), u, []string{unitsKey(u.CommunityID), unitsKey("")}, u.ID)
}

// GetLinkedUnit returns a linked unit or ErrNotFound.
func (s *Store) GetLinkedUnit(ctx context.Context, id string) (*registry.LinkedUnit, error) {
	return getJSON[registry.LinkedUnit](ctx, s, unitKey(id), "linked unit", id)
}

// ListLinkedUnits pages through a community's linked units ("" for all).
func (s *Store) ListLinkedUnits(ctx context.Context, community, token string, size int) ([]registry.LinkedUnit, string, error) {
	return listJSON(ctx, s, unitsKey(community), unitKey, paging.All[registry.LinkedUnit], token, size)
}

// CreatePartyMember stores a registered member, listed by residence community and by
// linked unit.
func (s *Store) CreatePartyMember(ctx context.Context, m registry.PartyMember) error {
	return s.createJSON(ctx, memberKey(m.ID), m, []string{membersKey("community:" + m.ResidenceCommunityID), membersKey("unit:" + m.LinkedUnitID), membersKey("")}, m.ID)
}

// GetPartyMember returns a member or ErrNotFound.
func (s *Store) GetPartyMember(ctx context.Context, id string) (*registry.PartyMember, error) {
	return getJSON[registry.PartyMember](ctx, s, memberKey(id), "party member", id)
}

// ListPartyMembers pages through members of a community, or of a linked unit, or all.
func (s *Store) ListPartyMembers(ctx context.Context, community, unit, token string, size int) ([]registry.PartyMember, string, error) {
	scope, match := "", func(*registry.PartyMember) bool { return true }
	switch {
	case unit != "":
		scope = "unit:" + unit
		if community != "" {
			match = func(m *registry.PartyMember) bool { return m.ResidenceCommunityID == community }
		}
	case community != "":
		scope = "community:" + community
	}
	return listJSON(ctx, s, membersKey(scope), memberKey, match, token, size)
}

// UnitMembers lists every member of a linked unit (a unit has tens to hundreds).
func (s *Store) UnitMembers(ctx context.Context, unit string) ([]registry.PartyMember, error) {
	return paging.Collect(func(token string) ([]registry.PartyMember, string, error) {
		return s.ListPartyMembers(ctx, "", unit, token, 1000)
	})
}

// addServiceRecord stores a record once and adds it to the member's monthly totals in
// the same step. KEYS: records, totals. ARGV: id, record, month, hours.
var addServiceRecord = redis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[3] .. ':hours', ARGV[4])
redis.call('HINCRBY', KEYS[2], ARGV[3] .. ':records', 1)
return 1`)

// AddServiceRecord stores a record of service and adds it to the member's monthly totals
// in the same step, so a report back reads totals, not records. A record id stored
// before (a replayed request) changes nothing.
func (s *Store) AddServiceRecord(ctx context.Context, r registry.ServiceRecord) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	keys := []string{serviceRecordsKey(r.PartyMemberID), serviceTotalsKey(r.PartyMemberID)}
	return addServiceRecord.Run(ctx, s.rdb, keys, r.ID, data, r.Date[:7], int64(r.Hours)).Err()
}

// ServiceTotals sums each member's service over the months given: records and hours.
func (s *Store) ServiceTotals(ctx context.Context, members []string, months []string) (map[string][2]int64, error) {
	fields := make([]string, 0, 2*len(months))
	for _, m := range months {
		fields = append(fields, m+":records", m+":hours")
	}
	cmds := make([]*redis.SliceCmd, len(members))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range members {
			cmds[i] = p.HMGet(ctx, serviceTotalsKey(m), fields...)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := make(map[string][2]int64, len(members))
	for i, m := range members {
		var t [2]int64
		for j, v := range cmds[i].Val() {
			str, _ := v.(string)
			n, _ := strconv.ParseInt(str, 10, 64)
			t[j%2] += n
		}
		out[m] = t
	}
	return out, nil
}

// createJSON stores a new record (unless it exists) and lists it in sorted sets of one
// slot, in one step.
func (s *Store) createJSON(ctx context.Context, key string, v any, lists []string, id string) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SetNX(ctx, key, data, 0)
		for _, l := range lists {
			p.ZAdd(ctx, l, redis.Z{Member: id})
		}
		return nil
	})
	return err
}

func getJSON[T any](ctx context.Context, s *Store, key, what, id string) (*T, error) {
	data, err := s.rdb.Get(ctx, key).Result()
	if isNil(err) {
		return nil, notFound(what, id)
	}
	if err != nil {
		return nil, err
	}
	return paging.Decode[T](data)
}

// listJSON pages through records named by a lexically ordered set, keeping those that
// match.
func listJSON[T any](ctx context.Context, s *Store, index string, key func(string) string, match func(*T) bool, token string, size int) ([]T, string, error) {
	return paging.Filtered(ctx, s.rdb, index, token, size, paging.JSON[T](s.rdb, key), match)
}
