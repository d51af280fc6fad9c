// Package grpcclient opens the connections a Tongdu binary makes to its peers: otelgrpc
// so traces cross the hop, and a default deadline so a slow peer cannot hold a request
// forever.
package grpcclient

import (
	"context"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// DefaultTimeout bounds a call whose context has no deadline of its own.
const DefaultTimeout = 10 * time.Second

// New returns a lazily connecting client for target ("host:port" or any gRPC target).
// The connection is made on first use, so a peer that is down does not stop start-up.
func New(target string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	return NewWithTimeout(target, DefaultTimeout, opts...)
}

// NewWithTimeout is New with another bound for calls whose context has no deadline
// (0: DefaultTimeout).
func NewWithTimeout(target string, timeout time.Duration, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	base := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
		grpc.WithChainUnaryInterceptor(deadlineInterceptor(timeout), identityInterceptor),
	}
	return grpc.NewClient(target, append(base, opts...)...)
}

// identityInterceptor passes the caller's token on: a call a service makes while serving
// a request is made on the caller's behalf and authorised as the caller.
func identityInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if out, _ := metadata.FromOutgoingContext(ctx); len(out.Get("authorization")) == 0 {
		if in := metadata.ValueFromIncomingContext(ctx, "authorization"); len(in) > 0 {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", in[0])
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

func deadlineInterceptor(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
