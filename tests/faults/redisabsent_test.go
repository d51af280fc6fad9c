package faults

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/redisproc"
)

// TestRedisAbsentAtStartBecomesReady starts the all-in-one with --redis-url pointing at a
// unix socket nobody listens on yet. It must start all the same, report not ready (gRPC
// health NOT_SERVING, /readyz 503, calls 503), and become ready by itself once a
// redis-server appears on that socket.
func TestRedisAbsentAtStartBecomesReady(t *testing.T) {
	requireRedisServer(t)
	redisDir := filepath.Join(t.TempDir(), "redis")
	url := "unix://" + filepath.Join(redisDir, "redis.sock")
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: url, DataDir: t.TempDir()})
	c := adminOf(t, app)

	conn, err := grpc.NewClient(app.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	health := func(service string) healthpb.HealthCheckResponse_ServingStatus {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("health check %q: %v", service, err)
		}
		return r.GetStatus()
	}
	services := []string{"", "tongdu.governance.v1.GovernanceService", "tongdu.survey.v1.SurveyService", "tongdu.projects.v1.ProjectsService", "tongdu.finance.v1.FinanceService"}
	for _, s := range services {
		if st := health(s); st != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("health of %q without Redis: %v, want NOT_SERVING", s, st)
		}
	}
	if r, err := c.try("GET", "/readyz", "", nil); err != nil || r.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz without Redis: %v, status %d, want 503", err, r.status)
	}
	start := time.Now()
	if r, err := c.try("GET", "/v1/regions", "", nil); err != nil || r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Errorf("GET /v1/regions without Redis: %v, status %d, Retry-After %q, want 503 saying when to retry; body %s", err, r.status, r.header.Get("Retry-After"), short(r.body))
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("GET /v1/regions without Redis took %v, want a 503 within 1s", took)
	} else {
		t.Logf("GET /v1/regions without Redis: 503 after %v", took)
	}

	srv, err := redisproc.Start(context.Background(), redisproc.Options{Dir: redisDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	took := waitFor(t, 10*time.Second, "/readyz 200 once Redis is there", func() bool {
		r, err := c.try("GET", "/readyz", "", nil)
		return err == nil && r.status == http.StatusOK
	})
	for _, s := range services {
		if st := health(s); st != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q with Redis: %v, want SERVING", s, st)
		}
	}
	c.call(t, "POST", "/v1/regions", map[string]any{"name": "东川区", "level": "DISTRICT"}, nil)
	t.Logf("ready %v after redis-server appeared", took)
}
