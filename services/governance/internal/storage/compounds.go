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

// createCompound writes the record with zero derived counts unless it exists already,
// and with it appends the events (ARGV[2]…) to the compound's outbox (KEYS[2]). A
// compound that exists already appends nothing: its first write did.
var createCompound = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'rev', 1, 'households', 0, 'area', 0, 'buildings', 0)
for i = 2, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
return 1`)

// updateCompound replaces the record only if its revision is still the one read, and
// with it appends the events (ARGV[3]…) to the compound's outbox (KEYS[2], given only
// with events). A refused write appends nothing.
var updateCompound = redis.NewScript(`
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if rev ~= ARGV[1] then return -2 end
redis.call('HSET', KEYS[1], 'data', ARGV[2])
for i = 3, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
return redis.call('HINCRBY', KEYS[1], 'rev', 1)`)

// CreateCompound stores a new compound with its events (events.Event; written in the
// same step, relayed by the outbox) and lists it under every region of its path. A
// compound that exists already (a replayed request) is left as it is, and its events
// are not written again.
func (s *Store) CreateCompound(ctx context.Context, c registry.Compound, evs ...string) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	key := compoundKey(c.ID)
	err = s.withEvents(ctx, key, evs, func(outbox []string) error {
		return createCompound.Run(ctx, s.rdb, append([]string{key}, outbox...), append([]any{data}, strs(evs)...)...).Err()
	})
	if err != nil {
		return err
	}
	// The region indexes live in the regions' slot, so they are a second step. A crash in
	// between leaves a compound that is reachable by id but not yet listed; a replay of
	// the same request id finishes the job.
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, compoundsInKey(""), redis.Z{Member: c.ID})
		for _, r := range c.RegionPath {
			p.ZAdd(ctx, compoundsInKey(r), redis.Z{Member: c.ID})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.RecountCompound(ctx, c.ID)
}

// GetCompound returns the compound with its derived counts, or registry.ErrNotFound.
func (s *Store) GetCompound(ctx context.Context, id string) (*registry.Compound, error) {
	h, err := s.rdb.HGetAll(ctx, compoundKey(id)).Result()
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, notFound("compound", id)
	}
	return compoundFrom(h)
}

func compoundFrom(h map[string]string) (*registry.Compound, error) {
	c, err := paging.Decode[registry.Compound](h["data"])
	if err != nil {
		return nil, err
	}
	c.Revision = atoi(h["rev"])
	c.HouseholdCount = int(atoi(h["households"]))
	c.TotalArea = registry.Area(atoi(h["area"]))
	c.BuildingCount = int(atoi(h["buildings"]))
	return c, nil
}

// GetCompounds reads several compounds in one round trip; missing ones are skipped.
func (s *Store) GetCompounds(ctx context.Context, ids []string) ([]registry.Compound, error) {
	return present(s.compounds()(ctx, ids))
}

func (s *Store) compounds() paging.Loader[registry.Compound] {
	return loadHashes(s.rdb, compoundKey, compoundFrom)
}

// ListCompounds pages through the compounds under region ("" for all), keeping those
// that match. Filtering happens on the records read, so a selective filter may read
// several batches to fill a page.
func (s *Store) ListCompounds(ctx context.Context, region string, match func(*registry.Compound) bool, token string, size int) ([]registry.Compound, string, error) {
	return paging.Filtered(ctx, s.rdb, compoundsInKey(region), token, size, s.compounds(), match)
}

// UpdateCompound writes c, with its events (events.Event) in the same step, if its
// stored revision is still c.Revision; it returns the new revision,
// registry.ErrConflict when the compound changed meanwhile, or ErrNotFound (and then
// no event is written).
func (s *Store) UpdateCompound(ctx context.Context, c registry.Compound, evs ...string) (int64, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	key := compoundKey(c.ID)
	var rev int64
	err = s.withEvents(ctx, key, evs, func(outbox []string) error {
		var err error
		rev, err = updateCompound.Run(ctx, s.rdb, append([]string{key}, outbox...), append([]any{strconv.FormatInt(c.Revision, 10), data}, strs(evs)...)...).Int64()
		return err
	})
	switch {
	case err != nil:
		return 0, err
	case rev == -1:
		return 0, notFound("compound", c.ID)
	case rev == -2:
		return 0, fmt.Errorf("%w: compound %s", registry.ErrConflict, c.ID)
	}
	// The change is stored; counting it is the region counters' second step.
	return rev, s.RecountCompound(ctx, c.ID)
}

// strs passes strings as script arguments.
func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
