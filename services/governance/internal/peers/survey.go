// Package peers is how the governance service asks the survey service about owners'
// resolutions (a convention is adopted by a passed one). NOT_FOUND becomes "not found" in
// the facts; other statuses (UNAVAILABLE) pass through.
package peers

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/governance/internal/app"
)

// Survey answers from the survey service.
type Survey struct {
	client surveypb.SurveyServiceClient
}

var _ app.Resolutions = (*Survey)(nil)

// NewSurvey returns a client over conn.
func NewSurvey(conn grpc.ClientConnInterface) *Survey {
	return &Survey{client: surveypb.NewSurveyServiceClient(conn)}
}

// Resolution reads a resolution survey and its result.
func (s *Survey) Resolution(ctx context.Context, surveyID string) (app.ResolutionFacts, error) {
	var f app.ResolutionFacts
	sv, err := s.client.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: surveyID})
	if status.Code(err) == codes.NotFound {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	f.CompoundID = sv.GetCompoundId()
	if sv.GetKind() != surveypb.Survey_RESOLUTION {
		return f, nil
	}
	f.Found, f.Matter = true, sv.GetMatter().String()
	r, err := s.client.GetResolutionResult(ctx, &surveypb.GetResolutionResultRequest{SurveyId: surveyID})
	if err != nil {
		return f, err
	}
	f.Passed, f.Figures = r.GetPassed(), r.GetReasons()
	return f, nil
}
