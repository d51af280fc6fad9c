package api

import (
	"context"

	"tongdu/platform/idempotency"
	"tongdu/platform/jsonname"
	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/app"
	"tongdu/services/survey/internal/opinion"
)

// CreateSurvey drafts a survey of a compound's households.
func (s *Server) CreateSurvey(ctx context.Context, req *pb.CreateSurveyRequest) (*pb.Survey, error) {
	r, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	return surveyOut(s.app.CreateSurvey(ctx, surveyFromPB(req.GetSurvey()), r))
}

// GetSurvey returns a survey with how many households have responded.
func (s *Server) GetSurvey(ctx context.Context, req *pb.GetSurveyRequest) (*pb.Survey, error) {
	return surveyOut(s.app.GetSurvey(ctx, req.GetId()))
}

// ListSurveys lists surveys, by compound, kind, state and project.
func (s *Server) ListSurveys(ctx context.Context, req *pb.ListSurveysRequest) (*pb.ListSurveysResponse, error) {
	f := app.SurveyFilter{CompoundID: req.GetCompoundId(), Kind: opinion.Kind(req.GetKind()), State: opinion.State(req.GetState()), ProjectID: req.GetProjectId()}
	svs, next, err := s.app.ListSurveys(ctx, f, req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListSurveysResponse{NextPageToken: next}
	for _, sv := range svs {
		out.Surveys = append(out.Surveys, surveyToPB(sv.Survey, sv.Responded))
	}
	return out, nil
}

// UpdateSurvey replaces the fields named in update_mask; questions only while DRAFT.
func (s *Server) UpdateSurvey(ctx context.Context, req *pb.UpdateSurveyRequest) (*pb.Survey, error) {
	in := req.GetSurvey()
	mask := jsonname.MaskPaths(req.GetUpdateMask().GetPaths())
	return surveyOut(s.app.UpdateSurvey(ctx, in.GetId(), in.GetEtag(), surveyFromPB(in), mask))
}

// OpenSurvey opens a drafted survey to responses.
func (s *Server) OpenSurvey(ctx context.Context, req *pb.OpenSurveyRequest) (*pb.Survey, error) {
	r, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	return surveyOut(s.app.OpenSurvey(ctx, req.GetId(), timeOf(req.GetEffectiveTime()), r))
}

// CloseSurvey closes a survey and freezes its electorate.
func (s *Server) CloseSurvey(ctx context.Context, req *pb.CloseSurveyRequest) (*pb.Survey, error) {
	r, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	return surveyOut(s.app.CloseSurvey(ctx, req.GetId(), timeOf(req.GetEffectiveTime()), r))
}

func surveyOut(sv app.SurveyView, err error) (*pb.Survey, error) {
	if err != nil {
		return nil, err
	}
	return surveyToPB(sv.Survey, sv.Responded), nil
}
