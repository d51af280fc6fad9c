package grpcserver

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"tongdu/platform/apierror"
	"tongdu/platform/fault"
	"tongdu/platform/idempotency"
)

// IdempotencyKeyHeader carries a request id in metadata. REST clients may send it as the
// Idempotency-Key header or as ?requestId= on any route; the gateway forwards both here,
// because a route whose body is the whole request cannot read its query string.
const IdempotencyKeyHeader = idempotency.MetadataKey

// requestIDInterceptor copies the metadata's request id into the request's request_id
// field when that is empty, and refuses two different ids for one request.
func requestIDInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		keys := metadata.ValueFromIncomingContext(ctx, IdempotencyKeyHeader)
		msg, ok := req.(proto.Message)
		if len(keys) == 0 || !ok {
			return handler(ctx, req)
		}
		// The field is the request's own, or its record's (a contribution carries it).
		m, f, ok := idempotency.RequestIDField(msg)
		if !ok {
			return handler(ctx, req)
		}
		switch have := m.Get(f).String(); {
		case have == "":
			m.Set(f, protoreflect.ValueOfString(keys[0]))
		case have != keys[0]:
			f := fault.Field("requestId", "the body and the Idempotency-Key header (or ?requestId=) name different request ids")
			f.Message = "two different request ids"
			return nil, apierror.FromFault(f)
		}
		return handler(ctx, req)
	}
}
