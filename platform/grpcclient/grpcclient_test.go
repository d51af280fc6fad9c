package grpcclient

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"tongdu/platform/ratelimit"
)

// A batch client paced to the limits waits out a rate limit's refusals and gets its
// answer; any other refusal comes back at once.
func TestPaceToLimitsWaitsOutARateLimit(t *testing.T) {
	var calls atomic.Int32
	var refuse atomic.Value
	refuse.Store(ratelimit.Status(20 * time.Millisecond))
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if calls.Add(1) <= 2 {
			return nil, refuse.Load().(*status.Status).Err()
		}
		return h(ctx, req)
	}))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	paced, err := New(lis.Addr().String(), PaceToLimits())
	if err != nil {
		t.Fatal(err)
	}
	defer paced.Close()
	start := time.Now()
	if _, err := healthpb.NewHealthClient(paced).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("paced call: %v", err)
	}
	if calls.Load() != 3 || time.Since(start) < 40*time.Millisecond {
		t.Fatalf("%d calls in %s, want 3 after two waits of at least 20ms", calls.Load(), time.Since(start))
	}

	calls.Store(0)
	refuse.Store(status.New(codes.ResourceExhausted, "locked"))
	if _, err := healthpb.NewHealthClient(paced).Check(context.Background(), &healthpb.HealthCheckRequest{}); status.Code(err) != codes.ResourceExhausted || calls.Load() != 1 {
		t.Fatalf("another refusal: %v after %d calls, want it back at once", err, calls.Load())
	}
}
