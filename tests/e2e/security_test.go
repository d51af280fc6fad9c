package e2e

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// TestRolesThroughTheGateway: the policy table, as a web client meets it. Each role,
// scoped as the people of that role are, calls representative methods on resources in
// and out of its scope, and gets exactly the allow or deny the design names: 403
// (PERMISSION_DENIED) for a role that may not, or a resource outside the scope; the
// method's own answer otherwise.
func TestRolesThroughTheGateway(t *testing.T) {
	t.Parallel()
	admin := startApp(t)
	d := admin.buildDistrict()
	c1, c2 := "regions/"+d.rt.community.ID, "regions/"+d.rt.otherCommunity.ID
	sub := "regions/" + d.rt.subdistrict.ID

	var (
		communityStaff = admin.asRole(auth.CommunityStaff, c1)
		otherStaff     = admin.as(admin.tokenFor(admin.app, auth.Principal{Subject: "staff-c2", Role: auth.CommunityStaff, Scope: c2}))
		subStaff       = admin.asRole(auth.SubdistrictStaff, sub)
		gridWorker     = admin.asRole(auth.GridWorker, c1)
		resident       = admin.asRole(auth.Resident, "households/"+d.h1.ID)
		secretary      = admin.asRole(auth.BranchSecretary, "compounds/"+d.k1.ID)
		contractor     = admin.asRole(auth.Contractor, "projects/"+d.p1.ID)
		supervisor     = admin.asRole(auth.Supervisor, "projects/"+d.p1.ID)
		water          = admin.asRole(auth.Department, "departments/water")
		auditor        = admin.asRole(auth.Auditor, "")
		public         = admin.noToken()
	)

	// Checks of what an allowed call answered.
	unmasked := func(t *testing.T, body []byte) {
		t.Helper()
		var h personal
		if err := json.Unmarshal(body, &h); err != nil {
			t.Fatalf("decode household: %v", err)
		}
		if h.ResidentName != h1Name || h.Phone != h1Phone || h.IDNumber != h1ID {
			t.Errorf("household H1 shows %q, %q, %q; want the full %q, %q, %q (rule 13: this role sees personal data)", h.ResidentName, h.Phone, h.IDNumber, h1Name, h1Phone, h1ID)
		}
	}
	masked := func(t *testing.T, h personal) {
		t.Helper()
		if h.ResidentName != "李**" || h.Phone != "138****2222" || h.IDNumber != "5"+strings.Repeat("*", 16)+"4" {
			t.Errorf("household H1 shows %q, %q, %q; want it masked: 李**, 138****2222, 5****************4 (rule 13)", h.ResidentName, h.Phone, h.IDNumber)
		}
	}
	maskedOne := func(t *testing.T, body []byte) {
		t.Helper()
		var h personal
		if err := json.Unmarshal(body, &h); err != nil {
			t.Fatalf("decode household: %v", err)
		}
		masked(t, h)
	}
	listed := func(want func(t *testing.T, h personal)) func(t *testing.T, body []byte) {
		return func(t *testing.T, body []byte) {
			t.Helper()
			var l struct {
				Households []personal `json:"households"`
			}
			if err := json.Unmarshal(body, &l); err != nil {
				t.Fatalf("decode households: %v", err)
			}
			for _, h := range l.Households {
				if h.ID == d.h1.ID {
					want(t, h)
					return
				}
			}
			t.Errorf("H1 is not listed: %s", body)
		}
	}
	listsUnmasked := listed(func(t *testing.T, h personal) {
		t.Helper()
		if h.ResidentName != h1Name || h.Phone != h1Phone || h.IDNumber != h1ID {
			t.Errorf("listed H1 shows %q, %q, %q; want the full data", h.ResidentName, h.Phone, h.IDNumber)
		}
	})
	compoundsAre := func(want ...string) func(t *testing.T, body []byte) {
		return func(t *testing.T, body []byte) {
			t.Helper()
			var l compoundList
			if err := json.Unmarshal(body, &l); err != nil {
				t.Fatalf("decode compounds: %v", err)
			}
			for _, w := range want {
				if !slices.Contains(compoundIDs(l.Compounds), w) {
					t.Errorf("compound %s is not listed: %s", w, body)
				}
			}
		}
	}

	newCompound := func(community string) map[string]any {
		return map[string]any{"name": "测试院落" + community[len(community)-4:], "communityId": community}
	}
	progress := map[string]any{"itemId": d.item, "progressPercent": 40, "remarks": "管沟开挖完成", "contractor": "蓉城建工"}
	signoff := func(role string) map[string]any {
		return map[string]any{"role": role, "verdict": "PASS", "signer": "签字人", "remarks": "符合设计"}
	}
	receipt := map[string]any{"party": "GOVERNMENT", "funder": "区财政", "amountFen": "1000", "requestId": "auditor-receipt"}

	// allowed: any answer but 401, 403 and a server error (the method runs and answers
	// by its own rules, e.g. 412 for a sign-off before the works are done).
	const allowed = -1
	cases := []struct {
		who          string
		c            *client
		method, path string
		body         any
		want         int
		check        func(t *testing.T, body []byte)
	}{
		// A community's staff work within their community.
		{"COMMUNITY_STAFF C1", communityStaff, "GET", path("/v1/households/%s", d.h1.ID), nil, 200, unmasked},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", path("/v1/households/%s", d.h2), nil, 403, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", path("/v1/compounds/%s/households", d.k1.ID), nil, 200, listsUnmasked},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", path("/v1/compounds/%s/households", d.k2.ID), nil, 403, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "POST", "/v1/compounds", newCompound(d.rt.otherCommunity.ID), 403, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "POST", "/v1/compounds", newCompound(d.rt.community.ID), 200, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "PATCH", path("/v1/compounds/%s", d.k2.ID), map[string]any{"name": "改名"}, 403, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", "/v1/compounds?regionId=" + d.rt.community.ID, nil, 200, compoundsAre(d.k1.ID)},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", "/v1/compounds?regionId=" + d.rt.otherCommunity.ID, nil, 403, nil},
		// Whole-district methods are for callers without a scope.
		{"COMMUNITY_STAFF C1", communityStaff, "GET", "/v1/compounds", nil, 403, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", "/v1/leader-contacts", nil, 403, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", "/v1/audit", nil, 403, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", "/v1/whistles?compoundId=" + d.k1.ID, nil, 200, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", "/v1/whistles?compoundId=" + d.k2.ID, nil, 403, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", "/v1/whistles", nil, 403, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", "/v1/rankings?regionId=" + d.rt.otherCommunity.ID, nil, 403, nil},
		{"COMMUNITY_STAFF C2", otherStaff, "GET", path("/v1/households/%s", d.h1.ID), nil, 403, nil},
		// A batch of households is held to the scope of a single get: another community's
		// household is no handle for this one's staff.
		{"COMMUNITY_STAFF C2", otherStaff, "GET", "/v1/households:batchGet?ids=" + d.h1.ID, nil, 403, nil},
		{"COMMUNITY_STAFF C1", communityStaff, "GET", "/v1/households:batchGet?ids=" + d.h1.ID, nil, 200, nil},
		{"COMMUNITY_STAFF C2", otherStaff, "POST", path("/v1/surveys/%s/responses", d.v1.ID), resp(d.h1.ID, "DOOR_TO_DOOR", time.Time{}, ans("wants", "yes")), 403, nil},

		// A sub-district's staff see every community under it, and nothing above it.
		{"SUBDISTRICT_STAFF S", subStaff, "GET", path("/v1/households/%s", d.h1.ID), nil, 200, unmasked},
		{"SUBDISTRICT_STAFF S", subStaff, "GET", path("/v1/households/%s", d.h2), nil, 200, nil},
		{"SUBDISTRICT_STAFF S", subStaff, "GET", "/v1/compounds?regionId=" + d.rt.community.ID, nil, 200, compoundsAre(d.k1.ID)},
		{"SUBDISTRICT_STAFF S", subStaff, "GET", "/v1/compounds?regionId=" + d.rt.otherCommunity.ID, nil, 200, compoundsAre(d.k2.ID)},
		{"SUBDISTRICT_STAFF S", subStaff, "GET", "/v1/compounds?regionId=" + d.rt.subdistrict.ID, nil, 200, compoundsAre(d.k1.ID, d.k2.ID)},
		{"SUBDISTRICT_STAFF S", subStaff, "GET", "/v1/compounds?regionId=" + d.rt.district.ID, nil, 403, nil},
		{"SUBDISTRICT_STAFF S", subStaff, "POST", "/v1/compounds", newCompound(d.rt.otherCommunity.ID), 200, nil},
		{"SUBDISTRICT_STAFF S", subStaff, "GET", "/v1/leader-contacts", nil, 403, nil},

		// A grid worker collects answers door to door in the community.
		{"GRID_WORKER C1", gridWorker, "POST", path("/v1/surveys/%s/responses", d.v1.ID), resp(d.h1.ID, "DOOR_TO_DOOR", time.Time{}, ans("wants", "yes")), 200, nil},
		{"GRID_WORKER C1", gridWorker, "GET", path("/v1/households/%s", d.h1.ID), nil, 200, unmasked},
		{"GRID_WORKER C1", gridWorker, "POST", "/v1/compounds", newCompound(d.rt.community.ID), 403, nil},
		{"GRID_WORKER C1", gridWorker, "POST", path("/v1/surveys/%s:close", d.v1.ID), map[string]any{}, 403, nil},

		// A resident acts for their own household and reads their compound's results.
		{"RESIDENT H1", resident, "POST", path("/v1/surveys/%s/responses", d.v1.ID), resp(d.h1.ID, "ONLINE", time.Time{}, ans("wants", "yes")), 200, nil},
		{"RESIDENT H1", resident, "POST", path("/v1/surveys/%s/responses", d.v1.ID), resp(d.other, "ONLINE", time.Time{}, ans("wants", "no")), 403, nil},
		{"RESIDENT H1", resident, "GET", path("/v1/surveys/%s/stats", d.v1.ID), nil, 200, nil},
		{"RESIDENT H1", resident, "GET", path("/v1/projects/%s", d.p1.ID), nil, 200, nil},
		{"RESIDENT H1", resident, "GET", path("/v1/compounds/%s/households", d.k1.ID), nil, 403, nil},
		{"RESIDENT H1", resident, "GET", path("/v1/households/%s", d.h1.ID), nil, 200, unmasked},
		{"RESIDENT H1", resident, "GET", path("/v1/households/%s", d.other), nil, 403, nil},
		{"RESIDENT H1", resident, "GET", path("/v1/surveys/%s/responses", d.v1.ID), nil, 403, nil},
		{"RESIDENT H1", resident, "GET", path("/v1/funding-plans/%s", d.p1.ID), nil, 403, nil},
		{"RESIDENT H1", resident, "GET", "/v1/ideas?compoundId=" + d.k1.ID, nil, 200, nil},
		{"RESIDENT H1", resident, "GET", "/v1/ideas?compoundId=" + d.k2.ID, nil, 403, nil},
		{"RESIDENT H1", resident, "POST", "/v1/ideas", map[string]any{"compoundId": d.k1.ID, "householdId": d.h1.ID, "text": "增设晾晒区", "category": "DRYING"}, 200, nil},
		{"RESIDENT H1", resident, "POST", "/v1/ideas", map[string]any{"compoundId": d.k1.ID, "householdId": d.other, "text": "冒名建议", "category": "OTHER"}, 403, nil},

		// A branch secretary reads the compound's households, masked.
		{"BRANCH_SECRETARY K1", secretary, "GET", path("/v1/compounds/%s/households", d.k1.ID), nil, 200, listed(masked)},
		{"BRANCH_SECRETARY K1", secretary, "GET", path("/v1/households/%s", d.h1.ID), nil, 200, maskedOne},
		{"BRANCH_SECRETARY K1", secretary, "GET", path("/v1/compounds/%s/households", d.k2.ID), nil, 403, nil},

		// The contractor reports progress and signs for its own party only.
		{"CONTRACTOR P1", contractor, "POST", path("/v1/projects/%s/progress-reports", d.p1.ID), progress, 200, nil},
		{"CONTRACTOR P1", contractor, "POST", path("/v1/projects/%s/signoffs", d.p1.ID), signoff("SUPERVISOR"), 403, nil},
		{"CONTRACTOR P1", contractor, "POST", path("/v1/projects/%s/signoffs", d.p1.ID), signoff("CONTRACTOR"), allowed, nil},
		{"CONTRACTOR P1", contractor, "GET", path("/v1/projects/%s", d.p1.ID), nil, 200, nil},
		// A project's parties read their compound's other projects, and act on their own only.
		{"CONTRACTOR P1", contractor, "GET", path("/v1/projects/%s", d.p2.ID), nil, 200, nil},
		{"CONTRACTOR P1", contractor, "POST", path("/v1/projects/%s/progress-reports", d.p2.ID), progress, 403, nil},
		{"CONTRACTOR P1", contractor, "POST", path("/v1/projects/%s:requestAcceptance", d.p2.ID), map[string]any{"actor": "蓉城建工"}, 403, nil},
		{"CONTRACTOR P1", contractor, "GET", path("/v1/surveys/%s/stats", d.v1.ID), nil, 200, nil},
		{"CONTRACTOR P1", contractor, "GET", path("/v1/compounds/%s/households", d.k1.ID), nil, 403, nil},
		{"CONTRACTOR P1", contractor, "POST", path("/v1/projects/%s:startConstruction", d.p1.ID), map[string]any{"actor": "蓉城建工"}, 403, nil},

		// The supervisor signs as SUPERVISOR and reports no progress.
		{"SUPERVISOR P1", supervisor, "POST", path("/v1/projects/%s/signoffs", d.p1.ID), signoff("SUPERVISOR"), allowed, nil},
		{"SUPERVISOR P1", supervisor, "POST", path("/v1/projects/%s/signoffs", d.p1.ID), signoff("CONTRACTOR"), 403, nil},
		{"SUPERVISOR P1", supervisor, "POST", path("/v1/projects/%s/progress-reports", d.p1.ID), progress, 403, nil},

		// A department answers whistles for itself.
		{"DEPARTMENT water", water, "POST", path("/v1/whistles/%s:acknowledge", d.whistle), map[string]any{"departmentId": "water", "remarks": "已派员"}, 200, nil},
		{"DEPARTMENT water", water, "POST", path("/v1/whistles/%s:acknowledge", d.whistle), map[string]any{"departmentId": "roads", "remarks": "代答"}, 403, nil},
		{"DEPARTMENT water", water, "GET", path("/v1/whistles/%s", d.whistle), nil, 200, nil},
		{"DEPARTMENT water", water, "GET", path("/v1/whistles/%s", d.whistle2), nil, 403, nil},
		{"DEPARTMENT water", water, "GET", "/v1/whistles?departmentId=water", nil, 200, nil},
		{"DEPARTMENT water", water, "GET", "/v1/whistles?departmentId=roads", nil, 403, nil},
		{"DEPARTMENT water", water, "GET", "/v1/departments/water/performance", nil, 200, nil},
		{"DEPARTMENT water", water, "GET", "/v1/departments/roads/performance", nil, 403, nil},
		{"DEPARTMENT water", water, "GET", path("/v1/households/%s", d.h1.ID), nil, 403, nil},

		// The auditor reads every book and the trail, and writes nothing.
		{"AUDITOR", auditor, "GET", path("/v1/books/%s/transactions", d.book), nil, 200, nil},
		{"AUDITOR", auditor, "GET", path("/v1/books/%s:verify", d.book), nil, 200, nil},
		{"AUDITOR", auditor, "POST", path("/v1/projects/%s/receipts", d.p1.ID), receipt, 403, nil},
		{"AUDITOR", auditor, "GET", "/v1/audit", nil, 200, nil},
		{"AUDITOR", auditor, "GET", "/v1/leader-contacts", nil, 200, nil},
		{"AUDITOR", auditor, "GET", path("/v1/compounds/%s/households", d.k1.ID), nil, 403, nil},

		// The district's administrator may do all of it.
		{"DISTRICT_ADMIN", admin, "GET", "/v1/leader-contacts", nil, 200, nil},
		{"DISTRICT_ADMIN", admin, "GET", "/v1/audit", nil, 200, nil},
		{"DISTRICT_ADMIN", admin, "GET", "/v1/compounds", nil, 200, compoundsAre(d.k1.ID, d.k2.ID)},

		// Disclosures (公示) are public; nothing else is.
		{"no token", public, "GET", path("/v1/projects/%s/disclosure", d.p1.ID), nil, 200, nil},
		{"no token", public, "GET", path("/v1/compounds/%s/disclosure", d.k1.ID), nil, 200, nil},
		// K2 has no money recorded: nothing to disclose is an answer too (200 or 404), as long
		// as it is not a refusal for want of a token.
		{"no token", public, "GET", path("/v1/compounds/%s/disclosure", d.k2.ID), nil, allowed, nil},
		{"no token", public, "GET", path("/v1/compounds/%s", d.k1.ID), nil, 401, nil},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%s %s %s", tc.who, tc.method, tc.path)
		t.Run(name, func(t *testing.T) {
			r := tc.c.with(t).do(tc.method, tc.path, tc.body)
			switch {
			case tc.want == allowed:
				if isDenied(r.status) || r.status >= 500 {
					t.Fatalf("status %d, want the method to run (not 401/403/5xx); body %s", r.status, r.body)
				}
			case r.status != tc.want:
				t.Fatalf("status %d, want %d; body %s", r.status, tc.want, r.body)
			}
			switch r.status {
			case http.StatusForbidden:
				if code := statusOf(r); code != int(codes.PermissionDenied) {
					t.Errorf("403 with code %d, want %d (PERMISSION_DENIED): %s", code, codes.PermissionDenied, r.body)
				}
			case http.StatusUnauthorized:
				if code := statusOf(r); code != int(codes.Unauthenticated) {
					t.Errorf("401 with code %d, want %d (UNAUTHENTICATED): %s", code, codes.Unauthenticated, r.body)
				}
			}
			if tc.check != nil && r.status == http.StatusOK {
				tc.check(t, r.body)
			}
		})
	}
}

// TestBadTokensAreRefused: a token of every bad kind is 401 at the gateway (with
// WWW-Authenticate) and UNAUTHENTICATED at the services' own port, which check it again;
// no token is 401 except on the public routes.
func TestBadTokensAreRefused(t *testing.T) {
	t.Parallel()
	admin, dir := startWithDir(t, allinone.Config{})
	rt := admin.createRegionTree()
	comp := admin.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID})
	p := admin.createProject(comp.ID, "光华小区改造", 500_000)
	admin.call("POST", "/v1/funding-plans", map[string]any{"projectId": p.ID, "sources": []map[string]any{{"party": "GOVERNMENT", "funder": "区财政", "committedFen": "500000"}}}, nil)

	t.Run("no token", func(t *testing.T) {
		c := admin.with(t).noToken()
		for _, rq := range []struct{ method, path string }{
			{"GET", "/v1/compounds"}, {"GET", path("/v1/compounds/%s", comp.ID)}, {"POST", "/v1/regions"},
			{"GET", "/v1/audit"}, {"POST", path("/v1/projects/%s/disclosure", p.ID)},
		} {
			r := c.do(rq.method, rq.path, `{}`)
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s %s without a token: status %d, want 401; body %s", rq.method, rq.path, r.status, r.body)
				continue
			}
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s without a token: WWW-Authenticate %q, want a Bearer challenge", rq.method, rq.path, r.header.Get("WWW-Authenticate"))
			}
			if code := statusOf(r); code != int(codes.Unauthenticated) {
				t.Errorf("%s %s without a token: code %d, want 16: %s", rq.method, rq.path, code, r.body)
			}
		}
		for _, pth := range []string{"/healthz", "/readyz", "/openapi.json", path("/v1/projects/%s/disclosure", p.ID), path("/v1/compounds/%s/disclosure", comp.ID)} {
			if r := c.do("GET", pth, nil); r.status != http.StatusOK {
				t.Errorf("GET %s without a token: status %d, want 200 (a public route); body %s", pth, r.status, r.body)
			}
		}
	})

	key := localKey(t, dir)
	now := time.Now()
	good := func() map[string]any {
		return map[string]any{"sub": "minted", "aud": []string{auth.Audience}, "iat": now, "nbf": now, "exp": now.Add(time.Hour), auth.RoleClaim: string(auth.DistrictAdmin)}
	}
	signed := func(claims map[string]any) string {
		return mint(t, key, jwa.EdDSA(), func(*jwt.Builder) *jwt.Builder {
			b := jwt.NewBuilder()
			for k, v := range claims {
				b = b.Claim(k, v)
			}
			return b
		})
	}
	with := func(edit func(map[string]any)) string {
		c := good()
		edit(c)
		return signed(c)
	}

	// The control: a token minted here the way the tests below bend is accepted.
	if r := admin.as(signed(good())).do("GET", "/v1/compounds", nil); r.status != http.StatusOK {
		t.Fatalf("a good token minted with the app's key: status %d, want 200; body %s", r.status, r.body)
	}

	otherSigner, _, err := auth.LocalKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fromOtherKey, err := otherSigner.Sign(auth.Principal{Subject: "minted", Role: auth.DistrictAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, otherAudience, err := auth.Setup(context.Background(), auth.Keys{DataDir: dir, Audience: "other"})
	if err != nil {
		t.Fatal(err)
	}
	forOtherAudience, err := otherAudience.Sign(auth.Principal{Subject: "minted", Role: auth.DistrictAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expiredBySigner, err := admin.app.Signer().Sign(auth.Principal{Subject: "minted", Role: auth.DistrictAdmin}, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// HS256 "signed" with the public key as the secret: the old key-confusion attack.
	pub, err := key.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	var raw ed25519.PublicKey
	if err := jwk.Export(pub, &raw); err != nil {
		t.Fatal(err)
	}
	confused := mint(t, []byte(raw), jwa.HS256(), nil)
	kid, _ := key.KeyID()
	// A resident's good token with an administrator's claims pasted in.
	residentToken := admin.tokenFor(admin.app, auth.Principal{Subject: "resident", Role: auth.Resident, Scope: "households/H1"})
	parts := strings.Split(residentToken, ".")
	adminClaims, _ := json.Marshal(map[string]any{"sub": "resident", "aud": auth.Audience, auth.RoleClaim: "DISTRICT_ADMIN", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(adminClaims) + "." + parts[2]

	bad := []struct{ name, header string }{
		{"expired an hour ago", "Bearer " + with(func(c map[string]any) {
			c["exp"] = now.Add(-time.Hour)
			c["nbf"] = now.Add(-2 * time.Hour)
			c["iat"] = now.Add(-2 * time.Hour)
		})},
		{"expired a minute ago (beyond the 30 s skew)", "Bearer " + with(func(c map[string]any) { c["exp"] = now.Add(-time.Minute) })},
		{"expired, by the app's own signer", "Bearer " + expiredBySigner},
		{"not yet valid (nbf in an hour)", "Bearer " + with(func(c map[string]any) { c["nbf"] = now.Add(time.Hour); c["exp"] = now.Add(2 * time.Hour) })},
		{"no expiry", "Bearer " + with(func(c map[string]any) { delete(c, "exp") })},
		{"signed by another key", "Bearer " + fromOtherKey},
		{"for another audience", "Bearer " + forOtherAudience},
		{"without an audience", "Bearer " + with(func(c map[string]any) { delete(c, "aud") })},
		{"alg none", "Bearer " + unsigned(map[string]any{"alg": "none", "typ": "JWT"})},
		{"alg none naming the app's key", "Bearer " + unsigned(map[string]any{"alg": "none", "typ": "JWT", "kid": kid})},
		{"alg None", "Bearer " + unsigned(map[string]any{"alg": "None"})},
		{"HS256 with the public key as secret", "Bearer " + confused},
		{"claims changed after signing", "Bearer " + tampered},
		{"unknown role", "Bearer " + with(func(c map[string]any) { c[auth.RoleClaim] = "MAYOR" })},
		{"no role", "Bearer " + with(func(c map[string]any) { delete(c, auth.RoleClaim) })},
		{"a scoped role without its scope", "Bearer " + with(func(c map[string]any) { c[auth.RoleClaim] = string(auth.CommunityStaff) })},
		{"a scope of no known kind", "Bearer " + with(func(c map[string]any) {
			c[auth.RoleClaim] = string(auth.CommunityStaff)
			c[auth.ScopeClaim] = "galaxies/1"
		})},
		{"no subject", "Bearer " + with(func(c map[string]any) { delete(c, "sub") })},
		{"a scope that is not a string", "Bearer " + with(func(c map[string]any) {
			c[auth.RoleClaim] = string(auth.CommunityStaff)
			c[auth.ScopeClaim] = []string{"regions/1"}
		})},
		{"the role in the old claim name", "Bearer " + with(func(c map[string]any) { delete(c, auth.RoleClaim); c["role"] = string(auth.DistrictAdmin) })},
		{"garbage", "Bearer not-a-token"},
		{"empty bearer", "Bearer "},
		{"basic credentials", "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:admin"))},
		{"token without its scheme", residentToken},
	}

	conn, err := grpc.NewClient(admin.app.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	gov := governancepb.NewGovernanceServiceClient(conn)

	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			c := admin.with(t)
			for _, rq := range []struct{ method, path string }{{"GET", "/v1/compounds"}, {"POST", "/v1/regions"}} {
				req, err := http.NewRequest(rq.method, c.base+rq.path, strings.NewReader(`{"name":"伪造区","level":"DISTRICT"}`))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", tc.header)
				req.Header.Set("Content-Type", "application/json")
				r := c.send(req)
				if r.status != http.StatusUnauthorized {
					t.Errorf("%s %s: status %d, want 401; body %s", rq.method, rq.path, r.status, r.body)
					continue
				}
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s %s: WWW-Authenticate %q, want a Bearer challenge", rq.method, rq.path, r.header.Get("WWW-Authenticate"))
				}
				if code := statusOf(r); code != int(codes.Unauthenticated) {
					t.Errorf("%s %s: code %d, want 16 (UNAUTHENTICATED): %s", rq.method, rq.path, code, r.body)
				}
			}
			// The services do not trust the gateway to have looked.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", tc.header)
			if _, err := gov.ListRegions(ctx, &governancepb.ListRegionsRequest{}); status.Code(err) != codes.Unauthenticated {
				t.Errorf("ListRegions straight at the services: %v, want UNAUTHENTICATED", err)
			}
		})
	}

	var regions struct {
		Regions []region `json:"regions"`
	}
	admin.call("GET", "/v1/regions", nil, &regions)
	for _, r := range regions.Regions {
		if r.Name == "伪造区" {
			t.Errorf("a refused token created region %+v", r)
		}
	}
}

// TestRateLimitPerCaller: a caller over its rate is told 429 with Retry-After, and is
// alone in that: another caller's requests still go through.
func TestRateLimitPerCaller(t *testing.T) {
	t.Parallel()
	c, _ := startWithDir(t, allinone.Config{RateLimit: 5})
	var ok int
	var limited []response
	for i := 0; i < 30; i++ {
		r := c.do("GET", "/v1/regions", nil)
		switch r.status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited = append(limited, r)
		default:
			t.Fatalf("request %d: status %d, want 200 or 429; body %s", i, r.status, r.body)
		}
	}
	if len(limited) == 0 {
		t.Fatalf("30 requests at once at 5 per second (burst 10): none was limited")
	}
	if ok < 10 {
		t.Errorf("only %d of 30 went through; the burst is 10", ok)
	}
	wait := 0
	for _, r := range limited {
		ra := r.header.Get("Retry-After")
		n, err := strconv.Atoi(ra)
		if err != nil || n < 1 {
			t.Errorf("429 with Retry-After %q, want whole seconds >= 1", ra)
		}
		wait = max(wait, n)
		if code := statusOf(r); code != int(codes.ResourceExhausted) {
			t.Errorf("429 with code %d, want 8 (RESOURCE_EXHAUSTED): %s", code, r.body)
		}
	}
	// Another caller is not limited by the first.
	other := c.asRole(auth.Auditor, "")
	for i := 0; i < 5; i++ {
		if r := other.do("GET", "/v1/regions", nil); r.status != http.StatusOK {
			t.Fatalf("another caller's request %d: status %d, want 200 (the limit is per caller); body %s", i, r.status, r.body)
		}
	}
	// After the wait it was told, the first caller is served again.
	time.Sleep(time.Duration(min(wait, 3)) * time.Second)
	if r := c.do("GET", "/v1/regions", nil); r.status != http.StatusOK {
		t.Errorf("after waiting Retry-After (%d s): status %d, want 200", wait, r.status)
	}
}

// TestAuditTrail: the changes to a compound, through any service, are listed for the
// auditor with who made them in which role, the method, the request id and the outcome,
// refusals by the domain's rules included.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	admin := startApp(t)
	rt := admin.createRegionTree()
	k1 := admin.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID})
	staff := admin.as(admin.tokenFor(admin.app, auth.Principal{Subject: "staff-li", Role: auth.CommunityStaff, Scope: "regions/" + rt.community.ID}))
	intruder := admin.as(admin.tokenFor(admin.app, auth.Principal{Subject: "staff-c2", Role: auth.CommunityStaff, Scope: "regions/" + rt.otherCommunity.ID}))

	var b building
	admin.call("POST", path("/v1/compounds/%s/buildings", k1.ID)+"?requestId=bld-1", map[string]any{"name": "1号楼", "unitCount": 2}, &b)
	staff.call("POST", path("/v1/compounds/%s/households:batchCreate", k1.ID), map[string]any{
		"requestId":  "hh-batch-1",
		"households": []map[string]any{{"buildingId": b.ID, "unit": "1", "room": "101", "exclusiveAreaM2": 60}},
	}, nil)
	staff.call("PATCH", path("/v1/compounds/%s", k1.ID)+"?updateMask=name", map[string]any{"name": "光华里"}, nil)
	// Refused by rule 10: shop rent from common parts needs a passed resolution.
	admin.refused(admin.do("POST", path("/v1/compounds/%s/income", k1.ID), map[string]any{"stream": "SHOP_RENT", "amountFen": "50000", "requestId": "shop-rent-1"}), "RESOLUTION_NOT_PASSED", "shop rent without a resolution")
	admin.call("POST", path("/v1/compounds/%s/income", k1.ID), map[string]any{"stream": "PARKING_OWNERS", "amountFen": "12000", "requestId": "parking-1"}, nil)
	// Denied by the policy.
	if r := intruder.do("PATCH", path("/v1/compounds/%s", k1.ID), map[string]any{"name": "占领"}); r.status != http.StatusForbidden {
		t.Fatalf("staff of another community renaming the compound: status %d, want 403", r.status)
	}

	auditor := admin.asRole(auth.Auditor, "")
	trail := func(query url.Values) []auditEntry {
		t.Helper()
		var all []auditEntry
		for page := 0; ; page++ {
			if page > 20 {
				t.Fatalf("GET /v1/audit?%s: more than 20 pages", query.Encode())
			}
			var l auditList
			auditor.call("GET", "/v1/audit?"+query.Encode(), nil, &l)
			all = append(all, l.Entries...)
			if l.NextPageToken == "" {
				return all
			}
			query.Set("pageToken", l.NextPageToken)
		}
	}
	resource := "compounds/" + k1.ID
	got := trail(url.Values{"resource": {resource}})

	// Outcomes are status code names: the contract's example is FAILED_PRECONDITION, the
	// trail writes Go's names (FailedPrecondition); either is accepted here.
	outcome := func(code codes.Code) func(string) bool {
		canonical := map[codes.Code]string{codes.OK: "OK", codes.FailedPrecondition: "FAILED_PRECONDITION", codes.PermissionDenied: "PERMISSION_DENIED"}[code]
		return func(o string) bool { return o == code.String() || o == canonical }
	}
	want := []struct {
		method, service, actor, role, requestID string
		outcome                                 func(string) bool
	}{
		// Newest first. The refusal by the policy is recorded too, with the caller.
		{govMethod + "UpdateCompound", "governance", "staff-c2", "COMMUNITY_STAFF", "", outcome(codes.PermissionDenied)},
		{finMethod + "RecordIncome", "finance", "admin", "DISTRICT_ADMIN", "parking-1", outcome(codes.OK)},
		{finMethod + "RecordIncome", "finance", "admin", "DISTRICT_ADMIN", "shop-rent-1", outcome(codes.FailedPrecondition)},
		{govMethod + "UpdateCompound", "governance", "staff-li", "COMMUNITY_STAFF", "", outcome(codes.OK)},
		{govMethod + "BatchCreateHouseholds", "governance", "staff-li", "COMMUNITY_STAFF", "hh-batch-1", outcome(codes.OK)},
		{govMethod + "CreateBuilding", "governance", "admin", "DISTRICT_ADMIN", "bld-1", outcome(codes.OK)},
	}
	if len(got) != len(want) {
		t.Errorf("GET /v1/audit?resource=%s lists %d entries, want %d:\n%s", resource, len(got), len(want), mustJSON(t, got))
	}
	for i, w := range want {
		if i >= len(got) {
			break
		}
		e := got[i]
		if e.Method != w.method || e.Service != w.service || e.Actor != w.actor || e.Role != w.role || e.Resource != resource || !w.outcome(e.Outcome) {
			t.Errorf("entry %d = %+v, want %s by %s (%s) on %s through %s", i, e, w.method, w.actor, w.role, resource, w.service)
			continue
		}
		if w.requestID != "" && e.RequestID != w.requestID {
			t.Errorf("entry %d (%s, outcome %s): requestId %q, want %q, the request id the client sent", i, e.Method, e.Outcome, e.RequestID, w.requestID)
		}
		if e.ID == "" || e.Time == "" {
			t.Errorf("entry %d has no id or time: %+v", i, e)
		}
	}

	// The filters: by actor across every resource, by service.
	byStaff := trail(url.Values{"actor": {"staff-li"}})
	if len(byStaff) != 2 {
		t.Errorf("GET /v1/audit?actor=staff-li lists %d entries, want 2: %s", len(byStaff), mustJSON(t, byStaff))
	}
	for _, e := range byStaff {
		if e.Actor != "staff-li" {
			t.Errorf("GET /v1/audit?actor=staff-li lists %+v", e)
		}
	}
	fin := trail(url.Values{"resource": {resource}, "service": {"finance"}})
	if len(fin) != 2 {
		t.Errorf("GET /v1/audit?resource=%s&service=finance lists %d entries, want 2: %s", resource, len(fin), mustJSON(t, fin))
	}
	// Pages of 2 list the same entries as one page.
	if paged := trail(url.Values{"resource": {resource}, "pageSize": {"2"}}); mustJSON(t, paged) != mustJSON(t, got) {
		t.Errorf("paging by 2 lists\n%s\nwant\n%s", mustJSON(t, paged), mustJSON(t, got))
	}
	// Reads are not changes.
	for _, e := range trail(url.Values{}) {
		if strings.Contains(e.Method, "/Get") || strings.Contains(e.Method, "/List") {
			t.Errorf("a read is in the trail: %+v", e)
		}
	}
	// A request id sent as ?requestId= (the Idempotency-Key header) works on every route,
	// finance's writes too, and the trail records it.
	t.Run("request id in the query of a finance write", func(t *testing.T) {
		c := admin.with(t)
		r := c.do("POST", path("/v1/compounds/%s/income", k1.ID)+"?requestId=parking-q", map[string]any{"stream": "PARKING_OWNERS", "amountFen": "3000"})
		if r.status != http.StatusOK {
			t.Errorf("POST …/income?requestId=parking-q without one in the body: status %d, want 200; body %s", r.status, r.body)
		}
		var last auditList
		auditor.with(t).call("GET", "/v1/audit?pageSize=1&resource="+url.QueryEscape(resource), nil, &last)
		if len(last.Entries) != 1 || last.Entries[0].RequestID != "parking-q" {
			t.Errorf("the trail's newest entry is %s, want one with requestId parking-q", mustJSON(t, last.Entries))
		}
	})
	// Only the district's administrator and the auditor read the trail.
	if r := staff.do("GET", "/v1/audit", nil); r.status != http.StatusForbidden {
		t.Errorf("GET /v1/audit as COMMUNITY_STAFF: status %d, want 403", r.status)
	}
	if r := admin.do("GET", "/v1/audit?resource="+url.QueryEscape(resource), nil); r.status != http.StatusOK {
		t.Errorf("GET /v1/audit as DISTRICT_ADMIN: status %d, want 200", r.status)
	}
}

// TestPersonalDataStaysPrivate (rule 13): residents' names, phone numbers and ID numbers
// are registered, read, used in a busy round of surveys, money and works, and sent in
// requests that fail; none of it may appear in the app's log, in any span it records, or
// in the public disclosures. Not parallel: it installs the global tracer provider.
func TestPersonalDataStaysPrivate(t *testing.T) {
	admin, cp := startCaptured(t)

	names := []string{"独特名字甲", "独特名字乙", "独特名字丙", "独特名字丁", "独特名字戊"}
	phones := []string{"13987654321", "13987654322", "13987654323", "13987654324", "13987654325"}
	idNumbers := []string{"53012319880101123X", "530123198801011246", "530123198801011254", "530123198801011262", "530123198801011270"}
	seeded := slices.Concat(names, phones, idNumbers)

	rt := admin.createRegionTree()
	comp := admin.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID, "buildYear": 1985})
	other := admin.createCompound(map[string]any{"name": "新华院坝", "communityId": rt.community.ID})
	var b, otherB building
	admin.call("POST", path("/v1/compounds/%s/buildings", comp.ID), `{"name":"1号楼","unitCount":2,"floorCount":6}`, &b)
	admin.call("POST", path("/v1/compounds/%s/buildings", other.ID), `{"name":"1号楼","unitCount":1}`, &otherB)
	grid := admin.asRole(auth.GridWorker, "regions/"+rt.community.ID)

	// Registration: a batch of four and one alone, by the grid worker.
	batch := make([]map[string]any, 4)
	for i := range batch {
		batch[i] = map[string]any{"buildingId": b.ID, "unit": "1", "room": fmt.Sprint(101 + i), "exclusiveAreaM2": 60 + i,
			"residentName": names[i], "phone": phones[i], "idNumber": idNumbers[i], "partyMember": i == 0}
	}
	var created struct {
		Households []personal `json:"households"`
	}
	grid.call("POST", path("/v1/compounds/%s/households:batchCreate", comp.ID), map[string]any{"households": batch, "requestId": "register-1"}, &created)
	var fifth personal
	grid.call("POST", path("/v1/compounds/%s/households", comp.ID), map[string]any{"buildingId": b.ID, "unit": "2", "room": "201", "exclusiveAreaM2": 72,
		"residentName": names[4], "phone": phones[4], "idNumber": idNumbers[4], "needsAccessibility": true}, &fifth)
	hs := append(created.Households, fifth)
	if len(hs) != 5 || hs[0].ResidentName != names[0] || hs[4].IDNumber != idNumbers[4] {
		t.Fatalf("registered households = %+v, want five with their personal data shown to the grid worker", hs)
	}
	hid := func(i int) string { return hs[i].ID }
	// The check below finds the data where it is (here: in the registering staff's view).
	if l := leaks(mustJSON(t, hs), seeded); len(l) != len(seeded) {
		t.Fatalf("the leak check finds %d of the %d seeded strings in the registered households", len(l), len(seeded))
	}

	// Requests that fail while carrying personal data.
	dup := []map[string]any{
		{"buildingId": b.ID, "unit": "1", "room": "301", "exclusiveAreaM2": 50, "residentName": names[0], "phone": phones[0], "idNumber": idNumbers[0]},
		{"buildingId": b.ID, "unit": "1", "room": "301", "exclusiveAreaM2": 50, "residentName": names[1], "phone": phones[1], "idNumber": idNumbers[1]},
	}
	if r := grid.do("POST", path("/v1/compounds/%s/households:batchCreate", comp.ID), map[string]any{"households": dup}); r.status != http.StatusBadRequest {
		t.Errorf("a batch with one dwelling twice: status %d, want 400", r.status)
	}
	if r := grid.do("POST", path("/v1/compounds/%s/households", comp.ID), map[string]any{"buildingId": otherB.ID, "room": "101", "exclusiveAreaM2": 50,
		"residentName": names[2], "phone": phones[2], "idNumber": idNumbers[2]}); r.status != http.StatusBadRequest {
		t.Errorf("a household in another compound's building: status %d, want 400", r.status)
	}
	if r := grid.do("POST", path("/v1/compounds/%s/households", comp.ID), fmt.Sprintf(`{"buildingId":%q,"room":"401","exclusiveAreaM2":50,"residentName":%q,"phone":%s}`, b.ID, names[3], phones[3])); r.status != http.StatusBadRequest {
		t.Errorf("a phone number sent as a JSON number: status %d, want 400", r.status)
	}
	if r := grid.do("POST", path("/v1/compounds/%s/households", comp.ID), map[string]any{"buildingId": b.ID, "room": "102", "unit": "1", "exclusiveAreaM2": 50,
		"residentName": names[1], "phone": phones[1], "idNumber": idNumbers[1]}); r.status/100 != 4 {
		t.Errorf("a second household in a registered dwelling: status %d, want 4xx", r.status)
	}

	// Reads by everyone who may, full or masked.
	secretary := admin.asRole(auth.BranchSecretary, "compounds/"+comp.ID)
	resident := admin.asRole(auth.Resident, "households/"+hid(0))
	var own personal
	resident.call("GET", path("/v1/households/%s", hid(0)), nil, &own)
	if own.ResidentName != names[0] || own.Phone != phones[0] || own.IDNumber != idNumbers[0] {
		t.Errorf("the resident reads their own household as %+v, want it in full", own)
	}
	if r := resident.do("GET", path("/v1/households/%s", hid(1)), nil); r.status != http.StatusForbidden {
		t.Errorf("a resident reading a neighbour's household: status %d, want 403", r.status)
	}
	var hl struct {
		Households []personal `json:"households"`
	}
	secretary.call("GET", path("/v1/compounds/%s/households", comp.ID), nil, &hl)
	if len(hl.Households) != 5 {
		t.Errorf("the secretary lists %d households, want 5", len(hl.Households))
	}
	if l := leaks(mustJSON(t, hl), seeded); len(l) > 0 {
		t.Errorf("the branch secretary's listing shows personal data %v unmasked", l)
	}
	admin.call("GET", path("/v1/compounds/%s/households", comp.ID), nil, nil)
	admin.call("GET", "/v1/households:batchGet?ids="+hid(0)+"&ids="+hid(1), nil, nil)
	for i := range hs {
		grid.call("GET", path("/v1/households/%s", hid(i)), nil, nil)
	}

	// Surveys: needs and willingness, door to door and online; the renovation vote.
	needs := admin.createSurvey(map[string]any{"compoundId": comp.ID, "title": "改造需求调查", "kind": "NEEDS", "questions": []map[string]any{wantsQuestion}})
	admin.transition(needs.ID, "open", "OPEN")
	for i := 1; i < 5; i++ {
		grid.submit(needs.ID, resp(hid(i), "DOOR_TO_DOOR", time.Time{}, ans("wants", "yes")))
	}
	resident.submit(needs.ID, resp(hid(0), "ONLINE", time.Time{}, ans("wants", "yes")))
	admin.surveyStats(needs.ID)
	vote := admin.createSurvey(map[string]any{"compoundId": comp.ID, "title": "改造表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": []map[string]any{voteQuestion}})
	admin.transition(vote.ID, "open", "OPEN")
	for i := range hs {
		grid.vote(vote.ID, hid(i), "agree")
	}
	admin.transition(vote.ID, "close", "CLOSED")
	if res := admin.resolution(vote.ID); !res.Passed {
		t.Fatalf("the renovation vote did not pass: %+v", res)
	}

	// Money and works: a plan with the residents' share, contributions, a receipt, a
	// disbursement; a resident's supervision report; upkeep income.
	p := admin.createProject(comp.ID, "光华小区改造", 1_100_000)
	item := admin.createItem(p.ID)
	admin.projectTo(p.ID, "approve", "APPROVED")
	admin.call("POST", "/v1/funding-plans", map[string]any{
		"projectId": p.ID,
		"sources": []map[string]any{
			{"party": "GOVERNMENT", "funder": "区财政", "committedFen": "600000"},
			{"party": "RESIDENTS", "funder": "居民自筹", "committedFen": "500000"},
		},
		"quota": map[string]any{"flatFen": "100000"},
	}, nil)
	admin.projectTo(p.ID, "startConstruction", "IN_CONSTRUCTION")
	for i := 0; i < 4; i++ {
		amount := "100000"
		if i == 3 {
			amount = "50000"
		}
		grid.call("POST", path("/v1/projects/%s/contributions", p.ID), map[string]any{
			"householdId": hid(i), "amountFen": amount, "method": "CASH", "requestId": fmt.Sprintf("contrib-%d", i),
			// What a collector writes on the receipt stub.
			"memo": "收到" + names[i] + "自筹款",
		}, nil)
	}
	admin.call("GET", path("/v1/projects/%s/collection", p.ID), nil, nil)
	admin.call("POST", path("/v1/projects/%s/receipts", p.ID), map[string]any{"party": "GOVERNMENT", "funder": "区财政", "amountFen": "600000", "requestId": "rcpt-1"}, nil)
	var contract struct {
		ID string `json:"id"`
	}
	admin.call("POST", path("/v1/projects/%s/contracts", p.ID), map[string]any{"payee": "蓉城建工", "amountFen": "800000", "itemIds": []string{item}, "requestId": "contract-1"}, &contract)
	admin.call("POST", path("/v1/projects/%s/disbursements", p.ID), map[string]any{"contractId": contract.ID, "amountFen": "300000", "itemId": item, "purpose": "管网工程进度款", "requestId": "disb-1"}, nil)
	resident.call("POST", path("/v1/projects/%s/supervision-reports", p.ID), map[string]any{"householdId": hid(0), "itemId": item, "text": "施工围挡不严"}, nil)
	admin.call("POST", path("/v1/compounds/%s/income", comp.ID), map[string]any{"stream": "PARKING_OWNERS", "amountFen": "12000", "requestId": "parking-1"}, nil)
	admin.asRole(auth.Auditor, "").call("GET", "/v1/audit?resource="+url.QueryEscape("compounds/"+comp.ID), nil, nil)

	// The public disclosures, with a token and without.
	disclosures := 0
	for _, c := range []*client{admin, admin.noToken()} {
		for _, pth := range []string{path("/v1/projects/%s/disclosure", p.ID), path("/v1/compounds/%s/disclosure", comp.ID)} {
			r := c.do("GET", pth, nil)
			if r.status != http.StatusOK {
				t.Errorf("GET %s (with a token: %v): status %d, want 200; body %s", pth, c.token != "", r.status, r.body)
				continue
			}
			disclosures++
			if l := leaks(string(r.body), seeded); len(l) > 0 {
				t.Errorf("GET %s shows personal data %v: %s", pth, l, r.body)
			}
			for i := range hs {
				if strings.Contains(string(r.body), hid(i)) {
					t.Errorf("GET %s names household %s; a disclosure names no household: %s", pth, hid(i), r.body)
				}
			}
			if strings.HasPrefix(pth, "/v1/projects/") {
				var pd struct {
					PaidHouseholds          int `json:"paidHouseholds"`
					PartiallyPaidHouseholds int `json:"partiallyPaidHouseholds"`
				}
				if err := json.Unmarshal(r.body, &pd); err != nil || pd.PaidHouseholds != 3 || pd.PartiallyPaidHouseholds != 1 {
					t.Errorf("the project disclosure counts %d paid and %d partly paid households (%v), want 3 and 1: %s", pd.PaidHouseholds, pd.PartiallyPaidHouseholds, err, r.body)
				}
			}
		}
	}

	// Everything the app wrote about itself.
	admin.app.Close()
	logText := cp.logs.String()
	if !strings.Contains(logText, "tongdu is up") {
		t.Fatalf("the log was not captured: %q", logText)
	}
	for _, s := range leaks(logText, seeded) {
		t.Errorf("the log shows %q:\n…%s…", s, excerpt(logText, s))
	}
	spans := cp.spans.GetSpans()
	var nHTTP, nRPC, nRedis int
	var all strings.Builder
	for _, s := range spans {
		text := spanText(s)
		all.WriteString(text)
		all.WriteByte('\n')
		switch {
		case strings.HasPrefix(s.Name, "GET /") || strings.HasPrefix(s.Name, "POST /"):
			nHTTP++
		case strings.HasPrefix(s.Name, "tongdu."):
			nRPC++
		case strings.Contains(text, "redis"):
			nRedis++
		}
	}
	if nHTTP == 0 || nRPC == 0 || nRedis == 0 {
		t.Fatalf("spans recorded: %d from the gateway, %d of gRPC, %d of Redis, of %d; want some of each (is tracing on?)", nHTTP, nRPC, nRedis, len(spans))
	}
	spanDump := all.String()
	for _, s := range leaks(spanDump, seeded) {
		t.Errorf("a span shows %q:\n…%s…", s, excerpt(spanDump, s))
	}
	t.Logf("checked %d log bytes, %d spans (%d gateway, %d gRPC, %d Redis), %d disclosures", len(logText), len(spans), nHTTP, nRPC, nRedis, disclosures)
}

// TestAuditTrailSurvivesAFlood: refused calls must not push real changes out of the
// auditor's view. Calls refused for want of a token are recorded too (the trail runs
// before authorization), and the gRPC port has no rate limit; the listing reads only the
// newest entries of each service before it filters. A caller with no credentials at all
// floods the governance trail with refused calls about another compound; the
// administrator's change of this one must still be found by its resource.
func TestAuditTrailSurvivesAFlood(t *testing.T) {
	t.Parallel()
	admin := startApp(t)
	rt := admin.createRegionTree()
	k1 := admin.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID})
	admin.call("POST", path("/v1/compounds/%s/buildings", k1.ID)+"?requestId=bld-1", map[string]any{"name": "1号楼", "unitCount": 2}, nil)

	auditor := admin.asRole(auth.Auditor, "")
	listed := func() (bool, []auditEntry) {
		var l auditList
		auditor.call("GET", "/v1/audit?service=governance&resource="+url.QueryEscape("compounds/"+k1.ID), nil, &l)
		for _, e := range l.Entries {
			if e.Method == govMethod+"CreateBuilding" && e.Actor == "admin" {
				return true, l.Entries
			}
		}
		return false, l.Entries
	}
	if ok, got := listed(); !ok {
		t.Fatalf("before any flood the trail of the compound lists %s, want the CreateBuilding", mustJSON(t, got))
	}

	conn, err := grpc.NewClient(admin.app.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	gov := governancepb.NewGovernanceServiceClient(conn)
	const flood, workers = 5100, 16
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			for i := w; i < flood; i += workers {
				_, err := gov.UpdateCompound(context.Background(), &governancepb.UpdateCompoundRequest{Compound: &governancepb.Compound{Id: "elsewhere", Name: "x"}})
				if status.Code(err) != codes.Unauthenticated {
					errs <- fmt.Errorf("UpdateCompound without a token: %v, want UNAUTHENTICATED", err)
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	if ok, got := listed(); !ok {
		t.Errorf("after %d calls without a token about another compound, GET /v1/audit?resource=compounds/%s no longer lists the administrator's CreateBuilding; it lists %s",
			flood, k1.ID, mustJSON(t, got))
	}
}
