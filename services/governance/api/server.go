// Package api is the governance service's gRPC layer: it translates requests into the
// registry's rules and the store, and domain errors into statuses (errors.go). Requests
// reach it validated against the contract's constraints by the platform interceptor.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/protobuf/proto"

	"tongdu/platform/idempotency"
	"tongdu/platform/ids"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/registry"
	"tongdu/services/governance/storage"
)

const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// Server implements tongdu.governance.v1.GovernanceService. Methods of later issues
// (branches, grids, elections, whistles, ...) answer UNIMPLEMENTED until built.
type Server struct {
	pb.UnimplementedGovernanceServiceServer
	store *storage.Store
	log   *slog.Logger
	now   func() time.Time
}

var _ pb.GovernanceServiceServer = (*Server)(nil)

// New returns the server on store. now is the clock (time.Now outside tests).
func New(store *storage.Store, log *slog.Logger, now func() time.Time) *Server {
	return &Server{store: store, log: log, now: now}
}

func pageSize(n int32) int {
	switch {
	case n <= 0:
		return defaultPageSize
	case n > maxPageSize:
		return maxPageSize
	}
	return int(n)
}

func (s *Server) fail(ctx context.Context, err error) error { return toStatus(ctx, s.log, err) }

// idsFor returns n new ids for a create, or the ids an earlier request with the same
// request id made, so a retried create answers with what the first one created. The same
// request id with another body is refused with REQUEST_ID_REUSED.
func (s *Server) idsFor(ctx context.Context, method, requestID string, req proto.Message, n int) ([]string, error) {
	fresh := make([]string, n)
	for i := range fresh {
		fresh[i] = ids.New()
	}
	if requestID == "" {
		return fresh, nil
	}
	hash, err := idempotency.BodyHash(req)
	if err != nil {
		return nil, err
	}
	claim, isNew, err := s.store.ClaimRequest(ctx, method, requestID, storage.Claim{Hash: hash, IDs: fresh})
	if err != nil {
		return nil, err
	}
	if !isNew && (claim.Hash != hash || len(claim.IDs) != n) {
		return nil, fmt.Errorf("%w: request id %q was used for a different %s", registry.ErrRequestReused, requestID, method)
	}
	return claim.IDs, nil
}
