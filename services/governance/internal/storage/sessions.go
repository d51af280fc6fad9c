package storage

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/services/governance/internal/accounts"
)

func sessionKey(key string) string           { return "gov:{s:" + key + "}:session" }
func householdSessionsKey(hid string) string { return "gov:{h:" + hid + "}:sessions" }

// ownerSessions is the set of sessions a session's owner (account or household) opened.
func ownerSessions(s *accounts.Session) string {
	if s.AccountID != "" {
		return accountSessionsKey(s.AccountID)
	}
	return householdSessionsKey(s.Household)
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func fromMS(s string) time.Time {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.UnixMilli(n).UTC()
}

// CreateSession stores a session living idle from now and lists it under its owner. The
// owner's set expires with the longest session it may hold, so it does not outlive them.
func (s *Store) CreateSession(ctx context.Context, sess accounts.Session, idle time.Duration) error {
	owner := ownerSessions(&sess)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, sessionKey(sess.Key), map[string]any{
			"account": sess.AccountID, "household": sess.Household, "code": sess.CodeHash,
			"subject": sess.Subject, "role": sess.Role, "scope": sess.Scope, "csrf": sess.CSRF,
			"created": ms(sess.Created), "end": ms(sess.End), "token": sess.Token, "tokenExp": ms(sess.TokenExp),
		})
		p.PExpire(ctx, sessionKey(sess.Key), idle)
		return nil
	})
	if err != nil {
		return err
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, owner, sess.Key)
		p.ExpireNX(ctx, owner, time.Until(sess.End))
		p.ExpireGT(ctx, owner, time.Until(sess.End))
		return nil
	})
	return err
}

// GetSession returns the session named by key and refreshes its idle expiry, or nil when
// it has ended.
func (s *Store) GetSession(ctx context.Context, key string, idle func(end time.Time) time.Duration) (*accounts.Session, error) {
	h, err := s.rdb.HGetAll(ctx, sessionKey(key)).Result()
	if err != nil || len(h) == 0 {
		return nil, err
	}
	sess := &accounts.Session{
		Key: key, AccountID: h["account"], Household: h["household"], CodeHash: h["code"],
		Subject: h["subject"], Role: h["role"], Scope: h["scope"], CSRF: h["csrf"],
		Created: fromMS(h["created"]), End: fromMS(h["end"]), Token: h["token"], TokenExp: fromMS(h["tokenExp"]),
	}
	ttl := idle(sess.End)
	if ttl <= 0 {
		return nil, s.rdb.Del(ctx, sessionKey(key)).Err()
	}
	// PEXPIRE XX-like: only a session still there is refreshed (a concurrent sign-out wins).
	return sess, s.rdb.PExpire(ctx, sessionKey(key), ttl).Err()
}

// SessionTTL is how long a session lives unused from now (for tests and operators).
func (s *Store) SessionTTL(ctx context.Context, key string) (time.Duration, error) {
	return s.rdb.PTTL(ctx, sessionKey(key)).Result()
}

// SetSessionToken keeps a newly minted token of a session that is still there.
func (s *Store) SetSessionToken(ctx context.Context, key, token string, exp time.Time) error {
	// HSET on a deleted session would revive it without expiry: only where it exists.
	return setIfExists.Run(ctx, s.rdb, []string{sessionKey(key)}, token, ms(exp)).Err()
}

var setIfExists = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'token', ARGV[1], 'tokenExp', ARGV[2]) end
return 0`)

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, key string) error {
	h, err := s.rdb.HMGet(ctx, sessionKey(key), "account", "household").Result()
	if err != nil {
		return err
	}
	acc, _ := h[0].(string)
	hid, _ := h[1].(string)
	if err := s.rdb.Del(ctx, sessionKey(key)).Err(); err != nil {
		return err
	}
	if acc != "" || hid != "" {
		return s.rdb.SRem(ctx, ownerSessions(&accounts.Session{AccountID: acc, Household: hid}), key).Err()
	}
	return nil
}

// EndAccountSessions ends every session of an account.
func (s *Store) EndAccountSessions(ctx context.Context, id string) error {
	return s.endAll(ctx, accountSessionsKey(id))
}

// EndHouseholdSessions ends every session opened with a household's code.
func (s *Store) EndHouseholdSessions(ctx context.Context, hids ...string) error {
	for _, hid := range hids {
		if err := s.endAll(ctx, householdSessionsKey(hid)); err != nil {
			return err
		}
	}
	return nil
}

// endAll deletes the sessions a set lists, then the set. (Sessions live under tags of
// their own, so this is no single step; resolving a session checks its owner too.)
func (s *Store) endAll(ctx context.Context, set string) error {
	keys, err := s.rdb.SMembers(ctx, set).Result()
	if err != nil {
		return err
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Del(ctx, sessionKey(k))
		}
		p.SRem(ctx, set, toAny(keys)...)
		return nil
	})
	if len(keys) == 0 {
		return nil
	}
	return err
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
