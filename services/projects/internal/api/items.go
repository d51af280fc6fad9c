package api

import (
	"context"

	"tongdu/platform/idempotency"
	"tongdu/platform/jsonname"
	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/internal/works"
)

// workItem encodes a use case's item.
func workItem(it *works.Item, err error) (*pb.WorkItem, error) {
	if err != nil {
		return nil, err
	}
	return itemToPB(it), nil
}

// CreateWorkItem adds a work item to a project's plan (app.CreateWorkItem).
func (s *Server) CreateWorkItem(ctx context.Context, req *pb.CreateWorkItemRequest) (*pb.WorkItem, error) {
	rq, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	return workItem(s.app.CreateWorkItem(ctx, req.GetProjectId(), itemFromPB(req.GetItem()), rq))
}

// GetWorkItem returns one item of a project.
func (s *Server) GetWorkItem(ctx context.Context, req *pb.GetWorkItemRequest) (*pb.WorkItem, error) {
	return workItem(s.app.GetWorkItem(ctx, req.GetProjectId(), req.GetId()))
}

// ListWorkItems lists a project's items in registration order, optionally of one category.
func (s *Server) ListWorkItems(ctx context.Context, req *pb.ListWorkItemsRequest) (*pb.ListWorkItemsResponse, error) {
	items, next, err := s.app.ListWorkItems(ctx, req.GetProjectId(), works.Category(req.GetCategory()), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListWorkItemsResponse{NextPageToken: next}
	for i := range items {
		out.Items = append(out.Items, itemToPB(&items[i]))
	}
	return out, nil
}

// UpdateWorkItem replaces the fields named in update_mask (app.UpdateWorkItem).
func (s *Server) UpdateWorkItem(ctx context.Context, req *pb.UpdateWorkItemRequest) (*pb.WorkItem, error) {
	in := req.GetItem()
	return workItem(s.app.UpdateWorkItem(ctx, req.GetProjectId(), itemFromPB(in), jsonname.MaskPaths(req.GetUpdateMask().GetPaths()), in.GetEtag()))
}

// GetSchedule lists a project's items in the order of works, each with why it stands
// before the next.
func (s *Server) GetSchedule(ctx context.Context, req *pb.GetScheduleRequest) (*pb.Schedule, error) {
	entries, err := s.app.GetSchedule(ctx, req.GetProjectId())
	if err != nil {
		return nil, err
	}
	out := &pb.Schedule{ProjectId: req.GetProjectId()}
	for _, e := range entries {
		out.Entries = append(out.Entries, &pb.ScheduleEntry{Position: int32(e.Position), Item: itemToPB(&e.Item), Reason: e.Reason})
	}
	return out, nil
}

// CreateProgressReport records a contractor's report and sets its item's progress.
func (s *Server) CreateProgressReport(ctx context.Context, req *pb.CreateProgressReportRequest) (*pb.ProgressReport, error) {
	rq, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	in := req.GetProgressReport()
	r, err := s.app.CreateProgressReport(ctx, req.GetProjectId(), works.ProgressReport{
		ItemID: in.GetItemId(), ProgressPercent: int(in.GetProgressPercent()), Remarks: in.GetRemarks(), Contractor: in.GetContractor()}, rq)
	if err != nil {
		return nil, err
	}
	return progressToPB(&r), nil
}

// ListProgressReports lists a project's progress reports, oldest first.
func (s *Server) ListProgressReports(ctx context.Context, req *pb.ListProgressReportsRequest) (*pb.ListProgressReportsResponse, error) {
	rs, next, err := s.app.ListProgressReports(ctx, req.GetProjectId(), req.GetItemId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListProgressReportsResponse{NextPageToken: next}
	for i := range rs {
		out.ProgressReports = append(out.ProgressReports, progressToPB(&rs[i]))
	}
	return out, nil
}

// CreateSupervisionReport records a resident's observation during the works.
func (s *Server) CreateSupervisionReport(ctx context.Context, req *pb.CreateSupervisionReportRequest) (*pb.SupervisionReport, error) {
	rq, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	in := req.GetSupervisionReport()
	r, err := s.app.CreateSupervisionReport(ctx, req.GetProjectId(), works.SupervisionReport{HouseholdID: in.GetHouseholdId(), ItemID: in.GetItemId(), Text: in.GetText()}, rq)
	if err != nil {
		return nil, err
	}
	return supervisionToPB(&r), nil
}

// ListSupervisionReports lists residents' reports on a project, oldest first.
func (s *Server) ListSupervisionReports(ctx context.Context, req *pb.ListSupervisionReportsRequest) (*pb.ListSupervisionReportsResponse, error) {
	rs, next, err := s.app.ListSupervisionReports(ctx, req.GetProjectId(), req.GetItemId(), req.GetHouseholdId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListSupervisionReportsResponse{NextPageToken: next}
	for i := range rs {
		out.SupervisionReports = append(out.SupervisionReports, supervisionToPB(&rs[i]))
	}
	return out, nil
}
