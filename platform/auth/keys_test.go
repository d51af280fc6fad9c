package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"tongdu/platform/auth"
)

// localKeys is LocalKeys on a fresh data dir, with the private key it wrote there, so a
// test can sign tokens with claims the Signer would never produce.
type localKeys struct {
	dir    string
	signer *auth.Signer
	public jwk.Set
	priv   jwk.Key
}

func newLocalKeys(t *testing.T) localKeys {
	t.Helper()
	dir := t.TempDir()
	signer, public, err := auth.LocalKeys(dir)
	if err != nil {
		t.Fatalf("LocalKeys: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, auth.LocalKeyFile))
	if err != nil {
		t.Fatalf("read the signing key: %v", err)
	}
	priv, err := jwk.ParseKey(data)
	if err != nil {
		t.Fatalf("parse the signing key: %v", err)
	}
	return localKeys{dir: dir, signer: signer, public: public, priv: priv}
}

func (k localKeys) kid(t *testing.T) string {
	t.Helper()
	kid, ok := k.priv.KeyID()
	if !ok || kid == "" {
		t.Fatal("the signing key has no kid")
	}
	return kid
}

// rawPublic is the Ed25519 public key's 32 bytes.
func (k localKeys) rawPublic(t *testing.T) []byte {
	t.Helper()
	pub, ok := k.public.Key(0)
	if !ok {
		t.Fatal("the public set is empty")
	}
	var raw ed25519.PublicKey
	if err := jwk.Export(pub, &raw); err != nil {
		t.Fatalf("export the public key: %v", err)
	}
	return raw
}

// claims are the claims of a token a test builds by hand; nil fields are left out.
type claims map[string]any

func validClaims(now time.Time) claims {
	return claims{
		"sub":           "u-1",
		"aud":           []string{auth.Audience},
		"iat":           now.Unix(),
		"nbf":           now.Unix(),
		"exp":           now.Add(time.Hour).Unix(),
		auth.RoleClaim:  string(auth.CommunityStaff),
		auth.ScopeClaim: "regions/C1",
	}
}

func (c claims) with(kv ...any) claims {
	out := claims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
		} else {
			out[k] = kv[i+1]
		}
	}
	return out
}

// sign signs c with key by jwx, the way a real issuer would.
func sign(t *testing.T, key jwk.Key, c claims) string {
	t.Helper()
	tok := jwt.New()
	for k, v := range c {
		var err error
		switch k {
		case "iat", "nbf", "exp":
			err = tok.Set(k, time.Unix(v.(int64), 0))
		default:
			err = tok.Set(k, v)
		}
		if err != nil {
			t.Fatalf("set %s: %v", k, err)
		}
	}
	out, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), key))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return string(out)
}

func b64(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

// unsigned is a token with alg "none" and an empty signature, built by hand.
func unsigned(t *testing.T, header map[string]any, c claims) string {
	t.Helper()
	return b64(t, header) + "." + b64(t, c) + "."
}

// hs256 is a token MACed with secret under alg HS256, built by hand.
func hs256(t *testing.T, header map[string]any, c claims, secret []byte) string {
	t.Helper()
	input := b64(t, header) + "." + b64(t, c)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func TestSignedTokenVerifies(t *testing.T) {
	k := newLocalKeys(t)
	v := auth.NewVerifier(k.public, "")
	for _, p := range []auth.Principal{
		{Subject: "admin", Role: auth.DistrictAdmin},
		{Subject: "auditor", Role: auth.Auditor},
		{Subject: "staff", Role: auth.CommunityStaff, Scope: "regions/C1"},
		{Subject: "resident", Role: auth.Resident, Scope: "households/H1"},
		{Subject: "contractor", Role: auth.Contractor, Scope: "projects/P1"},
		{Subject: "water", Role: auth.Department, Scope: "departments/water"},
	} {
		t.Run(string(p.Role), func(t *testing.T) {
			tok, err := k.signer.Sign(p, time.Hour)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			got, err := v.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != p {
				t.Fatalf("Verify = %+v, want %+v", got, p)
			}
		})
	}
}

func TestVerifyAllowsThirtySecondsOfSkew(t *testing.T) {
	k := newLocalKeys(t)
	v := auth.NewVerifier(k.public, auth.Audience)
	now := time.Now()
	for name, c := range map[string]claims{
		"expired 10 s ago":         validClaims(now).with("exp", now.Add(-10*time.Second).Unix()),
		"valid from 10 s from now": validClaims(now).with("nbf", now.Add(10*time.Second).Unix(), "iat", now.Add(10*time.Second).Unix()),
		"no nbf, no iat":           validClaims(now).with("nbf", nil, "iat", nil),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := v.Verify(sign(t, k.priv, c)); err != nil {
				t.Fatalf("Verify: %v, want accepted", err)
			}
		})
	}
}

func TestVerifyRefusesBadTokens(t *testing.T) {
	k := newLocalKeys(t)
	other := newLocalKeys(t)
	v := auth.NewVerifier(k.public, "")
	now := time.Now()
	kid := k.kid(t)

	// Another Ed25519 key that claims the trusted key's kid (a kid is no secret).
	_, impostorRaw, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	impostor, err := jwk.Import(impostorRaw)
	if err != nil {
		t.Fatal(err)
	}
	if err := impostor.Set(jwk.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}
	publicJSON, err := json.Marshal(k.public)
	if err != nil {
		t.Fatal(err)
	}

	signed := func(p auth.Principal, ttl time.Duration) string {
		tok, err := k.signer.Sign(p, ttl)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		return tok
	}
	staff := auth.Principal{Subject: "s", Role: auth.CommunityStaff, Scope: "regions/C1"}
	valid := validClaims(now)

	for name, tok := range map[string]string{
		"expired an hour ago":          signed(staff, -time.Hour),
		"expired a minute ago":         sign(t, k.priv, valid.with("exp", now.Add(-time.Minute).Unix())),
		"not valid for 2 more minutes": sign(t, k.priv, valid.with("nbf", now.Add(2*time.Minute).Unix())),
		"issued in the future":         sign(t, k.priv, valid.with("iat", now.Add(2*time.Minute).Unix(), "nbf", nil)),
		"signed by another data dir":   func() string { tok, _ := other.signer.Sign(staff, time.Hour); return tok }(),
		"another key with the kid":     sign(t, impostor, valid),
		"wrong audience":               sign(t, k.priv, valid.with("aud", []string{"someone-else"})),
		"no audience":                  sign(t, k.priv, valid.with("aud", nil)),
		"no expiry":                    sign(t, k.priv, valid.with("exp", nil)),
		"no role":                      sign(t, k.priv, valid.with(auth.RoleClaim, nil)),
		"unknown role":                 signed(auth.Principal{Subject: "x", Role: "MAYOR", Scope: "regions/C1"}, time.Hour),
		"lower-case role":              sign(t, k.priv, valid.with(auth.RoleClaim, "community_staff")),
		"resident without scope":       signed(auth.Principal{Subject: "r", Role: auth.Resident}, time.Hour),
		"staff without scope":          signed(auth.Principal{Subject: "s", Role: auth.CommunityStaff}, time.Hour),
		"contractor without scope":     signed(auth.Principal{Subject: "c", Role: auth.Contractor}, time.Hour),
		"department without scope":     signed(auth.Principal{Subject: "d", Role: auth.Department}, time.Hour),
		"scope without id":             signed(auth.Principal{Subject: "s", Role: auth.CommunityStaff, Scope: "regions/"}, time.Hour),
		"scope without kind":           signed(auth.Principal{Subject: "s", Role: auth.CommunityStaff, Scope: "C1"}, time.Hour),
		"scope of an unknown kind":     signed(auth.Principal{Subject: "s", Role: auth.CommunityStaff, Scope: "planets/C1"}, time.Hour),
		"scope with a path":            signed(auth.Principal{Subject: "s", Role: auth.CommunityStaff, Scope: "regions/C1/compounds/K1"}, time.Hour),
		"admin with a malformed scope": signed(auth.Principal{Subject: "a", Role: auth.DistrictAdmin, Scope: "everything"}, time.Hour),
		"alg none":                     unsigned(t, map[string]any{"alg": "none", "typ": "JWT"}, valid),
		"alg none with the kid":        unsigned(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}, valid),
		"alg None with the kid":        unsigned(t, map[string]any{"alg": "None", "typ": "JWT", "kid": kid}, valid),
		"HS256 keyed by the raw public key": hs256(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid},
			valid, k.rawPublic(t)),
		"HS256 keyed by the public JWKS": hs256(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid},
			valid, publicJSON),
		"signature stripped": func() string {
			tok := signed(staff, time.Hour)
			return tok[:strings.LastIndexByte(tok, '.')+1]
		}(),
		"payload swapped": func() string {
			parts := strings.Split(signed(staff, time.Hour), ".")
			parts[1] = b64(t, valid.with(auth.RoleClaim, string(auth.DistrictAdmin), auth.ScopeClaim, nil))
			return strings.Join(parts, ".")
		}(),
		"not a JWT":     "hello",
		"two parts":     "a.b",
		"bearer prefix": "Bearer " + signed(staff, time.Hour),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := v.Verify(tok)
			if !errors.Is(err, auth.ErrBadToken) {
				t.Fatalf("Verify = %+v, %v; want ErrBadToken", p, err)
			}
		})
	}
}

// A scope claim that is not a string is malformed like any other. Verify ignores the
// error of t.Get("scope", &scope), so for the two roles that may go without a scope a
// malformed scope silently becomes "the whole district": parsing fails open.
func TestVerifyRefusesAScopeThatIsNotAString(t *testing.T) {
	k := newLocalKeys(t)
	v := auth.NewVerifier(k.public, "")
	now := time.Now()
	for name, c := range map[string]claims{
		"admin, numeric scope":    validClaims(now).with(auth.RoleClaim, string(auth.DistrictAdmin), auth.ScopeClaim, 42),
		"auditor, list of scopes": validClaims(now).with(auth.RoleClaim, string(auth.Auditor), auth.ScopeClaim, []string{"regions/C1"}),
		"auditor, object scope":   validClaims(now).with(auth.RoleClaim, string(auth.Auditor), auth.ScopeClaim, map[string]string{"regions": "C1"}),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := v.Verify(sign(t, k.priv, c))
			if !errors.Is(err, auth.ErrBadToken) {
				t.Fatalf("Verify = %+v, %v; want ErrBadToken (a malformed scope must not widen to the whole district)", p, err)
			}
		})
	}
}

func TestVerifyWithoutTokenIsErrNoToken(t *testing.T) {
	k := newLocalKeys(t)
	if _, err := auth.NewVerifier(k.public, "").Verify(""); !errors.Is(err, auth.ErrNoToken) {
		t.Fatalf("Verify(\"\") = %v, want ErrNoToken", err)
	}
}

func TestVerifierChecksItsOwnAudience(t *testing.T) {
	k := newLocalKeys(t)
	tok, err := k.signer.Sign(auth.Principal{Subject: "a", Role: auth.DistrictAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewVerifier(k.public, "tongdu-staging").Verify(tok); !errors.Is(err, auth.ErrBadToken) {
		t.Fatalf("a verifier for another audience accepted a token for %q: %v", auth.Audience, err)
	}
	if _, err := auth.NewVerifier(k.public, auth.Audience).Verify(tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestLocalKeysReusesTheKey(t *testing.T) {
	dir := t.TempDir()
	first, firstSet, err := auth.LocalKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := auth.Principal{Subject: "s", Role: auth.SubdistrictStaff, Scope: "regions/S"}
	tok, err := first.Sign(p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	second, secondSet, err := auth.LocalKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := auth.NewVerifier(secondSet, "").Verify(tok); err != nil || got != p {
		t.Fatalf("the second call's keys refuse the first call's token: %+v, %v", got, err)
	}
	tok2, err := second.Sign(p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewVerifier(firstSet, "").Verify(tok2); err != nil {
		t.Fatalf("the first call's keys refuse the second call's token: %v", err)
	}
	k1, _ := firstSet.Key(0)
	k2, _ := secondSet.Key(0)
	kid1, _ := k1.KeyID()
	kid2, _ := k2.KeyID()
	if kid1 == "" || kid1 != kid2 {
		t.Fatalf("kids %q and %q, want one non-empty kid", kid1, kid2)
	}
}

func TestLocalKeysKeepsThePrivateKeyPrivate(t *testing.T) {
	k := newLocalKeys(t)
	info, err := os.Stat(filepath.Join(k.dir, auth.LocalKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("the signing key file has mode %v; want no access for group or others", perm)
	}
	data, err := json.Marshal(k.public)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("public set has %d keys, want 1: %s", len(set.Keys), data)
	}
	if _, ok := set.Keys[0]["d"]; ok {
		t.Fatalf("the public set carries the private key: %s", data)
	}
	if set.Keys[0]["alg"] != "EdDSA" || set.Keys[0]["kid"] == nil {
		t.Errorf("public key %v: want alg EdDSA and a kid (jwx verifies by them)", set.Keys[0])
	}
}

func TestLocalKeysRefusesACorruptKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, auth.LocalKeyFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := auth.LocalKeys(dir); err == nil {
		t.Fatal("LocalKeys accepted a corrupt key file (and would have replaced the district's key)")
	}
}

func TestLoadKeysFromAJWKSFile(t *testing.T) {
	k := newLocalKeys(t)
	data, err := json.Marshal(k.public)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := auth.LoadKeys(context.Background(), path)
	if err != nil {
		t.Fatalf("LoadKeys: %v", err)
	}
	p := auth.Principal{Subject: "r", Role: auth.Resident, Scope: "households/H1"}
	tok, err := k.signer.Sign(p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v := auth.NewVerifier(set, "")
	if got, err := v.Verify(tok); err != nil || got != p {
		t.Fatalf("Verify with the loaded keys = %+v, %v", got, err)
	}
	other := newLocalKeys(t)
	tok, _ = other.signer.Sign(p, time.Hour)
	if _, err := v.Verify(tok); !errors.Is(err, auth.ErrBadToken) {
		t.Fatalf("the loaded keys accepted another key's token: %v", err)
	}
	if _, err := auth.LoadKeys(context.Background(), filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("LoadKeys of a missing file succeeded")
	}
}

func TestLoadKeysFromAJWKSURL(t *testing.T) {
	k := newLocalKeys(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(k.public)
	}))
	defer srv.Close()
	set, err := auth.LoadKeys(context.Background(), srv.URL+"/protocol/openid-connect/certs")
	if err != nil {
		t.Fatalf("LoadKeys: %v", err)
	}
	p := auth.Principal{Subject: "a", Role: auth.Auditor}
	tok, _ := k.signer.Sign(p, time.Hour)
	if got, err := auth.NewVerifier(set, "").Verify(tok); err != nil || got != p {
		t.Fatalf("Verify with the fetched keys = %+v, %v", got, err)
	}
}

// A token names its algorithm; the verifier must go by the key's, not the header's: a
// genuine EdDSA signature relabelled ES256 is refused.
func TestVerifyRefusesAnAlgorithmTheKeyDoesNotHave(t *testing.T) {
	k := newLocalKeys(t)
	tok := sign(t, k.priv, validClaims(time.Now()))
	parts := strings.Split(tok, ".")
	hdr := map[string]any{"alg": "ES256", "typ": "JWT", "kid": k.kid(t)}
	forged := b64(t, hdr) + "." + parts[1] + "." + parts[2]
	if _, err := auth.NewVerifier(k.public, "").Verify(forged); !errors.Is(err, auth.ErrBadToken) {
		t.Fatalf("Verify accepted a token whose alg header is not the key's: %v", err)
	}
}

// TestVerifiedTokensAreForgottenWhenKeysChange: a token is checked once and then taken
// from the verifier's memory, but a key withdrawn (SetKeys, as the JWKS refresh does)
// takes its tokens with it at once.
func TestVerifiedTokensAreForgottenWhenKeysChange(t *testing.T) {
	k := newLocalKeys(t)
	other := newLocalKeys(t)
	v := auth.NewVerifier(k.public, "")
	p := auth.Principal{Subject: "staff", Role: auth.CommunityStaff, Scope: "regions/C1"}
	tok, err := k.signer.Sign(p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if got, err := v.Verify(tok); err != nil || got != p {
			t.Fatalf("Verify #%d = %+v, %v; want %+v", i+1, got, err, p)
		}
	}
	v.SetKeys(other.public)
	if _, err := v.Verify(tok); !errors.Is(err, auth.ErrBadToken) {
		t.Fatalf("after the key was withdrawn Verify = %v, want ErrBadToken", err)
	}
	v.SetKeys(k.public)
	if got, err := v.Verify(tok); err != nil || got != p {
		t.Fatalf("with the key back Verify = %+v, %v", got, err)
	}
}
