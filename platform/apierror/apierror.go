// Package apierror turns Tongdu's one error model (platform/fault) into the gRPC statuses
// of API.md: bad input is INVALID_ARGUMENT with BadRequest field violations, a refused
// operation carries an ErrorInfo reason (and a PreconditionFailure when guards failed), a
// refusal to try again for a while a RetryInfo.
// grpcserver applies Status to every handler's error; the gateway turns the statuses into
// HTTP.
package apierror

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"tongdu/platform/fault"
	"tongdu/platform/redisconn"
)

// Domain is the ErrorInfo domain of every Tongdu reason.
const Domain = "tongdu"

// Status is err as a gRPC status. A status passes unchanged (a peer's UNAVAILABLE, say);
// a fault.Error becomes its code and details, with err's whole text as the message;
// anything else is Unexpected.
func Status(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if f, ok := fault.As(err); ok && f.Kind != fault.Internal {
		return statusOf(f, err.Error())
	}
	return Unexpected(ctx, log, err)
}

var codeOf = map[fault.Kind]codes.Code{
	fault.Invalid:         codes.InvalidArgument,
	fault.NotFound:        codes.NotFound,
	fault.Exists:          codes.AlreadyExists,
	fault.Conflict:        codes.Aborted,
	fault.Refused:         codes.FailedPrecondition,
	fault.Unavailable:     codes.Unavailable,
	fault.Denied:          codes.PermissionDenied,
	fault.Unauthenticated: codes.Unauthenticated,
	fault.Exhausted:       codes.ResourceExhausted,
}

// FromFault is f as a gRPC status, for interceptors that refuse a call before any
// handler runs.
func FromFault(f *fault.Error) error { return statusOf(f, f.Message) }

func statusOf(f *fault.Error, msg string) error {
	st := status.New(codeOf[f.Kind], msg)
	var details []protoadapt.MessageV1
	if f.Reason != "" {
		details = append(details, &errdetails.ErrorInfo{Reason: f.Reason, Domain: Domain, Metadata: f.Metadata})
	}
	if len(f.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range f.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		details = append(details, br)
	}
	if len(f.Preconditions) > 0 {
		pf := &errdetails.PreconditionFailure{}
		for _, v := range f.Preconditions {
			pf.Violations = append(pf.Violations, &errdetails.PreconditionFailure_Violation{Type: v.Type, Subject: v.Subject, Description: v.Description})
		}
		details = append(details, pf)
	}
	if f.RetryAfter > 0 {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(f.RetryAfter)})
	}
	if len(details) == 0 {
		return st.Err()
	}
	// Attaching well-known detail types cannot fail; if it did, the bare status is still
	// the right answer.
	if d, err := st.WithDetails(details...); err == nil {
		return d.Err()
	}
	return st.Err()
}

// Unexpected maps what no domain rule explains: Redis out of reach is UNAVAILABLE (retry
// later), a cancelled or expired request says so, anything else is logged and answered
// with a generic INTERNAL that reveals nothing of the cause.
func Unexpected(ctx context.Context, log *slog.Logger, err error) error {
	switch {
	case redisconn.IsDown(err):
		log.WarnContext(ctx, "store unavailable", "cause", err.Error())
		return status.Error(codes.Unavailable, "the store is not answering; retry shortly")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	log.ErrorContext(ctx, "internal error", "cause", err.Error())
	return status.Error(codes.Internal, "internal error")
}
