package api

import (
	"context"

	"tongdu/platform/idempotency"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/internal/works"
)

// CreateSignoff records a professional party's verdict (app.CreateSignoff).
func (s *Server) CreateSignoff(ctx context.Context, req *pb.CreateSignoffRequest) (*pb.Signoff, error) {
	rq, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	in := req.GetSignoff()
	so, err := s.app.CreateSignoff(ctx, req.GetProjectId(), works.Signoff{
		Role: works.Role(in.GetRole()), Verdict: works.Verdict(in.GetVerdict()), Remarks: in.GetRemarks(), Signer: in.GetSigner()}, timeOf(req.GetEffectiveTime()), rq)
	if err != nil {
		return nil, err
	}
	return signoffToPB(&so), nil
}

// GetAcceptance lists every condition of the joint acceptance and whether it holds.
func (s *Server) GetAcceptance(ctx context.Context, req *pb.GetAcceptanceRequest) (*pb.Acceptance, error) {
	a, err := s.app.GetAcceptance(ctx, req.GetProjectId())
	if err != nil {
		return nil, err
	}
	p := a.Project
	out := &pb.Acceptance{ProjectId: p.ID, Status: pb.Project_Status(p.Status), AcceptanceSurveyId: p.AcceptanceSurveyID, AllHold: a.AllHold}
	for _, c := range a.Conditions {
		out.Conditions = append(out.Conditions, &pb.AcceptanceCondition{Name: c.Name, Holds: c.Holds, Detail: c.Detail})
	}
	for i := range a.Signoffs {
		out.Signoffs = append(out.Signoffs, signoffToPB(&a.Signoffs[i]))
	}
	return out, nil
}
