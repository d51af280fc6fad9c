package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/testkit"
)

// Helpers of the security tests: a small district with one of everything the policy
// table decides on, tokens good and bad, and capture of the app's logs and spans.

// Resources of the projects and finance services; only the fields the tests read.

type project struct {
	ID         string `json:"id"`
	CompoundID string `json:"compoundId"`
	Title      string `json:"title"`
	Status     string `json:"status"`
}

type workItem struct {
	ID        string `json:"id"`
	ProjectID string `json:"projectId"`
}

type fundingPlan struct {
	ProjectID    string `json:"projectId"`
	BookID       string `json:"bookId"`
	CoversBudget bool   `json:"coversBudget"`
}

type whistle struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// personal is a household with the personal data the API may show (rule 13: names,
// phone and ID numbers masked to a role that does not need them).
type personal struct {
	ID           string `json:"id"`
	CompoundID   string `json:"compoundId"`
	ResidentName string `json:"residentName"`
	Phone        string `json:"phone"`
	IDNumber     string `json:"idNumber"`
}

type auditEntry struct {
	ID        string `json:"id"`
	Service   string `json:"service"`
	Actor     string `json:"actor"`
	Role      string `json:"role"`
	Method    string `json:"method"`
	Resource  string `json:"resource"`
	RequestID string `json:"requestId"`
	Outcome   string `json:"outcome"`
	Time      string `json:"time"`
}

type auditList struct {
	Entries       []auditEntry `json:"entries"`
	NextPageToken string       `json:"nextPageToken"`
}

// Full gRPC method names, as the audit trail records them.
const (
	govMethod = "/tongdu.governance.v1.GovernanceService/"
	svyMethod = "/tongdu.survey.v1.SurveyService/"
	prjMethod = "/tongdu.projects.v1.ProjectsService/"
	finMethod = "/tongdu.finance.v1.FinanceService/"
)

var (
	voteQuestion = map[string]any{
		"id": "vote", "text": "是否同意对本小区实施老旧小区改造？", "type": "SINGLE_CHOICE",
		"options": []map[string]any{{"id": "agree", "text": "同意"}, {"id": "disagree", "text": "不同意"}, {"id": "abstain", "text": "弃权"}},
	}
	wantsQuestion = map[string]any{
		"id": "wants", "text": "您是否同意对本小区进行改造？", "type": "SINGLE_CHOICE",
		"options": []map[string]any{{"id": "yes", "text": "同意"}, {"id": "no", "text": "不同意"}},
	}
)

// district is the world of the roles table: a district → sub-district → communities C1
// (rt.community) and C2 (rt.otherCommunity); compound K1 in C1 with households H1, H1b,
// H1c; K2 in C2 with H2; an open NEEDS survey V1 of K1; a project P1 of K1 driven to
// IN_CONSTRUCTION with one work item and a funding plan (book) that received money; the
// departments "water" and "roads" and a whistle W calling both.
type district struct {
	rt         regionTree
	k1, k2     estate
	h1         personal // H1, with known personal data
	v1         survey
	p1         project
	item       string
	book       string
	whistle    string  // W, calling water and roads
	whistle2   string  // W2, calling roads only
	p2         project // another project of K1, for next year
	resolution survey
	other      string // another household of K1 (H1b)
	h2         string
}

// H1's personal data, as registered.
const (
	h1Name  = "李四海"
	h1Phone = "13811112222"
	h1ID    = "510104197001011234"
)

// buildDistrict makes the district as the district administrator.
func (c *client) buildDistrict() district {
	c.t.Helper()
	var d district
	d.rt = c.createRegionTree()
	d.k1 = c.setupEstate(d.rt.community.ID, "光华小区", 1985, facilities("POOR"), 60, 70, 80)
	d.k2 = c.setupEstate(d.rt.otherCommunity.ID, "新华院坝", 1990, nil, 55)
	d.other, d.h2 = d.k1.hid(1), d.k2.hid(0)
	// H1 with personal data (the batch above registered none).
	c.call("POST", path("/v1/compounds/%s/households", d.k1.ID), map[string]any{
		"buildingId": d.k1.buildingID, "unit": "2", "room": "201", "exclusiveAreaM2": 65,
		"residentName": h1Name, "phone": h1Phone, "idNumber": h1ID,
	}, &d.h1)
	if d.h1.ID == "" || d.h1.ResidentName != h1Name {
		c.t.Fatalf("created H1 = %+v", d.h1)
	}

	// The renovation resolution of K1 passes (every household agrees) and is closed.
	d.resolution = c.createSurvey(map[string]any{"compoundId": d.k1.ID, "title": "改造表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": []map[string]any{voteQuestion}})
	c.transition(d.resolution.ID, "open", "OPEN")
	for _, h := range append(ids(d.k1.households, func(h household) string { return h.ID }), d.h1.ID) {
		c.vote(d.resolution.ID, h, "agree")
	}
	c.transition(d.resolution.ID, "close", "CLOSED")

	// V1: the open NEEDS survey.
	d.v1 = c.createSurvey(map[string]any{"compoundId": d.k1.ID, "title": "改造需求调查", "kind": "NEEDS", "questions": []map[string]any{wantsQuestion}})
	c.transition(d.v1.ID, "open", "OPEN")

	// P1, driven to IN_CONSTRUCTION: approved on the resolution, funded by the government.
	d.p1 = c.createProject(d.k1.ID, "光华小区改造", 1_000_000)
	d.item = c.createItem(d.p1.ID)
	c.projectTo(d.p1.ID, "approve", "APPROVED")
	var plan fundingPlan
	c.call("POST", "/v1/funding-plans", map[string]any{
		"projectId": d.p1.ID,
		"sources":   []map[string]any{{"party": "GOVERNMENT", "funder": "区财政", "committedFen": "1000000"}},
	}, &plan)
	if plan.BookID == "" || !plan.CoversBudget {
		c.t.Fatalf("funding plan = %+v, want a book that covers the budget", plan)
	}
	d.book = plan.BookID
	c.call("POST", path("/v1/projects/%s/receipts", d.p1.ID), map[string]any{"party": "GOVERNMENT", "funder": "区财政", "amountFen": "400000", "requestId": "rcpt-" + d.p1.ID}, nil)
	c.projectTo(d.p1.ID, "startConstruction", "IN_CONSTRUCTION")

	// K1's maintenance book exists once it has income.
	c.call("POST", path("/v1/compounds/%s/income", d.k1.ID), map[string]any{"stream": "PARKING_OWNERS", "amountFen": "12000", "requestId": "parking-" + d.k1.ID, "period": "2025-01"}, nil)

	// Departments and a whistle calling two of them.
	c.call("POST", "/v1/departments", map[string]any{"id": "water", "name": "区水务局"}, nil)
	c.call("POST", "/v1/departments", map[string]any{"id": "roads", "name": "区市政局"}, nil)
	var w whistle
	c.call("POST", "/v1/whistles", map[string]any{
		"compoundId": d.k1.ID, "category": "DRAINAGE", "description": "雨污管网堵塞，雨天积水",
		"departmentIds": []string{"water", "roads"}, "priority": "NORMAL",
	}, &w)
	if w.ID == "" {
		c.t.Fatalf("created whistle has no id")
	}
	d.whistle = w.ID
	c.call("POST", "/v1/whistles", map[string]any{
		"compoundId": d.k1.ID, "category": "ROADS", "description": "路面坑洼",
		"departmentIds": []string{"roads"}, "priority": "NORMAL",
	}, &w)
	d.whistle2 = w.ID
	c.call("POST", "/v1/projects", map[string]any{"compoundId": d.k1.ID, "title": "光华小区提升", "year": time.Now().Year() + 1, "budgetFen": "200000"}, &d.p2)
	if d.p2.ID == "" {
		c.t.Fatalf("created P2 has no id")
	}
	return d
}

// createProject posts a project of the current year.
func (c *client) createProject(compoundID, title string, budgetFen int64) project {
	c.t.Helper()
	var p project
	c.call("POST", "/v1/projects", map[string]any{"compoundId": compoundID, "title": title, "year": time.Now().Year(), "budgetFen": strconv.FormatInt(budgetFen, 10)}, &p)
	if p.ID == "" || p.Status != "PROPOSED" {
		c.t.Fatalf("created project = %+v, want an id and status PROPOSED", p)
	}
	return p
}

// createItem adds a drain-pipe work item to a project and returns its id.
func (c *client) createItem(projectID string) string {
	c.t.Helper()
	var it workItem
	c.call("POST", path("/v1/projects/%s/items", projectID), map[string]any{
		"category": "BASIC", "kind": "DRAIN_PIPE", "quantity": 120, "unit": "m",
		"estimatedCostFen": "300000", "difficulty": "EASY", "safetyCritical": true,
	}, &it)
	if it.ID == "" {
		c.t.Fatalf("created work item has no id")
	}
	return it.ID
}

// projectTo calls a transition and checks the status reached.
func (c *client) projectTo(id, verb, want string) {
	c.t.Helper()
	var p project
	if verb == "approve" {
		// Rule 14: the plan goes up on the board before approval.
		c.call("GET", path("/v1/projects/%s", id), nil, &p)
		c.postPlan(p.CompoundID, id)
	}
	c.call("POST", path("/v1/projects/%s:"+verb, id), map[string]any{"actor": "区住建局 王科长"}, &p)
	if p.Status != want {
		c.t.Fatalf("project after :%s is %s, want %s", verb, p.Status, want)
	}
}

// noToken is the client without any Authorization header.
func (c *client) noToken() *client { return c.as("") }

// Tokens.

// localKey reads the signing key an app keeps in its data dir.
func localKey(t *testing.T, dataDir string) jwk.Key {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dataDir, auth.LocalKeyFile))
	if err != nil {
		t.Fatalf("read the app's signing key: %v", err)
	}
	key, err := jwk.ParseKey(data)
	if err != nil {
		t.Fatalf("parse the app's signing key: %v", err)
	}
	return key
}

// mint signs a token with key after edit changed the claims of a good one: subject
// "minted", audience tongdu, DISTRICT_ADMIN, valid from now for an hour.
func mint(t *testing.T, key any, alg jwa.SignatureAlgorithm, edit func(b *jwt.Builder) *jwt.Builder) string {
	t.Helper()
	now := time.Now()
	b := jwt.NewBuilder().Subject("minted").Audience([]string{auth.Audience}).IssuedAt(now).NotBefore(now).
		Expiration(now.Add(time.Hour)).Claim(auth.RoleClaim, string(auth.DistrictAdmin))
	if edit != nil {
		b = edit(b)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatalf("build a token: %v", err)
	}
	out, err := jwt.Sign(tok, jwt.WithKey(alg, key))
	if err != nil {
		t.Fatalf("sign a token: %v", err)
	}
	return string(out)
}

// unsigned is a token that says it needs no signature ("alg": "none"), with claims
// that would otherwise make its bearer the district's administrator.
func unsigned(header map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now()
	claims := map[string]any{
		"sub": "mallory", "aud": auth.Audience, auth.RoleClaim: string(auth.DistrictAdmin),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	return enc(header) + "." + enc(claims) + "."
}

// startWithDir starts an app on a data dir the test knows (it holds the signing key).
func startWithDir(t *testing.T, cfg allinone.Config) (*client, string) {
	t.Helper()
	dir := t.TempDir()
	cfg.HTTPAddr, cfg.GRPCAddr, cfg.RedisURL, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", testkit.RedisURL(t), dir
	app := startAllInOne(t, cfg)
	t.Cleanup(app.Close)
	return newClient(t, app), dir
}

// Capture of what the app writes about itself.

// capture holds the spans of every tracer and the app's JSON log.
type capture struct {
	spans *tracetest.InMemoryExporter
	logs  *testkit.LogBuffer
}

// traceEverything installs a recording tracer provider (and W3C propagation, so traces
// cross the gateway → service → peer hops) as the global ones until the test ends. Call
// it before the app starts: the instrumentation takes the provider when it is built.
// Tests that call it must not run in parallel with others.
func traceEverything(t *testing.T) *tracetest.InMemoryExporter {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
		_ = tp.Shutdown(context.Background())
	})
	return exp
}

// startCaptured starts an app whose every span and log line (at debug level) the test
// reads afterwards.
func startCaptured(t *testing.T) (*client, capture) {
	t.Helper()
	cp := capture{spans: traceEverything(t), logs: &testkit.LogBuffer{}}
	log := slog.New(slog.NewJSONHandler(cp.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	app, err := allinone.Start(ctx, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: testkit.RedisURL(t), DataDir: t.TempDir()}, log)
	if err != nil {
		t.Fatalf("start the all-in-one: %v", err)
	}
	t.Cleanup(app.Close)
	return newClient(t, app), cp
}

// spanText writes out everything a span carries that an exporter would send: its name,
// attributes, events and their attributes, links, status and resource.
func spanText(s tracetest.SpanStub) string {
	var b strings.Builder
	kvs := func(attrs []attribute.KeyValue) {
		for _, a := range attrs {
			fmt.Fprintf(&b, " %s=%s", a.Key, a.Value.Emit())
		}
	}
	fmt.Fprintf(&b, "span %q status %q", s.Name, s.Status.Description)
	kvs(s.Attributes)
	for _, e := range s.Events {
		fmt.Fprintf(&b, " event %q", e.Name)
		kvs(e.Attributes)
	}
	for _, l := range s.Links {
		kvs(l.Attributes)
	}
	if s.Resource != nil {
		kvs(s.Resource.Attributes())
	}
	return b.String()
}

// forms are the ways a string may be written: as it is, and JSON- or Go-escaped to ASCII.
func forms(s string) []string {
	out := []string{s}
	if q := strconv.QuoteToASCII(s); q[1:len(q)-1] != s {
		out = append(out, q[1:len(q)-1])
	}
	return out
}

// leaks returns the seeded strings that text contains, in any form.
func leaks(text string, seeded []string) []string {
	var out []string
	for _, s := range seeded {
		for _, f := range forms(s) {
			if strings.Contains(text, f) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// excerpt shows where s occurs in text.
func excerpt(text, s string) string {
	i := strings.Index(text, s)
	if i < 0 {
		return ""
	}
	from, to := max(0, i-200), min(len(text), i+len(s)+200)
	return text[from:to]
}

// statusOf decodes a google.rpc.Status answer's code (0 when the body is none).
func statusOf(r response) int {
	var st apiStatus
	if err := json.Unmarshal(r.body, &st); err != nil {
		return 0
	}
	return st.Code
}

// isDenied is an answer of the policy: 401 or 403.
func isDenied(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}
