package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/testkit"
)

// TestHealthReadinessAndOpenAPI checks what operators and client generators read.
func TestHealthReadinessAndOpenAPI(t *testing.T) {
	t.Parallel()
	c := startApp(t)

	if r := c.do("GET", "/healthz", nil); r.status != http.StatusOK {
		t.Errorf("GET /healthz: status %d, body %s", r.status, r.body)
	}

	r := c.do("GET", "/readyz", nil)
	if r.status != http.StatusOK {
		t.Errorf("GET /readyz: status %d, want 200; body %s", r.status, r.body)
	}
	var ready struct {
		Ready    bool              `json:"ready"`
		Services map[string]string `json:"services"`
	}
	if err := json.Unmarshal(r.body, &ready); err != nil {
		t.Fatalf("GET /readyz: not JSON: %v; body %s", err, r.body)
	}
	if !ready.Ready {
		t.Errorf("GET /readyz says not ready: %s", r.body)
	}
	for _, svc := range []string{"governance", "survey", "projects", "finance"} {
		if got := ready.Services[svc]; got != "SERVING" {
			t.Errorf("GET /readyz: %s is %q, want SERVING", svc, got)
		}
	}

	r = c.do("GET", "/openapi.json", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /openapi.json: status %d", r.status)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /openapi.json: Content-Type %q", ct)
	}
	var doc struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("GET /openapi.json: not JSON: %v", err)
	}
	for _, p := range []string{"/v1/compounds", "/v1/surveys", "/v1/regions", "/v1/projects", "/v1/funding-plans"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("GET /openapi.json: no path %s", p)
		}
	}
}

// TestUnknownRoute is 404 with a status body, not an HTML page.
func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	r := c.do("GET", "/v1/no-such-things", nil)
	if r.status != http.StatusNotFound {
		t.Errorf("GET /v1/no-such-things: status %d, want 404", r.status)
	}
}

// TestQueryErrorsNameFieldsInCamelCase: a bad query parameter is reported under the name
// the client sent, as every other field violation is (API.md: lowerCamelCase names).
func TestQueryErrorsNameFieldsInCamelCase(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	for _, tc := range []struct{ query, field string }{
		{"managementType=CASTLE", "managementType"},
		{"pageSize=abc", "pageSize"},
		{"pageSize=5000", "pageSize"},
		{"pageToken=not-a-token!", "pageToken"},
	} {
		st := c.failure(c.do("GET", "/v1/compounds?"+tc.query, nil), http.StatusBadRequest, "GET /v1/compounds?"+tc.query)
		if _, ok := st.violation(tc.field); !ok {
			t.Errorf("GET /v1/compounds?%s: no field violation naming %q: %s", tc.query, tc.field, st.Raw)
		}
	}
}

// TestWrongMethodOnContractPath: a method the contract does not have on a path it does
// have is 405, not "part of the contract but not built yet".
func TestWrongMethodOnContractPath(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	comp := c.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID})
	st := c.failure(c.do("DELETE", path("/v1/compounds/%s", comp.ID), nil), http.StatusMethodNotAllowed, "DELETE /v1/compounds/{id}")
	if strings.Contains(st.Message, "part of the contract") {
		t.Errorf("DELETE, which the contract does not have, is called part of the contract: %s", st.Raw)
	}
	if got := c.getCompound(comp.ID); got.ID != comp.ID {
		t.Errorf("the compound is gone after a refused DELETE")
	}
}

// TestRedisDown: with its store unreachable the app still starts and says it is alive,
// /readyz says not ready and why, and calls that need the store answer UNAVAILABLE (503),
// which tells a client to retry later, not INTERNAL, which says the server is broken.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	// A socket path nobody listens on: every dial fails at once.
	dead := "unix://" + t.TempDir() + "/nobody.sock"
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: dead, DataDir: t.TempDir()})
	t.Cleanup(app.Close)
	c := newClient(t, app)

	if r := c.do("GET", "/healthz", nil); r.status != http.StatusOK {
		t.Errorf("GET /healthz with Redis down: status %d, want 200 (the process is up)", r.status)
	}
	r := c.do("GET", "/readyz", nil)
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with Redis down: status %d, want 503; body %s", r.status, r.body)
	}
	var ready struct {
		Ready    bool              `json:"ready"`
		Services map[string]string `json:"services"`
	}
	if err := json.Unmarshal(r.body, &ready); err != nil {
		t.Fatalf("GET /readyz: not JSON: %v; body %s", err, r.body)
	}
	for _, svc := range []string{"governance", "survey", "projects", "finance"} {
		if got := ready.Services[svc]; got == "SERVING" || got == "" {
			t.Errorf("GET /readyz with Redis down: %s is %q, want NOT_SERVING", svc, got)
		}
	}

	for _, call := range []struct{ method, path, body string }{
		{"POST", "/v1/regions", `{"name":"锦江区","level":"DISTRICT"}`},
		{"GET", "/v1/compounds/some-id", ""},
	} {
		var body any
		if call.body != "" {
			body = call.body
		}
		st := c.failure(c.do(call.method, call.path, body), http.StatusServiceUnavailable, call.method+" "+call.path+" with Redis down")
		if st.Code != 14 {
			t.Errorf("%s %s with Redis down: code %d, want 14 (UNAVAILABLE)", call.method, call.path, st.Code)
		}
	}
}

// TestStartFailsCleanlyOnABusyPort: a port the all-in-one cannot take (here the profiles
// port, opened after the services started) is an error from Start, with what was started
// stopped again, not a crash; and the app's ports are free again afterwards.
func TestStartFailsCleanlyOnABusyPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	grpcAddr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	app, err := allinone.Start(ctx, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: grpcAddr, RedisURL: testkit.RedisURL(t), DataDir: t.TempDir(),
		DebugAddr: busy.Addr().String()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		app.Close()
		t.Fatal("Start with a busy --debug-addr succeeded")
	}
	if app != nil {
		t.Errorf("Start failed (%v) but returned an app", err)
	}
	again, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		t.Fatalf("the gRPC port is still held after the failed start: %v", err)
	}
	again.Close()
}

// freeAddr is a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
