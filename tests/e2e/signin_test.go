package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/redisconn"
	"tongdu/platform/testkit"
	"tongdu/services/governance"
)

// addAtTheMachine makes an account as `tongdu user add` does: governance.AddAccount on the
// Tongdu's Redis, beside the API.
func addAtTheMachine(t *testing.T, redisURL string, a governance.NewAccount) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rdb, err := redisconn.Open(ctx, redisURL, log)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if _, _, err := governance.AddAccount(ctx, rdb, log, a); err != nil {
		t.Fatalf("add %s at the machine: %v", a.Login, err)
	}
}

// browser is a client that holds cookies and no bearer token, as a web page does.
func (c *client) browser() *client {
	c.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	d := *c
	d.token = ""
	d.http = &http.Client{Timeout: 30 * time.Second, Jar: jar}
	return &d
}

// session is what POST /v1/sessions answers.
type session struct {
	Token     string `json:"token"`
	CSRFToken string `json:"csrfToken"`
	Account   struct {
		ID    string `json:"id"`
		Login string `json:"login"`
		Role  string `json:"role"`
		Scope string `json:"scope"`
	} `json:"account"`
}

// signIn posts credentials and returns the answer and the session, when it opened one.
func (c *client) signIn(body map[string]any) (response, session) {
	c.t.Helper()
	r := c.do("POST", "/v1/sessions", body)
	var s session
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &s); err != nil {
			c.t.Fatalf("session answer %s: %v", r.body, err)
		}
	}
	return r, s
}

// withCSRF sends a write with the session's CSRF token, as the console's pages do.
func (c *client) withCSRF(method, path, csrf string, body any) response {
	c.t.Helper()
	data, _ := json.Marshal(body)
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(string(data)))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	return c.send(req)
}

// Rule 16 through REST: an administrator signs in with a password and gets an
// HttpOnly session cookie (never its id in a body or header); cookie writes need the
// CSRF token; the community staff account it creates is confined to its community; an
// account wider than its creator is refused; wrong passwords lock; a household's
// access code signs a resident in for that household only; sign-out ends the session.
func TestSignInAccountsAndAccessCodes(t *testing.T) {
	redisURL := testkit.RedisURL(t)
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: redisURL, DataDir: t.TempDir()})
	t.Cleanup(app.Close)
	c := newClient(t, app) // a district system's minted token sets up the regions and estates
	rt := c.createRegionTree()
	k1 := c.setupEstate(rt.community.ID, "光华小区", 1985, nil, 60, 70)
	k2 := c.setupEstate(rt.otherCommunity.ID, "新华院坝", 1990, nil, 55)

	// The first administrator, made at the machine as `tongdu user add` makes it (the
	// same function, on the running Tongdu's Redis), with no token at all.
	const adminPassword = "长安街-十二个字-还不止呢"
	addAtTheMachine(t, redisURL, governance.NewAccount{Login: "chen.admin", DisplayName: "陈主任", Role: auth.DistrictAdmin, Password: adminPassword, CreatedBy: "cli:operator"})

	b := c.browser()
	r, s := b.signIn(map[string]any{"login": "Chen.Admin", "password": adminPassword})
	if r.status != http.StatusOK || s.Token == "" || s.CSRFToken == "" || s.Account.Role != "DISTRICT_ADMIN" {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	// The trail says the operator at the machine made the account.
	var trail struct {
		Entries []struct{ Actor, Method, Resource, Outcome string } `json:"entries"`
	}
	c.call("GET", "/v1/audit?actor=cli:operator", nil, &trail)
	if len(trail.Entries) != 1 || trail.Entries[0].Resource != "accounts/"+s.Account.ID || trail.Entries[0].Outcome != "OK" ||
		!strings.HasSuffix(trail.Entries[0].Method, "/CreateAccount") {
		t.Fatalf("audit of the account made at the machine: %+v", trail.Entries)
	}
	cookie := r.header.Get("Set-Cookie")
	if !strings.Contains(cookie, "tongdu_session=") || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") {
		t.Fatalf("session cookie %q: want tongdu_session, HttpOnly, SameSite=Lax", cookie)
	}
	id := strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], "tongdu_session=")
	if strings.Contains(string(r.body), id) {
		t.Fatal("the session id is in the body")
	}
	for k := range r.header {
		if strings.Contains(strings.ToLower(k), "tongdu-session") {
			t.Fatalf("the session id leaks in header %s", k)
		}
	}

	// Signing in again from a browser that holds a session needs no CSRF token.
	if r, again := b.signIn(map[string]any{"login": "chen.admin", "password": adminPassword}); r.status != http.StatusOK {
		t.Fatalf("second sign-in from the same browser: %d %s", r.status, r.body)
	} else {
		s = again
		cookie = r.header.Get("Set-Cookie")
		id = strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], "tongdu_session=")
	}

	// The cookie reads; a write with it needs the CSRF token.
	if r := b.do("GET", "/v1/accounts", nil); r.status != http.StatusOK {
		t.Fatalf("accounts with the cookie: %d %s", r.status, r.body)
	}
	staff := map[string]any{"login": "wang.c1", "displayName": "王社区", "role": "COMMUNITY_STAFF", "scope": "regions/" + rt.community.ID, "password": "和平社区的一个很长的口令"}
	b.failure(b.do("POST", "/v1/accounts", staff), http.StatusForbidden, "a cookie write without the CSRF token")
	if r := b.withCSRF("POST", "/v1/accounts", s.CSRFToken, staff); r.status != http.StatusOK {
		t.Fatalf("create community staff: %d %s", r.status, r.body)
	}

	// The community staff signs in (as an API client: the token of the answer) and is
	// confined to its community.
	r, ws := c.browser().signIn(map[string]any{"login": "wang.c1", "password": "和平社区的一个很长的口令"})
	if r.status != http.StatusOK || ws.Account.Scope != "regions/"+rt.community.ID {
		t.Fatalf("staff sign-in: %d %s", r.status, r.body)
	}
	w := c.as(ws.Token)
	w.call("GET", path("/v1/compounds/%s/households", k1.ID), nil, nil)
	w.failure(w.do("GET", path("/v1/compounds/%s/households", k2.ID), nil), http.StatusForbidden, "another community's households")
	st := w.failure(w.do("POST", "/v1/accounts", map[string]any{"login": "too.wide", "displayName": "越权", "role": "DISTRICT_ADMIN", "password": "一个足够长的口令而已吧吧"}), http.StatusForbidden, "an account wider than its creator")
	if st.reason() != "ACCOUNT_TOO_WIDE" {
		t.Fatalf("reason %q, want ACCOUNT_TOO_WIDE", st.reason())
	}

	// Wrong passwords lock the login, even for the right password afterwards.
	var last response
	for i := 0; i < 6; i++ {
		last, _ = c.browser().signIn(map[string]any{"login": "wang.c1", "password": "不对的口令不对的口令"})
	}
	if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
		t.Fatalf("after 6 wrong passwords: %d (Retry-After %q), want 429 with Retry-After", last.status, last.header.Get("Retry-After"))
	}
	if r, _ := c.browser().signIn(map[string]any{"login": "wang.c1", "password": "和平社区的一个很长的口令"}); r.status != http.StatusTooManyRequests {
		t.Fatalf("locked login with the right password: %d, want 429", r.status)
	}

	// A household's access code: the resident acts for that household only.
	var code struct {
		Code string `json:"code"`
	}
	c.call("POST", path("/v1/households/%s:issueAccessCode", k1.hid(0)), map[string]any{}, &code)
	r, rs := c.browser().signIn(map[string]any{"accessCode": strings.ToLower(code.Code)})
	if r.status != http.StatusOK || rs.Account.Role != "RESIDENT" || rs.Account.Scope != "households/"+k1.hid(0) {
		t.Fatalf("resident sign-in: %d %s", r.status, r.body)
	}
	res := c.as(rs.Token)
	res.call("GET", path("/v1/households/%s", k1.hid(0)), nil, nil)
	res.failure(res.do("GET", path("/v1/households/%s", k1.hid(1)), nil), http.StatusForbidden, "a neighbour's household")
	c.call("POST", path("/v1/households/%s:issueAccessCode", k1.hid(0)), map[string]any{}, nil) // revokes the first
	if r, _ := c.browser().signIn(map[string]any{"accessCode": code.Code}); r.status != http.StatusUnauthorized {
		t.Fatalf("a revoked code: %d, want 401", r.status)
	}

	// Sign-out ends the session: the cookie no longer reads.
	if r := b.withCSRF("DELETE", "/v1/sessions/current", s.CSRFToken, nil); r.status != http.StatusOK {
		t.Fatalf("sign-out: %d %s", r.status, r.body)
	}
	stale := c.browser()
	req, _ := http.NewRequest("GET", c.base+"/v1/accounts", nil)
	req.AddCookie(&http.Cookie{Name: "tongdu_session", Value: id})
	stale.failure(stale.send(req), http.StatusUnauthorized, "a signed-out session")
}
