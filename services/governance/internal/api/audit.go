package api

import (
	"context"

	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/app"
)

// ListAuditEntries reads the audit trail of the four services, newest first, by
// resource, actor and service.
func (s *Server) ListAuditEntries(ctx context.Context, req *pb.ListAuditEntriesRequest) (*pb.ListAuditEntriesResponse, error) {
	f := app.AuditFilter{Service: req.GetService(), Resource: req.GetResource(), Actor: req.GetActor()}
	entries, next, err := s.app.ListAuditEntries(ctx, f, req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListAuditEntriesResponse{Entries: encodeAll(entries, auditEntryToPB), NextPageToken: next}, nil
}
