package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/fault"
	"tongdu/platform/paging"
	"tongdu/services/governance/internal/registry"
)

// Whistles, departments and the departments' report counters share the {whistles} slot:
// one whistle's change moves its record, its indexes and the counters of every department
// it calls, and all of that is one script.

func departmentKey(id string) string         { return "gov:{whistles}:department:" + id }
func departmentsKey() string                 { return "gov:{whistles}:departments" }
func departmentTallyKey(id string) string    { return "gov:{whistles}:department:" + id + ":tally" }
func departmentPendingKey(id string) string  { return "gov:{whistles}:department:" + id + ":pending" }
func departmentWhistlesKey(id string) string { return "gov:{whistles}:department:" + id + ":whistles" }
func whistleKey(id string) string            { return "gov:{whistles}:whistle:" + id }
func whistlesKey() string                    { return "gov:{whistles}:all" }
func compoundWhistlesKey(cid string) string  { return "gov:{whistles}:compound:" + cid }
func householdWhistlesKey(id string) string  { return "gov:{whistles}:household:" + id }
func overdueAtKey() string                   { return "gov:{whistles}:overdue-at" }
func whistleStatusKey(s registry.WhistleStatus) string {
	return "gov:{whistles}:status:" + s.String()
}

// createDepartment registers a department unless its id is taken. The claim is the
// create request that made it: the same claim again is a replay (0), another is -1.
// KEYS: department, departments. ARGV: id, data, claim.
var createDepartment = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'claim') == ARGV[3] then return 0 end
  return -1
end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'claim', ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1`)

// CreateDepartment registers a department. Its id may be the caller's ("water"), so it
// can be taken by another request: that is ErrAlreadyExists. claim names the request
// that creates it (the id its idempotency claim holds); the same claim again is a replay
// and changes nothing.
func (s *Store) CreateDepartment(ctx context.Context, d registry.Department, claim string) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	n, err := createDepartment.Run(ctx, s.rdb, []string{departmentKey(d.ID), departmentsKey()}, d.ID, data, claim).Int()
	if err != nil {
		return err
	}
	if n == -1 {
		return fmt.Errorf("%w: department %s", registry.ErrAlreadyExists, d.ID)
	}
	return nil
}

// GetDepartment returns a department or ErrNotFound.
func (s *Store) GetDepartment(ctx context.Context, id string) (*registry.Department, error) {
	data, err := s.rdb.HGet(ctx, departmentKey(id), "data").Result()
	if isNil(err) {
		return nil, notFound("department", id)
	}
	if err != nil {
		return nil, err
	}
	return paging.Decode[registry.Department](data)
}

// ListDepartments pages through the departments in order of id.
func (s *Store) ListDepartments(ctx context.Context, token string, size int) ([]registry.Department, string, error) {
	return list(ctx, s, departmentsKey(), token, size, loadHashes(s.rdb, departmentKey, func(h map[string]string) (*registry.Department, error) {
		return paging.Decode[registry.Department](h["data"])
	}))
}

// DepartmentsExist says which of ids are registered departments.
func (s *Store) DepartmentsExist(ctx context.Context, ids []string) (map[string]bool, error) {
	cmds := make([]*redis.IntCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Exists(ctx, departmentKey(id))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for i, id := range ids {
		out[id] = cmds[i].Val() == 1
	}
	return out, nil
}

// tallyScript applies the departments' parts of a whistle change: per department, the
// keys at KEYS[k0 + 2i] (tally) and KEYS[k0 + 2i + 1] (pending), and ARGV[a0 + 9i]: the
// pending deadline in µs (” for none) and eight counter differences.
const tallyScript = `
local fields = {'whistles', 'acknowledged', 'resolved', 'rated', 'breached', 'acknowledgeMicros', 'resolveMicros', 'ratingSum'}
local function tally(id, n, k0, a0)
  for i = 0, n - 1 do
    local t, p, a = KEYS[k0 + 2*i], KEYS[k0 + 2*i + 1], a0 + 9*i
    if ARGV[a] == '' then redis.call('ZREM', p, id) else redis.call('ZADD', p, ARGV[a], id) end
    for f = 1, 8 do
      if ARGV[a + f] ~= '0' then redis.call('HINCRBY', t, fields[f], ARGV[a + f]) end
    end
  end
end
local function overdue(key, id, at)
  if at == '' then redis.call('ZREM', key, id) else redis.call('ZADD', key, at, id) end
end
`

// createWhistle stores a new whistle with its indexes and its departments' counters,
// unless it exists (a replayed request).
// KEYS: whistle, all, compound's, status, overdue-at, reporting household's, then per
// department: its whistles, tally, pending. ARGV: id, data, overdue-at, n, then per
// department its part (tallyScript).
var createWhistle = redis.NewScript(tallyScript + `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local id, n = ARGV[1], tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'rev', 1)
redis.call('ZADD', KEYS[2], 0, id)
redis.call('ZADD', KEYS[3], 0, id)
redis.call('ZADD', KEYS[4], 0, id)
overdue(KEYS[5], id, ARGV[3])
redis.call('ZADD', KEYS[6], 0, id)
for i = 0, n - 1 do redis.call('ZADD', KEYS[7 + i], 0, id) end
tally(id, n, 7 + n, 5)
return 1`)

// updateWhistle replaces a whistle if its revision is still the one read, and moves its
// indexes and its departments' counters in the same step. A triage calls the departments
// of a reported whistle, so each department's index takes the whistle here too (adding
// it again, on later changes, changes nothing).
// KEYS: whistle, old status, new status, overdue-at, then per department: tally, pending,
// then per department: its whistles.
// ARGV: rev, data, id, overdue-at, n, then per department its part (tallyScript).
var updateWhistle = redis.NewScript(tallyScript + `
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if rev ~= ARGV[1] then return -2 end
local id, n = ARGV[3], tonumber(ARGV[5])
redis.call('HSET', KEYS[1], 'data', ARGV[2])
if KEYS[2] ~= KEYS[3] then
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[3], 0, id)
end
overdue(KEYS[4], id, ARGV[4])
tally(id, n, 5, 6)
for i = 0, n - 1 do redis.call('ZADD', KEYS[5 + 2*n + i], 0, id) end
return redis.call('HINCRBY', KEYS[1], 'rev', 1)`)

// micros is a whistle time as a sorted-set score (” for none). Whistle times are whole
// microseconds (registry.WhistleTime), which doubles hold exactly.
func micros(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

// before is the highest score strictly before now: a deadline D (whole µs) has passed
// at now exactly when its score is at most this.
func before(now time.Time) int64 {
	ns := now.UnixNano() - 1
	if ns < 0 {
		return -1 - (-ns-1)/1000
	}
	return ns / 1000
}

// tallyArgs adds the departments' keys and parts of change c.
func tallyArgs(c registry.WhistleChange, keys []string, args []any) ([]string, []any) {
	for _, d := range c.Departments {
		keys = append(keys, departmentTallyKey(d.DepartmentID), departmentPendingKey(d.DepartmentID))
		args = append(args, micros(d.Pending), d.Whistles, d.Acknowledged, d.Resolved, d.Rated, d.Breached,
			d.AcknowledgeMicros, d.ResolveMicros, d.RatingSum)
	}
	return keys, args
}

// CreateWhistle stores a new whistle and applies change c (registry.WhistleChangeOf(nil,
// &w)) in one atomic step. A whistle that exists already (a replayed request) is left as
// it is.
func (s *Store) CreateWhistle(ctx context.Context, w registry.Whistle, c registry.WhistleChange) error {
	data, err := json.Marshal(w)
	if err != nil {
		return err
	}
	n := len(c.Departments)
	// A whistle no household reported names the all index again in the household's place:
	// adding it twice changes nothing, and the script keeps one shape.
	reporter := whistlesKey()
	if h := w.ReporterHousehold(); h != "" {
		reporter = householdWhistlesKey(h)
	}
	keys := []string{whistleKey(w.ID), whistlesKey(), compoundWhistlesKey(w.CompoundID), whistleStatusKey(w.Status), overdueAtKey(), reporter}
	for _, d := range c.Departments {
		keys = append(keys, departmentWhistlesKey(d.DepartmentID))
	}
	keys, args := tallyArgs(c, keys, []any{w.ID, data, micros(c.OverdueAt), n})
	return createWhistle.Run(ctx, s.rdb, keys, args...).Err()
}

// UpdateWhistle writes w if its stored revision is still w.Revision, moving it from the
// index of status prev to its own and applying change c (registry.WhistleChangeOf(&old,
// &w)) in the same step. It returns the new revision, registry.ErrConflict when the
// whistle changed meanwhile, or ErrNotFound.
func (s *Store) UpdateWhistle(ctx context.Context, prev registry.WhistleStatus, w registry.Whistle, c registry.WhistleChange) (int64, error) {
	data, err := json.Marshal(w)
	if err != nil {
		return 0, err
	}
	keys := []string{whistleKey(w.ID), whistleStatusKey(prev), whistleStatusKey(w.Status), overdueAtKey()}
	keys, args := tallyArgs(c, keys, []any{strconv.FormatInt(w.Revision, 10), data, w.ID, micros(c.OverdueAt), len(c.Departments)})
	for _, d := range c.Departments {
		keys = append(keys, departmentWhistlesKey(d.DepartmentID))
	}
	rev, err := updateWhistle.Run(ctx, s.rdb, keys, args...).Int64()
	switch {
	case err != nil:
		return 0, err
	case rev == -1:
		return 0, notFound("whistle", w.ID)
	case rev == -2:
		return 0, fmt.Errorf("%w: whistle %s", registry.ErrConflict, w.ID)
	}
	return rev, nil
}

// GetWhistle returns a whistle with its revision, or ErrNotFound.
func (s *Store) GetWhistle(ctx context.Context, id string) (*registry.Whistle, error) {
	ws, err := s.GetWhistles(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, notFound("whistle", id)
	}
	return &ws[0], nil
}

// GetWhistles reads whistles by id, in the order asked; unknown ids are skipped.
func (s *Store) GetWhistles(ctx context.Context, ids []string) ([]registry.Whistle, error) {
	return present(loadHashes(s.rdb, whistleKey, func(h map[string]string) (*registry.Whistle, error) {
		w, err := paging.Decode[registry.Whistle](h["data"])
		if err != nil {
			return nil, err
		}
		w.Revision = atoi(h["rev"])
		return w, nil
	})(ctx, ids))
}

// WhistleFilter is registry.WhistleFilter.
type WhistleFilter = registry.WhistleFilter

// listed is an id read from an index and the page token that resumes after it.
type listed struct{ id, token string }

// ListWhistles pages through the whistles that match, reading the narrowest index the
// filter allows: the reporting household's whistles, the department's, the compound's,
// the overdue ones, those of a status, or all. Lists come in creation order, except the overdue list alone, which
// comes in order of the instant each became overdue (longest overdue first): it is read
// from the overdue index by range up to now, so it never touches whistles in time.
func (s *Store) ListWhistles(ctx context.Context, f WhistleFilter, now time.Time, match func(*registry.Whistle) bool, token string, size int) ([]registry.Whistle, string, error) {
	read := func(token string) ([]listed, string, error) {
		key := whistlesKey()
		switch {
		case f.HouseholdID != "":
			key = householdWhistlesKey(f.HouseholdID)
		case f.DepartmentID != "":
			key = departmentWhistlesKey(f.DepartmentID)
		case f.CompoundID != "":
			key = compoundWhistlesKey(f.CompoundID)
		case f.Overdue:
			return s.pageByScore(ctx, overdueAtKey(), token, before(now), size)
		case f.Status != registry.WhistleStatusUnspecified:
			key = whistleStatusKey(f.Status)
		}
		ids, next, err := paging.Lex(ctx, s.rdb, key, token, size)
		if err != nil {
			return nil, "", err
		}
		out := make([]listed, len(ids))
		for i, id := range ids {
			out[i] = listed{id: id, token: paging.EncodeToken(id)}
		}
		return out, next, nil
	}
	var out []registry.Whistle
	for {
		entries, next, err := read(token)
		if err != nil {
			return nil, "", err
		}
		ids := make([]string, len(entries))
		for i, e := range entries {
			ids[i] = e.id
		}
		ws, err := s.GetWhistles(ctx, ids)
		if err != nil {
			return nil, "", err
		}
		byID := make(map[string]*registry.Whistle, len(ws))
		for i := range ws {
			byID[ws[i].ID] = &ws[i]
		}
		for i, e := range entries {
			w := byID[e.id]
			if w == nil || !match(w) {
				continue
			}
			out = append(out, *w)
			if len(out) == size {
				if i == len(entries)-1 && next == "" {
					return out, "", nil
				}
				return out, e.token, nil
			}
		}
		if next == "" {
			return out, "", nil
		}
		token = next
	}
}

// pageByScore reads up to size members of a scored set with scores up to max, in order
// of score then id, after the position a token names ("score/id").
func (s *Store) pageByScore(ctx context.Context, key, token string, max int64, size int) ([]listed, string, error) {
	after, err := paging.DecodeToken(token)
	if err != nil {
		return nil, "", err
	}
	min, afterScore, afterID := "-inf", int64(0), ""
	if after != "" {
		score, id, ok := strings.Cut(after, "/")
		n, perr := strconv.ParseInt(score, 10, 64)
		if !ok || perr != nil {
			return nil, "", fault.Field("pageToken", "is not a token of this listing")
		}
		min, afterScore, afterID = score, n, id
	}
	var out []listed
	// Members of the token's score up to its id come first in the range; skip them. One
	// more than asked tells whether a next page exists.
	for offset := int64(0); ; {
		zs, err := s.rdb.ZRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{Min: min, Max: strconv.FormatInt(max, 10), Offset: offset, Count: int64(size + 1)}).Result()
		if err != nil {
			return nil, "", err
		}
		for _, z := range zs {
			id, score := z.Member.(string), int64(z.Score)
			if after != "" && score == afterScore && id <= afterID {
				continue
			}
			out = append(out, listed{id: id, token: paging.EncodeToken(fmt.Sprintf("%d/%s", score, id))})
		}
		if len(out) > size || len(zs) <= size {
			break
		}
		offset += int64(len(zs))
	}
	if len(out) > size {
		return out[:size], out[size-1].token, nil
	}
	return out, "", nil
}

// DepartmentTally returns a department's summed counters and how many of its pending
// deadlines have passed at now. It reads two keys, not the department's whistles.
func (s *Store) DepartmentTally(ctx context.Context, id string, now time.Time) (registry.DepartmentTally, int64, error) {
	var h *redis.MapStringStringCmd
	var past *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		h = p.HGetAll(ctx, departmentTallyKey(id))
		past = p.ZCount(ctx, departmentPendingKey(id), "-inf", strconv.FormatInt(before(now), 10))
		return nil
	})
	if err != nil {
		return registry.DepartmentTally{}, 0, err
	}
	v := h.Val()
	t := registry.DepartmentTally{
		DepartmentID: id, Whistles: atoi(v["whistles"]), Acknowledged: atoi(v["acknowledged"]), Resolved: atoi(v["resolved"]),
		Rated: atoi(v["rated"]), Breached: atoi(v["breached"]), AcknowledgeMicros: atoi(v["acknowledgeMicros"]),
		ResolveMicros: atoi(v["resolveMicros"]), RatingSum: atoi(v["ratingSum"]),
	}
	return t, past.Val(), nil
}

// CountOverdue counts the whistles overdue at now: one ZCOUNT on the overdue index, so a
// metrics scrape never reads whistles themselves.
func (s *Store) CountOverdue(ctx context.Context, now time.Time) (int64, error) {
	return s.rdb.ZCount(ctx, overdueAtKey(), "-inf", strconv.FormatInt(before(now), 10)).Result()
}
