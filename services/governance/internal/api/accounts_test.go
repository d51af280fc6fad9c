package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"tongdu/platform/audit"
	"tongdu/platform/auth"
	"tongdu/platform/grpcserver"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance"
	"tongdu/services/governance/internal/api"
)

// signIn is the governance service as a process runs it: tokens checked by the
// authorizer with the service's policy, the audit trail written, and sign-in signing
// with the process's key.
type signIn struct {
	acc      pb.AccountServiceClient
	gov      pb.GovernanceServiceClient
	rdb      redis.UniversalClient
	signer   *auth.Signer
	verifier *auth.Verifier
}

func startSignIn(t *testing.T) *signIn {
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
	testkit.Mount(t, ctx, srv)(governance.New(rdb, governance.Peers{}, log, governance.Config{Signer: signer}))
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis, time.Second); close(done) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); cancel(); <-done })
	return &signIn{acc: pb.NewAccountServiceClient(conn), gov: pb.NewGovernanceServiceClient(conn), rdb: rdb, signer: signer, verifier: v}
}

// as is a context carrying a token for p.
func (s *signIn) as(t *testing.T, p auth.Principal) context.Context {
	t.Helper()
	tok, err := s.signer.Sign(p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(bg, "authorization", "Bearer "+tok)
}

// from is a context whose sign-ins count against addr (as the gateway forwards it).
func from(addr string) context.Context {
	return metadata.AppendToOutgoingContext(bg, "x-forwarded-for", addr)
}

// session signs in and returns the answer and the session id of the response header.
func (s *signIn) session(t *testing.T, ctx context.Context, req *pb.CreateSessionRequest) (*pb.Session, string) {
	t.Helper()
	var md metadata.MD
	out, err := s.acc.CreateSession(ctx, req, grpc.Header(&md))
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	ids := md.Get(api.SessionHeader)
	if len(ids) != 1 || ids[0] == "" {
		t.Fatalf("no %s header: %v", api.SessionHeader, md)
	}
	return out, ids[0]
}

func wantInvalidCredentials(t *testing.T, err error) {
	t.Helper()
	st := testkit.WantStatus(t, err, codes.Unauthenticated)
	if st.Message() != "invalid credentials" {
		t.Errorf("message %q, want \"invalid credentials\"", st.Message())
	}
}

const goodPassword = "tongdu renovation 2026"

func TestAccountsAndSignIn(t *testing.T) {
	s := startSignIn(t)
	adminP := auth.Principal{Subject: "accounts/root", Role: auth.DistrictAdmin}
	admin := s.as(t, adminP)
	region := func(name string, level pb.Region_Level, parent string) string {
		return testkit.Must[*pb.Region](t)(s.gov.CreateRegion(admin, &pb.CreateRegionRequest{Region: &pb.Region{Name: name, Level: level, Parent: parent}})).Id
	}
	d := region("东川区", pb.Region_DISTRICT, "")
	s1 := region("铜都街道", pb.Region_SUBDISTRICT, d)
	c1 := region("石羊社区", pb.Region_COMMUNITY, s1)
	s2 := region("碧谷街道", pb.Region_SUBDISTRICT, d)
	c3 := region("碧谷社区", pb.Region_COMMUNITY, s2)
	k := testkit.Must[*pb.Compound](t)(s.gov.CreateCompound(admin, &pb.CreateCompoundRequest{Compound: &pb.Compound{Name: "矿工新村", CommunityId: c1, BuildYear: 1988}}))
	var households []*pb.Household
	for _, b := range []string{"10栋", "2栋"} {
		bld := testkit.Must[*pb.Building](t)(s.gov.CreateBuilding(admin, &pb.CreateBuildingRequest{CompoundId: k.Id, Building: &pb.Building{Name: b, UnitCount: 1}}))
		for _, room := range []string{"201", "101"} {
			households = append(households, testkit.Must[*pb.Household](t)(s.gov.CreateHousehold(admin, &pb.CreateHouseholdRequest{CompoundId: k.Id,
				Household: &pb.Household{BuildingId: bld.Id, Unit: "1", Room: room, ExclusiveAreaM2: 60}})))
		}
	}

	// A sub-district officer, made by the district's administrator.
	officer := testkit.Must[*pb.Account](t)(s.acc.CreateAccount(admin, &pb.CreateAccountRequest{
		Login: "Li.Wei", DisplayName: "李伟", Role: "SUBDISTRICT_STAFF", Scope: "regions/" + s1, Password: goodPassword, RequestId: "officer-1"}))
	if officer.Login != "li.wei" || !officer.Enabled || officer.CreatedBy != adminP.Subject {
		t.Fatalf("account %v", officer)
	}

	var officerCtx context.Context
	t.Run("sign-in answers a token for the account and the session id in a header", func(t *testing.T) {
		out, id := s.session(t, from("10.0.0.1"), &pb.CreateSessionRequest{Login: "LI.WEI", Password: goodPassword})
		p, err := s.verifier.Verify(out.Token)
		if err != nil {
			t.Fatal(err)
		}
		if want := (auth.Principal{Subject: "accounts/" + officer.Id, Role: auth.SubdistrictStaff, Scope: "regions/" + s1}); p != want {
			t.Errorf("token acts for %+v, want %+v", p, want)
		}
		if out.CsrfToken == "" || out.Account.GetId() != officer.Id || out.ExpireTime.AsTime().Sub(time.Now()) > 5*time.Minute+time.Second {
			t.Errorf("session %v", out)
		}
		if strings.Contains(fmt.Sprint(out), id) {
			t.Error("the session id is in the message")
		}
		// Only the id's hash is stored.
		sum := sha256.Sum256([]byte(id))
		if n, _ := s.rdb.Exists(bg, "gov:{s:"+hex.EncodeToString(sum[:])+"}:session").Result(); n != 1 {
			t.Error("no session stored under the id's hash")
		}
		officerCtx = metadata.AppendToOutgoingContext(bg, "authorization", "Bearer "+out.Token)
	})

	t.Run("an account within the caller's scope, and none wider", func(t *testing.T) {
		worker := testkit.Must[*pb.Account](t)(s.acc.CreateAccount(officerCtx, &pb.CreateAccountRequest{
			Login: "zhang.min", DisplayName: "张敏", Role: "COMMUNITY_STAFF", Scope: "regions/" + c1, Password: goodPassword}))
		if worker.Scope != "regions/"+c1 {
			t.Fatalf("account %v", worker)
		}
		_, err := s.acc.CreateAccount(officerCtx, &pb.CreateAccountRequest{Login: "far.away", DisplayName: "王五", Role: "COMMUNITY_STAFF", Scope: "regions/" + c3, Password: goodPassword})
		testkit.WantReason(t, err, codes.PermissionDenied, "ACCOUNT_TOO_WIDE")
		_, err = s.acc.CreateAccount(officerCtx, &pb.CreateAccountRequest{Login: "boss", DisplayName: "王五", Role: "DISTRICT_ADMIN", Scope: "regions/" + s1, Password: goodPassword})
		testkit.WantReason(t, err, codes.PermissionDenied, "ACCOUNT_TOO_WIDE")
		_, err = s.acc.CreateAccount(officerCtx, &pb.CreateAccountRequest{Login: "whole", DisplayName: "王五", Role: "COMMUNITY_STAFF", Password: goodPassword})
		testkit.WantViolation(t, err, "scope")
		// The administrator's account there is outside the officer's list.
		testkit.Must[*pb.Account](t)(s.acc.CreateAccount(admin, &pb.CreateAccountRequest{Login: "far.away", DisplayName: "王五", Role: "COMMUNITY_STAFF", Scope: "regions/" + c3, Password: goodPassword}))
		list := testkit.Must[*pb.ListAccountsResponse](t)(s.acc.ListAccounts(officerCtx, &pb.ListAccountsRequest{}))
		var logins []string
		for _, a := range list.Accounts {
			logins = append(logins, a.Login)
		}
		if strings.Join(logins, ",") != "li.wei,zhang.min" {
			t.Errorf("the officer lists %v, want li.wei,zhang.min", logins)
		}
	})

	t.Run("a login is taken whatever its case; a retry answers the first account", func(t *testing.T) {
		_, err := s.acc.CreateAccount(admin, &pb.CreateAccountRequest{Login: "LI.wei", DisplayName: "李伟二", Role: "COMMUNITY_STAFF", Scope: "regions/" + c1, Password: goodPassword})
		testkit.WantReason(t, err, codes.AlreadyExists, "ACCOUNT_EXISTS")
		again := testkit.Must[*pb.Account](t)(s.acc.CreateAccount(admin, &pb.CreateAccountRequest{
			Login: "Li.Wei", DisplayName: "李伟", Role: "SUBDISTRICT_STAFF", Scope: "regions/" + s1, Password: goodPassword, RequestId: "officer-1"}))
		if again.Id != officer.Id {
			t.Errorf("the retry made %s, the first %s", again.Id, officer.Id)
		}
	})

	t.Run("a weak password is refused on password", func(t *testing.T) {
		for _, pw := range []string{"short", "my li.wei.2 password", "李伟李伟的长长长长长长密码"} {
			_, err := s.acc.CreateAccount(admin, &pb.CreateAccountRequest{Login: "li.wei.2", DisplayName: "李伟", Role: "COMMUNITY_STAFF", Scope: "regions/" + c1, Password: pw})
			testkit.WantViolation(t, err, "password")
		}
	})

	t.Run("five wrong passwords lock the login, with a retry delay", func(t *testing.T) {
		testkit.Must[*pb.Account](t)(s.acc.CreateAccount(admin, &pb.CreateAccountRequest{Login: "chen", DisplayName: "陈", Role: "COMMUNITY_STAFF", Scope: "regions/" + c1, Password: goodPassword}))
		ctx := from("10.0.0.2")
		_, unknown := s.acc.CreateSession(ctx, &pb.CreateSessionRequest{Login: "nobody", Password: goodPassword})
		wantInvalidCredentials(t, unknown)
		for i := 1; i <= 4; i++ {
			_, err := s.acc.CreateSession(ctx, &pb.CreateSessionRequest{Login: "chen", Password: "wrong password " + fmt.Sprint(i)})
			wantInvalidCredentials(t, err)
			if status.Convert(err).Message() != status.Convert(unknown).Message() || len(status.Convert(err).Details()) != len(status.Convert(unknown).Details()) {
				t.Fatal("a wrong password is answered unlike an unknown login")
			}
		}
		_, err := s.acc.CreateSession(ctx, &pb.CreateSessionRequest{Login: "chen", Password: "wrong password 5"})
		testkit.WantReason(t, err, codes.ResourceExhausted, "SIGN_IN_LOCKED")
		var delay time.Duration
		for _, d := range status.Convert(err).Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok {
				delay = ri.GetRetryDelay().AsDuration()
			}
		}
		if delay < 14*time.Minute || delay > 15*time.Minute {
			t.Errorf("retry delay %v, want about 15 minutes", delay)
		}
		// Locked even with the right password, from another address.
		_, err = s.acc.CreateSession(from("10.0.0.3"), &pb.CreateSessionRequest{Login: "chen", Password: goodPassword})
		testkit.WantReason(t, err, codes.ResourceExhausted, "SIGN_IN_LOCKED")
	})

	t.Run("a disabled account cannot sign in and its sessions end", func(t *testing.T) {
		acct := testkit.Must[*pb.Account](t)(s.acc.CreateAccount(admin, &pb.CreateAccountRequest{Login: "zhao", DisplayName: "赵", Role: "COMMUNITY_STAFF", Scope: "regions/" + c1, Password: goodPassword}))
		_, id := s.session(t, from("10.0.0.4"), &pb.CreateSessionRequest{Login: "zhao", Password: goodPassword})
		testkit.Must[*pb.ResolvedSession](t)(s.acc.ResolveSession(bg, &pb.ResolveSessionRequest{SessionId: id}))
		testkit.Must[*pb.Account](t)(s.acc.DisableAccount(admin, &pb.DisableAccountRequest{Id: acct.Id}))
		_, err := s.acc.ResolveSession(bg, &pb.ResolveSessionRequest{SessionId: id})
		testkit.WantStatus(t, err, codes.Unauthenticated)
		_, err = s.acc.CreateSession(from("10.0.0.4"), &pb.CreateSessionRequest{Login: "zhao", Password: goodPassword})
		wantInvalidCredentials(t, err)
		// The officer may not disable an account outside their sub-district, nor themselves.
		far := testkit.Must[*pb.ListAccountsResponse](t)(s.acc.ListAccounts(admin, &pb.ListAccountsRequest{}))
		for _, a := range far.Accounts {
			if a.Login == "far.away" {
				_, err = s.acc.DisableAccount(officerCtx, &pb.DisableAccountRequest{Id: a.Id})
				testkit.WantStatus(t, err, codes.PermissionDenied)
			}
		}
		_, err = s.acc.DisableAccount(officerCtx, &pb.DisableAccountRequest{Id: officer.Id})
		testkit.WantReason(t, err, codes.FailedPrecondition, "OWN_ACCOUNT")
	})

	t.Run("resolving keeps a session alive; signing out ends it", func(t *testing.T) {
		_, id := s.session(t, from("10.0.0.5"), &pb.CreateSessionRequest{Login: "li.wei", Password: goodPassword})
		sum := sha256.Sum256([]byte(id))
		key := "gov:{s:" + hex.EncodeToString(sum[:]) + "}:session"
		s.rdb.PExpire(bg, key, 2*time.Second)
		r := testkit.Must[*pb.ResolvedSession](t)(s.acc.ResolveSession(bg, &pb.ResolveSessionRequest{SessionId: id}))
		if ttl := s.rdb.PTTL(bg, key).Val(); ttl < 29*time.Minute {
			t.Errorf("idle expiry after use %v, want 30 minutes", ttl)
		}
		if p, err := s.verifier.Verify(r.Token); err != nil || p.Subject != "accounts/"+officer.Id {
			t.Errorf("resolved token: %+v, %v", p, err)
		}
		// Signing out by the session header, as the gateway forwards the cookie.
		testkit.Must[any](t)(func() (any, error) {
			return s.acc.DeleteSession(metadata.AppendToOutgoingContext(bg, api.SessionHeader, id), &pb.DeleteSessionRequest{})
		}())
		_, err := s.acc.ResolveSession(bg, &pb.ResolveSessionRequest{SessionId: id})
		testkit.WantStatus(t, err, codes.Unauthenticated)
	})

	t.Run("an access code signs a resident in for the household; reissuing revokes it", func(t *testing.T) {
		h := households[0]
		code := testkit.Must[*pb.AccessCode](t)(s.acc.IssueAccessCode(officerCtx, &pb.IssueAccessCodeRequest{HouseholdId: h.Id}))
		if len(code.Code) != 14 {
			t.Fatalf("code %q", code.Code)
		}
		typed := strings.ToLower(strings.ReplaceAll(code.Code, "-", ""))
		out, id := s.session(t, from("10.0.0.6"), &pb.CreateSessionRequest{AccessCode: typed})
		p, err := s.verifier.Verify(out.Token)
		if want := (auth.Principal{Subject: "households/" + h.Id, Role: auth.Resident, Scope: "households/" + h.Id}); err != nil || p != want {
			t.Fatalf("token acts for %+v (%v), want %+v", p, err, want)
		}
		if out.Account.GetLogin() != "" || out.Account.GetRole() != "RESIDENT" {
			t.Errorf("resident's account %v", out.Account)
		}
		again := testkit.Must[*pb.AccessCode](t)(s.acc.IssueAccessCode(officerCtx, &pb.IssueAccessCodeRequest{HouseholdId: h.Id}))
		_, err = s.acc.CreateSession(from("10.0.0.6"), &pb.CreateSessionRequest{AccessCode: code.Code})
		wantInvalidCredentials(t, err)
		_, err = s.acc.ResolveSession(bg, &pb.ResolveSessionRequest{SessionId: id})
		testkit.WantStatus(t, err, codes.Unauthenticated)
		s.session(t, from("10.0.0.6"), &pb.CreateSessionRequest{AccessCode: again.Code})
		// A community worker of another community may issue none here.
		far := s.as(t, auth.Principal{Subject: "accounts/x", Role: auth.CommunityStaff, Scope: "regions/" + c3})
		_, err = s.acc.IssueAccessCode(far, &pb.IssueAccessCodeRequest{HouseholdId: h.Id})
		testkit.WantStatus(t, err, codes.PermissionDenied)
	})

	t.Run("a compound's sheet has one code per household, in building, unit and room order", func(t *testing.T) {
		sheet := testkit.Must[*pb.AccessCodeSheet](t)(s.acc.IssueCompoundAccessCodes(officerCtx, &pb.IssueCompoundAccessCodesRequest{CompoundId: k.Id}))
		var order []string
		seen := map[string]bool{}
		for _, d := range sheet.Doors {
			order = append(order, d.Building+"-"+d.Room)
			seen[d.HouseholdId] = true
		}
		if strings.Join(order, ",") != "2栋-101,2栋-201,10栋-101,10栋-201" || len(seen) != len(households) || sheet.CompoundName != "矿工新村" {
			t.Fatalf("sheet %v", sheet)
		}
		s.session(t, from("10.0.0.7"), &pb.CreateSessionRequest{AccessCode: sheet.Doors[3].Code})
	})

	t.Run("single sign-on is not configured", func(t *testing.T) {
		_, err := s.acc.StartSignOn(bg, &pb.StartSignOnRequest{})
		testkit.WantStatus(t, err, codes.FailedPrecondition)
		_, err = s.acc.CreateSession(bg, &pb.CreateSessionRequest{OidcCode: "x", OidcState: "y"})
		testkit.WantStatus(t, err, codes.FailedPrecondition)
	})

	t.Run("the trail records sign-ins and failures, never the secrets", func(t *testing.T) {
		msgs := s.rdb.XRange(bg, audit.StreamKey("governance"), "-", "+").Val()
		var ok, failed, locked bool
		for _, m := range msgs {
			if m.Values["method"] != "/tongdu.governance.v1.AccountService/CreateSession" {
				continue
			}
			text := fmt.Sprint(m.Values)
			if strings.Contains(text, goodPassword) || strings.Contains(text, "wrong password") {
				t.Fatalf("the trail holds a password: %v", m.Values)
			}
			switch {
			case m.Values["actor"] == "accounts/"+officer.Id && m.Values["outcome"] == "OK":
				ok = true
			case m.Values["actor"] == "login:chen" && m.Values["outcome"] == "UNAUTHENTICATED":
				failed = true
			case m.Values["actor"] == "login:chen" && m.Values["outcome"] == "RESOURCE_EXHAUSTED":
				locked = true
			}
		}
		if !ok || !failed || !locked {
			t.Errorf("trail: sign-in %v, failure %v, lock %v", ok, failed, locked)
		}
		for _, m := range msgs {
			if m.Values["method"] == "/tongdu.governance.v1.AccountService/ResolveSession" {
				t.Fatalf("a session looked up is in the trail: %v", m.Values)
			}
		}
	})
}
