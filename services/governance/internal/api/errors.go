package api

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tongdu/platform/apierror"
	"tongdu/services/governance/internal/registry"
)

// toStatus is the governance service's one mapping from domain errors to gRPC statuses.
// Unknown errors are logged and answered with a generic INTERNAL, never their text.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := apierror.AsStatus(err); ok {
		return st
	}
	var inv *registry.InvalidError
	switch {
	case errors.As(err, &inv):
		vs := make([]apierror.FieldViolation, len(inv.Violations))
		for i, v := range inv.Violations {
			vs[i] = apierror.FieldViolation{Field: v.Field, Description: v.Reason}
		}
		return apierror.InvalidArgument(err.Error(), vs...)
	case errors.Is(err, registry.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, registry.ErrRequestReused):
		return apierror.Refused(codes.AlreadyExists, "REQUEST_ID_REUSED", err.Error(), nil)
	case errors.Is(err, registry.ErrAlreadyExists):
		return apierror.Refused(codes.AlreadyExists, "ALREADY_EXISTS", err.Error(), nil)
	case errors.Is(err, registry.ErrConflict):
		return apierror.Refused(codes.Aborted, "ETAG_MISMATCH", err.Error(), nil)
	case errors.Is(err, registry.ErrInconsistent):
		return apierror.Refused(codes.FailedPrecondition, "CLASSIFICATION_INCONSISTENT", err.Error(), nil)
	case errors.Is(err, registry.ErrWrongState):
		return apierror.Refused(codes.FailedPrecondition, "WRONG_STATE", err.Error(), nil)
	case errors.Is(err, registry.ErrNotEligible):
		return apierror.Refused(codes.FailedPrecondition, "NOT_ELIGIBLE", err.Error(), nil)
	case errors.Is(err, registry.ErrResolution):
		return apierror.Refused(codes.FailedPrecondition, "RESOLUTION_NOT_PASSED", err.Error(), nil)
	case errors.Is(err, registry.ErrPeerDown):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, registry.ErrParentLevel):
		return apierror.InvalidArgument(err.Error(), apierror.FieldViolation{Field: "region.parent", Description: err.Error()})
	case errors.Is(err, registry.ErrNotCommunity):
		return apierror.InvalidArgument(err.Error(), apierror.FieldViolation{Field: "compound.communityId", Description: err.Error()})
	}
	return apierror.Unexpected(ctx, log, err)
}
