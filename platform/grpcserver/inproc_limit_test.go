package grpcserver

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"tongdu/platform/inproc"
	"tongdu/platform/ratelimit"
)

// An anonymous call from this process's own gateway (in memory) counts against the client
// the gateway forwards for, the last x-forwarded-for entry (grpc-gateway appends the
// address it saw after the client's own); from the network, x-forwarded-for is the
// caller's to write, so the peer's address counts.
func TestLimitKeyOfInProcessCallers(t *testing.T) {
	xff := metadata.Pairs("x-forwarded-for", "203.0.113.9, 198.51.100.7")
	tcp := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 5555}
	for _, c := range []struct {
		name string
		addr net.Addr
		md   metadata.MD
		want string
	}{
		{"gateway in memory", inproc.Addr{}, xff, ratelimit.AddressKey("198.51.100.7")},
		{"in memory, no client named", inproc.Addr{}, nil, ratelimit.AddressKey("inproc")},
		{"from the network", tcp, xff, ratelimit.AddressKey("127.0.0.1")},
	} {
		ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: c.addr})
		if c.md != nil {
			ctx = metadata.NewIncomingContext(ctx, c.md)
		}
		if got := limitKey(ctx, nil); got != c.want {
			t.Errorf("%s: key %q, want %q", c.name, got, c.want)
		}
	}
}
