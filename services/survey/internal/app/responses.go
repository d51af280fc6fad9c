package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
	"tongdu/services/survey/internal/opinion"
)

// Result is what became of one response of a batch.
type Result struct {
	HouseholdID string
	Outcome     opinion.Outcome
}

// SubmitResponse records a household's response (rule 2: one response per household, the
// latest collection wins). A newer response replaces the household's earlier one and the
// statistics move with it; an older collection leaves the newer response in place, and
// that stored response is what comes back. r's survey id and submit time are the server's;
// a zero CollectedAt means now.
func (a *App) SubmitResponse(ctx context.Context, surveyID string, r opinion.Response, req Request) (*opinion.Response, error) {
	field := func(int) string { return "response" }
	sv, rs, err := a.prepare(ctx, surveyID, req, []opinion.Response{r}, field)
	if err != nil {
		return nil, err
	}
	outcomes, replayed, err := a.record(ctx, sv, rs, req, field)
	if err != nil {
		return nil, err
	}
	if replayed || outcomes[0] == opinion.IgnoredOlder {
		return a.store.GetResponse(ctx, sv.ID, rs[0].HouseholdID)
	}
	return &rs[0], nil
}

// BatchSubmitResponses records up to 1,000 responses collected offline, in order and all
// in one step: if any is refused, none is recorded.
func (a *App) BatchSubmitResponses(ctx context.Context, surveyID string, in []opinion.Response, req Request) ([]Result, error) {
	field := func(i int) string { return fmt.Sprintf("responses[%d]", i) }
	sv, rs, err := a.prepare(ctx, surveyID, req, in, field)
	if err != nil {
		return nil, err
	}
	outcomes, _, err := a.record(ctx, sv, rs, req, field)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(outcomes))
	for i, o := range outcomes {
		out[i] = Result{HouseholdID: rs[i].HouseholdID, Outcome: o}
	}
	return out, nil
}

// prepare checks responses against their survey (the households are checked where they
// are recorded: record). The survey must be OPEN (the store checks again, atomically), except
// for a retry of a request it took while open: the store then replays the retry instead
// of recording it again, which could undo a newer answer.
func (a *App) prepare(ctx context.Context, surveyID string, req Request, in []opinion.Response, field func(int) string) (*opinion.Survey, []opinion.Response, error) {
	sv, err := a.surveyForResponses(ctx, surveyID)
	if err != nil {
		return nil, nil, err
	}
	if req.ID == "" {
		switch sv.State {
		case opinion.Closed:
			return nil, nil, fmt.Errorf("%w: survey %s closed at %s and takes no responses", opinion.ErrSurveyClosed, sv.ID, sv.CloseTime.Format(time.RFC3339))
		case opinion.Draft:
			return nil, nil, fmt.Errorf("%w: survey %s is a DRAFT; open it first", opinion.ErrSurveyNotOpen, sv.ID)
		}
	}
	now := a.now()
	rs := make([]opinion.Response, len(in))
	var bad fault.Collect
	for i, r := range in {
		r.SurveyID, r.SubmitTime, r.Account = sv.ID, now, auth.Acting(ctx)
		if r.CollectedAt.IsZero() {
			r.CollectedAt = now
		}
		rs[i] = r
		if err := bad.Add(opinion.CheckResponse(sv, &rs[i], field(i))); err != nil {
			return nil, nil, err
		}
	}
	if err := bad.Err(); err != nil {
		return nil, nil, err
	}
	return sv, rs, nil
}

// record stores checked responses in one step that also checks each household belongs
// to the compound and weighs it by its area, from the survey's own copy of the compound's
// households (electorate.go). Households that copy does not hold are asked of governance,
// once, and the step tried again with them. Unless the store replayed a retry, it counts
// the responses and marks the compound of a NEEDS survey for moving in the rankings
// (rankQueue says when it moves).
func (a *App) record(ctx context.Context, sv *opinion.Survey, rs []opinion.Response, req Request, field func(int) string) ([]opinion.Outcome, bool, error) {
	outcomes, replayed, err := a.store.SubmitResponses(ctx, sv, rs, req.ID, req.Hash, nil)
	var unknown *opinion.UnknownHouseholds
	if errors.As(err, &unknown) {
		learned, lerr := a.learnHouseholds(ctx, sv, rs, unknown.IDs, field)
		if lerr != nil {
			return nil, false, lerr
		}
		outcomes, replayed, err = a.store.SubmitResponses(ctx, sv, rs, req.ID, req.Hash, learned)
	}
	if err != nil || replayed {
		return outcomes, replayed, err
	}
	countRecorded(ctx, outcomes)
	if sv.Kind == opinion.Needs {
		a.ranks.mark(sv.CompoundID)
	}
	return outcomes, false, nil
}

// ListResponses lists a survey's responses by household, optionally of one channel or
// collector; an unknown survey is opinion.ErrNotFound.
func (a *App) ListResponses(ctx context.Context, surveyID string, ch opinion.Channel, collectorID, token string, size int) ([]opinion.Response, string, error) {
	if _, err := a.store.GetSurvey(ctx, surveyID); err != nil {
		return nil, "", err
	}
	match := func(r *opinion.Response) bool {
		return (ch == opinion.ChannelUnspecified || r.Channel == ch) && (collectorID == "" || r.CollectorID == collectorID)
	}
	return a.store.ListResponses(ctx, surveyID, match, token, size)
}

// GetResponse returns the response the survey keeps for a household; an unknown survey,
// or a household that has not answered, is opinion.ErrNotFound.
func (a *App) GetResponse(ctx context.Context, surveyID, householdID string) (*opinion.Response, error) {
	if _, err := a.store.GetSurvey(ctx, surveyID); err != nil {
		return nil, err
	}
	return a.store.GetResponse(ctx, surveyID, householdID)
}
