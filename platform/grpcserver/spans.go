package grpcserver

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/auth"
)

// Span attributes Tongdu adds to the server span of every call.
const (
	// RefusalReasonKey is the ErrorInfo reason of a refused call (ETAG_MISMATCH,
	// RESOLUTION_NOT_PASSED, ...): the rule that said no, which the status code alone
	// does not tell.
	RefusalReasonKey = attribute.Key("tongdu.refusal.reason")
	// RefusalEvent marks the moment of the refusal on the span, with the reason.
	RefusalEvent = "tongdu.refused"
)

// spanKinds are the resource kinds whose ids may go on a span, by the policy table's
// target prefix. Households and party members are left out on purpose: their ids point
// at residents, and spans must carry no personal data (rule 13: no personal data in traces).
var spanKinds = map[string]attribute.Key{
	"projects":     "tongdu.project.id",
	"compounds":    "tongdu.compound.id",
	"surveys":      "tongdu.survey.id",
	"regions":      "tongdu.region.id",
	"buildings":    "tongdu.building.id",
	"books":        "tongdu.book.id",
	"transactions": "tongdu.transaction.id",
	"whistles":     "tongdu.whistle.id",
	"departments":  "tongdu.department.id",
	"meetings":     "tongdu.meeting.id",
	"ideas":        "tongdu.idea.id",
	"elections":    "tongdu.election.id",
	"conventions":  "tongdu.convention.id",
	"units":        "tongdu.unit.id",
}

// spanInterceptor names, on the call's server span, the resource the call concerns (as
// the policy table names it, so every method is covered without each handler doing it)
// and, when the call is refused by a rule, the rule's reason. Operators then find a
// project's requests by its id and see why a request failed without reading logs.
func spanInterceptor(policy auth.Policy) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		span := trace.SpanFromContext(ctx)
		if !span.IsRecording() {
			return handler(ctx, req)
		}
		if msg, ok := req.(proto.Message); ok {
			if kind, id, ok := strings.Cut(policy.Target(info.FullMethod, msg), "/"); ok && id != "" {
				if key, ok := spanKinds[kind]; ok {
					span.SetAttributes(key.String(id))
				}
			}
		}
		resp, err := handler(ctx, req)
		if reason := refusalReason(err); reason != "" {
			span.SetAttributes(RefusalReasonKey.String(reason))
			span.AddEvent(RefusalEvent, trace.WithAttributes(RefusalReasonKey.String(reason)))
		}
		return resp, err
	}
}

// refusalReason is the ErrorInfo reason err carries, or "". Only the reason goes on the
// span: the metadata and message may name households.
func refusalReason(err error) string {
	if err == nil {
		return ""
	}
	st, ok := status.FromError(err)
	if !ok {
		return ""
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}
