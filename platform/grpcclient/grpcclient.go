// Package grpcclient opens the connections a Tongdu binary makes to its peers: otelgrpc
// so traces cross the hop, and a default deadline so a slow peer cannot hold a request
// forever.
package grpcclient

import (
	"context"
	"math/rand/v2"
	"time"
	"tongdu/platform/ratelimit"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// DefaultTimeout bounds a call whose context has no deadline of its own.
const DefaultTimeout = 10 * time.Second

// MaxMessage is the largest message a call carries either way: a district's spreadsheet
// export (a whole book's entries, a sub-district's collection lists) passes gRPC's default
// of 4 MiB. Servers take the same (grpcserver).
const MaxMessage = 32 << 20

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
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessage), grpc.MaxCallSendMsgSize(MaxMessage)),
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

// PaceToLimits makes a batch client (the demo loader, an import) wait and try again when
// a service says it is over the caller's rate limit (RESOURCE_EXHAUSTED, reason
// RATE_LIMITED, with RetryInfo), instead of failing half-way through a load: it keeps
// to the limit rather than needing an exemption from it. Other refusals come back as
// they are.
func PaceToLimits() grpc.DialOption {
	return grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		for {
			err := invoker(ctx, method, req, reply, cc, opts...)
			wait, limited := rateLimited(err)
			if !limited {
				return err
			}
			// Spread the workers of one batch over the next moments, or they all come
			// back at once and are refused again; the call's deadline bounds the waiting.
			wait += rand.N(wait)
			select {
			case <-ctx.Done():
				return err
			case <-time.After(wait):
			}
		}
	})
}

// rateLimited reads a rate limit's refusal: how long to wait before trying again.
func rateLimited(err error) (time.Duration, bool) {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.ResourceExhausted {
		return 0, false
	}
	wait, limited := 20*time.Millisecond, false
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			limited = limited || d.GetReason() == ratelimit.Reason
		case *errdetails.RetryInfo:
			wait = max(wait, d.GetRetryDelay().AsDuration())
		}
	}
	return wait, limited
}
