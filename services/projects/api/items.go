package api

import (
	"context"
	"fmt"

	"tongdu/platform/jsonname"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/storage"
	"tongdu/services/projects/works"
)

// CreateWorkItem adds a work item to a project's plan (not once accepted or cancelled).
func (s *Server) CreateWorkItem(ctx context.Context, req *pb.CreateWorkItemRequest) (*pb.WorkItem, error) {
	p, err := s.store.GetProject(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := works.CanChangeItems(p); err != nil {
		return nil, s.fail(ctx, err)
	}
	it := itemFromPB(req.GetItem())
	if err := works.CheckItem(it, "item"); err != nil {
		return nil, s.fail(ctx, err)
	}
	id, _, err := s.claim(ctx, "CreateWorkItem", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	now := s.now()
	it.ID, it.ProjectID, it.CreateTime, it.UpdateTime = id[0], p.ID, now, now
	if err := s.store.CreateItem(ctx, it); err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.GetWorkItem(ctx, &pb.GetWorkItemRequest{ProjectId: p.ID, Id: it.ID})
}

// GetWorkItem returns one item of a project.
func (s *Server) GetWorkItem(ctx context.Context, req *pb.GetWorkItemRequest) (*pb.WorkItem, error) {
	it, err := s.store.GetItem(ctx, req.GetProjectId(), req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return itemToPB(it), nil
}

// ListWorkItems lists a project's items in registration order, optionally of one category.
func (s *Server) ListWorkItems(ctx context.Context, req *pb.ListWorkItemsRequest) (*pb.ListWorkItemsResponse, error) {
	if _, err := s.store.GetProject(ctx, req.GetProjectId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	items, err := s.store.Items(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	after, err := storage.DecodeToken(req.GetPageToken())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	size, cat := pageSize(req.GetPageSize()), works.Category(req.GetCategory())
	out := &pb.ListWorkItemsResponse{}
	for i := range items {
		it := &items[i]
		if it.ID <= after || (cat != works.CategoryUnspecified && it.Category != cat) {
			continue
		}
		if len(out.Items) == size {
			out.NextPageToken = storage.EncodeToken(out.Items[size-1].GetId())
			break
		}
		out.Items = append(out.Items, itemToPB(it))
	}
	return out, nil
}

// UpdateWorkItem replaces the fields named in update_mask; a stale etag is ABORTED.
func (s *Server) UpdateWorkItem(ctx context.Context, req *pb.UpdateWorkItemRequest) (*pb.WorkItem, error) {
	in := req.GetItem()
	mask := jsonname.MaskPaths(req.GetUpdateMask().GetPaths())
	if in.GetId() == "" || len(mask) == 0 {
		return nil, s.fail(ctx, &works.InvalidError{Violations: []works.Violation{{Field: "updateMask", Reason: "name the item (item.id) and the fields to update"}}})
	}
	p, err := s.store.GetProject(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := works.CanChangeItems(p); err != nil {
		return nil, s.fail(ctx, err)
	}
	patch := itemFromPB(in)
	for {
		cur, err := s.store.GetItem(ctx, p.ID, in.GetId())
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if e := in.GetEtag(); e != "" && e != cur.Etag() {
			return nil, s.fail(ctx, fmt.Errorf("%w: item %s is at %s", works.ErrConflict, cur.ID, cur.Etag()))
		}
		next, err := works.ApplyItemUpdate(*cur, patch, mask, s.now())
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		err = s.store.UpdateItem(ctx, next, nil)
		if isConflict(err) && in.GetEtag() == "" {
			if err := retryPause(ctx); err != nil {
				return nil, s.fail(ctx, err)
			}
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return s.GetWorkItem(ctx, &pb.GetWorkItemRequest{ProjectId: p.ID, Id: next.ID})
	}
}

// GetSchedule lists a project's items in rule 5's order, each with why it stands before
// the next.
func (s *Server) GetSchedule(ctx context.Context, req *pb.GetScheduleRequest) (*pb.Schedule, error) {
	if _, err := s.store.GetProject(ctx, req.GetProjectId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	items, err := s.store.Items(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.Schedule{ProjectId: req.GetProjectId()}
	for _, e := range works.Schedule(items) {
		out.Entries = append(out.Entries, &pb.ScheduleEntry{Position: int32(e.Position), Item: itemToPB(&e.Item), Reason: e.Reason})
	}
	return out, nil
}

// CreateProgressReport records a contractor's report and sets its item's progress, in
// one step.
func (s *Server) CreateProgressReport(ctx context.Context, req *pb.CreateProgressReportRequest) (*pb.ProgressReport, error) {
	in := req.GetProgressReport()
	p, err := s.store.GetProject(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := works.CanReportProgress(p); err != nil {
		return nil, s.fail(ctx, err)
	}
	id, replayed, err := s.claim(ctx, "CreateProgressReport", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	r := works.ProgressReport{ID: id[0], ProjectID: p.ID, ItemID: in.GetItemId(), ProgressPercent: int(in.GetProgressPercent()), Remarks: in.GetRemarks(), Contractor: in.GetContractor(), ReportTime: s.now()}
	if replayed {
		if done, _, err := storage.ListReports(ctx, s.store, p.ID, "progress", func(x *works.ProgressReport) bool { return x.ID == r.ID }, "", maxPageSize); err == nil && len(done) == 1 {
			return progressToPB(&done[0]), nil
		}
	}
	for {
		it, err := s.store.GetItem(ctx, p.ID, r.ItemID)
		if err != nil {
			return nil, s.fail(ctx, fieldNotFound(err, "progressReport.itemId"))
		}
		next, err := works.Progress(*it, r.ProgressPercent, r.ReportTime)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		err = s.store.UpdateItem(ctx, next, &r)
		if isConflict(err) {
			if err := retryPause(ctx); err != nil {
				return nil, s.fail(ctx, err)
			}
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return progressToPB(&r), nil
	}
}

// ListProgressReports lists a project's progress reports, oldest first.
func (s *Server) ListProgressReports(ctx context.Context, req *pb.ListProgressReportsRequest) (*pb.ListProgressReportsResponse, error) {
	if _, err := s.store.GetProject(ctx, req.GetProjectId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	rs, next, err := storage.ListReports(ctx, s.store, req.GetProjectId(), "progress", func(r *works.ProgressReport) bool {
		return req.GetItemId() == "" || r.ItemID == req.GetItemId()
	}, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListProgressReportsResponse{NextPageToken: next}
	for i := range rs {
		out.ProgressReports = append(out.ProgressReports, progressToPB(&rs[i]))
	}
	return out, nil
}

// CreateSupervisionReport records a resident's observation during the works; the
// household must live in the project's compound.
func (s *Server) CreateSupervisionReport(ctx context.Context, req *pb.CreateSupervisionReportRequest) (*pb.SupervisionReport, error) {
	in := req.GetSupervisionReport()
	p, err := s.store.GetProject(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := works.CanSupervise(p); err != nil {
		return nil, s.fail(ctx, err)
	}
	if in.GetItemId() != "" {
		if _, err := s.store.GetItem(ctx, p.ID, in.GetItemId()); err != nil {
			return nil, s.fail(ctx, fieldNotFound(err, "supervisionReport.itemId"))
		}
	}
	cid, err := s.owners.HouseholdCompound(ctx, in.GetHouseholdId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if cid != p.CompoundID {
		return nil, s.fail(ctx, fmt.Errorf("%w: household %s is not a household of compound %s", works.ErrNotInCompound, in.GetHouseholdId(), p.CompoundID))
	}
	id, _, err := s.claim(ctx, "CreateSupervisionReport", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	r := works.SupervisionReport{ID: id[0], ProjectID: p.ID, HouseholdID: in.GetHouseholdId(), ItemID: in.GetItemId(), Text: in.GetText(), ReportTime: s.now()}
	if err := s.store.AddSupervisionReport(ctx, r); err != nil {
		return nil, s.fail(ctx, err)
	}
	return supervisionToPB(&r), nil
}

// ListSupervisionReports lists residents' reports on a project, oldest first.
func (s *Server) ListSupervisionReports(ctx context.Context, req *pb.ListSupervisionReportsRequest) (*pb.ListSupervisionReportsResponse, error) {
	if _, err := s.store.GetProject(ctx, req.GetProjectId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	rs, next, err := storage.ListReports(ctx, s.store, req.GetProjectId(), "supervision", func(r *works.SupervisionReport) bool {
		return (req.GetItemId() == "" || r.ItemID == req.GetItemId()) && (req.GetHouseholdId() == "" || r.HouseholdID == req.GetHouseholdId())
	}, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListSupervisionReportsResponse{NextPageToken: next}
	for i := range rs {
		out.SupervisionReports = append(out.SupervisionReports, supervisionToPB(&rs[i]))
	}
	return out, nil
}

// fieldNotFound turns an unknown item named in a request into bad input on that field.
func fieldNotFound(err error, field string) error {
	if isNotFound(err) {
		return &works.InvalidError{Violations: []works.Violation{{Field: field, Reason: err.Error()}}}
	}
	return err
}
