package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"tongdu/platform/auth"
	"tongdu/platform/grpcserver"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance"
)

// provUser is a person at the identity provider, with the claims Tongdu reads.
type provUser struct {
	sub, username, name string
	role                any // string or []string: the tongdu_role claim
	scope               string
}

func (u provUser) ID() string { return u.sub }

func (u provUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.sub, "preferred_username": u.username})
}

type provClaims struct {
	*mockoidc.IDTokenClaims
	PreferredUsername string `json:"preferred_username,omitempty"`
	Name              string `json:"name,omitempty"`
	Role              any    `json:"tongdu_role,omitempty"`
	Scope             string `json:"tongdu_scope,omitempty"`
}

func (u provUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &provClaims{IDTokenClaims: base, PreferredUsername: u.username, Name: u.name, Role: u.role, Scope: u.scope}, nil
}

const callback = "http://gateway.test/v1/sessions/oidc/callback"

// startSignOn is startSignIn with single sign-on configured against issuer.
func startSignOn(t *testing.T, cfg governance.Config) *signIn {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rdb := testkit.Redis(t)
	signer, keys, err := auth.LocalKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v := auth.NewVerifier(keys, "")
	srv, err := grpcserver.New(log, grpcserver.WithAuth(auth.NewAuthorizer(v, auth.NewResolver(), auth.Merge(governance.Policy))), grpcserver.WithAudit(rdb))
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Signer = signer
	testkit.Mount(t, ctx, srv)(governance.New(rdb, governance.Peers{}, log, cfg))
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis, time.Second); close(done) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); cancel(); <-done })
	return &signIn{acc: pb.NewAccountServiceClient(conn), gov: pb.NewGovernanceServiceClient(conn), rdb: rdb, signer: signer, verifier: v}
}

// signOnAs starts a sign-on, lets the provider sign u in, and answers the code and state
// the provider sends the browser back to the gateway with.
func signOnAs(t *testing.T, s *signIn, m *mockoidc.MockOIDC, u provUser) (code, state string) {
	t.Helper()
	start := testkit.Must[*pb.SignOnStart](t)(s.acc.StartSignOn(bg, &pb.StartSignOnRequest{}))
	au, err := url.Parse(start.AuthorizeUrl)
	if err != nil {
		t.Fatal(err)
	}
	q := au.Query()
	if !strings.HasPrefix(start.AuthorizeUrl, m.AuthorizationEndpoint()) || q.Get("state") != start.State ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("redirect_uri") != callback {
		t.Fatalf("authorize URL %s", start.AuthorizeUrl)
	}
	m.QueueUser(u)
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(start.AuthorizeUrl)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(back.String(), callback) {
		t.Fatalf("provider answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if back.Query().Get("state") != start.State {
		t.Fatalf("state %q came back as %q", start.State, back.Query().Get("state"))
	}
	return back.Query().Get("code"), back.Query().Get("state")
}

func TestSingleSignOn(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	cfg := m.Config()
	s := startSignOn(t, governance.Config{
		OIDCIssuer: cfg.Issuer, OIDCClientID: cfg.ClientID, OIDCClientSecret: cfg.ClientSecret, OIDCRedirectURL: callback,
		OIDCRoleMap: "tongdu-officers=SUBDISTRICT_STAFF, tongdu-auditors=AUDITOR",
	})
	adminP := auth.Principal{Subject: "accounts/root", Role: auth.DistrictAdmin}
	admin := s.as(t, adminP)
	region := func(name string, level pb.Region_Level, parent string) string {
		return testkit.Must[*pb.Region](t)(s.gov.CreateRegion(admin, &pb.CreateRegionRequest{Region: &pb.Region{Name: name, Level: level, Parent: parent}})).Id
	}
	d := region("东川区", pb.Region_DISTRICT, "")
	s1 := region("铜都街道", pb.Region_SUBDISTRICT, d)
	s2 := region("碧谷街道", pb.Region_SUBDISTRICT, d)

	wang := provUser{sub: "u-1001", username: "Wang.Fang", name: "王芳", role: []string{"engineering", "tongdu-officers"}, scope: "regions/" + s1}

	var accountID string
	t.Run("a mapped user signs in and gets an account", func(t *testing.T) {
		code, state := signOnAs(t, s, m, wang)
		out, sid := s.session(t, from("10.0.0.1"), &pb.CreateSessionRequest{OidcCode: code, OidcState: state})
		p, err := s.verifier.Verify(out.Token)
		if err != nil {
			t.Fatal(err)
		}
		if p.Role != auth.SubdistrictStaff || p.Scope != "regions/"+s1 || p.Subject != "accounts/"+out.Account.Id {
			t.Fatalf("principal %+v", p)
		}
		if a := out.Account; a.Login != "wang.fang" || a.DisplayName != "王芳" || !a.SingleSignOn || !a.Enabled || a.Role != "SUBDISTRICT_STAFF" {
			t.Fatalf("account %v", a)
		}
		accountID = out.Account.Id
		r := testkit.Must[*pb.ResolvedSession](t)(s.acc.ResolveSession(bg, &pb.ResolveSessionRequest{SessionId: sid}))
		if r.Account.GetId() != accountID {
			t.Fatalf("resolved %v", r.Account)
		}

		// The state is used once: the same answer again is refused, as is an unknown state.
		_, err = s.acc.CreateSession(bg, &pb.CreateSessionRequest{OidcCode: code, OidcState: state})
		wantInvalidCredentials(t, err)
		_, err = s.acc.CreateSession(bg, &pb.CreateSessionRequest{OidcCode: code, OidcState: "made-up"})
		wantInvalidCredentials(t, err)
	})

	t.Run("the account is listed and signing in again refreshes role and scope", func(t *testing.T) {
		list := testkit.Must[*pb.ListAccountsResponse](t)(s.acc.ListAccounts(admin, &pb.ListAccountsRequest{}))
		var found *pb.Account
		for _, a := range list.Accounts {
			if a.Id == accountID {
				found = a
			}
		}
		if found == nil || !found.SingleSignOn || found.Login != "wang.fang" || found.Scope != "regions/"+s1 {
			t.Fatalf("accounts %v", list.Accounts)
		}
		moved := wang
		moved.scope = "regions/" + s2
		code, state := signOnAs(t, s, m, moved)
		out, _ := s.session(t, bg, &pb.CreateSessionRequest{OidcCode: code, OidcState: state})
		if out.Account.Id != accountID || out.Account.Scope != "regions/"+s2 {
			t.Fatalf("account %v, want %s in regions/%s", out.Account, accountID, s2)
		}
	})

	t.Run("claims that map to no staff role and scope are refused", func(t *testing.T) {
		for _, u := range []provUser{
			{sub: "u-2", username: "zhao", role: "engineering", scope: "regions/" + s1},                                  // no mapped role
			{sub: "u-3", username: "qian", role: "SUBDISTRICT_STAFF", scope: "regions/" + s1},                            // a role named directly, but a map is set
			{sub: "u-4", username: "sun", role: "tongdu-officers"},                                                       // a scoped role without scope
			{sub: "u-5", username: "li", role: "tongdu-officers", scope: "regions/nowhere"},                              // a scope that does not exist
			{sub: "u-6", username: "zhou", role: []string{"tongdu-officers", "tongdu-auditors"}, scope: "regions/" + s1}, // two roles
		} {
			code, state := signOnAs(t, s, m, u)
			_, err := s.acc.CreateSession(bg, &pb.CreateSessionRequest{OidcCode: code, OidcState: state})
			testkit.WantReason(t, err, codes.PermissionDenied, "SIGN_ON_NOT_MAPPED")
		}
		list := testkit.Must[*pb.ListAccountsResponse](t)(s.acc.ListAccounts(admin, &pb.ListAccountsRequest{}))
		if len(list.Accounts) != 1 {
			t.Fatalf("refused sign-ons made accounts: %v", list.Accounts)
		}
	})

	t.Run("a district-wide role needs no scope", func(t *testing.T) {
		code, state := signOnAs(t, s, m, provUser{sub: "u-7", username: "wu", role: "tongdu-auditors"})
		out, _ := s.session(t, bg, &pb.CreateSessionRequest{OidcCode: code, OidcState: state})
		if out.Account.Role != "AUDITOR" || out.Account.Scope != "" {
			t.Fatalf("account %v", out.Account)
		}
	})

	t.Run("a subject whose names are taken or unusable still gets a valid login", func(t *testing.T) {
		// The preferred username is Wang's login already, and the subject is a URL (a
		// provider may use any string): the login made is "sso-" and a digest.
		code, state := signOnAs(t, s, m, provUser{sub: "https://idp.example/users/王 8", username: "wang.fang", role: "tongdu-auditors"})
		out, _ := s.session(t, bg, &pb.CreateSessionRequest{OidcCode: code, OidcState: state})
		if l := out.Account.Login; !strings.HasPrefix(l, "sso-") || len(l) > 64 || strings.ContainsAny(l, ":/ 王") {
			t.Fatalf("login %q: want sso- and a digest", l)
		}
		code, state = signOnAs(t, s, m, provUser{sub: "u-8", username: "wang.fang", role: "tongdu-auditors"})
		out, _ = s.session(t, bg, &pb.CreateSessionRequest{OidcCode: code, OidcState: state})
		if out.Account.Login != "sso-u-8" {
			t.Fatalf("login %q, want sso-u-8", out.Account.Login)
		}
	})

	t.Run("an account of the identity provider gets no password", func(t *testing.T) {
		_, err := s.acc.ResetAccountPassword(admin, &pb.ResetAccountPasswordRequest{Id: accountID, Password: "a long enough passphrase"})
		testkit.WantReason(t, err, codes.FailedPrecondition, "ACCOUNT_SIGNS_ON")
		_, err = s.acc.CreateSession(bg, &pb.CreateSessionRequest{Login: "wang.fang", Password: "a long enough passphrase"})
		wantInvalidCredentials(t, err)
	})

	t.Run("a disabled account stays refused", func(t *testing.T) {
		// A person the provider vouched for is told why (403 ACCOUNT_DISABLED); a password
		// sign-in is not (401), since a wrong guesser must learn nothing of the account.
		testkit.Must[*pb.Account](t)(s.acc.DisableAccount(admin, &pb.DisableAccountRequest{Id: accountID}))
		code, state := signOnAs(t, s, m, wang)
		_, err := s.acc.CreateSession(bg, &pb.CreateSessionRequest{OidcCode: code, OidcState: state})
		testkit.WantReason(t, err, codes.PermissionDenied, "ACCOUNT_DISABLED")
	})
}

func TestSingleSignOnRolesByName(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	cfg := m.Config()
	s := startSignOn(t, governance.Config{OIDCIssuer: cfg.Issuer, OIDCClientID: cfg.ClientID, OIDCClientSecret: cfg.ClientSecret, OIDCRedirectURL: callback})
	code, state := signOnAs(t, s, m, provUser{sub: "u-1", username: "root", role: "DISTRICT_ADMIN"})
	out, _ := s.session(t, bg, &pb.CreateSessionRequest{OidcCode: code, OidcState: state})
	if out.Account.Role != "DISTRICT_ADMIN" || !out.Account.SingleSignOn {
		t.Fatalf("account %v", out.Account)
	}
	code, state = signOnAs(t, s, m, provUser{sub: "u-2", username: "resident", role: "RESIDENT", scope: "households/h1"})
	_, err = s.acc.CreateSession(bg, &pb.CreateSessionRequest{OidcCode: code, OidcState: state})
	testkit.WantReason(t, err, codes.PermissionDenied, "SIGN_ON_NOT_MAPPED")
}

func TestSingleSignOnOffAndProviderDown(t *testing.T) {
	off := startSignOn(t, governance.Config{})
	_, err := off.acc.StartSignOn(bg, &pb.StartSignOnRequest{})
	testkit.WantReason(t, err, codes.FailedPrecondition, "SIGN_ON_NOT_CONFIGURED")

	// The provider is down when governance starts: it starts all the same, and sign-on
	// answers UNAVAILABLE until the provider is there.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	down := startSignOn(t, governance.Config{OIDCIssuer: "http://" + addr + "/oidc", OIDCClientID: "tongdu", OIDCRedirectURL: callback})
	_, err = down.acc.StartSignOn(bg, &pb.StartSignOnRequest{})
	testkit.WantStatus(t, err, codes.Unavailable)
}
