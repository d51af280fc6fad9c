package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/logging"
	"tongdu/platform/telemetry"
	"tongdu/platform/testkit"
)

// collector receives every span the process exports.
var collector *receiver

// TestMain points the OTLP exporter at the in-process receiver and sets telemetry up the
// way every Tongdu binary does (servicemain), before any app is built: instrumentation
// takes the global providers when it is made.
func TestMain(m *testing.M) {
	r, err := startReceiver()
	if err != nil {
		fmt.Fprintln(os.Stderr, "otlp receiver:", err)
		os.Exit(1)
	}
	collector = r
	for k, v := range map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + r.addr,
		"OTEL_EXPORTER_OTLP_INSECURE": "true",
		// Short batches, so a flush has little to wait for; metrics go to /metrics, and
		// the OTLP copy would only add noise within a test's time.
		"OTEL_BSP_SCHEDULE_DELAY":     "50",
		"OTEL_METRIC_EXPORT_INTERVAL": "3600000",
	} {
		os.Setenv(k, v)
	}
	if _, err := telemetry.Setup(context.Background(), "tongdu"); err != nil {
		fmt.Fprintln(os.Stderr, "telemetry:", err)
		os.Exit(1)
	}
	testkit.Main(m)
}

// client is a REST client of one running all-in-one, as its district administrator.
type client struct {
	t     *testing.T
	base  string
	token string
	http  *http.Client
	app   *allinone.App
	logs  *testkit.LogBuffer
}

// startApp runs the all-in-one on a Redis database of its own, with the logger every
// Tongdu binary uses (so log lines carry trace ids), edited by adjust when not nil.
func startApp(t *testing.T, adjust func(*allinone.Config)) *client {
	t.Helper()
	logs := &testkit.LogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	cfg := allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: testkit.RedisURL(t), DataDir: t.TempDir()}
	if adjust != nil {
		adjust(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	app, err := allinone.Start(ctx, cfg, logging.New(logs, "tongdu", slog.LevelDebug))
	if err != nil {
		t.Fatalf("start the all-in-one: %v", err)
	}
	t.Cleanup(app.Close)
	c := &client{t: t, base: app.HTTPBase(), http: &http.Client{Timeout: 30 * time.Second}, app: app, logs: logs}
	c.token = c.tokenFor(auth.Principal{Subject: "admin", Role: auth.DistrictAdmin})
	return c
}

func (c *client) tokenFor(p auth.Principal) string {
	c.t.Helper()
	tok, err := c.app.Signer().Sign(p, time.Hour)
	if err != nil {
		c.t.Fatalf("sign a token: %v", err)
	}
	return tok
}

// do sends body as JSON (nil: no body) and returns the status and the answer.
func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, data
}

// call sends a request that must answer 200 and decodes the answer into out (nil: none).
func (c *client) call(method, path string, body, out any) {
	c.t.Helper()
	status, data := c.do(method, path, body)
	if status != http.StatusOK {
		c.t.Fatalf("%s %s: status %d, want 200; body %s", method, path, status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
}

// id posts body and returns the id of what it created.
func (c *client) id(path string, body any) string {
	c.t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	c.call("POST", path, body, &out)
	if out.ID == "" {
		c.t.Fatalf("POST %s: no id in the answer", path)
	}
	return out.ID
}

// residents are the people of the test compound; their names and phones must never
// show in a span.
var residents = []struct{ name, phone string }{
	{"欧阳晓岚", "13987650001"},
	{"司马青云", "13987650002"},
	{"上官红梅", "13987650003"},
}

// approvable is a compound whose owners are voting on its renovation, and a proposed
// project of it with one work item.
type approvable struct {
	compoundID, surveyID, projectID string
	householdIDs                    []string
}

// setupApprovable builds, through REST as a web client would, everything an approval
// needs except the closing of the vote: regions, a compound with a building and three
// households (with names and phones), a renovation resolution that every household
// agreed to, and a proposed project with an item.
func (c *client) setupApprovable() approvable {
	c.t.Helper()
	var a approvable
	district := c.id("/v1/regions", map[string]any{"name": "东川区", "level": "DISTRICT"})
	sub := c.id("/v1/regions", map[string]any{"name": "铜都街道", "level": "SUBDISTRICT", "parent": district})
	community := c.id("/v1/regions", map[string]any{"name": "沙坝社区", "level": "COMMUNITY", "parent": sub})
	a.compoundID = c.id("/v1/compounds", map[string]any{"name": "石羊路21号院", "communityId": community, "buildYear": 1988, "address": "石羊路21号"})
	building := c.id("/v1/compounds/"+a.compoundID+"/buildings", map[string]any{"name": "1栋", "unitCount": 1, "floorCount": 5})
	var hs []map[string]any
	for i, r := range residents {
		hs = append(hs, map[string]any{"buildingId": building, "unit": "1", "room": fmt.Sprint(101 + i), "exclusiveAreaM2": 60 + i,
			"residentName": r.name, "phone": r.phone})
	}
	var created struct {
		Households []struct {
			ID string `json:"id"`
		} `json:"households"`
	}
	c.call("POST", "/v1/compounds/"+a.compoundID+"/households:batchCreate", map[string]any{"households": hs}, &created)
	for _, h := range created.Households {
		a.householdIDs = append(a.householdIDs, h.ID)
	}
	if len(a.householdIDs) != len(residents) {
		c.t.Fatalf("batchCreate made %d households, want %d", len(a.householdIDs), len(residents))
	}
	a.surveyID = c.id("/v1/surveys", map[string]any{
		"compoundId": a.compoundID, "title": "石羊路21号院改造业主表决", "kind": "RESOLUTION", "matter": "RENOVATION",
		"questions": []map[string]any{{"id": "vote", "text": "您是否同意本事项？", "type": "SINGLE_CHOICE",
			"options": []map[string]any{{"id": "agree", "text": "同意"}, {"id": "disagree", "text": "不同意"}}}},
	})
	c.call("POST", "/v1/surveys/"+a.surveyID+":open", map[string]any{}, nil)
	for _, h := range a.householdIDs {
		c.call("POST", "/v1/surveys/"+a.surveyID+"/responses", map[string]any{
			"householdId": h, "channel": "DOOR_TO_DOOR", "collectorId": "grid-worker-07",
			"answers": []map[string]any{{"questionId": "vote", "optionIds": []string{"agree"}}},
		}, nil)
	}
	a.projectID = c.id("/v1/projects", map[string]any{"compoundId": a.compoundID, "title": "石羊路21号院微改造", "year": 2021, "budgetFen": "600000"})
	c.call("POST", "/v1/projects/"+a.projectID+"/items", map[string]any{
		"category": "BASIC", "kind": "ROAD_REPAIR", "description": "修缮破损道路", "quantity": 100, "unit": "m2",
		"difficulty": "MEDIUM", "estimatedCostFen": "300000", "safetyCritical": true,
	}, nil)
	// Rule 14: the plan went up on the compound's board, its week over.
	c.call("POST", "/v1/notices", map[string]any{"compoundId": a.compoundID, "kind": "PLAN", "subjectId": a.projectID,
		"opensAt": time.Now().Add(-8 * 24 * time.Hour).UTC().Format(time.RFC3339)}, nil)
	return a
}

// contains reports whether text holds s as it is or JSON-escaped to ASCII.
func contains(text, s string) bool {
	if strings.Contains(text, s) {
		return true
	}
	q := strconv.QuoteToASCII(s)
	return strings.Contains(text, q[1:len(q)-1])
}
