package api

import (
	"context"

	"tongdu/platform/idempotency"
	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/opinion"
)

// SubmitResponse records a household's response; the answer is the response the survey
// keeps for the household.
func (s *Server) SubmitResponse(ctx context.Context, req *pb.SubmitResponseRequest) (*pb.Response, error) {
	r, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	stored, err := s.app.SubmitResponse(ctx, req.GetSurveyId(), responseFromPB(req.GetResponse()), r)
	if err != nil {
		return nil, err
	}
	return responseToPB(stored), nil
}

// BatchSubmitResponses records up to 1,000 responses collected offline, all or none.
func (s *Server) BatchSubmitResponses(ctx context.Context, req *pb.BatchSubmitResponsesRequest) (*pb.BatchSubmitResponsesResponse, error) {
	r, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	in := make([]opinion.Response, len(req.GetResponses()))
	for i, resp := range req.GetResponses() {
		in[i] = responseFromPB(resp)
	}
	results, err := s.app.BatchSubmitResponses(ctx, req.GetSurveyId(), in, r)
	if err != nil {
		return nil, err
	}
	out := &pb.BatchSubmitResponsesResponse{}
	for _, res := range results {
		out.Results = append(out.Results, &pb.BatchSubmitResponsesResponse_Result{HouseholdId: res.HouseholdID, Outcome: pb.BatchSubmitResponsesResponse_Result_Outcome(res.Outcome)})
	}
	return out, nil
}

// ListResponses lists a survey's responses by household, optionally of one channel or
// collector.
func (s *Server) ListResponses(ctx context.Context, req *pb.ListResponsesRequest) (*pb.ListResponsesResponse, error) {
	rs, next, err := s.app.ListResponses(ctx, req.GetSurveyId(), opinion.Channel(req.GetChannel()), req.GetCollectorId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListResponsesResponse{NextPageToken: next}
	for i := range rs {
		out.Responses = append(out.Responses, responseToPB(&rs[i]))
	}
	return out, nil
}

// GetResponse returns the response a survey keeps for one household.
func (s *Server) GetResponse(ctx context.Context, req *pb.GetResponseRequest) (*pb.Response, error) {
	r, err := s.app.GetResponse(ctx, req.GetSurveyId(), req.GetHouseholdId())
	if err != nil {
		return nil, err
	}
	return responseToPB(r), nil
}
