package apierror

// TEMPORARY during the move to platform/fault (issue 14): the builders the services'
// mappers still call. Deleted once no service maps errors itself.

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tongdu/platform/fault"
)

type FieldViolation = fault.Violation

type PreconditionViolation = fault.Precondition

func InvalidArgument(msg string, violations ...FieldViolation) error {
	return statusOf(&fault.Error{Kind: fault.Invalid, Message: msg, Violations: violations}, msg)
}

func Refused(c codes.Code, reason, msg string, metadata map[string]string) error {
	kinds := map[codes.Code]fault.Kind{codes.AlreadyExists: fault.Exists, codes.Aborted: fault.Conflict, codes.FailedPrecondition: fault.Refused}
	k, ok := kinds[c]
	if !ok {
		k = fault.Refused
	}
	return statusOf(&fault.Error{Kind: k, Reason: reason, Message: msg, Metadata: metadata}, msg)
}

func AsStatus(err error) (error, bool) {
	if _, ok := status.FromError(err); ok {
		return err, true
	}
	return nil, false
}

func FailedPreconditions(reason, msg string, metadata map[string]string, vs []PreconditionViolation) error {
	return statusOf(&fault.Error{Kind: fault.Refused, Reason: reason, Message: msg, Metadata: metadata, Preconditions: vs}, msg)
}
