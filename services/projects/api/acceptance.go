package api

import (
	"context"

	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/works"
)

// CreateSignoff records a professional party's verdict while the project is
// PENDING_ACCEPTANCE; a later sign-off of the same role replaces the earlier. When it
// completes the acceptance conditions, the project is accepted at once.
func (s *Server) CreateSignoff(ctx context.Context, req *pb.CreateSignoffRequest) (*pb.Signoff, error) {
	in := req.GetSignoff()
	p, err := s.store.GetProject(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := works.CanSignOff(p); err != nil {
		return nil, s.fail(ctx, err)
	}
	id, _, err := s.claim(ctx, "CreateSignoff", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	so := works.Signoff{ID: id[0], ProjectID: p.ID, Role: works.Role(in.GetRole()), Verdict: works.Verdict(in.GetVerdict()), Remarks: in.GetRemarks(), Signer: in.GetSigner(), SignTime: s.now()}
	so, created, err := s.store.AddSignoff(ctx, so)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if created && so.Verdict == works.Pass {
		s.acceptIfReady(ctx, p.ID, so.Signer)
	}
	return signoffToPB(&so), nil
}

// acceptIfReady accepts the project when every condition now holds. Not holding yet is
// the usual case and no error; anything else is logged, as the sign-off is recorded and
// :accept remains.
func (s *Server) acceptIfReady(ctx context.Context, projectID, signer string) {
	p, err := s.store.GetProject(ctx, projectID)
	if err != nil {
		s.log.WarnContext(ctx, "acceptance not checked", "project", projectID, "cause", err.Error())
		return
	}
	cs, _, err := s.conditions(ctx, p)
	if err != nil {
		s.log.WarnContext(ctx, "acceptance not checked", "project", projectID, "cause", err.Error())
		return
	}
	if len(works.Failures(cs)) > 0 {
		return
	}
	_, err = s.transition(ctx, "AcceptProject", &pb.AcceptProjectRequest{Id: projectID}, projectID, "tongdu (after the sign-off by "+signer+")", "every acceptance condition holds", "", works.Accept, s.acceptanceGuard, nil)
	if err != nil {
		s.log.WarnContext(ctx, "project not accepted after sign-off", "project", projectID, "cause", err.Error())
	}
}

// conditions evaluates rule 6's joint acceptance for a project.
func (s *Server) conditions(ctx context.Context, p *works.Project) ([]works.Condition, map[works.Role]works.Signoff, error) {
	latest, err := s.store.LatestSignoffs(ctx, p.ID)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.owners.AcceptanceSurvey(ctx, p.CompoundID, p.AcceptanceSurveyID)
	if err != nil {
		return nil, nil, err
	}
	return works.AcceptanceConditions(latest, f, s.thresholds), latest, nil
}

// GetAcceptance lists every condition of the joint acceptance and whether it holds.
func (s *Server) GetAcceptance(ctx context.Context, req *pb.GetAcceptanceRequest) (*pb.Acceptance, error) {
	p, err := s.store.GetProject(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	cs, latest, err := s.conditions(ctx, p)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.Acceptance{ProjectId: p.ID, Status: pb.Project_Status(p.Status), AcceptanceSurveyId: p.AcceptanceSurveyID, AllHold: len(works.Failures(cs)) == 0}
	for _, c := range cs {
		out.Conditions = append(out.Conditions, &pb.AcceptanceCondition{Name: c.Name, Holds: c.Holds, Detail: c.Detail})
	}
	for _, r := range works.Roles {
		if so, ok := latest[r]; ok {
			out.Signoffs = append(out.Signoffs, signoffToPB(&so))
		}
	}
	return out, nil
}
