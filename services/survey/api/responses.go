package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"tongdu/platform/idempotency"

	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/opinion"
	"tongdu/services/survey/storage"
)

// SubmitResponse records a household's response (rule 2). A newer response replaces the
// household's earlier one and the statistics move with it; an older collection leaves the
// newer response in place, and that stored response is what comes back.
func (s *Server) SubmitResponse(ctx context.Context, req *pb.SubmitResponseRequest) (*pb.Response, error) {
	sv, rs, hash, err := s.prepare(ctx, req.GetSurveyId(), req.GetRequestId(), req, []*pb.Response{req.GetResponse()}, func(int) string { return "response" })
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	outcomes, replayed, err := s.store.SubmitResponses(ctx, sv, rs, req.GetRequestId(), hash)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if !replayed {
		countRecorded(ctx, outcomes)
		s.afterResponses(sv)
	}
	if replayed || outcomes[0] == storage.IgnoredOlder {
		stored, err := s.store.GetResponse(ctx, sv.ID, rs[0].HouseholdID)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return responseToPB(stored), nil
	}
	return responseToPB(&rs[0]), nil
}

// BatchSubmitResponses records up to 1,000 responses collected offline, in order and all
// in one step: if any is refused, none is recorded.
func (s *Server) BatchSubmitResponses(ctx context.Context, req *pb.BatchSubmitResponsesRequest) (*pb.BatchSubmitResponsesResponse, error) {
	sv, rs, hash, err := s.prepare(ctx, req.GetSurveyId(), req.GetRequestId(), req, req.GetResponses(), func(i int) string { return fmt.Sprintf("responses[%d]", i) })
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	outcomes, replayed, err := s.store.SubmitResponses(ctx, sv, rs, req.GetRequestId(), hash)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if !replayed {
		countRecorded(ctx, outcomes)
		s.afterResponses(sv)
	}
	out := &pb.BatchSubmitResponsesResponse{}
	for i, o := range outcomes {
		out.Results = append(out.Results, &pb.BatchSubmitResponsesResponse_Result{HouseholdId: rs[i].HouseholdID, Outcome: pb.BatchSubmitResponsesResponse_Result_Outcome(o)})
	}
	return out, nil
}

// prepare checks responses against their survey and the registry, fills in each
// household's area, and fingerprints the request for its request id (the store then
// replays a retry instead of recording it again, which could undo a newer answer). The
// survey must be OPEN (the store checks again, atomically), except for a retry of a
// request it took while open.
func (s *Server) prepare(ctx context.Context, surveyID, requestID string, req proto.Message, in []*pb.Response, field func(int) string) (*opinion.Survey, []opinion.Response, string, error) {
	sv, err := s.surveyForResponses(ctx, surveyID)
	if err != nil {
		return nil, nil, "", err
	}
	hash := ""
	if requestID != "" {
		if hash, err = idempotency.BodyHash(req); err != nil {
			return nil, nil, "", err
		}
	}
	if requestID == "" {
		switch sv.State {
		case opinion.Closed:
			return nil, nil, "", fmt.Errorf("%w: survey %s closed at %s and takes no responses", opinion.ErrSurveyClosed, sv.ID, sv.CloseTime.Format(time.RFC3339))
		case opinion.Draft:
			return nil, nil, "", fmt.Errorf("%w: survey %s is a DRAFT; open it first", opinion.ErrSurveyNotOpen, sv.ID)
		}
	}
	now := s.now()
	rs := make([]opinion.Response, len(in))
	var vs []opinion.Violation
	for i, r := range in {
		rs[i] = responseFromPB(sv.ID, r, now)
		var inv *opinion.InvalidError
		if err := opinion.CheckResponse(sv, &rs[i], field(i)); errors.As(err, &inv) {
			vs = append(vs, inv.Violations...)
		} else if err != nil {
			return nil, nil, "", err
		}
	}
	if len(vs) > 0 {
		return nil, nil, "", &opinion.InvalidError{Violations: vs}
	}
	hids := make([]string, len(rs))
	for i := range rs {
		hids[i] = rs[i].HouseholdID
	}
	hs, err := s.householdsOf(ctx, sv.CompoundID, hids, func(i int) string { return field(i) + ".householdId" })
	if err != nil {
		return nil, nil, "", err
	}
	for i := range rs {
		rs[i].Area = hs[rs[i].HouseholdID].Area
	}
	return sv, rs, hash, nil
}

// afterResponses marks the compound for moving in the rankings when the survey is a
// NEEDS survey (rankQueue says when it moves).
func (s *Server) afterResponses(sv *opinion.Survey) {
	if sv.Kind == opinion.Needs {
		s.ranks.mark(sv.CompoundID)
	}
}

// ListResponses lists a survey's responses by household, optionally of one channel or
// collector.
func (s *Server) ListResponses(ctx context.Context, req *pb.ListResponsesRequest) (*pb.ListResponsesResponse, error) {
	if _, err := s.store.GetSurvey(ctx, req.GetSurveyId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	ch := opinion.Channel(req.GetChannel())
	match := func(r *opinion.Response) bool {
		return (ch == opinion.ChannelUnspecified || r.Channel == ch) && (req.GetCollectorId() == "" || r.CollectorID == req.GetCollectorId())
	}
	rs, next, err := s.store.ListResponses(ctx, req.GetSurveyId(), match, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListResponsesResponse{NextPageToken: next}
	for i := range rs {
		out.Responses = append(out.Responses, responseToPB(&rs[i]))
	}
	return out, nil
}
