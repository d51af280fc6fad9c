package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/governance/internal/registry"
)

// createRegion adds a region under its parent unless its name is taken there.
// KEYS: region, children, names. ARGV: id, data, name.
var createRegion = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('HEXISTS', KEYS[3], ARGV[3]) == 1 then return -1 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[1])
return 1`)

// CreateRegion stores a new region under its parent. Names are unique among siblings
// (two 沙坝社区 in one sub-district would be one community counted twice): a taken name
// is ErrAlreadyExists. A region that exists already is left as it is (a replayed
// request), so the call is safe to repeat.
func (s *Store) CreateRegion(ctx context.Context, r registry.Region) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	n, err := createRegion.Run(ctx, s.rdb, []string{regionKey(r.ID), childrenKey(r.Parent), regionNamesKey(r.Parent)}, r.ID, data, r.Name).Int()
	if err != nil {
		return err
	}
	if n == -1 {
		under := "region " + r.Parent
		if r.Parent == "" {
			under = "the districts"
		}
		return fmt.Errorf("%w: a region named %q exists already among %s", registry.ErrAlreadyExists, r.Name, under)
	}
	return nil
}

// GetRegion returns the region or registry.ErrNotFound.
func (s *Store) GetRegion(ctx context.Context, id string) (*registry.Region, error) {
	data, err := s.rdb.Get(ctx, regionKey(id)).Result()
	if isNil(err) {
		return nil, notFound("region", id)
	}
	if err != nil {
		return nil, err
	}
	return paging.Decode[registry.Region](data)
}

// ListRegions pages through the children of parent ("" for the districts).
func (s *Store) ListRegions(ctx context.Context, parent, token string, size int) ([]registry.Region, string, error) {
	return list(ctx, s, childrenKey(parent), token, size, paging.JSON[registry.Region](s.rdb, regionKey))
}
