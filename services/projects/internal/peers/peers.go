// Package peers is how the projects service asks its owners over gRPC, implementing the
// peer interfaces of app: survey for the renovation resolution and the residents'
// acceptance, finance for the funding cover, governance for compounds and households.
// Answers become the plain facts the works rules check; NOT_FOUND becomes "not found" in
// those facts, UNIMPLEMENTED becomes app.ErrPeerNotBuilt, and other statuses
// (UNAVAILABLE) pass through.
package peers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/projects/internal/app"
	"tongdu/services/projects/internal/works"
)

// Survey asks the survey service.
type Survey struct{ c surveypb.SurveyServiceClient }

// Finance asks the finance service.
type Finance struct {
	c financepb.FinanceServiceClient
}

// Governance asks the governance service.
type Governance struct {
	c governancepb.GovernanceServiceClient
}

var (
	_ app.Survey     = Survey{}
	_ app.Finance    = Finance{}
	_ app.Governance = Governance{}
	_ app.Board      = Board{}
)

// New returns the peers over their connections (one connection may serve all three).
func New(survey, finance, governance grpc.ClientConnInterface) app.Peers {
	s, f, g := surveypb.NewSurveyServiceClient(survey), financepb.NewFinanceServiceClient(finance), governancepb.NewGovernanceServiceClient(governance)
	return app.Peers{
		Survey:     Survey{s},
		Finance:    Finance{f},
		Governance: Governance{g},
		Board:      Board{survey: s, finance: f, governance: g},
	}
}

// notBuilt says which call a peer does not offer yet; the client reads "a guard cannot be
// checked yet: peer service not built: <call> is not built in this version".
func notBuilt(err error, what string) error {
	if status.Code(err) == codes.Unimplemented {
		return fmt.Errorf("a guard cannot be checked yet: %w: %s is not built in this version", app.ErrPeerNotBuilt, what)
	}
	return err
}

// closedSurveys lists a compound's closed surveys of a kind that match, latest closed
// last (by close time, then id: ids sort by creation).
func (o Survey) closedSurveys(ctx context.Context, compoundID string, kind surveypb.Survey_Kind, match func(*surveypb.Survey) bool) ([]*surveypb.Survey, error) {
	var out []*surveypb.Survey
	token := ""
	for {
		resp, err := o.c.ListSurveys(ctx, &surveypb.ListSurveysRequest{CompoundId: compoundID, Kind: kind, State: surveypb.Survey_CLOSED, PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, notBuilt(err, "survey ListSurveys")
		}
		for _, s := range resp.GetSurveys() {
			if s.GetCompoundId() == compoundID && s.GetKind() == kind && s.GetState() == surveypb.Survey_CLOSED && match(s) {
				out = append(out, s)
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	slices.SortStableFunc(out, func(a, b *surveypb.Survey) int {
		if c := a.GetCloseTime().AsTime().Compare(b.GetCloseTime().AsTime()); c != 0 {
			return c
		}
		return strings.Compare(a.GetId(), b.GetId())
	})
	return out, nil
}

func renovation(s *surveypb.Survey) bool { return s.GetMatter() == surveypb.Survey_RENOVATION }

// Resolution finds the renovation resolution of a compound: the survey named, or the
// compound's latest closed RESOLUTION survey on RENOVATION; Latest is always that latest
// one (rule 6: only it counts). With none named and the latest failed, the latest pass
// before it is what the caller relies on, and Latest shows it superseded.
func (o Survey) Resolution(ctx context.Context, compoundID, surveyID string) (works.ResolutionFacts, error) {
	closed, err := o.closedSurveys(ctx, compoundID, surveypb.Survey_RESOLUTION, renovation)
	if err != nil {
		return works.ResolutionFacts{}, err
	}
	latest := ""
	if len(closed) > 0 {
		latest = closed[len(closed)-1].GetId()
	}
	if surveyID == "" {
		if latest == "" {
			return works.ResolutionFacts{}, nil
		}
		f, err := o.resolution(ctx, compoundID, latest)
		if err != nil || f.Passed {
			f.Latest = latest
			return f, err
		}
		for i := len(closed) - 2; i >= 0; i-- {
			earlier, err := o.resolution(ctx, compoundID, closed[i].GetId())
			if err != nil {
				return earlier, err
			}
			if earlier.Passed {
				earlier.Latest = latest
				return earlier, nil
			}
		}
		f.Latest = latest
		return f, nil
	}
	f, err := o.resolution(ctx, compoundID, surveyID)
	f.Latest = latest
	return f, err
}

// resolution reads one survey as a renovation resolution of the compound.
func (o Survey) resolution(ctx context.Context, compoundID, surveyID string) (works.ResolutionFacts, error) {
	f := works.ResolutionFacts{SurveyID: surveyID}
	s, err := o.c.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: surveyID})
	if status.Code(err) == codes.NotFound {
		return f, nil
	}
	if err != nil {
		return f, notBuilt(err, "survey GetSurvey")
	}
	f.Found = s.GetKind() == surveypb.Survey_RESOLUTION && s.GetMatter() == surveypb.Survey_RENOVATION
	f.CompoundOK = s.GetCompoundId() == compoundID
	f.Closed = s.GetState() == surveypb.Survey_CLOSED
	if !f.Found || !f.CompoundOK {
		return f, nil
	}
	// An open vote's figures are read too (counted live against the registry), so a
	// refusal says how far the vote stands from passing; it passes only once closed.
	r, err := o.c.GetResolutionResult(ctx, &surveypb.GetResolutionResultRequest{SurveyId: surveyID})
	if err != nil {
		return f, notBuilt(err, "survey GetResolutionResult")
	}
	f.Passed = r.GetPassed() && f.Closed
	f.Figures = r.GetReasons()
	return f, nil
}

// Describe says what a survey is: its kind and compound, or not found.
func (o Survey) Describe(ctx context.Context, surveyID string) (works.SurveyFacts, error) {
	f := works.SurveyFacts{ID: surveyID}
	s, err := o.c.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: surveyID})
	if status.Code(err) == codes.NotFound {
		return f, nil
	}
	if err != nil {
		return f, notBuilt(err, "survey GetSurvey")
	}
	f.Found, f.Kind, f.CompoundID = true, s.GetKind().String(), s.GetCompoundId()
	return f, nil
}

// AcceptanceSurvey reads the residents' acceptance from an ACCEPTANCE survey of the
// compound: responses, households and satisfied respondents (the first option). With no
// survey named, the compound's latest closed ACCEPTANCE survey opened after since counts
// (rule 6), and none when since is zero (acceptance never requested).
func (o Survey) AcceptanceSurvey(ctx context.Context, compoundID, surveyID string, since time.Time) (works.AcceptanceSurveyFacts, error) {
	if surveyID == "" && !since.IsZero() {
		closed, err := o.closedSurveys(ctx, compoundID, surveypb.Survey_ACCEPTANCE, func(s *surveypb.Survey) bool {
			return s.GetOpenTime() != nil && s.GetOpenTime().AsTime().After(since)
		})
		if err != nil {
			return works.AcceptanceSurveyFacts{}, err
		}
		if len(closed) > 0 {
			surveyID = closed[len(closed)-1].GetId()
		}
	}
	f := works.AcceptanceSurveyFacts{SurveyID: surveyID}
	if surveyID == "" {
		return f, nil
	}
	s, err := o.c.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: surveyID})
	if status.Code(err) == codes.NotFound {
		return f, nil
	}
	if err != nil {
		return f, notBuilt(err, "survey GetSurvey")
	}
	if s.GetKind() != surveypb.Survey_ACCEPTANCE || s.GetCompoundId() != compoundID {
		return f, nil
	}
	st, err := o.c.GetSurveyStats(ctx, &surveypb.GetSurveyStatsRequest{SurveyId: surveyID})
	if err != nil {
		return f, notBuilt(err, "survey GetSurveyStats")
	}
	f.Found = true
	f.Closed = s.GetState() == surveypb.Survey_CLOSED
	f.Responded = int64(st.GetRespondedHouseholds())
	f.Households = int64(st.GetTotalHouseholds())
	f.Satisfied = int64(st.GetWillingHouseholds())
	return f, nil
}

// Funding reads the committed total of the project's funding plan.
func (o Finance) Funding(ctx context.Context, projectID string) (works.FundingFacts, error) {
	p, err := o.c.GetFundingPlan(ctx, &financepb.GetFundingPlanRequest{ProjectId: projectID})
	if status.Code(err) == codes.NotFound {
		return works.FundingFacts{}, nil
	}
	if err != nil {
		return works.FundingFacts{}, notBuilt(err, "finance GetFundingPlan")
	}
	return works.FundingFacts{Found: true, CommittedFen: p.GetCommittedTotalFen()}, nil
}

// HouseholdCompound returns the compound a household belongs to ("" for none).
func (o Governance) HouseholdCompound(ctx context.Context, householdID string) (string, error) {
	h, err := o.c.GetHousehold(ctx, &governancepb.GetHouseholdRequest{Id: householdID})
	if status.Code(err) == codes.NotFound {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return h.GetCompoundId(), nil
}

// CompoundExists reports whether governance knows the compound.
func (o Governance) CompoundExists(ctx context.Context, compoundID string) (bool, error) {
	_, err := o.c.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: compoundID})
	if status.Code(err) == codes.NotFound {
		return false, nil
	}
	return err == nil, err
}
