package grpcserver

import (
	"context"
	"log/slog"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Probe reports whether something the service depends on (its Redis) answers.
type Probe func(ctx context.Context) error

// WatchReadiness sets the overall health status ("") and each named service's status to
// SERVING while probe succeeds and NOT_SERVING while it fails, checking every interval
// until ctx ends. The gateway's /readyz and Kubernetes probes read these statuses.
func (s *Server) WatchReadiness(ctx context.Context, probe Probe, interval time.Duration, services ...string) {
	check := func(limit time.Duration) {
		pctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		st := healthpb.HealthCheckResponse_SERVING
		if err := probe(pctx); err != nil {
			st = healthpb.HealthCheckResponse_NOT_SERVING
			s.log.LogAttrs(ctx, slog.LevelWarn, "not ready", slog.String("cause", err.Error()))
		}
		for _, name := range append([]string{""}, services...) {
			s.Health.SetServingStatus(name, st)
		}
	}
	// The first check is quick, so a healthy service is ready when Register returns and a
	// store that is down holds up start-up by a moment only.
	check(500 * time.Millisecond)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				check(interval)
			}
		}
	}()
}
