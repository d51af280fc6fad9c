// Package audit keeps the audit trail: every change made through a service (who, role,
// method, resource, request id, outcome, time) appended to that service's Redis stream.
// Entries are never edited; the stream is capped at a length large enough for years of a
// district's changes.
package audit

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/auth"
	"tongdu/platform/idempotency"
)

// Services are the services whose trails exist.
var Services = []string{"governance", "survey", "projects", "finance"}

// MaxLen caps each service's trail.
const MaxLen = 5_000_000

// StreamKey is a service's trail.
func StreamKey(service string) string { return "audit:{" + service + "}" }

// ServiceOf names the service of a full gRPC method: "/tongdu.finance.v1.FinanceService/X" → "finance".
func ServiceOf(method string) string {
	pkg, _, _ := strings.Cut(strings.TrimPrefix(method, "/tongdu."), ".")
	return pkg
}

// Interceptor appends every change to its service's trail after the handler ran, with
// its outcome and the resource the policy says it concerns; it runs before authorization, so calls refused there are recorded too,
// except calls that name nobody (no valid token, or a method that needs none, and no
// handler said who tried with auth.Name): a flood of them must not push real changes out
// of the trail. An entry Redis does not take waits in spool (when
// given) until it does; a change is refused up front while the spool is full, since it
// could not be recorded. A trail that cannot be written at all is logged by the caller's
// log, never fails the change (the change already happened).
func Interceptor(rdb redis.UniversalClient, policy auth.Policy, spool *Spool, onError func(ctx context.Context, err error)) grpc.UnaryServerInterceptor {
	tr := &trail{rdb: rdb, spool: spool}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !auth.IsChange(info.FullMethod) {
			return handler(ctx, req)
		}
		if spool != nil && spool.Full() {
			return nil, status.Error(codes.Unavailable, "the audit trail cannot be written now, so no change is taken; retry shortly")
		}
		ctx, slot := auth.WithSlot(ctx)
		resp, err := handler(ctx, req)
		p := *slot
		if p.Subject == "" && p.Role == "" {
			p, _ = auth.FromContext(ctx) // authenticated before this interceptor
		}
		if p.Subject == "" && p.Role == "" && (status.Code(err) == codes.Unauthenticated || policy[info.FullMethod].Public) {
			// Nobody to name: an anonymous flood (bad tokens, sessions looked up) must not
			// push real changes out of the trail. A sign-in, which needs no token, names who
			// tried (auth.Name), so its failures and locks are recorded. (A server without
			// auth names nobody for any call and still records its changes.)
			return resp, err
		}
		msg, _ := req.(proto.Message)
		requestID := idempotency.RequestID(msg)
		if requestID == "" {
			if keys := metadata.ValueFromIncomingContext(ctx, idempotency.MetadataKey); len(keys) > 0 {
				requestID = keys[0]
			}
		}
		e := Entry{
			Actor: p.Subject, Role: p.Role, Method: info.FullMethod,
			Resource: policy.Target(info.FullMethod, msg), RequestID: requestID, Outcome: status.Code(err),
		}
		werr := tr.record(StreamKey(ServiceOf(e.Method)), e.values())
		if werr != nil && onError != nil {
			onError(ctx, werr)
		}
		return resp, err
	}
}

// Entry is one change for the trail.
type Entry struct {
	Actor     string // the token's subject, or who acted outside the API ("cli:<user>")
	Role      auth.Role
	Method    string // the full gRPC method the change is (or stands for)
	Resource  string
	RequestID string
	Outcome   codes.Code
}

// Record appends e to its service's trail, or to spool (when given) if Redis does not
// take it. The interceptor records every change made through the API with it; a change
// made beside the API (an account made at the machine by tongdu user add) records itself.
func Record(ctx context.Context, rdb redis.UniversalClient, spool *Spool, e Entry) error {
	values := e.values()
	stream := StreamKey(ServiceOf(e.Method))
	err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, MaxLen: MaxLen, Approx: true, Values: values}).Err()
	if err != nil && spool != nil {
		err = spool.Add(stream, values)
	}
	return err
}

// values are an entry's fields in the stream, timed now.
func (e Entry) values() map[string]any {
	return map[string]any{
		"actor": e.Actor, "role": string(e.Role), "method": e.Method,
		"resource": e.Resource, "requestId": e.RequestID,
		"outcome": CodeName(e.Outcome), "time": time.Now().UTC().Format(time.RFC3339Nano),
	}
}

// CodeName writes a status code as the contracts do: OK, FAILED_PRECONDITION, ….
func CodeName(c codes.Code) string {
	name := c.String()
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' && name != "OK" {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}
