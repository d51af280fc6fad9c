// Package apierror builds the gRPC statuses of Tongdu's error model (API.md): bad input is
// INVALID_ARGUMENT with BadRequest field violations, a refused operation carries an
// ErrorInfo reason. Each service maps its own domain errors with these builders in one
// place; the gateway turns the statuses into HTTP.
package apierror

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"tongdu/platform/redisconn"
)

// Domain is the ErrorInfo domain of every Tongdu reason.
const Domain = "tongdu"

// FieldViolation names one offending field (lowerCamelCase JSON path) and what is wrong.
type FieldViolation struct {
	Field       string
	Description string
}

// InvalidArgument returns INVALID_ARGUMENT listing every offending field.
func InvalidArgument(msg string, violations ...FieldViolation) error {
	st := status.New(codes.InvalidArgument, msg)
	br := &errdetails.BadRequest{}
	for _, v := range violations {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	if len(br.FieldViolations) == 0 {
		return st.Err()
	}
	return withDetails(st, br)
}

// Refused returns a status with code c and an ErrorInfo reason such as SURVEY_CLOSED;
// metadata holds the figures behind the refusal.
func Refused(c codes.Code, reason, msg string, metadata map[string]string) error {
	return withDetails(status.New(c, msg), &errdetails.ErrorInfo{Reason: reason, Domain: Domain, Metadata: metadata})
}

// withDetails attaches details; it cannot fail for the well-known detail types used here,
// but if it did the bare status is still the right answer.
func withDetails(st *status.Status, details ...protoadapt.MessageV1) error {
	if d, err := st.WithDetails(details...); err == nil {
		return d.Err()
	}
	return st.Err()
}

// AsStatus returns err unchanged when it already is a gRPC status (a peer's UNAVAILABLE,
// say), so a service's mapping passes it through.
func AsStatus(err error) (error, bool) {
	if _, ok := status.FromError(err); ok {
		return err, true
	}
	return nil, false
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

// PreconditionViolation is one failed precondition: its type (a guard such as
// RESOLUTION_PASSED), the resource it concerns, and the figures.
type PreconditionViolation struct {
	Type, Subject, Description string
}

// FailedPreconditions refuses an operation whose guards failed: FAILED_PRECONDITION with
// an ErrorInfo reason and a PreconditionFailure listing each failed guard.
func FailedPreconditions(reason, msg string, metadata map[string]string, vs []PreconditionViolation) error {
	pf := &errdetails.PreconditionFailure{}
	for _, v := range vs {
		pf.Violations = append(pf.Violations, &errdetails.PreconditionFailure_Violation{Type: v.Type, Subject: v.Subject, Description: v.Description})
	}
	return withDetails(status.New(codes.FailedPrecondition, msg), &errdetails.ErrorInfo{Reason: reason, Domain: Domain, Metadata: metadata}, pf)
}
