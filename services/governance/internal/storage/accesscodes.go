package storage

import (
	"context"

	"github.com/redis/go-redis/v9"
)

func codeKey(hash string) string         { return "gov:code:" + hash }
func householdCodeKey(hid string) string { return "gov:{h:" + hid + "}:code" }

// CodeIssue is a new code hash for a household.
type CodeIssue struct{ Household, Hash string }

// IssueCodes makes each hash its household's current code and revokes the one before,
// for many households in three round trips: the new codes are written first, then each
// household's current hash is swapped, then the old codes are deleted. Sign-in accepts
// a code only when it is its household's current one, so a crash between the steps
// leaves at most an unused key, never two valid codes.
func (s *Store) IssueCodes(ctx context.Context, issues []CodeIssue) error {
	if len(issues) == 0 {
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range issues {
			p.Set(ctx, codeKey(c.Hash), c.Household, 0)
		}
		return nil
	})
	if err != nil {
		return err
	}
	olds := make([]*redis.StatusCmd, len(issues))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range issues {
			olds[i] = p.SetArgs(ctx, householdCodeKey(c.Household), c.Hash, redis.SetArgs{Get: true})
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return err
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, o := range olds {
			if old := o.Val(); old != "" {
				p.Del(ctx, codeKey(old))
			}
		}
		return nil
	})
	return err
}

// RevokeCode leaves a household without a code.
func (s *Store) RevokeCode(ctx context.Context, hid string) error {
	old, err := s.rdb.GetDel(ctx, householdCodeKey(hid)).Result()
	if isNil(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.rdb.Del(ctx, codeKey(old)).Err()
}

// CodeHousehold returns the household whose current code has this hash ("" for none).
func (s *Store) CodeHousehold(ctx context.Context, hash string) (string, error) {
	hid, err := s.rdb.Get(ctx, codeKey(hash)).Result()
	if isNil(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	current, err := s.CurrentCode(ctx, hid)
	if err != nil || current != hash {
		return "", err
	}
	return hid, nil
}

// CurrentCode is the hash of a household's current code ("" for none).
func (s *Store) CurrentCode(ctx context.Context, hid string) (string, error) {
	h, err := s.rdb.Get(ctx, householdCodeKey(hid)).Result()
	if isNil(err) {
		return "", nil
	}
	return h, err
}
