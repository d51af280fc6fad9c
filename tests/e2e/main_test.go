package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// client is a web client of one running Tongdu.
type client struct {
	t     *testing.T
	base  string
	http  *http.Client
	token string // sent as the bearer token of every request
	app   *allinone.App
}

// startApp runs the all-in-one on an empty database of the test kit's redis-server and
// returns a client of its gateway. The app stops when the test ends.
func startApp(t *testing.T) *client {
	t.Helper()
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: testkit.RedisURL(t), DataDir: t.TempDir()})
	t.Cleanup(app.Close)
	return newClient(t, app)
}

// startAllInOne starts the app with cfg, its log kept for the test's failure report.
func startAllInOne(t *testing.T, cfg allinone.Config) *allinone.App {
	t.Helper()
	logs := &testkit.LogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	app, err := allinone.Start(ctx, cfg, log)
	if err != nil {
		t.Fatalf("start the all-in-one: %v", err)
	}
	return app
}

// newClient is a client of app acting as the district's administrator, with a token
// signed by the app's data-dir key.
func newClient(t *testing.T, app *allinone.App) *client {
	t.Helper()
	c := &client{t: t, base: app.HTTPBase(), http: &http.Client{Timeout: 30 * time.Second}, app: app}
	c.token = c.tokenFor(app, auth.Principal{Subject: "admin", Role: auth.DistrictAdmin})
	return c
}

// tokenFor signs a token for p with app's key.
func (c *client) tokenFor(app *allinone.App, p auth.Principal) string {
	c.t.Helper()
	tok, err := app.Signer().Sign(p, time.Hour)
	if err != nil {
		c.t.Fatalf("sign a token: %v", err)
	}
	return tok
}

// asRole returns the client acting as role within scope.
func (c *client) asRole(role auth.Role, scope string) *client {
	c.t.Helper()
	return c.as(c.tokenFor(c.app, auth.Principal{Subject: strings.ToLower(string(role)), Role: role, Scope: scope}))
}

// as returns the client acting with another token.
func (c *client) as(token string) *client {
	d := *c
	d.token = token
	return &d
}

// with returns the client reporting to t, for use inside a subtest: a failure must stop
// the subtest, not its parent.
func (c *client) with(t *testing.T) *client {
	d := *c
	d.t = t
	return &d
}

// response is what the gateway answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends body (a string is sent as it is, anything else as JSON) and returns the answer.
func (c *client) do(method, path string, body any) response {
	c.t.Helper()
	r, err := c.try(method, path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// try is do for goroutines other than the test's, which must not stop the test.
func (c *client) try(method, path string, body any) (response, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return response{}, fmt.Errorf("encode body: %w", err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.trySend(req)
}

func (c *client) send(req *http.Request) response {
	c.t.Helper()
	r, err := c.trySend(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

func (c *client) trySend(req *http.Request) (response, error) {
	if c.token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// call sends a request that must answer 200 and decodes the answer into out (if not nil).
func (c *client) call(method, path string, body, out any) {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != http.StatusOK {
		c.t.Fatalf("%s %s: status %d, want 200; body %s", method, path, r.status, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, r.body, err)
		}
	}
}

// apiStatus is a google.rpc.Status as the gateway writes it.
type apiStatus struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Details []statusDetail  `json:"details"`
	Raw     json.RawMessage `json:"-"`
}

// statusDetail holds the fields of the detail types Tongdu uses (BadRequest, ErrorInfo).
type statusDetail struct {
	Type            string `json:"@type"`
	FieldViolations []struct {
		Field       string `json:"field"`
		Description string `json:"description"`
	} `json:"fieldViolations"`
	Reason   string            `json:"reason"`
	Domain   string            `json:"domain"`
	Metadata map[string]string `json:"metadata"`
}

const (
	badRequestType = "type.googleapis.com/google.rpc.BadRequest"
	errorInfoType  = "type.googleapis.com/google.rpc.ErrorInfo"
)

// failure checks that r is an error with the HTTP status want and a google.rpc.Status
// JSON body, and returns that status.
func (c *client) failure(r response, want int, what string) apiStatus {
	c.t.Helper()
	if r.status != want {
		c.t.Fatalf("%s: status %d, want %d; body %s", what, r.status, want, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var st apiStatus
	if err := json.Unmarshal(r.body, &st); err != nil {
		c.t.Fatalf("%s: the body is not a google.rpc.Status: %v; body %s", what, err, r.body)
	}
	st.Raw = r.body
	if st.Code == 0 || st.Message == "" {
		c.t.Errorf("%s: status without code or message: %s", what, r.body)
	}
	return st
}

// violation returns the BadRequest field violation about field: a violation named exactly
// field, or a path ending in it ("compound.buildYear" is about "buildYear").
func (st apiStatus) violation(field string) (string, bool) {
	for _, d := range st.Details {
		if d.Type != badRequestType {
			continue
		}
		for _, v := range d.FieldViolations {
			if v.Field == field || strings.HasSuffix(v.Field, "."+field) {
				return v.Field, true
			}
		}
	}
	return "", false
}

// reason returns the ErrorInfo reason of the status, or "".
func (st apiStatus) reason() string {
	for _, d := range st.Details {
		if d.Type == errorInfoType {
			return d.Reason
		}
	}
	return ""
}

// Resources as the API shows them; only the fields the tests read.

type region struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Level  string `json:"level"`
	Parent string `json:"parent"`
}

type classification struct {
	ManagementType string `json:"managementType"`
	GovernanceMode string `json:"governanceMode"`
	DecidedBy      string `json:"decidedBy"`
	DecideTime     string `json:"decideTime"`
}

type compound struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	Address              string          `json:"address"`
	CommunityID          string          `json:"communityId"`
	BuildYear            int             `json:"buildYear"`
	ManagementType       string          `json:"managementType"`
	GovernanceMode       string          `json:"governanceMode"`
	Status               string          `json:"status"`
	HouseholdCount       int             `json:"householdCount"`
	TotalExclusiveAreaM2 float64         `json:"totalExclusiveAreaM2"`
	BuildingCount        int             `json:"buildingCount"`
	RegionPath           []string        `json:"regionPath"`
	Classification       *classification `json:"classification"`
	Etag                 string          `json:"etag"`
}

type compoundList struct {
	Compounds     []compound `json:"compounds"`
	NextPageToken string     `json:"nextPageToken"`
}

type building struct {
	ID             string `json:"id"`
	CompoundID     string `json:"compoundId"`
	Name           string `json:"name"`
	UnitCount      int    `json:"unitCount"`
	HouseholdCount int    `json:"householdCount"`
}

type household struct {
	ID                 string  `json:"id"`
	CompoundID         string  `json:"compoundId"`
	BuildingID         string  `json:"buildingId"`
	Unit               string  `json:"unit"`
	Room               string  `json:"room"`
	ExclusiveAreaM2    float64 `json:"exclusiveAreaM2"`
	ResidentName       string  `json:"residentName"`
	Phone              string  `json:"phone"`
	PartyMember        bool    `json:"partyMember"`
	NeedsAccessibility bool    `json:"needsAccessibility"`
}

type householdList struct {
	Households    []household `json:"households"`
	NextPageToken string      `json:"nextPageToken"`
}

// createRegion makes a region; parent is "" for a district.
func (c *client) createRegion(name, level, parent string) region {
	c.t.Helper()
	body := map[string]any{"name": name, "level": level}
	if parent != "" {
		body["parent"] = parent
	}
	var r region
	c.call("POST", "/v1/regions", body, &r)
	if r.ID == "" || r.Level != level || r.Parent != parent {
		c.t.Fatalf("created region %+v, want level %s under %q with an id", r, level, parent)
	}
	return r
}

// regionTree is a district with one sub-district and two communities.
type regionTree struct {
	district, subdistrict, community, otherCommunity region
}

func (c *client) createRegionTree() regionTree {
	c.t.Helper()
	var rt regionTree
	rt.district = c.createRegion("锦江区", "DISTRICT", "")
	rt.subdistrict = c.createRegion("书院街街道", "SUBDISTRICT", rt.district.ID)
	rt.community = c.createRegion("和平社区", "COMMUNITY", rt.subdistrict.ID)
	rt.otherCommunity = c.createRegion("新华社区", "COMMUNITY", rt.subdistrict.ID)
	return rt
}

// createCompound posts a compound (the JSON body is the compound itself).
func (c *client) createCompound(body map[string]any) compound {
	c.t.Helper()
	var out compound
	c.call("POST", "/v1/compounds", body, &out)
	if out.ID == "" {
		c.t.Fatalf("created compound has no id: %+v", out)
	}
	return out
}

func (c *client) getCompound(id string) compound {
	c.t.Helper()
	var out compound
	c.call("GET", "/v1/compounds/"+url.PathEscape(id), nil, &out)
	return out
}

// listCompounds returns every compound a query lists, following page tokens.
func (c *client) listCompounds(query url.Values) []compound {
	c.t.Helper()
	var all []compound
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	for page := 0; ; page++ {
		if page > 100 {
			c.t.Fatalf("GET /v1/compounds?%s: more than 100 pages", query.Encode())
		}
		var l compoundList
		path := "/v1/compounds"
		if enc := q.Encode(); enc != "" {
			path += "?" + enc
		}
		c.call("GET", path, nil, &l)
		all = append(all, l.Compounds...)
		if l.NextPageToken == "" {
			return all
		}
		q.Set("pageToken", l.NextPageToken)
	}
}

func (c *client) compoundCount() int {
	c.t.Helper()
	return len(c.listCompounds(nil))
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func compoundIDs(cs []compound) []string { return ids(cs, func(c compound) string { return c.ID }) }

func sameSet(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	seen := make(map[string]int, len(want))
	for _, w := range want {
		seen[w]++
	}
	for _, g := range got {
		if seen[g] == 0 {
			return false
		}
		seen[g]--
	}
	return true
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func path(format string, a ...any) string {
	for i, v := range a {
		if s, ok := v.(string); ok {
			a[i] = url.PathEscape(s)
		}
	}
	return fmt.Sprintf(format, a...)
}
