package telemetry

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
)

// Without OTLP configured, metrics are still kept and served at /metrics in the
// Prometheus text format, with the service's name; a second Setup in the same process
// (as tests do) starts a fresh page instead of failing on the first one's collectors.
func TestMetricsWithoutOTLP(t *testing.T) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"} {
		t.Setenv(k, "")
	}
	for round := 1; round <= 2; round++ {
		shutdown, err := Setup(context.Background(), "telemetry-test")
		if err != nil {
			t.Fatalf("setup %d: %v", round, err)
		}
		counter, err := otel.Meter("test").Int64Counter("tongdu.test.things")
		if err != nil {
			t.Fatal(err)
		}
		counter.Add(context.Background(), 3)
		rec := httptest.NewRecorder()
		Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body, _ := io.ReadAll(rec.Body)
		page := string(body)
		if rec.Code != 200 || !strings.Contains(page, "tongdu_test_things_total{") || !strings.Contains(page, `service_name="telemetry-test"`) {
			t.Errorf("round %d: /metrics answered %d:\n%s", round, rec.Code, page)
		}
		// The runtime's own figures, which a leak shows in first.
		for _, name := range []string{"go_goroutines ", "go_memstats_heap_inuse_bytes ", "process_resident_memory_bytes "} {
			if !strings.Contains(page, "\n"+name) {
				t.Errorf("round %d: /metrics has no %s", round, name)
			}
		}
		for _, line := range strings.Split(page, "\n") {
			if strings.HasPrefix(line, "tongdu_test_things_total{") && !strings.HasSuffix(line, " 3") {
				t.Errorf("round %d: %s, want 3 (each Setup starts afresh)", round, line)
			}
		}
		if err := shutdown(context.Background()); err != nil {
			t.Errorf("shutdown %d: %v", round, err)
		}
	}
}
