package accounts

import (
	"errors"
	"strings"
	"testing"
	"time"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
)

func TestNormaliseLogin(t *testing.T) {
	for in, want := range map[string]string{"Li.Wei@DC": "li.wei@dc", " zhang_san ": "zhang_san", "a-b": "a-b"} {
		if got, err := NormaliseLogin(in); err != nil || got != want {
			t.Errorf("NormaliseLogin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ab", strings.Repeat("a", 65), "li wei", "李伟abc", "a/b"} {
		if _, err := NormaliseLogin(bad); len(fault.ViolationsOf(err)) == 0 || fault.ViolationsOf(err)[0].Field != "login" {
			t.Errorf("NormaliseLogin(%q) = %v, want a violation on login", bad, err)
		}
	}
}

func TestPasswordRules(t *testing.T) {
	for _, tc := range []struct {
		name, password, login, display string
		want                           int // violations on password
	}{
		{"long enough", "correct horse battery", "liwei", "李伟", 0},
		{"twelve characters counted as runes", "铜都老旧小区改造工作很好", "liwei", "李伟", 0},
		{"eleven characters", "abcdefghijk", "liwei", "李伟", 1},
		{"too long", strings.Repeat("x", MaxPassword+1), "liwei", "李伟", 1},
		{"holds the login, any case", "my LiWei password", "liwei", "李伟", 1},
		{"holds the display name", "李伟的密码很长很长很长很长", "liwei", "李伟", 1},
		{"short and holds the login", "liwei12", "liwei", "x", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs := fault.ViolationsOf(CheckPassword(tc.password, tc.login, tc.display))
			if len(vs) != tc.want {
				t.Fatalf("violations %v, want %d", vs, tc.want)
			}
			for _, v := range vs {
				if v.Field != "password" {
					t.Errorf("violation on %q, want password", v.Field)
				}
			}
		})
	}
}

func TestRoleRank(t *testing.T) {
	for _, tc := range []struct {
		by, role auth.Role
		want     error // nil, ErrTooWide, or a violation (errInvalid)
	}{
		{auth.DistrictAdmin, auth.DistrictAdmin, nil},
		{auth.DistrictAdmin, auth.Auditor, nil},
		{auth.DistrictAdmin, auth.Department, nil},
		{auth.SubdistrictStaff, auth.CommunityStaff, nil},
		{auth.SubdistrictStaff, auth.SubdistrictStaff, nil},
		{auth.SubdistrictStaff, auth.DistrictAdmin, ErrTooWide},
		{auth.SubdistrictStaff, auth.Auditor, ErrTooWide},
		{auth.CommunityStaff, auth.GridWorker, nil},
		{auth.CommunityStaff, auth.Contractor, nil},
		{auth.CommunityStaff, auth.SubdistrictStaff, ErrTooWide},
		{auth.CommunityStaff, auth.Department, ErrTooWide},
		{auth.GridWorker, auth.GridWorker, ErrTooWide},
		{auth.DistrictAdmin, auth.Resident, errInvalid},
		{auth.DistrictAdmin, auth.Reporter, errInvalid}, // a reporting system has a key, not an account
		{auth.DistrictAdmin, "KING", errInvalid},
	} {
		err := CheckRole(tc.by, tc.role)
		switch {
		case tc.want == nil && err != nil, tc.want == ErrTooWide && !errors.Is(err, ErrTooWide),
			tc.want == errInvalid && len(fault.ViolationsOf(err)) == 0:
			t.Errorf("a %s making a %s: %v, want %v", tc.by, tc.role, err, tc.want)
		}
	}
}

var errInvalid = errors.New("a violation")

func TestPasswordHash(t *testing.T) {
	phc, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("PHC string %q", phc)
	}
	p, err := parsePHC(phc)
	if err != nil || len(p.salt) != saltLen || len(p.key) != keyLen || p.memory != 19456 || p.time != 2 || p.threads != 1 {
		t.Fatalf("parsePHC: %+v, %v", p, err)
	}
	if !VerifyPassword(phc, "correct horse battery") {
		t.Error("the right password does not verify")
	}
	if VerifyPassword(phc, "correct horse batterY") {
		t.Error("a wrong password verifies")
	}
	again, _ := HashPassword("correct horse battery")
	if again == phc {
		t.Error("two hashes of one password are equal: no fresh salt")
	}
}

// The parameters are read from the stored string, so hashes made with other (older or
// raised) parameters still verify.
func TestPasswordHashOfOtherParameters(t *testing.T) {
	// argon2id, m=64, t=1, p=1 of "password" with salt "somesalt" (RFC 9106 style inputs).
	phc := "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$" + b64.EncodeToString(argonKey("password", "somesalt", 1, 64, 1))
	if !VerifyPassword(phc, "password") {
		t.Error("a hash of other parameters does not verify")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA"} {
		if _, err := parsePHC(bad); err == nil {
			t.Errorf("parsePHC(%q) accepted", bad)
		}
		if VerifyPassword(bad, "password") {
			t.Errorf("VerifyPassword(%q) matched", bad)
		}
	}
}

func TestNewAccount(t *testing.T) {
	admin := auth.Principal{Subject: "accounts/A0", Role: auth.DistrictAdmin}
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	_, err := NewAccount(Account{Login: "x", Role: auth.CommunityStaff}, "short", admin, now)
	fields := map[string]bool{}
	for _, v := range fault.ViolationsOf(err) {
		fields[v.Field] = true
	}
	if !fields["login"] {
		t.Errorf("violations %v: want login", fault.ViolationsOf(err))
	}
	_, err = NewAccount(Account{Login: "li.wei", DisplayName: "李伟", Role: auth.CommunityStaff}, "short", admin, now)
	fields = map[string]bool{}
	for _, v := range fault.ViolationsOf(err) {
		fields[v.Field] = true
	}
	if !fields["scope"] || !fields["password"] {
		t.Errorf("violations %v: want scope (a community worker needs one) and password", fault.ViolationsOf(err))
	}
}

func TestAccessCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		code, err := NewAccessCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != 14 || code[4] != '-' || code[9] != '-' {
			t.Fatalf("code %q: want XXXX-XXXX-XXXX", code)
		}
		if strings.ContainsAny(code, "ILOU") {
			t.Fatalf("code %q holds a look-alike", code)
		}
		n, ok := NormaliseAccessCode(code)
		if !ok || n != strings.ReplaceAll(code, "-", "") {
			t.Fatalf("NormaliseAccessCode(%q) = %q, %v", code, n, ok)
		}
		if seen[code] {
			t.Fatalf("code %q twice", code)
		}
		seen[code] = true
	}
	for typed, want := range map[string]string{
		"abcd-efgh-jk12": "ABCDEFGHJK12",
		"ABCD EFGH JK12": "ABCDEFGHJK12",
		"o0il-1111-2222": "001111112222",
	} {
		if got, ok := NormaliseAccessCode(typed); !ok || got != want {
			t.Errorf("NormaliseAccessCode(%q) = %q, %v; want %q", typed, got, ok, want)
		}
	}
	for _, bad := range []string{"", "ABCD-EFGH-JK1", "ABCD-EFGH-JK123", "ABCD-EFGH-JK1U", "ABCD-EFGH-JK1é"} {
		if _, ok := NormaliseAccessCode(bad); ok {
			t.Errorf("NormaliseAccessCode(%q) accepted", bad)
		}
	}
	a, _ := CodeHashOf("abcd-efgh-jk12")
	b, _ := CodeHashOf("ABCDEFGHJK12")
	if a != b || len(a) != 64 {
		t.Errorf("one code typed two ways hashes to %q and %q", a, b)
	}
	if _, err := CodeHashOf("nope"); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("a malformed code: %v, want invalid credentials", err)
	}
}

func TestLockedCarriesTheRetryDelay(t *testing.T) {
	f := Locked(14*time.Minute + 200*time.Millisecond)
	if f.Kind != fault.Exhausted || f.Reason != "SIGN_IN_LOCKED" || f.RetryAfter != 14*time.Minute {
		t.Errorf("Locked = %+v", f)
	}
	if Locked(0).RetryAfter != time.Second {
		t.Error("a lock about to end asks for less than a second")
	}
}

func TestSessionSettings(t *testing.T) {
	s := DefaultSessions
	now := time.Now()
	if got := s.IdleTTL(now.Add(10*time.Minute), now); got != 10*time.Minute {
		t.Errorf("idle TTL near the end = %v, want what is left", got)
	}
	if got := s.IdleTTL(now.Add(time.Hour), now); got != 30*time.Minute {
		t.Errorf("idle TTL = %v", got)
	}
	if s.NeedsToken(&Session{Token: "t", TokenExp: now.Add(2 * time.Minute)}, now) {
		t.Error("a token with 2 minutes left was replaced")
	}
	if !s.NeedsToken(&Session{Token: "t", TokenExp: now.Add(50 * time.Second)}, now) {
		t.Error("a token with 50 s left was kept")
	}
	if SessionKey("abc") == "abc" || len(SessionKey("abc")) != 64 {
		t.Error("the session key is not a hash of the id")
	}
}
