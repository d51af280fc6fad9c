package storage

// Single sign-on (issue 17):
//
//	gov:signon:<sha256(state)>   a sign-on under way: {verifier, nonce} (JSON), 10 minutes, taken once
//	gov:{accounts}:sso           hash: "<issuer> <subject>" → account id

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/services/governance/internal/accounts"
)

// SignOnState is what a sign-on keeps between the browser's departure to the identity
// provider and its return: the PKCE verifier and the ID token's nonce. Never logged.
type SignOnState struct {
	Verifier string `json:"verifier"`
	Nonce    string `json:"nonce"`
}

func signOnStateKey(state string) string {
	h := sha256.Sum256([]byte(state))
	return "gov:signon:" + hex.EncodeToString(h[:])
}

func ssoKey() string { return "gov:{accounts}:sso" }

// PutSignOnState keeps a sign-on's state for ttl.
func (s *Store) PutSignOnState(ctx context.Context, state string, st SignOnState, ttl time.Duration) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return s.rdb.Set(ctx, signOnStateKey(state), data, ttl).Err()
}

// TakeSignOnState returns a sign-on's state and forgets it (each is used once), or nil
// when it is unknown, expired or used.
func (s *Store) TakeSignOnState(ctx context.Context, state string) (*SignOnState, error) {
	data, err := s.rdb.GetDel(ctx, signOnStateKey(state)).Result()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st SignOnState
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// AccountBySignOn returns the account an identity provider's subject signs in as, or
// accounts.ErrNotFound.
func (s *Store) AccountBySignOn(ctx context.Context, subject string) (*accounts.Account, error) {
	id, err := s.rdb.HGet(ctx, ssoKey(), subject).Result()
	if isNil(err) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.GetAccount(ctx, id)
}

// createSignOnAccount claims the subject and the login and writes the account in one step.
// KEYS: sso, logins, by-login, account. ARGV: subject, login, id, data. Returns 0; -1
// when the login is taken; -2 when the subject already has an account.
var createSignOnAccount = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return -2 end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], 0, ARGV[2] .. ' ' .. ARGV[3])
redis.call('SET', KEYS[4], ARGV[4])
return 0`)

// ErrSignOnTaken: another sign-in of the same subject made its account first.
var ErrSignOnTaken = fmt.Errorf("%w: the identity provider's subject already has an account", accounts.ErrExists)

// CreateSignOnAccount stores a new account for an identity provider's subject: a taken
// login is accounts.ErrExists, a subject that has an account ErrSignOnTaken.
func (s *Store) CreateSignOnAccount(ctx context.Context, subject string, a accounts.Account) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	n, err := createSignOnAccount.Run(ctx, s.rdb, []string{ssoKey(), loginsKey(), byLoginKey(), accountKey(a.ID)}, subject, a.Login, a.ID, data).Int()
	if err != nil {
		return err
	}
	switch n {
	case -1:
		return fmt.Errorf("%w: %s", accounts.ErrExists, a.Login)
	case -2:
		return ErrSignOnTaken
	}
	return nil
}
