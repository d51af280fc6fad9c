package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Audience is the audience tokens for Tongdu carry unless configured otherwise.
const Audience = "tongdu"

// The claims that carry a caller's role and scope. They have names of their own because
// an identity provider's tokens already use "scope" for OAuth scopes ("openid profile").
const (
	RoleClaim  = "tongdu_role"
	ScopeClaim = "tongdu_scope"
)

// Verifier checks bearer tokens against a set of public keys.
type Verifier struct {
	keys     atomic.Pointer[jwk.Set]
	audience string

	// Tokens already verified, with the caller they name. Checking an Ed25519 signature
	// took a third of the CPU of a survey response (the gateway and each service on the
	// way check the same token), and a caller sends the same token for its whole life.
	mu       sync.RWMutex
	verified map[string]verifiedToken
}

type verifiedToken struct {
	p     Principal
	until time.Time // the token's expiry, or sooner (verifiedFor)
}

const (
	// verifiedFor bounds how long a verified token is taken without checking again. A key
	// change (SetKeys, at each JWKS refresh) forgets every token at once anyway; this
	// keeps the memory to the tokens in use.
	verifiedFor = time.Minute
	// maxVerified bounds the tokens kept; beyond it the cache starts afresh. Only valid
	// tokens are kept, so only a key holder can fill it.
	maxVerified = 10_000
)

// NewVerifier checks tokens signed by keys for audience.
func NewVerifier(keys jwk.Set, audience string) *Verifier {
	if audience == "" {
		audience = Audience
	}
	v := &Verifier{audience: audience}
	v.keys.Store(&keys)
	return v
}

// SetKeys replaces the keys (an identity provider rotated its own). Tokens verified with
// the old keys are checked again.
func (v *Verifier) SetKeys(keys jwk.Set) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.keys.Store(&keys)
	v.verified = nil
}

// LoadKeys reads public keys: a JWKS file path, or an https/http URL of an identity
// provider's JWKS (e.g. Keycloak's …/protocol/openid-connect/certs).
func LoadKeys(ctx context.Context, source string) (jwk.Set, error) {
	if strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://") {
		return jwk.Fetch(ctx, source)
	}
	return jwk.ReadFile(source)
}

// Errors of token checks; all mean 401 to the caller.
var (
	ErrNoToken  = errors.New("no bearer token")
	ErrBadToken = errors.New("token refused")
)

// Verify checks a token's signature (a key of the set, by its own algorithm: "none" is
// never accepted), expiry and not-before (with 30 s of skew), and audience, and reads
// the caller from it. A token verified within the last minute and not yet expired is
// taken without checking the signature again.
func (v *Verifier) Verify(token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrNoToken
	}
	now := time.Now()
	v.mu.RLock()
	got, ok := v.verified[token]
	v.mu.RUnlock()
	if ok && now.Before(got.until) {
		return got.p, nil
	}
	keys := v.keys.Load()
	p, exp, err := v.parse(token, *keys)
	if err != nil {
		return Principal{}, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	// Keys replaced while this token was checked: do not keep what the old keys said.
	if v.keys.Load() == keys {
		if v.verified == nil || len(v.verified) >= maxVerified {
			v.verified = make(map[string]verifiedToken)
		}
		until := now.Add(verifiedFor)
		if exp.Before(until) {
			until = exp
		}
		v.verified[token] = verifiedToken{p: p, until: until}
	}
	return p, nil
}

// parse checks a token against keys and returns its caller and expiry.
func (v *Verifier) parse(token string, keys jwk.Set) (Principal, time.Time, error) {
	// A key without "alg" (some providers publish none) is used with the algorithms of
	// its own type only, so an RSA public key can never verify an HMAC.
	t, err := jwt.ParseString(token,
		jwt.WithKeySet(keys, jws.WithInferAlgorithmFromKey(true)),
		jwt.WithValidate(true),
		jwt.WithAudience(v.audience),
		jwt.WithAcceptableSkew(30*time.Second),
	)
	if err != nil {
		return Principal{}, time.Time{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	exp, ok := t.Expiration()
	if !ok {
		return Principal{}, time.Time{}, fmt.Errorf("%w: it has no expiry", ErrBadToken)
	}
	var p Principal
	if p.Subject, ok = t.Subject(); !ok || p.Subject == "" {
		return Principal{}, time.Time{}, fmt.Errorf("%w: it names no subject (sub)", ErrBadToken)
	}
	var role, scope string
	if err := t.Get(RoleClaim, &role); err != nil {
		return Principal{}, time.Time{}, fmt.Errorf("%w: no %s claim", ErrBadToken, RoleClaim)
	}
	if p.Role, err = ParseRole(role); err != nil {
		return Principal{}, time.Time{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	// A scope that is there but not a string must not read as "no scope" (the whole
	// district).
	var raw any
	if t.Get(ScopeClaim, &raw) == nil {
		s, ok := raw.(string)
		if !ok {
			return Principal{}, time.Time{}, fmt.Errorf("%w: the scope claim is not a string", ErrBadToken)
		}
		scope = s
	}
	if err := CheckScope(scope); err != nil {
		return Principal{}, time.Time{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	p.Scope = scope
	// The district's administrator, its auditors and the reporting systems (Open311
	// apps) act on the whole district; every other role within its scope.
	if p.Scope == "" && p.Role != DistrictAdmin && p.Role != Auditor && p.Role != Reporter {
		return Principal{}, time.Time{}, fmt.Errorf("%w: a %s needs a scope", ErrBadToken, p.Role)
	}
	return p, exp, nil
}

// Signer issues tokens with a private key (the one-machine key of cmd/tongdu's data dir).
type Signer struct {
	key      jwk.Key
	audience string
}

// Sign issues a token for p, valid for ttl.
func (s *Signer) Sign(p Principal, ttl time.Duration) (string, error) {
	now := time.Now()
	b := jwt.NewBuilder().Subject(p.Subject).Audience([]string{s.audience}).IssuedAt(now).NotBefore(now).Expiration(now.Add(ttl)).
		Claim(RoleClaim, string(p.Role))
	if p.Scope != "" {
		b = b.Claim(ScopeClaim, p.Scope)
	}
	t, err := b.Build()
	if err != nil {
		return "", err
	}
	out, err := jwt.Sign(t, jwt.WithKey(jwa.EdDSA(), s.key))
	return string(out), err
}

// LocalKeyFile is where cmd/tongdu keeps its signing key within the data dir.
const LocalKeyFile = "auth/signing-key.jwk"

// LocalKeys returns the data dir's signing key, creating it on first use, and the public
// key set that verifies its tokens.
func LocalKeys(dataDir string) (*Signer, jwk.Set, error) {
	path := filepath.Join(dataDir, LocalKeyFile)
	var key jwk.Key
	if data, err := os.ReadFile(path); err == nil {
		if key, err = jwk.ParseKey(data); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
	} else if errors.Is(err, os.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		if key, err = jwk.Import(priv); err != nil {
			return nil, nil, err
		}
		if err := jwk.AssignKeyID(key); err != nil {
			return nil, nil, err
		}
		if err := key.Set(jwk.AlgorithmKey, jwa.EdDSA()); err != nil {
			return nil, nil, err
		}
		data, err := json.Marshal(key)
		if err != nil {
			return nil, nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, nil, err
		}
	} else {
		return nil, nil, err
	}
	pub, err := key.PublicKey()
	if err != nil {
		return nil, nil, err
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return nil, nil, err
	}
	return &Signer{key: key, audience: Audience}, set, nil
}
