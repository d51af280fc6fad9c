package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
	"tongdu/platform/idempotency"
	"tongdu/services/governance/internal/accounts"
	"tongdu/services/governance/internal/registry"
	"tongdu/services/governance/internal/storage"
)

// AccountStore keeps accounts, sessions, access codes and failed sign-ins
// (internal/storage implements it), beside the registry facts access codes need.
type AccountStore interface {
	idempotency.Claims
	CreateAccount(ctx context.Context, a accounts.Account) error
	GetAccount(ctx context.Context, id string) (*accounts.Account, error)
	AccountByLogin(ctx context.Context, login string) (*accounts.Account, error)
	PutAccount(ctx context.Context, a accounts.Account) error
	ListAccounts(ctx context.Context, match func(*accounts.Account) bool, token string, size int) ([]accounts.Account, string, error)

	LockLeft(ctx context.Context, subjects ...string) (time.Duration, error)
	RecordFailure(ctx context.Context, subject string, limit accounts.Limit) (time.Duration, error)
	ClearFailures(ctx context.Context, subject string) error

	CreateSession(ctx context.Context, s accounts.Session, idle time.Duration) error
	GetSession(ctx context.Context, key string, idle func(end time.Time) time.Duration) (*accounts.Session, error)
	SetSessionToken(ctx context.Context, key, token string, exp time.Time) error
	DeleteSession(ctx context.Context, key string) error
	EndAccountSessions(ctx context.Context, id string) error
	EndHouseholdSessions(ctx context.Context, hids ...string) error

	IssueCodes(ctx context.Context, issues []storage.CodeIssue) error
	RevokeCode(ctx context.Context, hid string) error
	CodeHousehold(ctx context.Context, hash string) (string, error)
	CurrentCode(ctx context.Context, hid string) (string, error)

	GetCompound(ctx context.Context, id string) (*registry.Compound, error)
	GetHousehold(ctx context.Context, id string) (*registry.Household, error)
	BuildingsOf(ctx context.Context, cid string) (map[string]*registry.Building, error)
	ListHouseholds(ctx context.Context, cid, buildingID, token string, size int) ([]registry.Household, string, error)
}

// Signer signs Tongdu's own tokens (auth.Signer).
type Signer interface {
	Sign(p auth.Principal, ttl time.Duration) (string, error)
}

// Ancestry returns a resource and everything above it (auth.Resolver.Ancestry): the
// check the authorizer makes of a caller's scope.
type Ancestry func(ctx context.Context, resource string) ([]string, error)

// Accounts is the use cases of accounts, sessions and access codes (issue 17).
type Accounts struct {
	store    AccountStore
	log      *slog.Logger
	now      func() time.Time
	signer   Signer // nil: no sign-in here
	sessions accounts.SessionSettings
	ancestry Ancestry
	sso      *signOn // nil: no single sign-on (SetSignOn)
}

// NewAccounts returns the use cases on store. signer may be nil (CreateSession then
// answers UNAVAILABLE); zero session settings take accounts.DefaultSessions'.
func NewAccounts(store AccountStore, log *slog.Logger, now func() time.Time, signer Signer, s accounts.SessionSettings, ancestry Ancestry) *Accounts {
	d := accounts.DefaultSessions
	or := func(v, def time.Duration) time.Duration {
		if v <= 0 {
			return def
		}
		return v
	}
	s = accounts.SessionSettings{Idle: or(s.Idle, d.Idle), Max: or(s.Max, d.Max), TokenTTL: or(s.TokenTTL, d.TokenTTL), Renew: or(s.Renew, d.Renew)}
	return &Accounts{store: store, log: log, now: now, signer: signer, sessions: s, ancestry: ancestry}
}

// SetAncestry places resources with another resolver (the process's authorizer's, which
// knows every service's kinds).
func (a *Accounts) SetAncestry(f Ancestry) { a.ancestry = f }

// within reports whether scope lies within the caller's: the caller acts for the whole
// district, or the caller's scope is the scope or above it.
func (a *Accounts) within(ctx context.Context, caller auth.Principal, scope string) (bool, error) {
	if caller.Scope == "" {
		return true, nil
	}
	if scope == "" {
		return false, nil
	}
	above, err := a.ancestry(ctx, scope)
	if err != nil {
		if fault.IsKind(err, fault.NotFound) || status.Code(err) == codes.NotFound {
			return false, nil
		}
		return false, err
	}
	for _, s := range above {
		if s == caller.Scope {
			return true, nil
		}
	}
	return false, nil
}

// CreateAccount makes a staff account no wider than the caller's: its role not above
// the caller's and its scope within the caller's (accounts.ErrTooWide), its login
// unique (accounts.ErrExists), its password good (violations on password). A retry with
// the same request id answers the account the first made.
func (a *Accounts) CreateAccount(ctx context.Context, caller auth.Principal, req Request, in accounts.Account, password string) (*accounts.Account, error) {
	acc, err := accounts.NewAccount(in, password, caller, a.now())
	if err != nil {
		return nil, err
	}
	ok, err := a.within(ctx, caller, acc.Scope)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: scope %q is not within yours (%s)", accounts.ErrTooWide, orDistrict(acc.Scope), orDistrict(caller.Scope))
	}
	ids, replayed, err := idempotency.NewIDs(ctx, a.store, "CreateAccount", req, 1, registry.ErrRequestReused)
	if err != nil {
		return nil, err
	}
	acc.ID = ids[0]
	if replayed {
		if prev, err := a.store.GetAccount(ctx, acc.ID); err == nil {
			return prev, nil
		}
	}
	if err := a.store.CreateAccount(ctx, acc); err != nil {
		return nil, err
	}
	return &acc, nil
}

func orDistrict(scope string) string {
	if scope == "" {
		return "the whole district"
	}
	return scope
}

// ListAccounts lists the accounts within the caller's scope, by login.
func (a *Accounts) ListAccounts(ctx context.Context, caller auth.Principal, token string, size int) ([]accounts.Account, string, error) {
	var failed error
	match := func(acc *accounts.Account) bool {
		ok, err := a.within(ctx, caller, acc.Scope)
		if err != nil && failed == nil {
			failed = err
		}
		return ok
	}
	out, next, err := a.store.ListAccounts(ctx, match, token, size)
	if err == nil {
		err = failed
	}
	return out, next, err
}

// account returns an account within the caller's scope; one outside it is not found, as
// the caller may not know it exists.
func (a *Accounts) account(ctx context.Context, caller auth.Principal, id string) (*accounts.Account, error) {
	acc, err := a.store.GetAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := a.within(ctx, caller, acc.Scope)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", accounts.ErrNotFound, id)
	}
	return acc, nil
}

// DisableAccount disables an account within the caller's scope and ends its sessions;
// nobody disables their own (accounts.ErrOwnAccount), which could leave the district
// without an administrator.
func (a *Accounts) DisableAccount(ctx context.Context, caller auth.Principal, id string) (*accounts.Account, error) {
	acc, err := a.account(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	if acc.Subject() == caller.Subject {
		return nil, accounts.ErrOwnAccount
	}
	acc.Enabled = false
	acc.SessionsAfter = a.now().UTC()
	if err := a.store.PutAccount(ctx, *acc); err != nil {
		return nil, err
	}
	return acc, a.store.EndAccountSessions(ctx, acc.ID)
}

// EnableAccount enables an account within the caller's scope.
func (a *Accounts) EnableAccount(ctx context.Context, caller auth.Principal, id string) (*accounts.Account, error) {
	acc, err := a.account(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	acc.Enabled = true
	return acc, a.store.PutAccount(ctx, *acc)
}

// ResetAccountPassword sets a new password for an account within the caller's scope,
// ends its sessions and lifts the lock on its login.
func (a *Accounts) ResetAccountPassword(ctx context.Context, caller auth.Principal, id, password string) (*accounts.Account, error) {
	acc, err := a.account(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	if acc.SingleSignOn {
		return nil, accounts.ErrSignsOnElsewhere
	}
	if err := accounts.CheckPassword(password, acc.Login, acc.DisplayName); err != nil {
		return nil, err
	}
	if acc.PasswordHash, err = accounts.HashPassword(password); err != nil {
		return nil, err
	}
	acc.SessionsAfter = a.now().UTC()
	if err := a.store.PutAccount(ctx, *acc); err != nil {
		return nil, err
	}
	if err := a.store.EndAccountSessions(ctx, acc.ID); err != nil {
		return nil, err
	}
	return acc, a.store.ClearFailures(ctx, storage.LoginSubject(acc.Login))
}
