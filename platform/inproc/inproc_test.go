package inproc_test

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"tongdu/platform/inproc"
)

// One server on a TCP and an in-memory listener: a client of Target reaches it in memory,
// the server's interceptors run and see an in-process caller (a TCP one is not), and a
// graceful stop with the clients still open returns, closing the in-memory listener too.
func TestServeBesideTCP(t *testing.T) {
	seen := make(chan bool, 2)
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		seen <- inproc.Caller(ctx)
		return h(ctx, req)
	}))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mem := inproc.Listen()
	served := make(chan error, 2)
	go func() { served <- srv.Serve(tcp) }()
	go func() { served <- srv.Serve(mem) }()

	local, err := grpc.NewClient(inproc.Target, mem.Dial(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	remote, err := grpc.NewClient(tcp.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range []struct {
		name string
		conn *grpc.ClientConn
		want bool
	}{{"in memory", local, true}, {"over TCP", remote, false}} {
		if _, err := healthpb.NewHealthClient(c.conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := <-seen; got != c.want {
			t.Errorf("%s: Caller = %v, want %v", c.name, got, c.want)
		}
	}

	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("GracefulStop did not return with in-memory clients open")
	}
	for range 2 {
		if err := <-served; err != nil {
			t.Errorf("Serve: %v, want nil after a graceful stop", err)
		}
	}
	// The stop closed the listener: a new client is refused, as by a closed port.
	late, err := grpc.NewClient(inproc.Target, mem.Dial(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	if _, err := healthpb.NewHealthClient(late).Check(ctx, &healthpb.HealthCheckRequest{}); status.Code(err) != codes.Unavailable {
		t.Errorf("a call after the stop: %v, want UNAVAILABLE", err)
	}
}
