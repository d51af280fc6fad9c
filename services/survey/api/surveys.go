package api

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/proto"

	"tongdu/platform/jsonname"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/opinion"
)

// CreateSurvey drafts a survey of a compound's households.
func (s *Server) CreateSurvey(ctx context.Context, req *pb.CreateSurveyRequest) (*pb.Survey, error) {
	in := surveyFromPB(req.GetSurvey())
	if _, err := s.compound(ctx, in.CompoundID, "survey.compoundId"); err != nil {
		return nil, s.fail(ctx, err)
	}
	sv, err := opinion.NewSurvey(in, s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	id, _, err := s.claim(ctx, "CreateSurvey", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	sv.ID = id[0]
	if err := s.store.CreateSurvey(ctx, sv); err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.GetSurvey(ctx, &pb.GetSurveyRequest{Id: sv.ID})
}

// GetSurvey returns a survey with how many households have responded.
func (s *Server) GetSurvey(ctx context.Context, req *pb.GetSurveyRequest) (*pb.Survey, error) {
	sv, err := s.store.GetSurvey(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	ts, err := s.store.Counters(ctx, []string{sv.ID}, opinion.CounterResponded)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return surveyToPB(sv, ts[0][opinion.CounterResponded]), nil
}

// ListSurveys lists surveys, by compound, kind, state and project.
func (s *Server) ListSurveys(ctx context.Context, req *pb.ListSurveysRequest) (*pb.ListSurveysResponse, error) {
	kind, state := opinion.Kind(req.GetKind()), opinion.State(req.GetState())
	match := func(sv *opinion.Survey) bool {
		return (kind == opinion.KindUnspecified || sv.Kind == kind) && (state == opinion.StateUnspecified || sv.State == state) &&
			(req.GetProjectId() == "" || sv.ProjectID == req.GetProjectId())
	}
	svs, next, err := s.store.ListSurveys(ctx, req.GetCompoundId(), match, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	idList := make([]string, len(svs))
	for i := range svs {
		idList[i] = svs[i].ID
	}
	ts, err := s.store.Counters(ctx, idList, opinion.CounterResponded)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListSurveysResponse{NextPageToken: next}
	for i := range svs {
		out.Surveys = append(out.Surveys, surveyToPB(&svs[i], ts[i][opinion.CounterResponded]))
	}
	return out, nil
}

// UpdateSurvey replaces the fields named in update_mask; questions only while DRAFT.
func (s *Server) UpdateSurvey(ctx context.Context, req *pb.UpdateSurveyRequest) (*pb.Survey, error) {
	in := req.GetSurvey()
	mask := jsonname.MaskPaths(req.GetUpdateMask().GetPaths())
	if in.GetId() == "" || len(mask) == 0 {
		return nil, s.fail(ctx, &opinion.InvalidError{Violations: []opinion.Violation{{Field: "updateMask", Reason: "name the survey (survey.id) and the fields to update"}}})
	}
	patch := surveyFromPB(in)
	return s.edit(ctx, in.GetId(), in.GetEtag(), func(sv opinion.Survey) (opinion.Survey, error) {
		return opinion.ApplyUpdate(sv, patch, mask, s.now())
	})
}

// OpenSurvey opens a drafted survey to responses. Opening a NEEDS survey makes it the one
// that speaks for its compound in the ranking.
func (s *Server) OpenSurvey(ctx context.Context, req *pb.OpenSurveyRequest) (*pb.Survey, error) {
	if done, err := s.replayedTransition(ctx, "OpenSurvey", req.GetRequestId(), req, req.GetId(), opinion.Open); done != nil || err != nil {
		return done, err
	}
	out, err := s.edit(ctx, req.GetId(), "", func(sv opinion.Survey) (opinion.Survey, error) {
		c, err := s.registry.Compound(ctx, sv.CompoundID)
		if err != nil {
			return opinion.Survey{}, err
		}
		return opinion.OpenSurvey(sv, opinion.Electorate{Households: c.Households, Area: c.Area}, s.now())
	})
	if err != nil {
		return nil, err
	}
	if out.GetKind() == pb.Survey_NEEDS {
		if err := s.store.SetLatestNeeds(ctx, out.GetCompoundId(), out.GetId()); err != nil {
			return nil, s.fail(ctx, err)
		}
		s.rerank(ctx, out.GetCompoundId())
		// The compound is being surveyed: governance follows it in the compound's status.
		if err := s.store.PublishCompoundFact(ctx, out.GetCompoundId(), "NEEDS_SURVEY_OPENED", out.GetId()); err != nil {
			s.log.WarnContext(ctx, "compound fact not published", "compound", out.GetCompoundId(), "cause", err.Error())
		}
	}
	return out, nil
}

// CloseSurvey closes a survey: no more responses, and the electorate is frozen into its
// result (rule 3), so later registry edits cannot change a decided vote.
func (s *Server) CloseSurvey(ctx context.Context, req *pb.CloseSurveyRequest) (*pb.Survey, error) {
	if done, err := s.replayedTransition(ctx, "CloseSurvey", req.GetRequestId(), req, req.GetId(), opinion.Closed); done != nil || err != nil {
		return done, err
	}
	out, err := s.edit(ctx, req.GetId(), "", func(sv opinion.Survey) (opinion.Survey, error) {
		c, err := s.registry.Compound(ctx, sv.CompoundID)
		if err != nil {
			return opinion.Survey{}, err
		}
		return opinion.CloseSurvey(sv, opinion.Electorate{Households: c.Households, Area: c.Area}, s.now())
	})
	if err != nil {
		return nil, err
	}
	if out.GetKind() == pb.Survey_NEEDS {
		s.rerank(ctx, out.GetCompoundId())
	}
	return out, nil
}

// replayedTransition answers a retried open or close (same request id, same body) with
// the survey as it stands when it already reached the state the first attempt asked
// for, instead of refusing the retry as a wrong state.
func (s *Server) replayedTransition(ctx context.Context, method, requestID string, req proto.Message, id string, target opinion.State) (*pb.Survey, error) {
	if requestID == "" {
		return nil, nil
	}
	_, replayed, err := s.claim(ctx, method, requestID, req, 0)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if !replayed {
		return nil, nil
	}
	sv, err := s.store.GetSurvey(ctx, id)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if sv.State != target {
		return nil, nil
	}
	return s.GetSurvey(ctx, &pb.GetSurveyRequest{Id: id})
}

// edit reads, changes and writes a survey with a revision check, retrying when another
// writer got in between unless the caller pinned an etag.
func (s *Server) edit(ctx context.Context, id, etag string, change func(opinion.Survey) (opinion.Survey, error)) (*pb.Survey, error) {
	for {
		cur, err := s.store.GetSurvey(ctx, id)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if etag != "" && etag != cur.Etag() {
			return nil, s.fail(ctx, errors.Join(opinion.ErrConflict, errors.New("survey "+id+" is at "+cur.Etag()+", the update was made on "+etag)))
		}
		next, err := change(*cur)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		err = s.store.UpdateSurvey(ctx, next)
		s.open.forget(id)
		if errors.Is(err, opinion.ErrConflict) && etag == "" {
			select {
			case <-ctx.Done():
				return nil, s.fail(ctx, ctx.Err())
			case <-time.After(time.Duration(1+rand.IntN(8)) * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return s.GetSurvey(ctx, &pb.GetSurveyRequest{Id: id})
	}
}
