package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"

	"google.golang.org/grpc/codes"

	"tongdu/platform/grpcserver"
)

// get asks path and returns the status, Retry-After and the google.rpc.Status body.
func get(t *testing.T, url string) (int, string, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), body
}

// want429 checks a 429 says when to retry, in the header and as RetryInfo in the body.
func want429(t *testing.T, what string, status int, retryAfter string, body map[string]any) {
	t.Helper()
	if status != http.StatusTooManyRequests {
		t.Fatalf("%s: status %d %v, want 429", what, status, body)
	}
	if n, err := strconv.Atoi(retryAfter); err != nil || n < 1 {
		t.Errorf("%s: Retry-After %q, want whole seconds >= 1", what, retryAfter)
	}
	if body["code"] != float64(codes.ResourceExhausted) {
		t.Errorf("%s: code %v, want 8 (RESOURCE_EXHAUSTED)", what, body["code"])
	}
	details, _ := body["details"].([]any)
	found := false
	for _, d := range details {
		if m, ok := d.(map[string]any); ok && m["@type"] == "type.googleapis.com/google.rpc.RetryInfo" {
			found = true
		}
	}
	if !found {
		t.Errorf("%s: no RetryInfo in %v", what, body)
	}
}

// A caller over the gateway's rate is told 429 with Retry-After before any service sees
// the request. Without a token the caller is its address.
func TestGatewayLimitIs429(t *testing.T) {
	h := startGatewayWith(t, Config{RateLimit: 0.01}) // burst 1, no refill during the test
	if status, _, body := get(t, h.URL+"/v1/surveys/s1/resolution"); status != http.StatusOK {
		t.Fatalf("first request: status %d %v", status, body)
	}
	status, ra, body := get(t, h.URL+"/v1/surveys/s1/resolution")
	want429(t, "second request", status, ra, body)
}

// A caller over a service's gRPC rate (the gateway's own limit off) is told 429 with
// Retry-After too: the gateway reads the RetryInfo the service sent.
func TestServiceLimitIs429(t *testing.T) {
	h := startGatewayWith(t, Config{}, grpcserver.WithRateLimit(0.01, nil))
	if status, _, body := get(t, h.URL+"/v1/surveys/s1/resolution"); status != http.StatusOK {
		t.Fatalf("first request: status %d %v", status, body)
	}
	status, ra, body := get(t, h.URL+"/v1/surveys/s1/resolution")
	want429(t, "second request", status, ra, body)
}
