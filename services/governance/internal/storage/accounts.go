package storage

// Accounts, sessions, access codes and failed sign-ins (issue 17). All accounts share one
// hash tag: a district has thousands of staff, not millions, and a login is claimed and
// its account written in one step.
//
//	gov:{accounts}:account:<id>           an account (JSON, with its password hash)
//	gov:{accounts}:logins                 hash: login → account id
//	gov:{accounts}:by-login               sorted set of "<login> <id>" (the list by login)
//	gov:{accounts}:account:<id>:sessions  set of the session keys the account opened
//	gov:{s:<sha256(id)>}:session          hash: a session, named by its id's hash
//	gov:code:<sha256(code)>               household id of an access code
//	gov:{h:<hid>}:code                    the household's current code hash
//	gov:{h:<hid>}:sessions                set of the session keys the household opened
//	gov:{signin:<login:l|addr:a>}:fails   failures in the current window
//	gov:{signin:<login:l|addr:a>}:lock    set while locked

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/governance/internal/accounts"
)

func accountKey(id string) string         { return "gov:{accounts}:account:" + id }
func loginsKey() string                   { return "gov:{accounts}:logins" }
func byLoginKey() string                  { return "gov:{accounts}:by-login" }
func accountSessionsKey(id string) string { return "gov:{accounts}:account:" + id + ":sessions" }

// createAccount claims the login and writes the account in one step.
// KEYS: logins, by-login, account. ARGV: login, id, data. Returns 0, or -1 when the
// login is taken.
var createAccount = redis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return -1 end
redis.call('ZADD', KEYS[2], 0, ARGV[1] .. ' ' .. ARGV[2])
redis.call('SET', KEYS[3], ARGV[3])
return 0`)

// CreateAccount stores a new account; a taken login is accounts.ErrExists.
func (s *Store) CreateAccount(ctx context.Context, a accounts.Account) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	n, err := createAccount.Run(ctx, s.rdb, []string{loginsKey(), byLoginKey(), accountKey(a.ID)}, a.Login, a.ID, data).Int()
	if err != nil {
		return err
	}
	if n == -1 {
		return fmt.Errorf("%w: %s", accounts.ErrExists, a.Login)
	}
	return nil
}

// GetAccount returns an account or accounts.ErrNotFound.
func (s *Store) GetAccount(ctx context.Context, id string) (*accounts.Account, error) {
	data, err := s.rdb.Get(ctx, accountKey(id)).Result()
	if isNil(err) {
		return nil, fmt.Errorf("%w: %s", accounts.ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	return paging.Decode[accounts.Account](data)
}

// AccountByLogin returns the account of a normalised login, or accounts.ErrNotFound.
func (s *Store) AccountByLogin(ctx context.Context, login string) (*accounts.Account, error) {
	id, err := s.rdb.HGet(ctx, loginsKey(), login).Result()
	if isNil(err) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.GetAccount(ctx, id)
}

// PutAccount rewrites an existing account (enable, disable, password, last sign-in);
// its login never changes.
func (s *Store) PutAccount(ctx context.Context, a accounts.Account) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	ok, err := s.rdb.SetXX(ctx, accountKey(a.ID), data, 0).Result()
	if err == nil && !ok {
		return fmt.Errorf("%w: %s", accounts.ErrNotFound, a.ID)
	}
	return err
}

// ListAccounts pages through the accounts by login, keeping those match accepts.
func (s *Store) ListAccounts(ctx context.Context, match func(*accounts.Account) bool, token string, size int) ([]accounts.Account, string, error) {
	load := paging.JSON[accounts.Account](s.rdb, func(member string) string {
		_, id, _ := strings.Cut(member, " ")
		return accountKey(id)
	})
	return paging.Filtered(ctx, s.rdb, byLoginKey(), token, size, load, match)
}

// failKeys are the counter and lock of one login or address.
func failKeys(who string) []string {
	return []string{"gov:{signin:" + who + "}:fails", "gov:{signin:" + who + "}:lock"}
}

// LoginSubject and AddressSubject name what failed sign-ins are counted for.
func LoginSubject(login string) string  { return "login:" + login }
func AddressSubject(addr string) string { return "addr:" + addr }

// recordFailure counts a failure and locks when the limit is reached.
// KEYS: fails, lock. ARGV: limit, window ms, lock ms. Returns the lock's ms left (0 when
// not locked).
var recordFailure = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return tonumber(ARGV[3])
end
return 0`)

// LockLeft says how long each subject (LoginSubject, AddressSubject) stays locked: the
// longest, 0 when none is.
func (s *Store) LockLeft(ctx context.Context, subjects ...string) (time.Duration, error) {
	cmds := make([]*redis.DurationCmd, len(subjects))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, who := range subjects {
			cmds[i] = p.PTTL(ctx, failKeys(who)[1])
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var left time.Duration
	for _, c := range cmds {
		left = max(left, c.Val())
	}
	return left, nil
}

// RecordFailure counts a failed sign-in against subject under limit and returns how long
// it is locked now (0: not locked).
func (s *Store) RecordFailure(ctx context.Context, subject string, limit accounts.Limit) (time.Duration, error) {
	ms, err := recordFailure.Run(ctx, s.rdb, failKeys(subject), limit.Failures, limit.Window.Milliseconds(), limit.Lock.Milliseconds()).Int64()
	return time.Duration(ms) * time.Millisecond, err
}

// ClearFailures forgets a subject's failures and lifts its lock (a successful sign-in,
// a password reset).
func (s *Store) ClearFailures(ctx context.Context, subject string) error {
	return s.rdb.Del(ctx, failKeys(subject)...).Err()
}
