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

// AddSignoff records a sign-off: it becomes its role's latest, and joins the log.
func (s *Store) AddSignoff(ctx context.Context, so works.Signoff) error {
	data, err := json.Marshal(so)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, signoffsKey(so.ProjectID), so.Role.String(), data)
		p.RPush(ctx, signoffLogKey(so.ProjectID), data)
		return nil
	})
	return err
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
