package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's minimum (m = 19 MiB, t = 2, p = 1), some 20–50 ms a
// hash on two cores. Each hash carries its own, so they can be raised later and old
// hashes still verify.
const (
	argonMemory  = 19456 // KiB
	argonTime    = 2
	argonThreads = 1
	saltLen      = 16
	keyLen       = 32
)

// params are an argon2id hash's settings as its PHC string states them.
type params struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

var b64 = base64.RawStdEncoding

// HashPassword returns the PHC string of password's argon2id hash with a fresh salt:
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>".
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errPHC = errors.New("not an argon2id PHC string")

// parsePHC reads a PHC string of argon2id.
func parsePHC(s string) (params, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return params{}, errPHC
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return params{}, fmt.Errorf("%w: version %q", errPHC, parts[2])
	}
	var p params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return params{}, fmt.Errorf("%w: parameters %q", errPHC, parts[3])
	}
	// Bounds that refuse a corrupt record rather than spend a minute or a gigabyte on it.
	if p.memory < 8 || p.memory > 1<<21 || p.time < 1 || p.time > 64 || p.threads < 1 {
		return params{}, fmt.Errorf("%w: parameters out of range", errPHC)
	}
	var err error
	if p.salt, err = b64.DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return params{}, fmt.Errorf("%w: salt", errPHC)
	}
	if p.key, err = b64.DecodeString(parts[5]); err != nil || len(p.key) < 16 {
		return params{}, fmt.Errorf("%w: hash", errPHC)
	}
	return p, nil
}

// VerifyPassword reports whether password matches the PHC string, comparing in constant
// time with the parameters the string states. A string it cannot read matches nothing.
func VerifyPassword(phc, password string) bool {
	p, err := parsePHC(phc)
	if err != nil {
		return false
	}
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// DummyVerify spends one hash as VerifyPassword would, for a login that does not exist
// (or has no password), so the time an answer takes does not tell logins apart.
func DummyVerify(password string) {
	dummyOnce.Do(func() {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		dummyHash, _ = HashPassword(string(b))
	})
	VerifyPassword(dummyHash, password)
}
