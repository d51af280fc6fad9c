package app

import (
	"context"
	"fmt"
	"time"
	"tongdu/platform/dated"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
	"tongdu/services/survey/internal/opinion"
)

// CreateMeeting records a courtyard meeting (院坝会) of a compound; its attendees must be
// households of the compound (opinion.ErrNotInCompound). The id, state and creation time
// are the server's.
func (a *App) CreateMeeting(ctx context.Context, m opinion.Meeting, req Request) (*opinion.Meeting, error) {
	if _, err := a.compound(ctx, m.CompoundID, "meeting.compoundId"); err != nil {
		return nil, err
	}
	if _, err := a.householdsOf(ctx, m.CompoundID, m.Attendees, attendeeField("meeting.attendeeHouseholdIds")); err != nil {
		return nil, err
	}
	id, _, err := a.claim(ctx, "CreateMeeting", req, 1)
	if err != nil {
		return nil, err
	}
	m.ID, m.State, m.CreateTime = id[0], opinion.MeetingOpen, a.now()
	m.CreateAccount = auth.Acting(ctx)
	if err := a.store.CreateMeeting(ctx, m); err != nil {
		return nil, err
	}
	return a.GetMeeting(ctx, m.ID)
}

func attendeeField(list string) func(int) string {
	return func(i int) string { return fmt.Sprintf("%s[%d]", list, i) }
}

// GetMeeting returns a meeting or opinion.ErrNotFound, its attendance as the caller may
// see it (seen.meeting).
func (a *App) GetMeeting(ctx context.Context, id string) (*opinion.Meeting, error) {
	return seenBy(ctx).meeting(a.store.GetMeeting(ctx, id))
}

// ListMeetings lists meetings, by compound ("" for all) and state.
func (a *App) ListMeetings(ctx context.Context, compoundID string, st opinion.MeetingState, token string, size int) ([]opinion.Meeting, string, error) {
	ms, next, err := a.store.ListMeetings(ctx, compoundID, func(m *opinion.Meeting) bool {
		return st == opinion.MeetingUnspecified || m.State == st
	}, token, size)
	return seenBy(ctx).meetings(ms), next, err
}

// CloseMeeting closes a meeting with its attendance, minutes and decisions; a closed one
// is opinion.ErrWrongState, unless this is a retry of the request that closed it.
func (a *App) CloseMeeting(ctx context.Context, id string, attendees []string, minutes string, decisions []string, at time.Time, req Request) (*opinion.Meeting, error) {
	m, err := a.store.GetMeeting(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := a.householdsOf(ctx, m.CompoundID, attendees, attendeeField("attendeeHouseholdIds")); err != nil {
		return nil, err
	}
	if _, replayed, err := a.claim(ctx, "CloseMeeting", req, 0); err != nil {
		return nil, err
	} else if replayed && m.State == opinion.MeetingClosed {
		return seenBy(ctx).meeting(m, nil)
	}
	// Rule 15: minutes entered after the meeting carry when it ended, not before it was held.
	ended, err := dated.At(at, a.now(), m.HeldAt, "effectiveTime", "the meeting")
	if err != nil {
		return nil, err
	}
	closed, err := opinion.CloseMeeting(*m, attendees, minutes, decisions, ended)
	if err != nil {
		return nil, err
	}
	closed.CloseAccount = auth.Acting(ctx)
	if err := a.store.CloseMeeting(ctx, closed); err != nil {
		return nil, err
	}
	return seenBy(ctx).meeting(&closed, nil)
}

// CreateIdea records a resident's golden idea (金点子); the household must be one of the
// compound's. The id, status and creation time are the server's.
func (a *App) CreateIdea(ctx context.Context, i opinion.Idea, req Request) (*opinion.Idea, error) {
	if _, err := a.compound(ctx, i.CompoundID, "idea.compoundId"); err != nil {
		return nil, err
	}
	if _, err := a.householdsOf(ctx, i.CompoundID, []string{i.HouseholdID}, func(int) string { return "idea.householdId" }); err != nil {
		return nil, err
	}
	id, _, err := a.claim(ctx, "CreateIdea", req, 1)
	if err != nil {
		return nil, err
	}
	i.ID, i.Status, i.CreateTime = id[0], opinion.Submitted, a.now()
	if err := a.store.CreateIdea(ctx, i); err != nil {
		return nil, err
	}
	return a.GetIdea(ctx, i.ID)
}

// GetIdea returns an idea with its endorsements, or opinion.ErrNotFound; the proposing
// household only to a caller who may read it (seen.idea).
func (a *App) GetIdea(ctx context.Context, id string) (*opinion.Idea, error) {
	return seenBy(ctx).idea(a.store.GetIdea(ctx, id))
}

// ListIdeas lists a compound's ideas, oldest first or by endorsements (most first); the
// compound is required.
func (a *App) ListIdeas(ctx context.Context, compoundID string, byEndorsements bool, st opinion.IdeaStatus, token string, size int) ([]opinion.Idea, string, error) {
	if compoundID == "" {
		return nil, "", fault.Field("compoundId", "ideas are listed per compound")
	}
	is, next, err := a.store.ListIdeas(ctx, compoundID, byEndorsements, func(i *opinion.Idea) bool {
		return st == opinion.IdeaUnspecified || i.Status == st
	}, token, size)
	return seenBy(ctx).ideas(is), next, err
}

// EndorseIdea counts a household's endorsement once; endorsing again changes nothing. A
// decided idea takes no endorsements (opinion.ErrWrongState).
func (a *App) EndorseIdea(ctx context.Context, id, householdID string, req Request) (*opinion.Idea, error) {
	i, err := a.store.GetIdea(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := a.householdsOf(ctx, i.CompoundID, []string{householdID}, func(int) string { return "householdId" }); err != nil {
		return nil, err
	}
	if _, _, err := a.claim(ctx, "EndorseIdea", req, 0); err != nil {
		return nil, err
	}
	return seenBy(ctx).idea(a.store.EndorseIdea(ctx, i, householdID))
}

// AdoptIdea adopts a submitted idea into the compound's plan.
func (a *App) AdoptIdea(ctx context.Context, id, remarks string, req Request) (*opinion.Idea, error) {
	return a.decide(ctx, "AdoptIdea", id, req, true, remarks)
}

// DeclineIdea declines a submitted idea, with the reason the resident will read.
func (a *App) DeclineIdea(ctx context.Context, id, reason string, req Request) (*opinion.Idea, error) {
	return a.decide(ctx, "DeclineIdea", id, req, false, reason)
}

// decide adopts or declines an idea once; a retry of the deciding request answers with
// the idea as decided, any other decision of a decided idea is opinion.ErrWrongState.
func (a *App) decide(ctx context.Context, method, id string, req Request, adopt bool, text string) (*opinion.Idea, error) {
	i, err := a.store.GetIdea(ctx, id)
	if err != nil {
		return nil, err
	}
	want := opinion.Declined
	if adopt {
		want = opinion.Adopted
	}
	if _, replayed, err := a.claim(ctx, method, req, 0); err != nil {
		return nil, err
	} else if replayed && i.Status == want {
		return seenBy(ctx).idea(i, nil)
	}
	decided, err := opinion.Decide(*i, adopt, text, a.now())
	if err != nil {
		return nil, err
	}
	decided.DecideAccount = auth.Acting(ctx)
	if err := a.store.DecideIdea(ctx, decided); err != nil {
		return nil, err
	}
	return a.GetIdea(ctx, id)
}
