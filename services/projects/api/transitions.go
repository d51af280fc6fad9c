package api

import (
	"context"

	"google.golang.org/protobuf/proto"

	"tongdu/platform/auth"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/works"
)

// guard checks a transition's guard against its owner; it returns the failures (none:
// the guard holds).
type guard func(ctx context.Context, p *works.Project) ([]works.GuardFailure, error)

// transition moves a project by action once its guard holds, in one revision-checked
// write: of two concurrent transitions of one project only one can succeed, and the other
// is re-judged against the status the first left. A retried request (same request id,
// same body) whose work is done answers with the project as it stands.
func (s *Server) transition(ctx context.Context, method string, req proto.Message, id, actor, reason, requestID string, a works.Action, check guard, then func(*works.Project)) (*pb.Project, error) {
	actor = actorOf(ctx, actor)
	_, replayed, err := s.claim(ctx, method, requestID, req, 0)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	for {
		p, err := s.store.GetProject(ctx, id)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if (replayed && p.MadeBy(requestID)) || (a == works.Accept && p.Status == works.Accepted) {
			// A retry finds its work done; :accept is idempotent by contract.
			return s.view(ctx, p)
		}
		if _, err := works.Target(p, a); err != nil {
			return nil, s.fail(ctx, err)
		}
		var failures []works.GuardFailure
		if check != nil {
			if failures, err = check(ctx, p); err != nil {
				return nil, s.fail(ctx, err)
			}
		}
		next, err := works.Apply(*p, a, failures, actor, reason, requestID, s.now())
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if then != nil {
			then(&next)
		}
		rev, err := s.store.UpdateProject(ctx, next)
		if isConflict(err) {
			if err := retryPause(ctx); err != nil {
				return nil, s.fail(ctx, err)
			}
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		next.Revision = rev
		if err := s.store.PublishProjectStatus(ctx, next); err != nil {
			s.log.WarnContext(ctx, "project status not published", "project", next.ID, "cause", err.Error())
		}
		if a == works.Cancel {
			// The round is free again for a new plan. Failing here leaves the claim held
			// by a cancelled project, which CreateProject looks through.
			if err := s.store.ReleasePlan(ctx, next); err != nil {
				s.log.WarnContext(ctx, "plan not released", "project", next.ID, "cause", err.Error())
			}
		}
		return s.view(ctx, &next)
	}
}

// ApproveProject: PROPOSED → APPROVED once the compound's renovation resolution passed
// (rule 3), as the survey service reports it.
func (s *Server) ApproveProject(ctx context.Context, req *pb.ApproveProjectRequest) (*pb.Project, error) {
	var surveyID string
	check := func(ctx context.Context, p *works.Project) ([]works.GuardFailure, error) {
		f, err := s.owners.Resolution(ctx, p.CompoundID, req.GetResolutionSurveyId())
		surveyID = f.SurveyID
		return works.CheckResolution(f), err
	}
	return s.transition(ctx, "ApproveProject", req, req.GetId(), req.GetActor(), req.GetReason(), req.GetRequestId(), works.Approve, check,
		func(p *works.Project) { p.ResolutionSurveyID = surveyID })
}

// StartConstruction: APPROVED → IN_CONSTRUCTION once the funding plan's committed sources
// cover the budget, as the finance service reports it.
func (s *Server) StartConstruction(ctx context.Context, req *pb.StartConstructionRequest) (*pb.Project, error) {
	check := func(ctx context.Context, p *works.Project) ([]works.GuardFailure, error) {
		f, err := s.owners.Funding(ctx, p.ID)
		return works.CheckFunding(p.BudgetFen, f), err
	}
	return s.transition(ctx, "StartConstruction", req, req.GetId(), req.GetActor(), req.GetReason(), req.GetRequestId(), works.StartConstruction, check, nil)
}

// RequestAcceptance: IN_CONSTRUCTION → PENDING_ACCEPTANCE once every item is complete.
func (s *Server) RequestAcceptance(ctx context.Context, req *pb.RequestAcceptanceRequest) (*pb.Project, error) {
	check := func(ctx context.Context, p *works.Project) ([]works.GuardFailure, error) {
		items, err := s.store.Items(ctx, p.ID)
		return works.CheckItemsComplete(items), err
	}
	return s.transition(ctx, "RequestAcceptance", req, req.GetId(), req.GetActor(), req.GetReason(), req.GetRequestId(), works.RequestAcceptance, check, nil)
}

// AcceptProject: PENDING_ACCEPTANCE → ACCEPTED once every acceptance condition holds.
// Idempotent: accepting an ACCEPTED project answers with it unchanged. The service also
// accepts by itself after a sign-off that completes the conditions.
func (s *Server) AcceptProject(ctx context.Context, req *pb.AcceptProjectRequest) (*pb.Project, error) {
	return s.transition(ctx, "AcceptProject", req, req.GetId(), req.GetActor(), req.GetReason(), req.GetRequestId(), works.Accept, s.acceptanceGuard, nil)
}

func (s *Server) acceptanceGuard(ctx context.Context, p *works.Project) ([]works.GuardFailure, error) {
	cs, _, err := s.conditions(ctx, p)
	return works.Failures(cs), err
}

// StartMaintenance: ACCEPTED → MAINTENANCE, upkeep taking over.
func (s *Server) StartMaintenance(ctx context.Context, req *pb.StartMaintenanceRequest) (*pb.Project, error) {
	return s.transition(ctx, "StartMaintenance", req, req.GetId(), req.GetActor(), req.GetReason(), req.GetRequestId(), works.StartMaintenance, nil, nil)
}

// SuspendProject halts an approved, building or pending project, with a reason.
func (s *Server) SuspendProject(ctx context.Context, req *pb.SuspendProjectRequest) (*pb.Project, error) {
	return s.transition(ctx, "SuspendProject", req, req.GetId(), req.GetActor(), req.GetReason(), req.GetRequestId(), works.Suspend, nil, nil)
}

// ResumeProject returns a suspended project to where it was.
func (s *Server) ResumeProject(ctx context.Context, req *pb.ResumeProjectRequest) (*pb.Project, error) {
	return s.transition(ctx, "ResumeProject", req, req.GetId(), req.GetActor(), req.GetReason(), req.GetRequestId(), works.Resume, nil, nil)
}

// CancelProject ends a project before acceptance, with a reason; the compound may then
// plan the round again.
func (s *Server) CancelProject(ctx context.Context, req *pb.CancelProjectRequest) (*pb.Project, error) {
	return s.transition(ctx, "CancelProject", req, req.GetId(), req.GetActor(), req.GetReason(), req.GetRequestId(), works.Cancel, nil, nil)
}

// actorOf is who a history entry names: the body's actor when given (the office acting,
// such as "区住建局"), otherwise the authenticated caller's subject, so that no entry is
// anonymous. The audit trail keeps the caller in every case.
func actorOf(ctx context.Context, given string) string {
	if given != "" {
		return given
	}
	p, _ := auth.FromContext(ctx)
	return p.Subject
}
