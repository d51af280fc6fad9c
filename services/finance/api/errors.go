package api

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tongdu/platform/apierror"
	"tongdu/services/finance/ledger"
	"tongdu/services/finance/storage"
)

// refusal is a write refused by a money rule, with the figures (how much is missing or
// too much) a client shows.
type refusal struct {
	reason string
	msg    string
	meta   map[string]string
}

func (r *refusal) Error() string { return r.msg }

// toStatus is the finance service's one mapping from domain errors to gRPC statuses.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := apierror.AsStatus(err); ok {
		return st
	}
	var inv *ledger.InvalidError
	var ref *refusal
	var bound *storage.BoundError
	switch {
	case errors.As(err, &inv):
		vs := make([]apierror.FieldViolation, len(inv.Violations))
		for i, v := range inv.Violations {
			vs[i] = apierror.FieldViolation{Field: v.Field, Description: v.Reason}
		}
		return apierror.InvalidArgument(err.Error(), vs...)
	case errors.As(err, &ref):
		return apierror.Refused(codes.FailedPrecondition, ref.reason, ref.msg, ref.meta)
	case errors.As(err, &bound):
		// A bound the operation did not explain: still a refusal, with the figures.
		return apierror.Refused(codes.FailedPrecondition, "LIMIT_EXCEEDED", err.Error(), nil)
	case errors.Is(err, ledger.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, ledger.ErrRequestReused):
		return apierror.Refused(codes.AlreadyExists, "REQUEST_ID_REUSED", err.Error(), nil)
	case errors.Is(err, ledger.ErrAlreadyExists):
		return apierror.Refused(codes.AlreadyExists, "PLAN_EXISTS", err.Error(), nil)
	case errors.Is(err, ledger.ErrAlreadyReversed):
		return apierror.Refused(codes.FailedPrecondition, "ALREADY_REVERSED", err.Error(), nil)
	case errors.Is(err, ledger.ErrNotReversible):
		return apierror.Refused(codes.FailedPrecondition, "NOT_REVERSIBLE", err.Error(), nil)
	case errors.Is(err, ledger.ErrContractMismatch):
		return apierror.Refused(codes.FailedPrecondition, "CONTRACT_MISMATCH", err.Error(), nil)
	case errors.Is(err, ledger.ErrNotInPlan):
		return apierror.Refused(codes.FailedPrecondition, "NOT_IN_PLAN", err.Error(), nil)
	case errors.Is(err, ledger.ErrNotInCompound):
		return apierror.Refused(codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND", err.Error(), nil)
	case errors.Is(err, ledger.ErrResolution):
		return apierror.Refused(codes.FailedPrecondition, "RESOLUTION_NOT_PASSED", err.Error(), nil)
	case errors.Is(err, ledger.ErrPeerNotBuilt):
		return status.Error(codes.Unavailable, err.Error()+" is not built in this version")
	}
	return apierror.Unexpected(ctx, log, err)
}
