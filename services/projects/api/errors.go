package api

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tongdu/platform/apierror"
	"tongdu/services/projects/works"
)

// toStatus is the projects service's one mapping from domain errors to gRPC statuses.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := apierror.AsStatus(err); ok {
		return st
	}
	var inv *works.InvalidError
	var guard *works.GuardError
	switch {
	case errors.As(err, &inv):
		vs := make([]apierror.FieldViolation, len(inv.Violations))
		for i, v := range inv.Violations {
			vs[i] = apierror.FieldViolation{Field: v.Field, Description: v.Reason}
		}
		return apierror.InvalidArgument(err.Error(), vs...)
	case errors.As(err, &guard):
		meta := make(map[string]string, len(guard.Failures))
		vs := make([]apierror.PreconditionViolation, len(guard.Failures))
		for i, f := range guard.Failures {
			meta[f.Guard] = f.Detail
			vs[i] = apierror.PreconditionViolation{Type: f.Guard, Subject: "project", Description: f.Detail}
		}
		return apierror.FailedPreconditions(guard.Reason, err.Error(), meta, vs)
	case errors.Is(err, works.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, works.ErrRequestReused):
		return apierror.Refused(codes.AlreadyExists, "REQUEST_ID_REUSED", err.Error(), nil)
	case errors.Is(err, works.ErrAlreadyExists):
		return apierror.Refused(codes.AlreadyExists, "PLAN_EXISTS", err.Error(), nil)
	case errors.Is(err, works.ErrConflict):
		return apierror.Refused(codes.Aborted, "ETAG_MISMATCH", err.Error(), nil)
	case errors.Is(err, works.ErrTransition):
		return apierror.Refused(codes.FailedPrecondition, "INVALID_TRANSITION", err.Error(), nil)
	case errors.Is(err, works.ErrProjectClosed):
		return apierror.Refused(codes.FailedPrecondition, "PROJECT_CLOSED", err.Error(), nil)
	case errors.Is(err, works.ErrNotInCompound):
		return apierror.Refused(codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND", err.Error(), nil)
	case errors.Is(err, works.ErrPeerNotBuilt):
		return status.Error(codes.Unavailable, "a guard cannot be checked yet: "+err.Error()+" is not built in this version")
	}
	return apierror.Unexpected(ctx, log, err)
}
