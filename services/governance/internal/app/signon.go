package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
	"tongdu/platform/ids"
	"tongdu/services/governance/internal/accounts"
	"tongdu/services/governance/internal/storage"
)

// SignOnConfig is single sign-on with the district's identity provider (OpenID Connect,
// authorization code with PKCE). Issuer empty: no single sign-on.
type SignOnConfig struct {
	Issuer, ClientID, ClientSecret string
	// RedirectURL is the gateway's callback the provider sends the browser back to.
	RedirectURL string
	// RoleClaim and ScopeClaim name the ID token's claims that give the Tongdu role and
	// scope (empty: "tongdu_role" and "tongdu_scope").
	RoleClaim, ScopeClaim string
	// RoleMap maps a role claim's value to a Tongdu role; empty: the claim names the role.
	RoleMap map[string]auth.Role
}

// The defaults of the role and scope claims.
const (
	DefaultRoleClaim  = "tongdu_role"
	DefaultScopeClaim = "tongdu_scope"
)

// SignOnStateTTL is how long a started sign-on may take to come back.
const SignOnStateTTL = 10 * time.Minute

// ErrSignOnNotMapped: the identity provider's claims give no Tongdu staff role or scope.
var ErrSignOnNotMapped = fault.New(fault.Denied, "SIGN_ON_NOT_MAPPED", "the identity provider's claims give no Tongdu staff role and scope")

// ErrAccountDisabled: the account single sign-on signs in as is disabled.
var ErrAccountDisabled = fault.New(fault.Denied, "ACCOUNT_DISABLED", "the account is disabled")

// errProviderDown: the identity provider could not be reached.
var errProviderDown = fault.New(fault.Unavailable, "", "the identity provider cannot be reached; try again later")

// ParseRoleMap reads "providerValue=ROLE,...": each ROLE a Tongdu staff role (never
// RESIDENT). Empty: no map.
func ParseRoleMap(s string) (map[string]auth.Role, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	m := map[string]auth.Role{}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, fmt.Errorf("role map: %q is not providerValue=ROLE", pair)
		}
		r, err := auth.ParseRole(v)
		if err != nil {
			return nil, fmt.Errorf("role map: %q: %w", pair, err)
		}
		if r == auth.Resident {
			return nil, fmt.Errorf("role map: %q: residents sign in with their household's access code", pair)
		}
		m[k] = r
	}
	return m, nil
}

// SignOnStore keeps sign-ons under way and the accounts of providers' subjects
// (internal/storage implements it).
type SignOnStore interface {
	PutSignOnState(ctx context.Context, state string, st storage.SignOnState, ttl time.Duration) error
	TakeSignOnState(ctx context.Context, state string) (*storage.SignOnState, error)
	AccountBySignOn(ctx context.Context, subject string) (*accounts.Account, error)
	CreateSignOnAccount(ctx context.Context, subject string, a accounts.Account) error
}

// signOn is the configured provider, discovered at first use.
type signOn struct {
	cfg   SignOnConfig
	store SignOnStore
	http  *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

// SetSignOn turns single sign-on on with cfg (nothing when cfg.Issuer is empty). The
// provider is discovered at first use, so the service starts while it is down.
func (a *Accounts) SetSignOn(cfg SignOnConfig, store SignOnStore) error {
	if cfg.Issuer == "" {
		return nil
	}
	if cfg.ClientID == "" || cfg.RedirectURL == "" {
		return errors.New("single sign-on: --oidc-issuer needs --oidc-client-id and --oidc-redirect-url")
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = DefaultRoleClaim
	}
	if cfg.ScopeClaim == "" {
		cfg.ScopeClaim = DefaultScopeClaim
	}
	a.sso = &signOn{cfg: cfg, store: store, http: &http.Client{Timeout: 10 * time.Second}}
	return nil
}

// ready returns the provider and the OAuth 2 client, discovering the provider once.
func (s *signOn) ready(ctx context.Context) (*oidc.Provider, *oauth2.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider == nil {
		p, err := oidc.NewProvider(oidc.ClientContext(ctx, s.http), s.cfg.Issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", errProviderDown, err)
		}
		s.provider = p
	}
	return s.provider, &oauth2.Config{
		ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, RedirectURL: s.cfg.RedirectURL,
		Endpoint: s.provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
	}, nil
}

// StartSignOn begins a sign-in with the identity provider: a fresh state, nonce and
// PKCE verifier, kept for SignOnStateTTL and usable once; the browser goes to the
// authorize URL. accounts.ErrSignOnOff when single sign-on is not configured.
func (a *Accounts) StartSignOn(ctx context.Context) (authorizeURL, state string, err error) {
	if a.sso == nil {
		return "", "", accounts.ErrSignOnOff
	}
	_, oc, err := a.sso.ready(ctx)
	if err != nil {
		return "", "", err
	}
	if state, err = accounts.NewSecret(); err != nil {
		return "", "", err
	}
	nonce, err := accounts.NewSecret()
	if err != nil {
		return "", "", err
	}
	verifier := oauth2.GenerateVerifier()
	if err := a.sso.store.PutSignOnState(ctx, state, storage.SignOnState{Verifier: verifier, Nonce: nonce}, SignOnStateTTL); err != nil {
		return "", "", err
	}
	return oc.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), state, nil
}

// signInWithProvider ends a sign-in with the identity provider: the state's record is
// taken (an unknown or used state is invalid credentials), the code exchanged with its
// verifier, the ID token verified (audience, expiry, signature, nonce), its claims
// mapped to a role and scope (ErrSignOnNotMapped), and the account of the provider's
// subject found or made, then refreshed from the claims, before a session opens as
// for a password.
func (a *Accounts) signInWithProvider(ctx context.Context, c Credentials) (*Opened, error) {
	auth.Name(ctx, auth.Principal{Subject: "single-sign-on"})
	if a.sso == nil {
		return nil, accounts.ErrSignOnOff
	}
	if c.OIDCCode == "" || c.OIDCState == "" {
		return nil, accounts.ErrInvalidCredentials
	}
	st, err := a.sso.store.TakeSignOnState(ctx, c.OIDCState)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, accounts.ErrInvalidCredentials
	}
	p, oc, err := a.sso.ready(ctx)
	if err != nil {
		return nil, err
	}
	hctx := oidc.ClientContext(ctx, a.sso.http)
	tok, err := oc.Exchange(hctx, c.OIDCCode, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			// The provider refused the code (wrong, used or expired); its reason is logged,
			// never the code.
			a.log.WarnContext(ctx, "single sign-on: the provider refused the code", "error", re.ErrorCode)
			return nil, accounts.ErrInvalidCredentials
		}
		return nil, fmt.Errorf("%w: %v", errProviderDown, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		a.log.WarnContext(ctx, "single sign-on: the provider answered no ID token")
		return nil, accounts.ErrInvalidCredentials
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: a.sso.cfg.ClientID, Now: a.now}).Verify(hctx, raw)
	if err != nil {
		a.log.WarnContext(ctx, "single sign-on: the ID token failed verification", "error", err.Error())
		return nil, accounts.ErrInvalidCredentials
	}
	if idt.Nonce != st.Nonce {
		a.log.WarnContext(ctx, "single sign-on: the ID token's nonce does not match")
		return nil, accounts.ErrInvalidCredentials
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, accounts.ErrInvalidCredentials
	}
	subject := idt.Issuer + " " + idt.Subject
	auth.Name(ctx, auth.Principal{Subject: "sso:" + idt.Subject})
	role, scope, err := a.mapClaims(ctx, claims)
	if err != nil {
		return nil, err
	}
	acc, err := a.signOnAccount(ctx, subject, idt.Subject, claims, role, scope)
	if err != nil {
		return nil, err
	}
	if !acc.Enabled {
		auth.Name(ctx, acc.Principal())
		return nil, ErrAccountDisabled
	}
	auth.Name(ctx, acc.Principal())
	return a.open(ctx, accounts.Session{AccountID: acc.ID, Subject: acc.Subject(), Role: string(acc.Role), Scope: acc.Scope}, *acc)
}

// mapClaims reads the role and scope claims: the role a staff role (through the role
// map when one is set), the scope a resource that exists, or none for a district-wide
// role.
func (a *Accounts) mapClaims(ctx context.Context, claims map[string]any) (auth.Role, string, error) {
	cfg := a.sso.cfg
	var found []auth.Role
	seen := map[auth.Role]bool{}
	for _, v := range claimValues(claims[cfg.RoleClaim]) {
		var r auth.Role
		if cfg.RoleMap != nil {
			mapped, ok := cfg.RoleMap[v]
			if !ok {
				continue
			}
			r = mapped
		} else {
			parsed, err := auth.ParseRole(v)
			if err != nil {
				continue
			}
			r = parsed
		}
		if !seen[r] {
			seen[r] = true
			found = append(found, r)
		}
	}
	switch {
	case len(found) == 0:
		return "", "", fmt.Errorf("%w: claim %q names no Tongdu role", ErrSignOnNotMapped, cfg.RoleClaim)
	case len(found) > 1:
		sort.Slice(found, func(i, j int) bool { return found[i] < found[j] })
		return "", "", fmt.Errorf("%w: claim %q names more than one role (%v)", ErrSignOnNotMapped, cfg.RoleClaim, found)
	case found[0] == auth.Resident:
		return "", "", fmt.Errorf("%w: residents sign in with their household's access code", ErrSignOnNotMapped)
	}
	role := found[0]
	scopes := claimValues(claims[cfg.ScopeClaim])
	if len(scopes) > 1 {
		return "", "", fmt.Errorf("%w: claim %q holds more than one scope", ErrSignOnNotMapped, cfg.ScopeClaim)
	}
	scope := ""
	if len(scopes) == 1 {
		scope = strings.TrimSpace(scopes[0])
	}
	if err := auth.CheckScope(scope); err != nil {
		return "", "", fmt.Errorf("%w: claim %q: %v", ErrSignOnNotMapped, cfg.ScopeClaim, err)
	}
	if scope == "" {
		if role != auth.DistrictAdmin && role != auth.Auditor {
			return "", "", fmt.Errorf("%w: a %s needs a scope in claim %q", ErrSignOnNotMapped, role, cfg.ScopeClaim)
		}
		return role, "", nil
	}
	if _, err := a.ancestry(ctx, scope); err != nil {
		if fault.IsKind(err, fault.NotFound) || status.Code(err) == codes.NotFound {
			return "", "", fmt.Errorf("%w: claim %q names %s, which does not exist", ErrSignOnNotMapped, cfg.ScopeClaim, scope)
		}
		return "", "", err
	}
	return role, scope, nil
}

// claimValues is a claim's string values: one string, or a list's strings.
func claimValues(v any) []string {
	switch v := v.(type) {
	case string:
		if v != "" {
			return []string{v}
		}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// signOnAccount finds the account of the provider's subject, or makes one (no password;
// its login the preferred username or e-mail when free, else accounts.SignOnLogin), with role and
// scope from this sign-in's claims.
func (a *Accounts) signOnAccount(ctx context.Context, key, sub string, claims map[string]any, role auth.Role, scope string) (*accounts.Account, error) {
	now := a.now().UTC()
	store := a.sso.store
	for range 3 {
		acc, err := store.AccountBySignOn(ctx, key)
		if err == nil {
			acc.Role, acc.Scope, acc.LastSignIn = role, scope, now
			if acc.Enabled {
				if err := a.store.PutAccount(ctx, *acc); err != nil {
					return nil, err
				}
			}
			return acc, nil
		}
		if !errors.Is(err, accounts.ErrNotFound) {
			return nil, err
		}
		fallback := accounts.SignOnLogin(sub)
		logins := []string{}
		for _, c := range []string{"preferred_username", "email"} {
			if s, ok := claims[c].(string); ok {
				if l, err := accounts.NormaliseLogin(s); err == nil {
					logins = append(logins, l)
				}
			}
		}
		logins = append(logins, fallback)
		name, _ := claims["name"].(string)
		if strings.TrimSpace(name) == "" {
			name = logins[0]
		}
		acc = &accounts.Account{
			ID: ids.New(), DisplayName: strings.TrimSpace(name), Role: role, Scope: scope, Enabled: true,
			CreateTime: now, CreatedBy: "single-sign-on", LastSignIn: now, SingleSignOn: true,
		}
		for _, l := range logins {
			acc.Login = l
			err = store.CreateSignOnAccount(ctx, key, *acc)
			if err == nil {
				a.log.InfoContext(ctx, "single sign-on made an account", "account", acc.ID, "login", acc.Login, "role", string(role))
				return acc, nil
			}
			if errors.Is(err, storage.ErrSignOnTaken) {
				break // another sign-in of the subject made it: read it
			}
			if !errors.Is(err, accounts.ErrExists) {
				return nil, err
			}
		}
		if err != nil && !errors.Is(err, storage.ErrSignOnTaken) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("single sign-on: no account for subject %s", sub)
}
