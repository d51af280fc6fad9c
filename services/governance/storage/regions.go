package storage

import (
	"context"
	"encoding/json"

	"github.com/redis/go-redis/v9"

	"tongdu/services/governance/registry"
)

// CreateRegion stores a new region under its parent. A region that exists already is
// left as it is (a replayed request), so the call is safe to repeat.
func (s *Store) CreateRegion(ctx context.Context, r registry.Region) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SetNX(ctx, regionKey(r.ID), data, 0)
		p.ZAdd(ctx, childrenKey(r.Parent), redis.Z{Member: r.ID})
		return nil
	})
	return err
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
	return decode[registry.Region](data)
}

// ListRegions pages through the children of parent ("" for the districts).
func (s *Store) ListRegions(ctx context.Context, parent, token string, size int) ([]registry.Region, string, error) {
	p, err := s.pageOf(ctx, childrenKey(parent), token, size)
	if err != nil || len(p.IDs) == 0 {
		return nil, "", err
	}
	keys := make([]string, len(p.IDs))
	for i, id := range p.IDs {
		keys[i] = regionKey(id)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, "", err
	}
	out := make([]registry.Region, 0, len(vals))
	for _, v := range vals {
		if str, ok := v.(string); ok {
			r, err := decode[registry.Region](str)
			if err != nil {
				return nil, "", err
			}
			out = append(out, *r)
		}
	}
	return out, p.Next, nil
}
