package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/events"
	"tongdu/platform/paging"
	"tongdu/services/governance/internal/registry"
)

// createCompound writes the record with zero derived counts unless it exists already.
var createCompound = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'rev', 1, 'households', 0, 'area', 0, 'buildings', 0)
return 1`)

// updateCompound replaces the record only if its revision is still the one read.
var updateCompound = redis.NewScript(`
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if rev ~= ARGV[1] then return -2 end
redis.call('HSET', KEYS[1], 'data', ARGV[2])
return redis.call('HINCRBY', KEYS[1], 'rev', 1)`)

// CreateCompound stores a new compound and lists it under every region of its path. A
// compound that exists already (a replayed request) is left as it is.
func (s *Store) CreateCompound(ctx context.Context, c registry.Compound) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := createCompound.Run(ctx, s.rdb, []string{compoundKey(c.ID)}, data).Err(); err != nil {
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
	return err
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

// UpdateCompound writes c if its stored revision is still c.Revision; it returns the new
// revision, registry.ErrConflict when the compound changed meanwhile, or ErrNotFound.
func (s *Store) UpdateCompound(ctx context.Context, c registry.Compound) (int64, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	rev, err := updateCompound.Run(ctx, s.rdb, []string{compoundKey(c.ID)}, strconv.FormatInt(c.Revision, 10), data).Int64()
	switch {
	case err != nil:
		return 0, err
	case rev == -1:
		return 0, notFound("compound", c.ID)
	case rev == -2:
		return 0, fmt.Errorf("%w: compound %s", registry.ErrConflict, c.ID)
	}
	return rev, nil
}

// PublishRegistryFact tells the survey service that a fact behind the priority ranking
// changed for a compound (rule 4: a change of the facts behind a term reaches the ranking
// within the same short delay, whichever service it happened in), on the registry topic.
func (s *Store) PublishRegistryFact(ctx context.Context, compoundID, fact string) error {
	return events.Publish(ctx, s.rdb, events.RegistryTopic, map[string]string{"compound": compoundID, "fact": fact})
}
