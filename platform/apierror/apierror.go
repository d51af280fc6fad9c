// Package apierror builds the gRPC statuses of Tongdu's error model (API.md): bad input is
// INVALID_ARGUMENT with BadRequest field violations, a refused operation carries an
// ErrorInfo reason. Each service maps its own domain errors with these builders in one
// place; the gateway turns the statuses into HTTP.
package apierror

import (
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
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
