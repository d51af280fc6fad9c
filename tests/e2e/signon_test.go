package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/testkit"
	"tongdu/services/governance"
)

// staffAtProvider is a person at the district's identity provider.
type staffAtProvider struct{ sub, username, role, scope string }

func (u staffAtProvider) ID() string { return u.sub }

func (u staffAtProvider) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.sub, "preferred_username": u.username})
}

type staffClaims struct {
	*mockoidc.IDTokenClaims
	PreferredUsername string `json:"preferred_username,omitempty"`
	Role              string `json:"tongdu_role,omitempty"`
	Scope             string `json:"tongdu_scope,omitempty"`
}

func (u staffAtProvider) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &staffClaims{IDTokenClaims: base, PreferredUsername: u.username, Role: u.role, Scope: u.scope}, nil
}

// Single sign-on through the gateway, as a browser does it: /v1/sessions/oidc sends it
// to a real OpenID Connect provider (started here), whose answer comes back to the
// callback, which sets the session cookie; the cookie then acts with the role and scope
// the provider's claims give. An answer brought to another browser is refused.
func TestSingleSignOnThroughTheGateway(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := l.Addr().String()
	l.Close()
	cfg := m.Config()
	gov := governance.ModuleWith(governance.Config{OIDCIssuer: cfg.Issuer, OIDCClientID: cfg.ClientID, OIDCClientSecret: cfg.ClientSecret,
		OIDCRedirectURL: "http://" + httpAddr + "/v1/sessions/oidc/callback", OIDCRoleClaim: "tongdu_role", OIDCScopeClaim: "tongdu_scope"})
	app := startAllInOne(t, allinone.Config{HTTPAddr: httpAddr, GRPCAddr: "127.0.0.1:0", RedisURL: testkit.RedisURL(t), DataDir: t.TempDir(), Modules: allinone.With(gov)})
	t.Cleanup(app.Close)
	c := newClient(t, app)
	rt := c.createRegionTree()
	k1 := c.setupEstate(rt.community.ID, "光华小区", 1985, nil, 60)
	k2 := c.setupEstate(rt.otherCommunity.ID, "新华院坝", 1990, nil, 55)

	m.QueueUser(staffAtProvider{sub: "p-1001", username: "zhao.c1", role: "COMMUNITY_STAFF", scope: "regions/" + rt.community.ID})
	b := c.browser()
	resp, err := b.http.Get(c.base + "/v1/sessions/oidc") // provider, callback, then the console
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/" {
		t.Fatalf("the round trip ended at %s (%d), want the console at /", resp.Request.URL, resp.StatusCode)
	}
	var accounts struct {
		Accounts []struct{ Login, Role, Scope string }
	}
	b.call("GET", "/v1/accounts", nil, &accounts)
	if len(accounts.Accounts) != 1 || accounts.Accounts[0].Login != "zhao.c1" || accounts.Accounts[0].Role != "COMMUNITY_STAFF" {
		t.Fatalf("accounts seen by the signed-on staff: %+v", accounts.Accounts)
	}
	b.call("GET", path("/v1/compounds/%s/households", k1.ID), nil, nil)
	b.failure(b.do("GET", path("/v1/compounds/%s/households", k2.ID), nil), http.StatusForbidden, "another community's households")

	// The provider's answer carried to a browser that did not start the sign-on.
	m.QueueUser(staffAtProvider{sub: "p-1001", username: "zhao.c1", role: "COMMUNITY_STAFF", scope: "regions/" + rt.community.ID})
	starter := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	first, err := starter.Get(c.base + "/v1/sessions/oidc")
	if err != nil {
		t.Fatal(err)
	}
	first.Body.Close()
	atProvider, err := starter.Get(first.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	atProvider.Body.Close()
	stranger := c.browser()
	req, _ := http.NewRequest("GET", atProvider.Header.Get("Location"), nil)
	stranger.failure(stranger.send(req), http.StatusBadRequest, "an answer brought to another browser")
}
