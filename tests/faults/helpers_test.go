package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/gateway"
	"tongdu/platform/auth"
	"tongdu/platform/redisproc"
	"tongdu/platform/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// requireRedisServer skips a scenario that needs a real redis-server process (unless CI
// demands one).
func requireRedisServer(t *testing.T) {
	t.Helper()
	if !redisproc.Available() {
		if os.Getenv("TONGDU_REQUIRE_REAL_REDIS") == "1" {
			t.Fatal("TONGDU_REQUIRE_REAL_REDIS=1 but redis-server is not on PATH")
		}
		t.Skip("redis-server not on PATH")
	}
}

// testLog is a logger whose lines show up only when t fails.
func testLog(t *testing.T) *slog.Logger {
	logs := &testkit.LogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func startAllInOne(t *testing.T, cfg allinone.Config) *allinone.App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	app, err := allinone.Start(ctx, cfg, testLog(t))
	if err != nil {
		t.Fatalf("start the all-in-one: %v", err)
	}
	t.Cleanup(app.Close)
	return app
}

// client is a REST client of a gateway.
type client struct {
	base  string
	token string
	http  *http.Client
}

func adminOf(t *testing.T, app *allinone.App) *client {
	t.Helper()
	tok, err := app.Signer().Sign(auth.Principal{Subject: "admin", Role: auth.DistrictAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &client{base: app.HTTPBase(), token: tok, http: &http.Client{Timeout: 15 * time.Second}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// gatewayClient starts the standalone gateway with cfg behind an HTTP test server and
// returns a client of it without a token (the services behind it decide).
func gatewayClient(t *testing.T, cfg gateway.Config, log *slog.Logger) *client {
	t.Helper()
	gctx, gcancel := context.WithCancel(context.Background())
	t.Cleanup(gcancel)
	gw, err := gateway.New(gctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	hs := httptest.NewServer(gw.Handler())
	t.Cleanup(hs.Close)
	return &client{base: hs.URL, http: &http.Client{Timeout: 15 * time.Second}}
}

// try sends body as JSON (nil: no body); key, when set, is the Idempotency-Key.
func (c *client) try(method, path, key string, body any) (response, error) {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// call must answer 200; the answer is decoded into out when out is not nil.
func (c *client) call(t *testing.T, method, path string, body, out any) {
	t.Helper()
	r, err := c.try(method, path, "", body)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusOK {
		t.Fatalf("%s %s: status %d, want 200; body %s", method, path, r.status, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, r.body, err)
		}
	}
}

// waitFor polls cond every 50 ms until it holds or limit passes; it returns how long it took.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

type idOnly struct {
	ID string `json:"id"`
}

// compoundWithHouseholds registers a district, sub-district, community, a compound, one
// building and n households, and returns the compound and household ids.
func compoundWithHouseholds(t *testing.T, c *client, n int) (string, []string) {
	t.Helper()
	var d, s, cm, k, b idOnly
	c.call(t, "POST", "/v1/regions", map[string]any{"name": "东川区", "level": "DISTRICT"}, &d)
	c.call(t, "POST", "/v1/regions", map[string]any{"name": "铜都街道", "level": "SUBDISTRICT", "parent": d.ID}, &s)
	c.call(t, "POST", "/v1/regions", map[string]any{"name": "沙坝社区", "level": "COMMUNITY", "parent": s.ID}, &cm)
	c.call(t, "POST", "/v1/compounds", map[string]any{"name": "石羊路21号院", "communityId": cm.ID, "buildYear": 1988}, &k)
	c.call(t, "POST", "/v1/compounds/"+k.ID+"/buildings", map[string]any{"name": "1栋", "unitCount": 2, "floorCount": 5}, &b)
	var batch []map[string]any
	for i := 0; i < n; i++ {
		batch = append(batch, map[string]any{"buildingId": b.ID, "unit": fmt.Sprint(i%2 + 1), "room": fmt.Sprintf("%d", 101+i), "exclusiveAreaM2": 60})
	}
	var out struct {
		Households []idOnly `json:"households"`
	}
	c.call(t, "POST", "/v1/compounds/"+k.ID+"/households:batchCreate", map[string]any{"households": batch}, &out)
	if len(out.Households) != n {
		t.Fatalf("registered %d households, want %d", len(out.Households), n)
	}
	hids := make([]string, n)
	for i, h := range out.Households {
		hids[i] = h.ID
	}
	return k.ID, hids
}

// projectWithPlan creates a project for compound k and a funding plan in which every
// household owes quotaFen; it returns the project id.
func projectWithPlan(t *testing.T, c *client, k string, quotaFen int64) string {
	t.Helper()
	var p idOnly
	c.call(t, "POST", "/v1/projects", map[string]any{"compoundId": k, "title": "微改造", "year": 2021, "budgetFen": "60000000"}, &p)
	c.call(t, "POST", "/v1/funding-plans", map[string]any{
		"projectId": p.ID, "quota": map[string]any{"flatFen": fmt.Sprint(quotaFen)},
		"sources": []map[string]any{
			{"party": "GOVERNMENT", "funder": "铜都街道", "committedFen": "60000000"},
			{"party": "RESIDENTS", "funder": "居民自筹"},
		},
	}, nil)
	return p.ID
}

// contributionIDs lists the ids of every contribution in the project's book.
func contributionIDs(t *testing.T, c *client, pid string) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	token := ""
	for page := 0; page < 100; page++ {
		var l struct {
			Transactions  []idOnly `json:"transactions"`
			NextPageToken string   `json:"nextPageToken"`
		}
		q := "?kind=CONTRIBUTION&pageSize=1000"
		if token != "" {
			q += "&pageToken=" + token
		}
		c.call(t, "GET", "/v1/books/renovation-"+pid+"/transactions"+q, nil, &l)
		for _, tx := range l.Transactions {
			got[tx.ID] = true
		}
		if token = l.NextPageToken; token == "" {
			return got
		}
	}
	t.Fatal("more than 100 pages of transactions")
	return nil
}

func short(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
