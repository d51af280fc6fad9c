package api

import (
	"context"
	"strconv"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
	"tongdu/services/governance/internal/storage"
)

// ListAuditEntries reads the audit trail of the four services, newest first, by
// resource, actor and service.
func (s *Server) ListAuditEntries(ctx context.Context, req *pb.ListAuditEntriesRequest) (*pb.ListAuditEntriesResponse, error) {
	offset := 0
	if raw, err := storage.DecodeToken(req.GetPageToken()); err != nil {
		return nil, s.fail(ctx, err)
	} else if raw != "" {
		if offset, err = strconv.Atoi(raw); err != nil || offset < 0 {
			return nil, s.fail(ctx, &registry.InvalidError{Violations: []registry.Violation{{Field: "pageToken", Reason: "is not a token this service issued"}}})
		}
	}
	size := pageSize(req.GetPageSize())
	entries, more, err := s.store.Audit(ctx, req.GetService(), func(e *storage.AuditEntry) bool {
		return (req.GetResource() == "" || e.Resource == req.GetResource()) && (req.GetActor() == "" || e.Actor == req.GetActor())
	}, offset, size)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListAuditEntriesResponse{}
	for _, e := range entries {
		out.Entries = append(out.Entries, &pb.AuditEntry{Id: e.ID, Service: e.Service, Actor: e.Actor, Role: e.Role, Method: e.Method,
			Resource: e.Resource, RequestId: e.RequestID, Outcome: e.Outcome, Time: ts(e.Time)})
	}
	if more {
		out.NextPageToken = storage.EncodeToken(strconv.Itoa(offset + size))
	}
	return out, nil
}
