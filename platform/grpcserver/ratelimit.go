package grpcserver

import (
	"context"
	"net"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"tongdu/platform/auth"
	"tongdu/platform/inproc"
	"tongdu/platform/ratelimit"
)

// DefaultRateLimit is the gRPC port's default of calls a second per caller (burst: twice
// that): ten times the gateway's default of 50 REST requests. The gateway's own call to a
// service lands on this limit as the user whose token it carries, and so does every call
// a service makes on that user's behalf (a project's transition asks survey and finance;
// finance asks projects where a project lies before it authorizes; a large compound's
// households come in pages). A REST caller at its limit, each request making up to nine
// internal calls, so stays under this one: ordinary use through REST meets the
// gateway's 429 first. District systems calling gRPC directly get the same headroom.
// Raise it with the gateway's --rate-limit.
const DefaultRateLimit = 500

// WithRateLimit limits each caller to perSec calls a second (burst: twice that), as the
// gateway limits REST callers; 0 is no limit. A caller is its token's subject, verified
// by v: a district system's or a service's own identity, or the user on whose behalf a
// service calls (it forwards the user's token). A call without a valid token (none, or a
// bad one) is limited by its peer address, so a flood of bad tokens is limited too.
func WithRateLimit(perSec float64, v *auth.Verifier) Option {
	return func(o *options) { o.limit, o.limitVerifier = ratelimit.New(perSec), v }
}

// exemptFromLimit are the calls no limit applies to: health checks, which answer from
// memory, so a probe (the gateway's /readyz among them) is never refused for the
// anonymous traffic that shares its address; and resolving a session cookie, which the
// gateway does for every signed-in browser's request (all from the gateway's address,
// carrying no token yet; the gateway has limited each browser by its address before,
// and an unknown session id costs one read).
func exemptFromLimit(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.v1.Health/") || method == "/tongdu.governance.v1.AccountService/ResolveSession"
}

// limited answers RESOURCE_EXHAUSTED with RetryInfo when the caller is over its rate.
func limited(ctx context.Context, l *ratelimit.Limiter, v *auth.Verifier, method string) error {
	if exemptFromLimit(method) {
		return nil
	}
	if wait := l.Take(limitKey(ctx, v)); wait > 0 {
		return ratelimit.Status(wait).Err()
	}
	return nil
}

// limitKey is the caller of ctx for the limit: the subject of a valid token (verified
// once a minute at most: the verifier remembers valid tokens), else the peer's host. For
// a call from this process (the all-in-one's gateway, over an in-memory connection) that
// host is the client's the gateway forwards for, so each anonymous REST caller has its
// own budget here as at the gateway, instead of all sharing the gateway's one address. A
// caller off the network could write any x-forwarded-for, so theirs is not read.
func limitKey(ctx context.Context, v *auth.Verifier) string {
	if v != nil {
		if token := auth.BearerToken(ctx); token != "" {
			if p, err := v.Verify(token); err == nil && p.Subject != "" {
				return ratelimit.SubjectKey(p.Subject)
			}
		}
	}
	if inproc.Caller(ctx) {
		if host := forwardedFor(ctx); host != "" {
			return ratelimit.AddressKey(host)
		}
	}
	host := "unknown"
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		host = p.Addr.String()
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	return ratelimit.AddressKey(host)
}

// forwardedFor is the client address the gateway saw: grpc-gateway appends it to
// x-forwarded-for, after whatever the client itself sent there.
func forwardedFor(ctx context.Context) string {
	vs := metadata.ValueFromIncomingContext(ctx, "x-forwarded-for")
	if len(vs) == 0 {
		return ""
	}
	parts := strings.Split(vs[len(vs)-1], ",")
	return strings.TrimSpace(parts[len(parts)-1])
}

func limitInterceptor(l *ratelimit.Limiter, v *auth.Verifier) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := limited(ctx, l, v, info.FullMethod); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

func streamLimitInterceptor(l *ratelimit.Limiter, v *auth.Verifier) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := limited(ss.Context(), l, v, info.FullMethod); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}
