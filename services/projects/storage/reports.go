package storage

import (
	"context"
	"encoding/json"

	"github.com/redis/go-redis/v9"

	"tongdu/services/projects/works"
)

// AddSupervisionReport stores a resident's report on the works.
func (s *Store) AddSupervisionReport(ctx context.Context, r works.SupervisionReport) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, reportDataKey(r.ProjectID, "supervision"), r.ID, data)
		p.ZAdd(ctx, reportsKey(r.ProjectID, "supervision"), redis.Z{Member: r.ID})
		return nil
	})
	return err
}

// ListReports pages through a project's reports of a kind ("progress", "supervision"),
// oldest first, keeping those that match.
func ListReports[T any](ctx context.Context, s *Store, projectID, kind string, match func(*T) bool, token string, size int) ([]T, string, error) {
	var out []T
	for {
		ids, next, err := s.pageOf(ctx, reportsKey(projectID, kind), token, size)
		if err != nil || len(ids) == 0 {
			return out, "", err
		}
		vals, err := s.rdb.HMGet(ctx, reportDataKey(projectID, kind), ids...).Result()
		if err != nil {
			return nil, "", err
		}
		for i, v := range vals {
			str, ok := v.(string)
			if !ok {
				continue
			}
			r, err := decode[T](str)
			if err != nil {
				return nil, "", err
			}
			if match(r) {
				out = append(out, *r)
				if len(out) == size {
					if i == len(ids)-1 && next == "" {
						return out, "", nil
					}
					return out, EncodeToken(ids[i]), nil
				}
			}
		}
		if next == "" {
			return out, "", nil
		}
		token = next
	}
}

// addSignoff records a sign-off once: a sign-off id seen before (a retried request)
// returns the stored one and changes nothing, so a late retry of an old FAIL cannot
// replace a newer PASS. KEYS: by id, latest by role, log. ARGV: id, role, sign-off.
var addSignoff = redis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3]) == 0 then return redis.call('HGET', KEYS[1], ARGV[1]) end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('RPUSH', KEYS[3], ARGV[3])
return ''`)

// AddSignoff records a sign-off: it becomes its role's latest, and joins the log. When
// its id was recorded before, it returns the stored sign-off and false.
func (s *Store) AddSignoff(ctx context.Context, so works.Signoff) (works.Signoff, bool, error) {
	data, err := json.Marshal(so)
	if err != nil {
		return works.Signoff{}, false, err
	}
	keys := []string{signoffDataKey(so.ProjectID), signoffsKey(so.ProjectID), signoffLogKey(so.ProjectID)}
	prev, err := addSignoff.Run(ctx, s.rdb, keys, so.ID, so.Role.String(), data).Text()
	if err != nil {
		return works.Signoff{}, false, err
	}
	if prev == "" {
		return so, true, nil
	}
	stored, err := decode[works.Signoff](prev)
	if err != nil {
		return works.Signoff{}, false, err
	}
	return *stored, false, nil
}

// LatestSignoffs returns each role's latest sign-off.
func (s *Store) LatestSignoffs(ctx context.Context, projectID string) (map[works.Role]works.Signoff, error) {
	h, err := s.rdb.HGetAll(ctx, signoffsKey(projectID)).Result()
	if err != nil {
		return nil, err
	}
	out := make(map[works.Role]works.Signoff, len(h))
	for _, d := range h {
		so, err := decode[works.Signoff](d)
		if err != nil {
			return nil, err
		}
		out[so.Role] = *so
	}
	return out, nil
}
