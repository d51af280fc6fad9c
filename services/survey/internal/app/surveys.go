package app

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
	"tongdu/platform/dated"

	"tongdu/platform/auth"
	"tongdu/platform/events"
	"tongdu/platform/fault"
	"tongdu/services/survey/internal/opinion"
)

// SurveyView is a survey with how many households have responded.
type SurveyView struct {
	*opinion.Survey
	Responded int64
}

// SurveyFilter selects surveys to list; zero fields select all.
type SurveyFilter struct {
	CompoundID string
	Kind       opinion.Kind
	State      opinion.State
	ProjectID  string
}

// CreateSurvey drafts a survey of a compound's households. An unknown compound is bad
// input on survey.compoundId.
func (a *App) CreateSurvey(ctx context.Context, in opinion.Survey, req Request) (SurveyView, error) {
	if _, err := a.compound(ctx, in.CompoundID, "survey.compoundId"); err != nil {
		return SurveyView{}, err
	}
	sv, err := opinion.NewSurvey(in, a.now())
	if err != nil {
		return SurveyView{}, err
	}
	id, _, err := a.claim(ctx, "CreateSurvey", req, 1)
	if err != nil {
		return SurveyView{}, err
	}
	sv.ID = id[0]
	if err := a.store.CreateSurvey(ctx, sv); err != nil {
		return SurveyView{}, err
	}
	return a.GetSurvey(ctx, sv.ID)
}

// GetSurvey returns a survey with how many households have responded, or
// opinion.ErrNotFound.
func (a *App) GetSurvey(ctx context.Context, id string) (SurveyView, error) {
	sv, err := a.store.GetSurvey(ctx, id)
	if err != nil {
		return SurveyView{}, err
	}
	ts, err := a.store.Counters(ctx, []string{sv.ID}, opinion.CounterResponded)
	if err != nil {
		return SurveyView{}, err
	}
	return SurveyView{Survey: sv, Responded: ts[0][opinion.CounterResponded]}, nil
}

// ListSurveys lists surveys, by compound, kind, state and project, a page of size after
// token; it returns the next page's token ("" for the last).
func (a *App) ListSurveys(ctx context.Context, f SurveyFilter, token string, size int) ([]SurveyView, string, error) {
	match := func(sv *opinion.Survey) bool {
		return (f.Kind == opinion.KindUnspecified || sv.Kind == f.Kind) && (f.State == opinion.StateUnspecified || sv.State == f.State) &&
			(f.ProjectID == "" || sv.ProjectID == f.ProjectID)
	}
	svs, next, err := a.store.ListSurveys(ctx, f.CompoundID, match, token, size)
	if err != nil {
		return nil, "", err
	}
	idList := make([]string, len(svs))
	for i := range svs {
		idList[i] = svs[i].ID
	}
	ts, err := a.store.Counters(ctx, idList, opinion.CounterResponded)
	if err != nil {
		return nil, "", err
	}
	out := make([]SurveyView, len(svs))
	for i := range svs {
		out[i] = SurveyView{Survey: &svs[i], Responded: ts[i][opinion.CounterResponded]}
	}
	return out, next, nil
}

// UpdateSurvey replaces the fields named in mask (by their API names) with those of
// patch; questions only while DRAFT (opinion.ErrNotDraft). A non-empty etag must be the
// survey's (else opinion.ErrConflict).
func (a *App) UpdateSurvey(ctx context.Context, id, etag string, patch opinion.Survey, mask []string) (SurveyView, error) {
	if id == "" || len(mask) == 0 {
		return SurveyView{}, fault.Field("updateMask", "name the survey (survey.id) and the fields to update")
	}
	return a.edit(ctx, id, etag, func(sv opinion.Survey) (opinion.Survey, error) {
		return opinion.ApplyUpdate(sv, patch, mask, a.now())
	}, nil)
}

// OpenSurvey opens a drafted survey to responses. Opening a NEEDS survey makes it the one
// that speaks for its compound in the ranking, and tells governance (a compound event,
// written in the same step as the opening: neither without the other).
func (a *App) OpenSurvey(ctx context.Context, id string, at time.Time, req Request) (SurveyView, error) {
	if done, ok, err := a.replayedTransition(ctx, "OpenSurvey", req, id, opinion.Open); ok || err != nil {
		return done, err
	}
	out, err := a.edit(ctx, id, "", func(sv opinion.Survey) (opinion.Survey, error) {
		c, err := a.registry.Compound(ctx, sv.CompoundID)
		if err != nil {
			return opinion.Survey{}, err
		}
		opened, err := dated.At(at, a.now(), time.Time{}, "effectiveTime", "")
		if err != nil {
			return opinion.Survey{}, err
		}
		next, err := opinion.OpenSurvey(sv, opinion.Electorate{Households: c.Households, Area: c.Area}, opened)
		next.OpenAccount = auth.Acting(ctx)
		return next, err
	}, func(sv opinion.Survey) []string {
		if sv.Kind != opinion.Needs {
			return nil
		}
		// The compound is being surveyed: governance follows it in the compound's status.
		return []string{compoundFact(sv.CompoundID, "NEEDS_SURVEY_OPENED", sv.ID)}
	})
	if err != nil {
		return SurveyView{}, err
	}
	a.loadElectorate(ctx, out)
	if out.Kind == opinion.Needs {
		if err := a.store.SetLatestNeeds(ctx, out.CompoundID, out.ID); err != nil {
			return SurveyView{}, err
		}
		a.rerank(ctx, out.CompoundID)
	}
	return out, nil
}

// CloseSurvey closes a survey: no more responses, and the electorate is frozen into its
// result (rule 3: a vote is judged on the households and areas of the compound), so later
// registry edits cannot change a decided vote.
func (a *App) CloseSurvey(ctx context.Context, id string, at time.Time, req Request) (SurveyView, error) {
	if done, ok, err := a.replayedTransition(ctx, "CloseSurvey", req, id, opinion.Closed); ok || err != nil {
		return done, err
	}
	out, err := a.edit(ctx, id, "", func(sv opinion.Survey) (opinion.Survey, error) {
		c, err := a.registry.Compound(ctx, sv.CompoundID)
		if err != nil {
			return opinion.Survey{}, err
		}
		closed, err := dated.At(at, a.now(), sv.OpenTime, "effectiveTime", "its opening")
		if err != nil {
			return opinion.Survey{}, err
		}
		next, err := opinion.CloseSurvey(sv, opinion.Electorate{Households: c.Households, Area: c.Area}, closed)
		next.CloseAccount = auth.Acting(ctx)
		return next, err
	}, nil)
	if err != nil {
		return SurveyView{}, err
	}
	// Its result is frozen with the electorate's totals: the copy of the households that
	// checked its responses has done its work.
	if err := a.store.ForgetElectorate(ctx, out.ID); err != nil {
		a.log.WarnContext(ctx, "electorate of a closed survey not dropped", "survey", out.ID, "cause", err.Error())
	}
	if out.Kind == opinion.Needs {
		a.rerank(ctx, out.CompoundID)
	}
	return out, nil
}

// replayedTransition answers a retried open or close (same request id, same body) with
// the survey as it stands when it already reached the state the first attempt asked
// for, instead of refusing the retry as a wrong state; ok reports that it answered.
func (a *App) replayedTransition(ctx context.Context, method string, req Request, id string, target opinion.State) (out SurveyView, ok bool, err error) {
	if req.ID == "" {
		return SurveyView{}, false, nil
	}
	_, replayed, err := a.claim(ctx, method, req, 0)
	if err != nil || !replayed {
		return SurveyView{}, false, err
	}
	sv, err := a.store.GetSurvey(ctx, id)
	if err != nil {
		return SurveyView{}, false, err
	}
	if sv.State != target {
		return SurveyView{}, false, nil
	}
	out, err = a.GetSurvey(ctx, id)
	return out, err == nil, err
}

// compoundFact tells governance, on the compound events stream, a fact about a
// compound's renovation that a survey brings (a NEEDS survey opened).
func compoundFact(compoundID, fact, surveyID string) string {
	return events.Event(events.CompoundTopic, map[string]string{"compound": compoundID, "fact": fact, "survey": surveyID})
}

// edit reads, changes and writes a survey with a revision check, retrying when another
// writer got in between unless the caller pinned an etag. announce, when given, names the
// events the changed survey calls for; they are written with it, in one step.
func (a *App) edit(ctx context.Context, id, etag string, change func(opinion.Survey) (opinion.Survey, error), announce func(opinion.Survey) []string) (SurveyView, error) {
	for {
		cur, err := a.store.GetSurvey(ctx, id)
		if err != nil {
			return SurveyView{}, err
		}
		if etag != "" && etag != cur.Etag() {
			return SurveyView{}, errors.Join(opinion.ErrConflict, errors.New("survey "+id+" is at "+cur.Etag()+", the update was made on "+etag))
		}
		next, err := change(*cur)
		if err != nil {
			return SurveyView{}, err
		}
		var evs []string
		if announce != nil {
			evs = announce(next)
		}
		err = a.store.UpdateSurvey(ctx, next, evs...)
		a.open.forget(id)
		if errors.Is(err, opinion.ErrConflict) && etag == "" {
			select {
			case <-ctx.Done():
				return SurveyView{}, ctx.Err()
			case <-time.After(time.Duration(1+rand.IntN(8)) * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return SurveyView{}, err
		}
		return a.GetSurvey(ctx, id)
	}
}
