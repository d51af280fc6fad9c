package api

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
	"tongdu/services/governance/internal/storage"
)

// Departments and whistles (rule 11). Overdue, escalation and the departments' overdue
// marks are worked out from the recorded times and the server clock at every read, so
// they are right at any instant without a background job (registry.Whistle.Assess).

// CreateDepartment registers a department that whistles may call. The caller may choose
// its id ("water"); a taken id is ALREADY_EXISTS.
func (s *Server) CreateDepartment(ctx context.Context, req *pb.CreateDepartmentRequest) (*pb.Department, error) {
	in := req.GetDepartment()
	d, err := registry.NewDepartment(registry.Department{ID: in.GetId(), Name: in.GetName()}, s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateDepartment", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if d.ID == "" {
		d.ID = id[0]
	}
	// The claimed id names this request, so a replay of it finds its own department and
	// another request finds the id taken.
	if err := s.store.CreateDepartment(ctx, d, id[0]); err != nil {
		return nil, s.fail(ctx, err)
	}
	stored, err := s.store.GetDepartment(ctx, d.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return departmentToPB(stored), nil
}

// ListDepartments lists the departments in order of id.
func (s *Server) ListDepartments(ctx context.Context, req *pb.ListDepartmentsRequest) (*pb.ListDepartmentsResponse, error) {
	ds, next, err := s.store.ListDepartments(ctx, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListDepartmentsResponse{NextPageToken: next}
	for i := range ds {
		out.Departments = append(out.Departments, departmentToPB(&ds[i]))
	}
	return out, nil
}

// whistleLimits are rule 11's limits as configured.
func (s *Server) whistleLimits() registry.WhistleLimits {
	return registry.WhistleLimits{
		UrgentAcknowledge: s.opt.UrgentAcknowledge, UrgentResolve: s.opt.UrgentResolve,
		NormalAcknowledge: s.opt.NormalAcknowledge, NormalResolve: s.opt.NormalResolve,
	}
}

// CreateWhistle raises a whistle in a compound, calling registered departments. Its
// deadlines are fixed now, from the limits of its priority.
func (s *Server) CreateWhistle(ctx context.Context, req *pb.CreateWhistleRequest) (*pb.Whistle, error) {
	in := whistleFromPB(req.GetWhistle())
	if _, err := s.store.GetCompound(ctx, in.CompoundID); errors.Is(err, registry.ErrNotFound) {
		return nil, s.fail(ctx, &registry.InvalidError{Violations: []registry.Violation{{Field: "whistle.compoundId", Reason: "no compound " + in.CompoundID}}})
	} else if err != nil {
		return nil, s.fail(ctx, err)
	}
	registered, err := s.store.DepartmentsExist(ctx, in.DepartmentIDs)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	var meeting *registry.LinkageMeeting
	if id := in.LinkageMeetingID; id != "" {
		meeting, err = s.store.GetLinkageMeeting(ctx, id)
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return nil, s.fail(ctx, err)
		}
	}
	w, err := registry.NewWhistle(in, registered, meeting, s.whistleLimits(), s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateWhistle", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	w.ID = id[0]
	if err := s.store.CreateWhistle(ctx, w, registry.WhistleChangeOf(nil, &w)); err != nil {
		return nil, s.fail(ctx, err)
	}
	// A replayed request answers with what the first one raised.
	return s.GetWhistle(ctx, &pb.GetWhistleRequest{Id: w.ID})
}

// GetWhistle returns a whistle as it stands now: overdue and escalation by the clock.
func (s *Server) GetWhistle(ctx context.Context, req *pb.GetWhistleRequest) (*pb.Whistle, error) {
	w, err := s.store.GetWhistle(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return whistleToPB(w, s.now()), nil
}

// ListWhistles lists whistles by status, overdue now, compound and department called.
// A named compound or department must exist.
func (s *Server) ListWhistles(ctx context.Context, req *pb.ListWhistlesRequest) (*pb.ListWhistlesResponse, error) {
	f := storage.WhistleFilter{
		Status: registry.WhistleStatus(req.GetStatus()), Overdue: req.GetOverdue(),
		CompoundID: req.GetCompoundId(), DepartmentID: req.GetDepartmentId(),
	}
	if f.CompoundID != "" {
		if _, err := s.store.GetCompound(ctx, f.CompoundID); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	if f.DepartmentID != "" {
		if _, err := s.store.GetDepartment(ctx, f.DepartmentID); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	now := s.now()
	match := func(w *registry.Whistle) bool {
		return (f.Status == registry.WhistleStatusUnspecified || w.Status == f.Status) &&
			(f.CompoundID == "" || w.CompoundID == f.CompoundID) &&
			(f.DepartmentID == "" || slices.Contains(w.DepartmentIDs, f.DepartmentID)) &&
			(!f.Overdue || w.Assess(now).Overdue)
	}
	ws, next, err := s.store.ListWhistles(ctx, f, now, match, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListWhistlesResponse{NextPageToken: next}
	for i := range ws {
		out.Whistles = append(out.Whistles, whistleToPB(&ws[i], now))
	}
	return out, nil
}

// AcknowledgeWhistle records a called department's acknowledgement (报到). Acknowledging
// again changes nothing; a department the whistle does not call is NOT_ELIGIBLE.
func (s *Server) AcknowledgeWhistle(ctx context.Context, req *pb.AcknowledgeWhistleRequest) (*pb.Whistle, error) {
	return s.changeWhistle(ctx, "AcknowledgeWhistle", req.GetRequestId(), req, req.GetId(), func(w registry.Whistle, now time.Time) (registry.Whistle, bool, error) {
		return registry.AcknowledgeWhistle(w, req.GetDepartmentId(), req.GetRemarks(), now)
	})
}

// ResolveWhistle records that a called department resolved its part; one that had not
// acknowledged is taken to acknowledge at the same moment (registry.ResolveWhistle).
// Resolving again changes nothing.
func (s *Server) ResolveWhistle(ctx context.Context, req *pb.ResolveWhistleRequest) (*pb.Whistle, error) {
	return s.changeWhistle(ctx, "ResolveWhistle", req.GetRequestId(), req, req.GetId(), func(w registry.Whistle, now time.Time) (registry.Whistle, bool, error) {
		return registry.ResolveWhistle(w, req.GetDepartmentId(), req.GetRemarks(), now)
	})
}

// CloseWhistle closes a RESOLVED whistle with the community's 1–5 rating of every
// department it called; before that it is WRONG_STATE.
func (s *Server) CloseWhistle(ctx context.Context, req *pb.CloseWhistleRequest) (*pb.Whistle, error) {
	ratings := make([]registry.DepartmentRating, len(req.GetRatings()))
	for i, r := range req.GetRatings() {
		ratings[i] = registry.DepartmentRating{DepartmentID: r.GetDepartmentId(), Score: int(r.GetScore())}
	}
	return s.changeWhistle(ctx, "CloseWhistle", req.GetRequestId(), req, req.GetId(), func(w registry.Whistle, now time.Time) (registry.Whistle, bool, error) {
		return registry.CloseWhistle(w, ratings, now)
	})
}

// changeWhistle reads, edits and writes a whistle with a revision check, in one atomic
// step with its indexes and its departments' counters; it retries when another writer
// got in between (two departments acknowledging at once, say). An edit that changes
// nothing writes nothing. The request id is claimed once the edit is found valid, as the
// creates do, so a refused request does not use up its id.
func (s *Server) changeWhistle(ctx context.Context, method, requestID string, req proto.Message, id string, edit func(registry.Whistle, time.Time) (registry.Whistle, bool, error)) (*pb.Whistle, error) {
	claimed := false
	for attempt := 0; ; attempt++ {
		cur, err := s.store.GetWhistle(ctx, id)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		now := s.now()
		next, changed, err := edit(*cur, now)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if !claimed {
			if _, err := s.idsFor(ctx, method, requestID, req, 0); err != nil {
				return nil, s.fail(ctx, err)
			}
			claimed = true
		}
		if !changed {
			return whistleToPB(cur, now), nil
		}
		_, err = s.store.UpdateWhistle(ctx, cur.Status, next, registry.WhistleChangeOf(cur, &next))
		if errors.Is(err, registry.ErrConflict) {
			select {
			case <-ctx.Done():
				return nil, s.fail(ctx, ctx.Err())
			case <-time.After(time.Duration(1+rand.IntN(1<<min(attempt, 6))) * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return s.GetWhistle(ctx, &pb.GetWhistleRequest{Id: id})
	}
}

// GetDepartmentPerformance reports a department's whistles: counts, mean times from the
// raise time, overdue count and rate, and mean rating. It reads the department's running
// counters and counts its passed pending deadlines; it never reads its whistles.
func (s *Server) GetDepartmentPerformance(ctx context.Context, req *pb.GetDepartmentPerformanceRequest) (*pb.DepartmentPerformance, error) {
	if _, err := s.store.GetDepartment(ctx, req.GetDepartmentId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	t, pastDue, err := s.store.DepartmentTally(ctx, req.GetDepartmentId(), s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	p := registry.Performance(t, pastDue)
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

// whistleToPB shows a whistle as it stands at now.
func whistleToPB(w *registry.Whistle, now time.Time) *pb.Whistle {
	a := w.Assess(now)
	out := &pb.Whistle{
		Id: w.ID, CompoundId: w.CompoundID, Category: w.Category, Description: w.Description,
		DepartmentIds: w.DepartmentIDs, Priority: pb.Whistle_Priority(w.Priority), Status: pb.Whistle_Status(w.Status),
		EscalationLevel: pb.Whistle_EscalationLevel(a.Escalation), Overdue: a.Overdue,
		RaiseTime: ts(w.RaiseTime), CloseTime: ts(w.CloseTime), LinkageMeetingId: w.LinkageMeetingID,
	}
	for _, r := range w.Responses {
		out.Responses = append(out.Responses, &pb.DepartmentResponse{
			DepartmentId: r.DepartmentID, AcknowledgeTime: ts(r.AcknowledgeTime), AcknowledgeRemarks: r.AcknowledgeRemarks,
			ResolveTime: ts(r.ResolveTime), ResolveRemarks: r.ResolveRemarks, Overdue: a.DepartmentOverdue[r.DepartmentID],
			Rating: int32(r.Rating),
		})
	}
	return out
}
