package app

import (
	"context"
	"sync"
	"time"

	"tongdu/services/survey/internal/opinion"
)

// openSurveys remembers the definitions of OPEN surveys for the responses that keep
// arriving for them. Reading and decoding a survey was a tenth of a response's cost,
// and once a survey is OPEN nothing a response is checked against can change: questions
// and the matter change only in DRAFT (opinion.ApplyUpdate), the compound and kind never.
// Its state can: a survey closed meanwhile is still refused, because the response script
// checks the state again in the same atomic step as the write. An entry is kept for
// openSurveyTTL, and this process forgets it at once when it changes the survey itself.
type openSurveys struct {
	mu      sync.Mutex
	entries map[string]openSurvey
}

type openSurvey struct {
	sv   opinion.Survey
	read time.Time
}

const (
	openSurveyTTL = 5 * time.Second
	// maxOpenSurveys bounds the memory; beyond it the cache starts afresh (a district
	// has a few hundred surveys open at once).
	maxOpenSurveys = 10_000
)

// surveyForResponses returns a survey for checking responses against: from memory when
// it was OPEN when last read, from the store otherwise. The caller must not change it.
func (a *App) surveyForResponses(ctx context.Context, id string) (*opinion.Survey, error) {
	now := a.now()
	c := &a.open
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && now.Sub(e.read) < openSurveyTTL {
		return &e.sv, nil
	}
	sv, err := a.store.GetSurvey(ctx, id)
	if err != nil || sv.State != opinion.Open {
		return sv, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxOpenSurveys {
		c.entries = make(map[string]openSurvey)
	}
	c.entries[id] = openSurvey{sv: *sv, read: now}
	return sv, nil
}

// forget drops a survey this process has just changed.
func (c *openSurveys) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}
