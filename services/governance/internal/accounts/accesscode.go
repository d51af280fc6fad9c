package accounts

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// codeAlphabet is Crockford's base32: digits and capitals without I, L, O and U, which
// are read as 1, 1, 0 and a vowel that spells words. 32 letters, so a byte's low five
// bits pick one without bias.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// CodeLen is an access code's length: 12 letters, 60 random bits.
const CodeLen = 12

// NewAccessCode returns a fresh code as shown to people: XXXX-XXXX-XXXX.
func NewAccessCode() (string, error) {
	b := make([]byte, CodeLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	out := make([]byte, 0, CodeLen+2)
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, codeAlphabet[c&31])
	}
	return string(out), nil
}

// NormaliseAccessCode is a code as typed, as hashed: without dashes and spaces, in
// capitals, with the look-alikes read as Crockford does (O → 0, I and L → 1). ok is
// false when it is no code's shape.
func NormaliseAccessCode(typed string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch r {
		case '-', ' ', '\t':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 127 || !strings.ContainsRune(codeAlphabet, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != CodeLen {
		return "", false
	}
	return b.String(), true
}

// HashAccessCode is the only form a code is kept in. SHA-256 and no slow hash: a code
// is 60 random bits, not a person's choice, so even a stolen table cannot be reversed by
// guessing (2^60 tries), and sign-in attempts are limited per address besides.
func HashAccessCode(normalised string) string {
	sum := sha256.Sum256([]byte(normalised))
	return hex.EncodeToString(sum[:])
}

// CodeHashOf normalises and hashes a typed code; a typed code of no code's shape is
// ErrInvalidCredentials like any wrong code.
func CodeHashOf(typed string) (string, error) {
	n, ok := NormaliseAccessCode(typed)
	if !ok {
		return "", ErrInvalidCredentials
	}
	return HashAccessCode(n), nil
}
