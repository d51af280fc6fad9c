package storage

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/projects/internal/works"
)

func noticeKey(id string) string   { return "prj:{n:" + id + "}:notice" }
func noticesKey(cid string) string { return "prj:{idx}:notices:" + cid }
func planNoticesKey() string       { return "prj:{idx}:plan-notices" }

// CreateNotice stores a new notice and puts it on its compound's board; a PLAN becomes
// its project's latest plan notice. A retry (same id) rewrites nothing but the indexes.
func (s *Store) CreateNotice(ctx context.Context, n works.Notice) error {
	data, err := json.Marshal(n)
	if err != nil {
		return err
	}
	if err := createProject.Run(ctx, s.rdb, []string{noticeKey(n.ID)}, data).Err(); err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, noticesKey(n.CompoundID), redis.Z{Member: n.ID})
		if n.Kind == works.NoticePlan {
			p.HSet(ctx, planNoticesKey(), n.SubjectID, n.ID)
		}
		return nil
	})
	return err
}

// GetNotice returns a notice or works.ErrNotFound.
func (s *Store) GetNotice(ctx context.Context, id string) (*works.Notice, error) {
	h, err := s.rdb.HGetAll(ctx, noticeKey(id)).Result()
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, notFound("notice", id)
	}
	return noticeFrom(h)
}

func noticeFrom(h map[string]string) (*works.Notice, error) {
	n, err := paging.Decode[works.Notice](h["data"])
	if err != nil {
		return nil, err
	}
	n.Revision = atoi(h["rev"])
	return n, nil
}

// UpdateNotice writes n (its objections and answers) if its stored revision is still
// n.Revision; otherwise works.ErrConflict, so two objections lodged at once both land.
func (s *Store) UpdateNotice(ctx context.Context, n works.Notice) error {
	data, err := json.Marshal(n)
	if err != nil {
		return err
	}
	rev, err := updateProject.Run(ctx, s.rdb, []string{noticeKey(n.ID)}, strconv.FormatInt(n.Revision, 10), data).Int64()
	_, err = written(rev, err, "notice", n.ID)
	return err
}

// ListNotices pages through a compound's notices that match, in the order posted.
func (s *Store) ListNotices(ctx context.Context, cid string, match func(*works.Notice) bool, token string, size int) ([]works.Notice, string, error) {
	return paging.Filtered(ctx, s.rdb, noticesKey(cid), token, size, s.loadNotices, match)
}

func (s *Store) loadNotices(ctx context.Context, ids []string) ([]*works.Notice, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, noticeKey(id))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]*works.Notice, len(ids))
	for i, c := range cmds {
		if len(c.Val()) == 0 {
			continue
		}
		n, err := noticeFrom(c.Val())
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// LatestPlanNotice returns the project's latest PLAN notice, or nil when its plan was
// never posted.
func (s *Store) LatestPlanNotice(ctx context.Context, projectID string) (*works.Notice, error) {
	id, err := s.rdb.HGet(ctx, planNoticesKey(), projectID).Result()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.GetNotice(ctx, id)
}
