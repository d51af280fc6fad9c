package api

import (
	"context"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/idempotency"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/internal/app"
)

// transitionRequest is what every request for one of rule 6's transitions (the project
// lifecycle, each step behind its guard) carries.
type transitionRequest interface {
	proto.Message
	GetId() string
	GetActor() string
	GetReason() string
	GetRequestId() string
	GetEffectiveTime() *timestamppb.Timestamp
}

// move decodes a transition request.
func move(ctx context.Context, req transitionRequest) (app.Move, error) {
	rq, err := idempotency.Of(req.GetRequestId(), req)
	return app.Move{ID: req.GetId(), Actor: actorOf(ctx, req.GetActor()), Reason: req.GetReason(), Request: rq, At: timeOf(req.GetEffectiveTime())}, err
}

// transition decodes req and calls the transition use case do.
func transition[R transitionRequest](ctx context.Context, req R, do func(context.Context, app.Move) (app.ProjectView, error)) (*pb.Project, error) {
	m, err := move(ctx, req)
	if err != nil {
		return nil, err
	}
	return project(do(ctx, m))
}

// ApproveProject: PROPOSED → APPROVED once the renovation resolution passed.
func (s *Server) ApproveProject(ctx context.Context, req *pb.ApproveProjectRequest) (*pb.Project, error) {
	return transition(ctx, req, func(ctx context.Context, m app.Move) (app.ProjectView, error) {
		return s.app.ApproveProject(ctx, m, req.GetResolutionSurveyId())
	})
}

// StartConstruction: APPROVED → IN_CONSTRUCTION once the funding covers the budget.
func (s *Server) StartConstruction(ctx context.Context, req *pb.StartConstructionRequest) (*pb.Project, error) {
	return transition(ctx, req, s.app.StartConstruction)
}

// RequestAcceptance: IN_CONSTRUCTION → PENDING_ACCEPTANCE once every item is complete.
func (s *Server) RequestAcceptance(ctx context.Context, req *pb.RequestAcceptanceRequest) (*pb.Project, error) {
	return transition(ctx, req, s.app.RequestAcceptance)
}

// AcceptProject: PENDING_ACCEPTANCE → ACCEPTED once every acceptance condition holds.
func (s *Server) AcceptProject(ctx context.Context, req *pb.AcceptProjectRequest) (*pb.Project, error) {
	return transition(ctx, req, s.app.AcceptProject)
}

// StartMaintenance: ACCEPTED → MAINTENANCE.
func (s *Server) StartMaintenance(ctx context.Context, req *pb.StartMaintenanceRequest) (*pb.Project, error) {
	return transition(ctx, req, s.app.StartMaintenance)
}

// SuspendProject halts an approved, building or pending project, with a reason.
func (s *Server) SuspendProject(ctx context.Context, req *pb.SuspendProjectRequest) (*pb.Project, error) {
	return transition(ctx, req, s.app.SuspendProject)
}

// ResumeProject returns a suspended project to where it was.
func (s *Server) ResumeProject(ctx context.Context, req *pb.ResumeProjectRequest) (*pb.Project, error) {
	return transition(ctx, req, s.app.ResumeProject)
}

// CancelProject ends a project before acceptance, with a reason.
func (s *Server) CancelProject(ctx context.Context, req *pb.CancelProjectRequest) (*pb.Project, error) {
	return transition(ctx, req, s.app.CancelProject)
}
