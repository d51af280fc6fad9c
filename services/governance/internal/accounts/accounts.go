// Package accounts holds the rules of who may sign in (DOMAIN rule 16): staff accounts
// with a role and a scope, their passwords (argon2id), households' access codes, the
// limits on failed sign-ins, and sessions. Plain Go: it imports neither protobuf nor
// Redis, and takes the clock as an argument.
package accounts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
)

// The errors of accounts and sign-in.
var (
	// ErrInvalidCredentials is every wrong sign-in alike: an unknown login, a wrong
	// password, a disabled account, an unknown or revoked code. One text for all, so
	// the answer tells no login apart.
	ErrInvalidCredentials = fault.New(fault.Unauthenticated, "", "invalid credentials")
	// ErrSessionEnded: the session is unknown, expired, signed out or revoked.
	ErrSessionEnded = fault.New(fault.Unauthenticated, "", "the session has ended; sign in again")
	ErrTooWide      = fault.New(fault.Denied, "ACCOUNT_TOO_WIDE", "an account may be no wider than its creator's")
	ErrExists       = fault.New(fault.Exists, "ACCOUNT_EXISTS", "the login is taken")
	ErrNotFound     = fault.New(fault.NotFound, "", "no such account")
	ErrOwnAccount   = fault.New(fault.Refused, "OWN_ACCOUNT", "an administrator cannot disable their own account")
	// A single sign-on account proves who it is at the identity provider; a password
	// would be a second way in that the district's provider does not control.
	ErrSignsOnElsewhere = fault.New(fault.Refused, "ACCOUNT_SIGNS_ON", "the account signs in with the district's identity provider and has no password")
	// ErrSignOnOff: single sign-on needs the district's identity provider configured.
	ErrSignOnOff = fault.New(fault.Refused, "SIGN_ON_NOT_CONFIGURED", "single sign-on is not configured")
	// ErrNoSigner: this process has no key to sign Tongdu's own tokens with.
	ErrNoSigner = fault.New(fault.Unavailable, "", "sign-in is not configured here: no signing key")
)

// Account is a staff account. PasswordHash is the PHC string of its argon2id hash; it
// never leaves the service.
type Account struct {
	ID           string    `json:"id"`
	Login        string    `json:"login"`
	DisplayName  string    `json:"displayName"`
	Role         auth.Role `json:"role"`
	Scope        string    `json:"scope,omitempty"`
	Enabled      bool      `json:"enabled"`
	CreateTime   time.Time `json:"createTime"`
	CreatedBy    string    `json:"createdBy,omitempty"`
	LastSignIn   time.Time `json:"lastSignIn,omitzero"`
	SingleSignOn bool      `json:"singleSignOn,omitempty"`
	PasswordHash string    `json:"passwordHash,omitempty"`
	// SessionsAfter: sessions opened before it are over (disable, password reset), even
	// one a crash kept from being deleted.
	SessionsAfter time.Time `json:"sessionsAfter,omitzero"`
}

// Subject is how tokens and the audit trail name the account.
func (a *Account) Subject() string { return "accounts/" + a.ID }

// Principal is who the account's tokens act for.
func (a *Account) Principal() auth.Principal {
	return auth.Principal{Subject: a.Subject(), Role: a.Role, Scope: a.Scope}
}

// NormaliseLogin is a login as stored and compared: lower case, 3–64 of [a-z0-9._@-].
// Bad input is a violation on login.
func NormaliseLogin(login string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(login))
	if n := len(l); n < 3 || n > 64 {
		return "", fault.Field("login", "must be 3 to 64 characters")
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("._@-", r)) {
			return "", fault.Field("login", "may hold only letters, digits, '.', '_', '@' and '-'")
		}
	}
	return l, nil
}

// SignOnLogin is the login of an account single sign-on makes when neither the
// provider's preferred username nor e-mail is a free login: "sso-" and the subject when
// that is a valid login, else "sso-" and a digest of it (a subject may hold any
// characters and be up to 255 long).
func SignOnLogin(sub string) string {
	if l, err := NormaliseLogin("sso-" + sub); err == nil {
		return l
	}
	d := sha256.Sum256([]byte(sub))
	return "sso-" + hex.EncodeToString(d[:12])
}

// Password lengths, in characters (runes): long passphrases beat composition rules
// (NIST SP 800-63B); the upper bound keeps one hash cheap enough.
const (
	MinPassword = 12
	MaxPassword = 256
)

// CheckPassword refuses a password that is short or holds the account's own names
// (case-insensitive), as violations on password. Names shorter than two characters are
// not checked: a single letter would forbid half the passwords and protect nothing.
func CheckPassword(password, login, displayName string) error {
	var c fault.Collect
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPassword:
		c.Violation("password", fmt.Sprintf("must be at least %d characters", MinPassword))
	case n > MaxPassword:
		c.Violation("password", fmt.Sprintf("must be at most %d characters", MaxPassword))
	}
	lower := strings.ToLower(password)
	if l := strings.ToLower(strings.TrimSpace(login)); utf8.RuneCountInString(l) >= 2 && strings.Contains(lower, l) {
		c.Violation("password", "must not contain the login")
	}
	if d := strings.ToLower(strings.TrimSpace(displayName)); utf8.RuneCountInString(d) >= 2 && strings.Contains(lower, d) {
		c.Violation("password", "must not contain the display name")
	}
	return c.Err()
}

// rank orders the staff roles; every other role ranks below them.
func rank(r auth.Role) int {
	switch r {
	case auth.DistrictAdmin:
		return 3
	case auth.SubdistrictStaff:
		return 2
	case auth.CommunityStaff:
		return 1
	}
	return 0
}

// CheckRole says whether a caller of role by may make an account of role r: a role not
// above its own; AUDITOR and DEPARTMENT only by a DISTRICT_ADMIN (they see across the
// district's subtrees); never RESIDENT (residents sign in with their household's access
// code) nor REPORTER (a reporting system has a key at the gateway). An unknown role,
// RESIDENT or REPORTER is a violation on role; a wider one ErrTooWide.
func CheckRole(by, r auth.Role) error {
	if _, err := auth.ParseRole(string(r)); err != nil {
		return fault.Field("role", "is not a role")
	}
	if r == auth.Resident {
		return fault.Field("role", "residents sign in with their household's access code, not an account")
	}
	if r == auth.Reporter {
		return fault.Field("role", "a reporting system (an Open311 app) has a key at the gateway (--open311-keys), not an account")
	}
	if rank(by) == 0 {
		return fmt.Errorf("%w: a %s makes no accounts", ErrTooWide, by)
	}
	if (r == auth.Auditor || r == auth.Department) && by != auth.DistrictAdmin {
		return fmt.Errorf("%w: only a %s makes %s accounts", ErrTooWide, auth.DistrictAdmin, r)
	}
	if rank(r) > rank(by) {
		return fmt.Errorf("%w: a %s may not make a %s", ErrTooWide, by, r)
	}
	return nil
}

// NewAccount checks a new account's fields (login, names, role against its creator's,
// scope's form, password) and returns it with its password hashed. Whether the scope
// lies within the creator's is the caller's check (it needs the registry).
func NewAccount(in Account, password string, by auth.Principal, now time.Time) (Account, error) {
	var c fault.Collect
	login, err := NormaliseLogin(in.Login)
	if err := c.Add(err); err != nil {
		return Account{}, err
	}
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if in.DisplayName == "" {
		c.Violation("displayName", "is required")
	}
	if err := CheckRole(by.Role, in.Role); c.Add(err) != nil {
		return Account{}, err
	}
	if err := auth.CheckScope(in.Scope); err != nil {
		c.Violation("scope", err.Error())
	} else if in.Scope == "" && in.Role != auth.DistrictAdmin && in.Role != auth.Auditor {
		// Tokens without a scope are honoured only for these two (auth.Verifier).
		c.Violation("scope", "only a DISTRICT_ADMIN or AUDITOR acts for the whole district; name a scope")
	}
	if err := c.Add(CheckPassword(password, login, in.DisplayName)); err != nil {
		return Account{}, err
	}
	if err := c.Err(); err != nil {
		return Account{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return Account{}, err
	}
	return Account{
		ID: in.ID, Login: login, DisplayName: in.DisplayName, Role: in.Role, Scope: in.Scope,
		Enabled: true, CreateTime: now.UTC(), CreatedBy: by.Subject, PasswordHash: hash,
	}, nil
}
