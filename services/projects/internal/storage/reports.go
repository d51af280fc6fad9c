package storage

import (
	"context"
	"encoding/json"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/projects/internal/works"
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
	load := func(ctx context.Context, ids []string) ([]*T, error) {
		vals, err := s.rdb.HMGet(ctx, reportDataKey(projectID, kind), ids...).Result()
		if err != nil {
			return nil, err
		}
		out := make([]*T, len(vals))
		for i, v := range vals {
			if str, ok := v.(string); ok {
				if out[i], err = paging.Decode[T](str); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
	return paging.Filtered(ctx, s.rdb, reportsKey(projectID, kind), token, size, load, match)
}

// ProgressReports pages through a project's progress reports that match, oldest first.
func (s *Store) ProgressReports(ctx context.Context, projectID string, match func(*works.ProgressReport) bool, token string, size int) ([]works.ProgressReport, string, error) {
	return ListReports(ctx, s, projectID, "progress", match, token, size)
}

// SupervisionReports pages through a project's supervision reports that match, oldest
// first.
func (s *Store) SupervisionReports(ctx context.Context, projectID string, match func(*works.SupervisionReport) bool, token string, size int) ([]works.SupervisionReport, string, error) {
	return ListReports(ctx, s, projectID, "supervision", match, token, size)
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
	stored, err := paging.Decode[works.Signoff](prev)
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
		so, err := paging.Decode[works.Signoff](d)
		if err != nil {
			return nil, err
		}
		out[so.Role] = *so
	}
	return out, nil
}

// ProgressReport returns one progress report of a project, or works.ErrNotFound.
func (s *Store) ProgressReport(ctx context.Context, projectID, id string) (*works.ProgressReport, error) {
	data, err := s.rdb.HGet(ctx, reportDataKey(projectID, "progress"), id).Result()
	if isNil(err) {
		return nil, notFound("progress report", id)
	}
	if err != nil {
		return nil, err
	}
	return paging.Decode[works.ProgressReport](data)
}
