package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/projects/internal/works"
)

// createItem adds an item to an existing project. KEYS: project, items, revs, ids.
var createItem = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], 1)
redis.call('ZADD', KEYS[4], 0, ARGV[1])
return 1`)

// updateItem replaces an item whose revision is still the one read, and with it may add a
// report that caused the change. KEYS: items, revs, report ids, report data.
// ARGV: item id, revision, item, report id (may be empty), report.
var updateItem = redis.NewScript(`
local rev = redis.call('HGET', KEYS[2], ARGV[1])
if not rev then return -1 end
if rev ~= ARGV[2] then return -2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[3], 0, ARGV[4])
  redis.call('HSET', KEYS[4], ARGV[4], ARGV[5])
end
return redis.call('HINCRBY', KEYS[2], ARGV[1], 1)`)

// CreateItem stores a new work item of its project.
func (s *Store) CreateItem(ctx context.Context, it works.Item) error {
	data, err := json.Marshal(it)
	if err != nil {
		return err
	}
	n, err := createItem.Run(ctx, s.rdb, []string{projectKey(it.ProjectID), itemsKey(it.ProjectID), itemRevsKey(it.ProjectID), itemIDsKey(it.ProjectID)}, it.ID, data).Int()
	if err != nil {
		return err
	}
	if n == -1 {
		return notFound("project", it.ProjectID)
	}
	return nil
}

// GetItem returns a work item of a project or works.ErrNotFound.
func (s *Store) GetItem(ctx context.Context, projectID, id string) (*works.Item, error) {
	var data, rev *redis.StringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		data = p.HGet(ctx, itemsKey(projectID), id)
		rev = p.HGet(ctx, itemRevsKey(projectID), id)
		return nil
	}); err != nil && !isNil(err) {
		return nil, err
	}
	if data.Val() == "" {
		return nil, notFound(fmt.Sprintf("work item of project %s:", projectID), id)
	}
	it, err := paging.Decode[works.Item](data.Val())
	if err != nil {
		return nil, err
	}
	it.Revision = atoi(rev.Val())
	return it, nil
}

// Items returns all of a project's items in registration order (a project has tens).
func (s *Store) Items(ctx context.Context, projectID string) ([]works.Item, error) {
	var data, revs *redis.MapStringStringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		data = p.HGetAll(ctx, itemsKey(projectID))
		revs = p.HGetAll(ctx, itemRevsKey(projectID))
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]works.Item, 0, len(data.Val()))
	for id, d := range data.Val() {
		it, err := paging.Decode[works.Item](d)
		if err != nil {
			return nil, err
		}
		it.Revision = atoi(revs.Val()[id])
		out = append(out, *it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ListItems pages through a project's items that match, in registration order. A
// project has tens of items, so they are read at once and paged here; the next token is
// given only when another matching item follows.
func (s *Store) ListItems(ctx context.Context, projectID string, match func(*works.Item) bool, token string, size int) ([]works.Item, string, error) {
	items, err := s.Items(ctx, projectID)
	if err != nil {
		return nil, "", err
	}
	after, err := paging.DecodeToken(token)
	if err != nil {
		return nil, "", err
	}
	var out []works.Item
	for _, it := range items {
		if it.ID <= after || !match(&it) {
			continue
		}
		if len(out) == size {
			return out, paging.EncodeToken(out[size-1].ID), nil
		}
		out = append(out, it)
	}
	return out, "", nil
}

// UpdateItem writes it if its stored revision is still it.Revision, together with the
// progress report that moved it (nil for a plain edit); otherwise works.ErrConflict.
func (s *Store) UpdateItem(ctx context.Context, it works.Item, report *works.ProgressReport) error {
	data, err := json.Marshal(it)
	if err != nil {
		return err
	}
	reportID, reportData := "", []byte(nil)
	if report != nil {
		if reportData, err = json.Marshal(report); err != nil {
			return err
		}
		reportID = report.ID
	}
	keys := []string{itemsKey(it.ProjectID), itemRevsKey(it.ProjectID), reportsKey(it.ProjectID, "progress"), reportDataKey(it.ProjectID, "progress")}
	rev, err := updateItem.Run(ctx, s.rdb, keys, it.ID, strconv.FormatInt(it.Revision, 10), data, reportID, reportData).Int64()
	_, err = written(rev, err, "work item", it.ID)
	return err
}
