package accounts

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"tongdu/platform/fault"
)

// Limit is how many failed sign-ins a login or an address may make within a window
// before it is locked, and for how long.
type Limit struct {
	Failures int
	Window   time.Duration
	Lock     time.Duration
}

// The sign-in limits: a login is locked after 5 failures within 15 minutes, an address
// after 20 (one office shares an address); access-code attempts count per address, as
// codes have no login. The count runs from the first failure of a window.
var (
	LoginLimit   = Limit{Failures: 5, Window: 15 * time.Minute, Lock: 15 * time.Minute}
	AddressLimit = Limit{Failures: 20, Window: 15 * time.Minute, Lock: 15 * time.Minute}
)

// Locked is the refusal of a locked sign-in, with what is left of the lock as the
// retry delay (rounded up to whole seconds, as Retry-After counts them).
func Locked(left time.Duration) *fault.Error {
	if left < time.Second {
		left = time.Second
	}
	left = left.Round(time.Second)
	return &fault.Error{
		Kind: fault.Exhausted, Reason: "SIGN_IN_LOCKED", RetryAfter: left,
		Message: fmt.Sprintf("too many failed sign-ins; try again in %s", left),
	}
}

// Session settings: a session ends after Idle without use or at Max after sign-in,
// whichever is first; its tokens last TokenTTL and a new one is minted when less than
// Renew is left.
type SessionSettings struct {
	Idle, Max, TokenTTL, Renew time.Duration
}

// DefaultSessions are the settings when none are given.
var DefaultSessions = SessionSettings{Idle: 30 * time.Minute, Max: 12 * time.Hour, TokenTTL: 5 * time.Minute, Renew: time.Minute}

// Session is an open session. Its id is not in it: the id is the credential, and only
// its SHA-256 (Key) is stored.
type Session struct {
	Key       string // SessionKey of the id
	AccountID string // "" for a household's
	Household string // the household of a resident's session
	CodeHash  string // the access code a resident's session was opened with
	Subject   string
	Role      string
	Scope     string
	CSRF      string
	Created   time.Time
	End       time.Time // the absolute end
	Token     string
	TokenExp  time.Time
}

// NewSecret is 32 random bytes, URL-safe: session ids and CSRF tokens.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// SessionKey names a session by the SHA-256 of its id, so the store never holds an id
// that would open it.
func SessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// IdleTTL is how long a session lives unused from now: the idle time, cut at its end.
func (s SessionSettings) IdleTTL(end, now time.Time) time.Duration {
	return min(s.Idle, end.Sub(now))
}

// NeedsToken says whether a session's token must be replaced now.
func (s SessionSettings) NeedsToken(sess *Session, now time.Time) bool {
	return sess.Token == "" || sess.TokenExp.Sub(now) < s.Renew
}

// TokenTTLAt is a new token's lifetime, cut at the session's end.
func (s SessionSettings) TokenTTLAt(end, now time.Time) time.Duration {
	return min(s.TokenTTL, end.Sub(now))
}
