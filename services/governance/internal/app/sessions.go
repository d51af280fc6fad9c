package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"tongdu/platform/auth"
	"tongdu/services/governance/internal/accounts"
	"tongdu/services/governance/internal/storage"
)

// Credentials are what a sign-in offers: exactly one of login and password, an access
// code, or an identity provider's answer; and the address it comes from, which failures
// are counted against too.
type Credentials struct {
	Login, Password     string
	AccessCode          string
	OIDCCode, OIDCState string
	Address             string
}

// Opened is a new session: its id (the credential, handed to the caller once, never
// stored) and what the caller is told.
type Opened struct {
	ID string
	Resolved
}

// Resolved is a live session's token and who it acts for.
type Resolved struct {
	Token       string
	TokenExpire time.Time
	CSRF        string
	SessionEnd  time.Time
	Account     accounts.Account // for a resident: role RESIDENT, scope the household
}

// CreateSession signs in and opens a session. Wrong credentials of every kind are
// accounts.ErrInvalidCredentials; a locked login or address is SIGN_IN_LOCKED with the
// time left; single sign-on (signon.go) is accounts.ErrSignOnOff unless configured. Every
// attempt names who tried for the audit trail (auth.Name), never with the secret.
func (a *Accounts) CreateSession(ctx context.Context, c Credentials) (*Opened, error) {
	n := 0
	for _, set := range []bool{c.Login != "" || c.Password != "", c.AccessCode != "", c.OIDCCode != "" || c.OIDCState != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("%w", invalidCredentialsShape)
	}
	if a.signer == nil {
		return nil, accounts.ErrNoSigner
	}
	switch {
	case c.AccessCode != "":
		return a.signInWithCode(ctx, c)
	case c.OIDCCode != "" || c.OIDCState != "":
		return a.signInWithProvider(ctx, c)
	}
	return a.signInWithPassword(ctx, c)
}

var invalidCredentialsShape = faultFields("login", "sign in with exactly one of: login and password, accessCode, oidcCode")

// locked answers SIGN_IN_LOCKED when any of subjects is locked.
func (a *Accounts) locked(ctx context.Context, subjects ...string) error {
	left, err := a.store.LockLeft(ctx, subjects...)
	if err != nil {
		return err
	}
	if left > 0 {
		return accounts.Locked(left)
	}
	return nil
}

// failed counts a failure against each subject under its limit: the answer is
// SIGN_IN_LOCKED when this failure locked one, else invalid credentials.
func (a *Accounts) failed(ctx context.Context, subjects []string, limits []accounts.Limit) error {
	var lock time.Duration
	for i, who := range subjects {
		left, err := a.store.RecordFailure(ctx, who, limits[i])
		if err != nil {
			return err
		}
		lock = max(lock, left)
	}
	if lock > 0 {
		a.log.WarnContext(ctx, "sign-in locked after repeated failures", "subjects", subjects[:1])
		return accounts.Locked(lock)
	}
	return accounts.ErrInvalidCredentials
}

func (a *Accounts) signInWithPassword(ctx context.Context, c Credentials) (*Opened, error) {
	login, err := accounts.NormaliseLogin(c.Login)
	if err != nil {
		// A login of no valid shape names nobody we could count failures for by login.
		login = "?"
	}
	auth.Name(ctx, auth.Principal{Subject: "login:" + login})
	subjects := []string{storage.LoginSubject(login), storage.AddressSubject(c.Address)}
	limits := []accounts.Limit{accounts.LoginLimit, accounts.AddressLimit}
	if err := a.locked(ctx, subjects...); err != nil {
		return nil, err
	}
	acc, err := a.store.AccountByLogin(ctx, login)
	if errors.Is(err, accounts.ErrNotFound) || (err == nil && acc.PasswordHash == "") {
		accounts.DummyVerify(c.Password) // as long as a real check: timing tells no login apart
		return nil, a.failed(ctx, subjects, limits)
	}
	if err != nil {
		return nil, err
	}
	if !accounts.VerifyPassword(acc.PasswordHash, c.Password) || !acc.Enabled {
		return nil, a.failed(ctx, subjects, limits)
	}
	if err := a.store.ClearFailures(ctx, subjects[0]); err != nil {
		return nil, err
	}
	auth.Name(ctx, acc.Principal())
	acc.LastSignIn = a.now().UTC()
	if err := a.store.PutAccount(ctx, *acc); err != nil {
		return nil, err
	}
	return a.open(ctx, accounts.Session{AccountID: acc.ID, Subject: acc.Subject(), Role: string(acc.Role), Scope: acc.Scope}, *acc)
}

func (a *Accounts) signInWithCode(ctx context.Context, c Credentials) (*Opened, error) {
	auth.Name(ctx, auth.Principal{Subject: "access-code"})
	subjects := []string{storage.AddressSubject(c.Address)}
	limits := []accounts.Limit{accounts.AddressLimit}
	if err := a.locked(ctx, subjects...); err != nil {
		return nil, err
	}
	hash, err := accounts.CodeHashOf(c.AccessCode)
	if err != nil {
		return nil, a.failed(ctx, subjects, limits)
	}
	hid, err := a.store.CodeHousehold(ctx, hash)
	if err != nil {
		return nil, err
	}
	if hid == "" {
		return nil, a.failed(ctx, subjects, limits)
	}
	p := residentOf(hid)
	auth.Name(ctx, p)
	return a.open(ctx, accounts.Session{Household: hid, CodeHash: hash, Subject: p.Subject, Role: string(p.Role), Scope: p.Scope}, residentAccount(hid))
}

func residentOf(hid string) auth.Principal {
	return auth.Principal{Subject: "households/" + hid, Role: auth.Resident, Scope: "households/" + hid}
}

// residentAccount is how a resident's session describes who signed in: no login.
func residentAccount(hid string) accounts.Account {
	return accounts.Account{Role: auth.Resident, Scope: "households/" + hid, Enabled: true}
}

// open starts a session for sess's subject with a first token.
func (a *Accounts) open(ctx context.Context, sess accounts.Session, acc accounts.Account) (*Opened, error) {
	id, err := accounts.NewSecret()
	if err != nil {
		return nil, err
	}
	if sess.CSRF, err = accounts.NewSecret(); err != nil {
		return nil, err
	}
	now := a.now()
	sess.Key = accounts.SessionKey(id)
	sess.Created, sess.End = now.UTC(), now.Add(a.sessions.Max).UTC()
	if err := a.mint(&sess, now); err != nil {
		return nil, err
	}
	if err := a.store.CreateSession(ctx, sess, a.sessions.IdleTTL(sess.End, now)); err != nil {
		return nil, err
	}
	acc.PasswordHash = ""
	return &Opened{ID: id, Resolved: Resolved{Token: sess.Token, TokenExpire: sess.TokenExp, CSRF: sess.CSRF, SessionEnd: sess.End, Account: acc}}, nil
}

// mint signs a new token for the session.
func (a *Accounts) mint(sess *accounts.Session, now time.Time) error {
	ttl := a.sessions.TokenTTLAt(sess.End, now)
	tok, err := a.signer.Sign(auth.Principal{Subject: sess.Subject, Role: auth.Role(sess.Role), Scope: sess.Scope}, ttl)
	if err != nil {
		return err
	}
	sess.Token, sess.TokenExp = tok, now.Add(ttl).UTC()
	return nil
}

// ResolveSession answers a live session's token, minting a new one when less than a
// minute is left, and keeps the session alive for another idle period. A session that
// has ended, or whose account was disabled or reset, or whose access code was replaced
// since, is accounts.ErrSessionEnded.
func (a *Accounts) ResolveSession(ctx context.Context, id string) (*Resolved, error) {
	now := a.now()
	key := accounts.SessionKey(id)
	sess, err := a.store.GetSession(ctx, key, func(end time.Time) time.Duration { return a.sessions.IdleTTL(end, now) })
	if err != nil {
		return nil, err
	}
	if sess == nil || !now.Before(sess.End) {
		return nil, accounts.ErrSessionEnded
	}
	acc, err := a.owner(ctx, sess)
	if err != nil {
		return nil, err
	}
	if acc == nil {
		// Ended by its owner's change; the sweep may not have reached it (or crashed).
		if err := a.store.DeleteSession(ctx, key); err != nil {
			return nil, err
		}
		return nil, accounts.ErrSessionEnded
	}
	if a.sessions.NeedsToken(sess, now) {
		if a.signer == nil {
			return nil, accounts.ErrNoSigner
		}
		if err := a.mint(sess, now); err != nil {
			return nil, err
		}
		if err := a.store.SetSessionToken(ctx, key, sess.Token, sess.TokenExp); err != nil {
			return nil, err
		}
	}
	acc.PasswordHash = ""
	return &Resolved{Token: sess.Token, TokenExpire: sess.TokenExp, CSRF: sess.CSRF, SessionEnd: sess.End, Account: *acc}, nil
}

// owner is the account a session acts for, or nil when the session no longer may: the
// account is disabled or was reset after it opened, or the household's code changed.
func (a *Accounts) owner(ctx context.Context, sess *accounts.Session) (*accounts.Account, error) {
	if sess.AccountID == "" {
		current, err := a.store.CurrentCode(ctx, sess.Household)
		if err != nil || current != sess.CodeHash {
			return nil, err
		}
		acc := residentAccount(sess.Household)
		return &acc, nil
	}
	acc, err := a.store.GetAccount(ctx, sess.AccountID)
	if errors.Is(err, accounts.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !acc.Enabled || acc.SessionsAfter.After(sess.Created) {
		return nil, nil
	}
	return acc, nil
}

// DeleteSession signs out: the session ends. An unknown id is no error (signing out
// twice is harmless).
func (a *Accounts) DeleteSession(ctx context.Context, id string) error {
	if id == "" {
		return faultFields("sessionId", "no session to end: give session_id or the session cookie")
	}
	return a.store.DeleteSession(ctx, accounts.SessionKey(id))
}
