package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// postExpectContinue posts body announcing its length and asking "Expect: 100-continue",
// as curl does for big uploads: a server that refuses by the length answers at once and
// the client never sends the body, so the answer cannot be lost to a reset connection.
func (c *client) postExpectContinue(path, body string) response {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ExpectContinueTimeout = 10 * time.Second
	defer tr.CloseIdleConnections()
	saved := c.http
	c.http = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer func() { c.http = saved }()
	return c.send(req)
}

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

// TestMethodsNotBuiltAnswer501 calls a survey method that passes validation: the contract
// is there, the implementation is not yet, and the client is told so.
func TestMethodsNotBuiltAnswer501(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	body := `{
		"compoundId": "c",
		"title": "t",
		"kind": "NEEDS",
		"questions": [{
			"id": "wants_renovation",
			"text": "您是否同意对本小区进行改造？",
			"type": "SINGLE_CHOICE",
			"options": [{"id": "yes", "text": "同意"}, {"id": "no", "text": "不同意"}]
		}]
	}`
	st := c.failure(c.do("POST", "/v1/surveys", body), http.StatusNotImplemented, "POST /v1/surveys")
	if st.Code != 12 {
		t.Errorf("code %d, want 12 (UNIMPLEMENTED)", st.Code)
	}

	// Validation still comes first: a bad survey is 400, not 501.
	bad := `{"compoundId":"c","title":"t","kind":"NEEDS","questions":[{"id":"q","text":"?","type":"TEXT"}]}`
	st = c.failure(c.do("POST", "/v1/surveys", bad), http.StatusBadRequest, "POST /v1/surveys with a TEXT first question")
	if len(st.Details) == 0 {
		t.Errorf("400 without details: %s", st.Raw)
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
