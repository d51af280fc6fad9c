package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/projects/internal/works"
)

var createProject = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'rev', 1)
return 1`)

// updateProject replaces the record if its revision is still the one read and, in the
// same step, appends the events the change calls for (ARGV[3]…) to the outbox (KEYS[2]):
// a refused write appends nothing.
var updateProject = redis.NewScript(`
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if rev ~= ARGV[1] then return -2 end
redis.call('HSET', KEYS[1], 'data', ARGV[2])
for i = 3, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
return redis.call('HINCRBY', KEYS[1], 'rev', 1)`)

// claimPlan takes the compound's plan of a round for a project, unless another project
// that exists holds it. KEYS: plans, the holder's project key is checked by the caller.
var claimPlan = redis.NewScript(`
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if holder and holder ~= ARGV[2] and ARGV[3] == '1' then return holder end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ''`)

var releasePlan = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1`)

// claimResolution takes a renovation resolution for a project (rule 6: one resolution
// approves one project), unless another project holds it; ARGV[3] is a holder found gone
// or cancelled, which may be replaced (compare-and-set, so two replacing at once cannot
// both win). It answers the holder that keeps it, or ” when the project holds it now.
var claimResolution = redis.NewScript(`
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if holder and holder ~= ARGV[2] and holder ~= ARGV[3] then return holder end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ''`)

// ClaimResolution takes resolution surveyID for project projectID: "" when the project
// holds it now, else the project that used it (rule 6: one resolution approves one
// project). A holder that is gone, or was cancelled, no longer holds it.
func (s *Store) ClaimResolution(ctx context.Context, surveyID, projectID string) (string, error) {
	stale := ""
	for range 3 {
		holder, err := claimResolution.Run(ctx, s.rdb, []string{resolutionsKey()}, surveyID, projectID, stale).Text()
		if err != nil || holder == "" {
			return "", err
		}
		held, err := s.GetProject(ctx, holder)
		switch {
		case err != nil && !errors.Is(err, works.ErrNotFound):
			return "", err
		case err == nil && held.Status != works.Cancelled:
			return holder, nil
		}
		stale = holder
	}
	return "", fmt.Errorf("%w: the claim on resolution %s keeps changing hands", works.ErrConflict, surveyID)
}

// ReleaseResolution gives up a project's claim on a resolution (its approval did not go
// through).
func (s *Store) ReleaseResolution(ctx context.Context, surveyID, projectID string) error {
	return releasePlan.Run(ctx, s.rdb, []string{resolutionsKey()}, surveyID, projectID).Err()
}

func planField(p *works.Project) string { return p.CompoundID + "|" + strconv.Itoa(p.Year) }

// CreateProject stores a new project as its compound's plan for its year: one plan per
// compound per round, so a second live plan is works.ErrAlreadyExists.
func (s *Store) CreateProject(ctx context.Context, p works.Project) error {
	holder, err := claimPlan.Run(ctx, s.rdb, []string{plansKey()}, planField(&p), p.ID, "1").Text()
	if err != nil {
		return err
	}
	if holder != "" {
		// A claim whose project was never written (a crash in between), or whose project
		// was cancelled (and the release failed), does not count.
		held, err := s.GetProject(ctx, holder)
		switch {
		case err != nil && !errors.Is(err, works.ErrNotFound):
			return err
		case err == nil && held.Status != works.Cancelled:
			return fmt.Errorf("%w: compound %s already has plan %s for %d", works.ErrAlreadyExists, p.CompoundID, holder, p.Year)
		}
		if err := claimPlan.Run(ctx, s.rdb, []string{plansKey()}, planField(&p), p.ID, "0").Err(); err != nil {
			return err
		}
	}
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := createProject.Run(ctx, s.rdb, []string{projectKey(p.ID)}, data).Err(); err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(pl redis.Pipeliner) error {
		pl.ZAdd(ctx, projectsKey(p.CompoundID), redis.Z{Member: p.ID})
		pl.ZAdd(ctx, projectsKey(""), redis.Z{Member: p.ID})
		return nil
	})
	return err
}

// ReleasePlan frees a cancelled project's round, so the compound can plan again.
func (s *Store) ReleasePlan(ctx context.Context, p works.Project) error {
	return releasePlan.Run(ctx, s.rdb, []string{plansKey()}, planField(&p), p.ID).Err()
}

// GetProject returns a project or works.ErrNotFound.
func (s *Store) GetProject(ctx context.Context, id string) (*works.Project, error) {
	h, err := s.rdb.HGetAll(ctx, projectKey(id)).Result()
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, notFound("project", id)
	}
	return projectFrom(h)
}

func projectFrom(h map[string]string) (*works.Project, error) {
	p, err := paging.Decode[works.Project](h["data"])
	if err != nil {
		return nil, err
	}
	p.Revision = atoi(h["rev"])
	return p, nil
}

// UpdateProject writes p if its stored revision is still p.Revision and returns the new
// revision; otherwise works.ErrConflict. Concurrent transitions of one project therefore
// cannot both succeed. The events given (events.Event) are published with the write
// and only with it: the write and their place in the project's outbox are one step.
func (s *Store) UpdateProject(ctx context.Context, p works.Project, evs ...string) (int64, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	args := []any{strconv.FormatInt(p.Revision, 10), data}
	for _, ev := range evs {
		args = append(args, ev)
	}
	var rev int64
	err = s.withEvents(ctx, projectKey(p.ID), evs, func(keys []string) (err error) {
		rev, err = updateProject.Run(ctx, s.rdb, keys, args...).Int64()
		return err
	})
	return written(rev, err, "project", p.ID)
}

// ListProjects pages through the projects of a compound ("" for all) that match.
func (s *Store) ListProjects(ctx context.Context, cid string, match func(*works.Project) bool, token string, size int) ([]works.Project, string, error) {
	return paging.Filtered(ctx, s.rdb, projectsKey(cid), token, size, s.loadProjects, match)
}

// loadProjects reads projects by id in one round trip; a project that is gone is nil.
func (s *Store) loadProjects(ctx context.Context, ids []string) ([]*works.Project, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, projectKey(id))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]*works.Project, len(ids))
	for i, c := range cmds {
		if len(c.Val()) == 0 {
			continue
		}
		p, err := projectFrom(c.Val())
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}
