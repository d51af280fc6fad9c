package api

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tongdu/platform/apierror"
	"tongdu/services/survey/opinion"
)

// toStatus is the survey service's one mapping from domain errors to gRPC statuses.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := apierror.AsStatus(err); ok {
		return st
	}
	var inv *opinion.InvalidError
	switch {
	case errors.As(err, &inv):
		vs := make([]apierror.FieldViolation, len(inv.Violations))
		for i, v := range inv.Violations {
			vs[i] = apierror.FieldViolation{Field: v.Field, Description: v.Reason}
		}
		return apierror.InvalidArgument(err.Error(), vs...)
	case errors.Is(err, opinion.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, opinion.ErrRequestReused):
		return apierror.Refused(codes.AlreadyExists, "REQUEST_ID_REUSED", err.Error(), nil)
	case errors.Is(err, opinion.ErrConflict):
		return apierror.Refused(codes.Aborted, "ETAG_MISMATCH", err.Error(), nil)
	case errors.Is(err, opinion.ErrSurveyClosed):
		return apierror.Refused(codes.FailedPrecondition, "SURVEY_CLOSED", err.Error(), nil)
	case errors.Is(err, opinion.ErrSurveyNotOpen):
		return apierror.Refused(codes.FailedPrecondition, "SURVEY_NOT_OPEN", err.Error(), nil)
	case errors.Is(err, opinion.ErrNotDraft):
		return apierror.Refused(codes.FailedPrecondition, "SURVEY_NOT_DRAFT", err.Error(), nil)
	case errors.Is(err, opinion.ErrNotInCompound):
		return apierror.Refused(codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND", err.Error(), nil)
	case errors.Is(err, opinion.ErrWrongState):
		return apierror.Refused(codes.FailedPrecondition, "WRONG_STATE", err.Error(), nil)
	case errors.Is(err, opinion.ErrNotAResolution):
		return apierror.Refused(codes.FailedPrecondition, "NOT_A_RESOLUTION", err.Error(), nil)
	}
	return apierror.Unexpected(ctx, log, err)
}
