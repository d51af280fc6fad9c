package api

import (
	"context"
	"google.golang.org/protobuf/types/known/timestamppb"
	"slices"
	"time"

	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/registry"
)

// Departments and whistles (rule 11: called departments acknowledge and resolve within
// limits by priority); the use cases are in app/whistles.go.

// CreateDepartment registers a department that whistles may call; a taken id is
// ALREADY_EXISTS.
func (s *Server) CreateDepartment(ctx context.Context, req *pb.CreateDepartmentRequest) (*pb.Department, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := req.GetDepartment()
	return encoded(departmentToPB)(s.app.CreateDepartment(ctx, r, registry.Department{ID: in.GetId(), Name: in.GetName()}))
}

// ListDepartments lists the departments in order of id.
func (s *Server) ListDepartments(ctx context.Context, req *pb.ListDepartmentsRequest) (*pb.ListDepartmentsResponse, error) {
	ds, next, err := s.app.ListDepartments(ctx, req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListDepartmentsResponse{Departments: encodeAll(ds, departmentToPB), NextPageToken: next}, nil
}

// CreateWhistle raises a whistle in a compound, calling registered departments
// (app.CreateWhistle).
func (s *Server) CreateWhistle(ctx context.Context, req *pb.CreateWhistleRequest) (*pb.Whistle, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(whistleToPB)(s.app.CreateWhistle(ctx, r, whistleFromPB(req.GetWhistle()), timeOf(req.GetEffectiveTime())))
}

// GetWhistle returns a whistle as it stands now: overdue and escalation by the clock.
func (s *Server) GetWhistle(ctx context.Context, req *pb.GetWhistleRequest) (*pb.Whistle, error) {
	return encoded(whistleToPB)(s.app.GetWhistle(ctx, req.GetId()))
}

// ListWhistles lists whistles by status, overdue now, compound and department called.
func (s *Server) ListWhistles(ctx context.Context, req *pb.ListWhistlesRequest) (*pb.ListWhistlesResponse, error) {
	f := registry.WhistleFilter{
		Status: registry.WhistleStatus(req.GetStatus()), Overdue: req.GetOverdue(),
		CompoundID: req.GetCompoundId(), DepartmentID: req.GetDepartmentId(), HouseholdID: req.GetHouseholdId(),
	}
	ws, next, err := s.app.ListWhistles(ctx, f, req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListWhistlesResponse{Whistles: encodeAll(ws, whistleToPB), NextPageToken: next}, nil
}

// AcknowledgeWhistle records a called department's acknowledgement (报到).
func (s *Server) AcknowledgeWhistle(ctx context.Context, req *pb.AcknowledgeWhistleRequest) (*pb.Whistle, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(whistleToPB)(s.app.AcknowledgeWhistle(ctx, r, req.GetId(), req.GetDepartmentId(), req.GetRemarks(), timeOf(req.GetEffectiveTime())))
}

// ResolveWhistle records that a called department resolved its part.
func (s *Server) ResolveWhistle(ctx context.Context, req *pb.ResolveWhistleRequest) (*pb.Whistle, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(whistleToPB)(s.app.ResolveWhistle(ctx, r, req.GetId(), req.GetDepartmentId(), req.GetRemarks(), timeOf(req.GetEffectiveTime())))
}

// CloseWhistle closes a RESOLVED whistle with the community's rating of every department
// it called.
func (s *Server) CloseWhistle(ctx context.Context, req *pb.CloseWhistleRequest) (*pb.Whistle, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	ratings := make([]registry.DepartmentRating, len(req.GetRatings()))
	for i, rt := range req.GetRatings() {
		ratings[i] = registry.DepartmentRating{DepartmentID: rt.GetDepartmentId(), Score: int(rt.GetScore())}
	}
	return encoded(whistleToPB)(s.app.CloseWhistle(ctx, r, req.GetId(), ratings, timeOf(req.GetEffectiveTime())))
}

// ReportWhistle files a whistle reported by anyone, awaiting triage (app.ReportWhistle).
func (s *Server) ReportWhistle(ctx context.Context, req *pb.ReportWhistleRequest) (*pb.Whistle, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := registry.Whistle{CompoundID: req.GetCompoundId(), Category: req.GetCategory(), Description: req.GetDescription(), Address: req.GetAddress()}
	return encoded(whistleToPB)(s.app.ReportWhistle(ctx, r, in, req.GetHouseholdId(), timeOf(req.GetEffectiveTime())))
}

// TriageWhistle calls departments to a REPORTED whistle with a priority (app.TriageWhistle).
func (s *Server) TriageWhistle(ctx context.Context, req *pb.TriageWhistleRequest) (*pb.Whistle, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(whistleToPB)(s.app.TriageWhistle(ctx, r, req.GetId(), slices.Clone(req.GetDepartmentIds()), registry.Priority(req.GetPriority()), req.GetRemarks(), timeOf(req.GetEffectiveTime())))
}

// RateWhistle records the reporting household's rating of a CLOSED whistle (app.RateWhistle).
func (s *Server) RateWhistle(ctx context.Context, req *pb.RateWhistleRequest) (*pb.Whistle, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(whistleToPB)(s.app.RateWhistle(ctx, r, req.GetId(), req.GetHouseholdId(), int(req.GetRating())))
}

// GetDepartmentPerformance reports a department's whistles from its running counters.
func (s *Server) GetDepartmentPerformance(ctx context.Context, req *pb.GetDepartmentPerformanceRequest) (*pb.DepartmentPerformance, error) {
	p, err := s.app.GetDepartmentPerformance(ctx, req.GetDepartmentId())
	if err != nil {
		return nil, err
	}
	return &pb.DepartmentPerformance{
		DepartmentId: p.DepartmentID, Whistles: int32(p.Whistles), Acknowledged: int32(p.Acknowledged),
		Resolved: int32(p.Resolved), Overdue: int32(p.Overdue), OverdueRate: p.OverdueRate,
		MeanAcknowledgeSeconds: p.MeanAcknowledgeSeconds, MeanResolveSeconds: p.MeanResolveSeconds, MeanRating: p.MeanRating,
	}, nil
}

// Conversions. The registry's whistle enums use the contract's numbers
// (whistles_convert_test.go checks), so conversion is a cast.

func departmentToPB(d *registry.Department) *pb.Department {
	return &pb.Department{Id: d.ID, Name: d.Name, CreateTime: ts(d.CreateTime)}
}

func whistleFromPB(w *pb.Whistle) registry.Whistle {
	return registry.Whistle{
		CompoundID: w.GetCompoundId(), Category: w.GetCategory(), Description: w.GetDescription(),
		DepartmentIDs: slices.Clone(w.GetDepartmentIds()), Priority: registry.Priority(w.GetPriority()),
		LinkageMeetingID: w.GetLinkageMeetingId(),
	}
}

// whistleToPB shows a whistle as it stands at the instant it was read.
func whistleToPB(aw *app.Whistle) *pb.Whistle {
	w := &aw.Whistle
	a := w.Assess(aw.Now)
	out := &pb.Whistle{
		Id: w.ID, CompoundId: w.CompoundID, Category: w.Category, Description: w.Description,
		DepartmentIds: w.DepartmentIDs, Priority: pb.Whistle_Priority(w.Priority), Status: pb.Whistle_Status(w.Status),
		EscalationLevel: pb.Whistle_EscalationLevel(a.Escalation), Overdue: a.Overdue,
		RaiseTime: ts(w.RaiseTime), CloseTime: ts(w.CloseTime), LinkageMeetingId: w.LinkageMeetingID,
		RaiseAccount: w.RaiseAccount, CloseAccount: w.CloseAccount,
		Address: w.Address, Reporter: w.Reporter, TriageTime: ts(w.TriageTime), ReporterRating: int32(w.ReporterRating),
		TriageRemarks: w.TriageRemarks, TriageAccount: w.TriageAccount, RateAccount: w.RateAccount,
	}
	// A REPORTED whistle has no limits yet: its deadlines stay unset.
	if len(w.Responses) > 0 {
		out.AcknowledgeDeadline, out.ResolveDeadline = ts(w.AcknowledgeDeadline), ts(w.ResolveDeadline)
	}
	for _, r := range w.Responses {
		out.Responses = append(out.Responses, &pb.DepartmentResponse{
			DepartmentId: r.DepartmentID, AcknowledgeTime: ts(r.AcknowledgeTime), AcknowledgeRemarks: r.AcknowledgeRemarks,
			ResolveTime: ts(r.ResolveTime), ResolveRemarks: r.ResolveRemarks, Overdue: a.DepartmentOverdue[r.DepartmentID],
			Rating: int32(r.Rating), AcknowledgeAccount: r.AcknowledgeAccount, ResolveAccount: r.ResolveAccount,
		})
	}
	return out
}

// timeOf is a request's time of record (rule 15), zero when it gives none.
func timeOf(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}
