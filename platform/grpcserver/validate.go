package grpcserver

import (
	"context"
	"errors"
	"strings"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/apierror"
	"tongdu/platform/fault"
	"tongdu/platform/jsonname"
)

// validationInterceptor checks every request against the protovalidate constraints of
// its contract before a handler sees it, and answers INVALID_ARGUMENT with one field
// violation per broken constraint.
func validationInterceptor(v protovalidate.Validator) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if msg, ok := req.(proto.Message); ok {
			if err := v.Validate(msg); err != nil {
				return nil, validationStatus(err)
			}
		}
		return handler(ctx, req)
	}
}

func validationStatus(err error) error {
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) {
		// A compilation error of a constraint is our bug, not the caller's.
		return err
	}
	violations := make([]fault.Violation, 0, len(verr.Violations))
	for _, v := range verr.Violations {
		field := protovalidate.FieldPathString(v.Proto.GetField())
		if field == "" {
			// A message-level rule has no field; our contracts name such rules
			// "<field>_required" and the like, which is the best name we have.
			field = strings.TrimSuffix(v.Proto.GetRuleId(), "_required")
		}
		violations = append(violations, fault.Violation{Field: jsonname.FromProto(field), Description: v.Proto.GetMessage()})
	}
	f := fault.Fields(violations...)
	f.Message = "invalid request: " + verr.Error()
	return apierror.FromFault(f)
}
