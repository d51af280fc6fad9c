package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/services/governance/internal/registry"
)

// Imports of spreadsheets (app.Imports) keep their preview for a while:
//
//	gov:{imp:<id>}:import   hash: meta (JSON), rows (the preview shown, JSON), plan (the
//	                        records to write, JSON), file (the upload), state, applied,
//	                        confirm (JSON: who confirmed, when); expires with the preview
//
// The upload and the plan hold personal data as the register does; they expire.

func importKey(id string) string { return "gov:{imp:" + id + "}:import" }

// ImportRecord is an import's stored parts.
type ImportRecord struct {
	Meta, Rows, Plan, Confirm []byte
	File                      []byte
	State                     string
	Applied                   int
}

// SaveImport stores a previewed import for ttl.
func (s *Store) SaveImport(ctx context.Context, id string, r ImportRecord, ttl time.Duration) error {
	key := importKey(id)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, "meta", r.Meta, "rows", r.Rows, "plan", r.Plan, "file", r.File, "state", r.State, "applied", 0)
		p.Expire(ctx, key, ttl)
		return nil
	})
	return err
}

// GetImport reads an import's parts: with plan and file only when asked (they are the
// large ones). It returns ErrNotFound when there is none (or it expired).
func (s *Store) GetImport(ctx context.Context, id string, plan, file bool) (*ImportRecord, error) {
	fields := []string{"meta", "rows", "state", "applied", "confirm"}
	if plan {
		fields = append(fields, "plan")
	}
	if file {
		fields = append(fields, "file")
	}
	vals, err := s.rdb.HMGet(ctx, importKey(id), fields...).Result()
	if err != nil {
		return nil, err
	}
	if vals[0] == nil {
		return nil, notFound("import", id)
	}
	str := func(i int) string {
		if i >= len(vals) || vals[i] == nil {
			return ""
		}
		v, _ := vals[i].(string)
		return v
	}
	r := &ImportRecord{Meta: []byte(str(0)), Rows: []byte(str(1)), State: str(2), Confirm: []byte(str(4))}
	r.Applied, _ = strconv.Atoi(str(3))
	if plan {
		r.Plan = []byte(str(5))
	}
	if file {
		r.File = []byte(str(len(fields) - 1))
	}
	return r, nil
}

// claimImport moves a previewed import to applying, once; an import left applying
// longer than stale ago (its confirm died with its process) may be claimed again.
// KEYS: import. ARGV: confirm (JSON), now (ms), stale (ms). Returns 1 when claimed, 0
// when it is applying or applied, -1 when there is none.
var claimImport = redis.NewScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if state == 'APPLYING' then
  local at = tonumber(redis.call('HGET', KEYS[1], 'claimed') or '0')
  if at + tonumber(ARGV[3]) > tonumber(ARGV[2]) then return 0 end
elseif state ~= 'PREVIEWED' then
  return 0
end
redis.call('HSET', KEYS[1], 'state', 'APPLYING', 'confirm', ARGV[1], 'claimed', ARGV[2])
return 1`)

// importStale is how long a confirm may run before another may take over its import.
const importStale = 10 * time.Minute

// ClaimImport marks a previewed import as being applied by confirm. It returns false
// when it is applied, or being applied by a confirm that started less than ten minutes
// ago, and ErrNotFound when there is none.
func (s *Store) ClaimImport(ctx context.Context, id string, confirm []byte) (bool, error) {
	res, err := claimImport.Run(ctx, s.rdb, []string{importKey(id)}, confirm, time.Now().UnixMilli(), importStale.Milliseconds()).Int()
	switch {
	case err != nil:
		return false, err
	case res == -1:
		return false, notFound("import", id)
	}
	return res == 1, nil
}

// SetImportProgress records how many rows are applied and the state (APPLYING,
// APPLIED, or PREVIEWED again after a failure, so it may be confirmed again).
func (s *Store) SetImportProgress(ctx context.Context, id, state string, applied int) error {
	return s.rdb.HSet(ctx, importKey(id), "state", state, "applied", applied).Err()
}

// DwellingsOf returns a compound's households by dwelling key (registry.Household's
// DwellingKey), each with its stored record as it is (for UpdateHouseholds' check).
func (s *Store) DwellingsOf(ctx context.Context, cid string) (map[string]registry.Household, map[string]string, error) {
	dw, err := s.rdb.HGetAll(ctx, dwellingsKey(cid)).Result()
	if err != nil {
		return nil, nil, err
	}
	keys := make([]string, 0, len(dw))
	ids := make([]string, 0, len(dw))
	for k, id := range dw {
		keys, ids = append(keys, k), append(ids, id)
	}
	out := make(map[string]registry.Household, len(dw))
	raw := make(map[string]string, len(dw))
	const chunk = 1000
	for from := 0; from < len(ids); from += chunk {
		to := min(from+chunk, len(ids))
		cmds := make([]*redis.StringCmd, to-from)
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := from; i < to; i++ {
				cmds[i-from] = p.Get(ctx, householdKey(cid, ids[i]))
			}
			return nil
		}); err != nil && !isNil(err) {
			return nil, nil, err
		}
		for i, cmd := range cmds {
			if cmd.Val() == "" {
				continue
			}
			var h registry.Household
			if err := json.Unmarshal([]byte(cmd.Val()), &h); err != nil {
				return nil, nil, err
			}
			out[keys[from+i]] = h
			raw[h.ID] = cmd.Val()
		}
	}
	return out, raw, nil
}

// updateHouseholds replaces households of one compound, each only if it is still as it
// was read, and moves the derived counts with them.
// KEYS: compound, then per household: record, building; then the outbox when events are
// given. ARGV: n, then per household: the stored record, the new one, the change of
// area, of party members (-1/0/1) and of accessibility needs; then the events.
var updateHouseholds = redis.NewScript(`
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  if redis.call('GET', KEYS[2 + i*2]) ~= ARGV[2 + i*5] then return {-2, i} end
end
local area = 0
for i = 0, n - 1 do
  local building = KEYS[3 + i*2]
  redis.call('SET', KEYS[2 + i*2], ARGV[3 + i*5])
  redis.call('HINCRBY', building, 'party', ARGV[5 + i*5])
  redis.call('HINCRBY', building, 'access', ARGV[6 + i*5])
  area = area + tonumber(ARGV[4 + i*5])
end
redis.call('HINCRBY', KEYS[1], 'area', area)
for i = 2 + n*5, #ARGV do redis.call('RPUSH', KEYS[2 + n*2], ARGV[i]) end
return {1}`)

// UpdateHouseholds replaces households of compound cid in one atomic step, each only if
// its stored record is still before[id] (as DwellingsOf read it), with the events the
// change calls for. It returns registry.ErrConflict naming none of them when one was
// changed meanwhile.
func (s *Store) UpdateHouseholds(ctx context.Context, cid string, before map[string]string, prev map[string]registry.Household, hs []registry.Household, evs ...string) error {
	keys := make([]string, 0, 1+2*len(hs))
	keys = append(keys, compoundKey(cid))
	args := make([]any, 0, 1+5*len(hs))
	args = append(args, len(hs))
	for _, h := range hs {
		data, err := json.Marshal(h)
		if err != nil {
			return err
		}
		old := prev[h.ID]
		keys = append(keys, householdKey(cid, h.ID), buildingKey(cid, h.BuildingID))
		args = append(args, before[h.ID], data, int64(h.ExclusiveArea-old.ExclusiveArea),
			flag(h.PartyMember)-flag(old.PartyMember), flag(h.NeedsAccessibility)-flag(old.NeedsAccessibility))
	}
	var res []int64
	err := s.withEvents(ctx, compoundKey(cid), evs, func(outbox []string) error {
		var err error
		res, err = updateHouseholds.Run(ctx, s.rdb, append(keys, outbox...), append(args, strs(evs)...)...).Int64Slice()
		return err
	})
	if err != nil {
		return err
	}
	if res[0] == -2 {
		return fmt.Errorf("%w: a household of the file was edited since the preview", registry.ErrConflict)
	}
	return nil
}

// ImportPlace is where an import lies ("compounds/<id>" or "regions/<community>"), or
// ErrNotFound.
func (s *Store) ImportPlace(ctx context.Context, id string) ([]string, error) {
	meta, err := s.rdb.HGet(ctx, importKey(id), "meta").Result()
	if isNil(err) {
		return nil, notFound("import", id)
	}
	if err != nil {
		return nil, err
	}
	var m struct{ CompoundID, CommunityID string }
	if err := json.Unmarshal([]byte(meta), &m); err != nil {
		return nil, err
	}
	if m.CompoundID != "" {
		return []string{"compounds/" + m.CompoundID}, nil
	}
	return []string{"regions/" + m.CommunityID}, nil
}
