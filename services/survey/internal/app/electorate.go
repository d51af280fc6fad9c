package app

import (
	"context"
	"fmt"
	"time"

	"tongdu/platform/events"
	"tongdu/services/survey/internal/opinion"
)

// A survey keeps its own copy of its compound's households and their areas (its
// electorate), so that a response is checked (the household belongs to the compound,
// rule 2) and weighed (its area, rule 3) in the same Redis step that records it, with no
// call to governance on the way. The copy is filled when the survey opens, kept current
// by the registry's events (a household added, or its area changed by an import:
// FollowRegistryEvent) and completed by asking governance about a household it does not
// hold, once (learnHouseholds). It is dropped when the survey closes.

// electorateLoadTime bounds the loading of a compound's households when a survey opens;
// what is not loaded by then is learned response by response.
const electorateLoadTime = 2 * time.Minute

// loadElectorate copies the compound's households into the survey's electorate, on the
// caller's behalf (the opener may read the compound's register). A failure costs only
// speed: the households not copied are asked of governance as their responses come.
func (a *App) loadElectorate(ctx context.Context, sv SurveyView) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), electorateLoadTime)
	defer cancel()
	n := 0
	err := a.registry.HouseholdsIn(ctx, sv.CompoundID, func(hs []Household) error {
		n += len(hs)
		return a.store.KeepElectorate(ctx, sv.ID, areasOf(hs, sv.CompoundID), false)
	})
	if err != nil {
		a.log.WarnContext(ctx, "electorate not loaded; responses will ask governance", "survey", sv.ID, "loaded", n, "cause", err.Error())
	}
}

// learnHouseholds asks governance about households the electorate does not hold: each
// must belong to the survey's compound (else the request is refused on its field), and
// comes back with its area to be added to the electorate.
func (a *App) learnHouseholds(ctx context.Context, sv *opinion.Survey, rs []opinion.Response, ids []string, field func(int) string) (map[string]int64, error) {
	at := make(map[string]int, len(rs))
	for i := len(rs) - 1; i >= 0; i-- {
		at[rs[i].HouseholdID] = i
	}
	hs, err := a.householdsOf(ctx, sv.CompoundID, ids, func(i int) string { return field(at[ids[i]]) + ".householdId" })
	if err != nil {
		return nil, err
	}
	householdsLearned.Add(ctx, int64(len(hs)))
	learned := make(map[string]int64, len(hs))
	for id, h := range hs {
		learned[id] = h.Area
	}
	return learned, nil
}

// keepHouseholds applies a registry event's households to the electorate of every
// survey of the compound still taking or about to take responses. Applying it twice
// writes the same areas, so a redelivered event is harmless.
func (a *App) keepHouseholds(ctx context.Context, compoundID, field string) error {
	hs, err := events.DecodeHouseholds(field)
	if err != nil || len(hs) == 0 {
		return err
	}
	areas := make(map[string]int64, len(hs))
	for _, h := range hs {
		areas[h.ID] = h.Area
	}
	token := ""
	for {
		svs, next, err := a.store.ListSurveys(ctx, compoundID, func(sv *opinion.Survey) bool { return sv.State != opinion.Closed }, token, 100)
		if err != nil {
			return err
		}
		for _, sv := range svs {
			if err := a.store.KeepElectorate(ctx, sv.ID, areas, true); err != nil {
				return fmt.Errorf("electorate of survey %s: %w", sv.ID, err)
			}
		}
		if token = next; token == "" {
			return nil
		}
	}
}

func areasOf(hs []Household, compoundID string) map[string]int64 {
	out := make(map[string]int64, len(hs))
	for _, h := range hs {
		if h.CompoundID == compoundID {
			out[h.ID] = h.Area
		}
	}
	return out
}
