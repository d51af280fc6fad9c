package app

import (
	"context"

	"tongdu/platform/auth"
	"tongdu/services/survey/internal/opinion"
)

// MaskedHousehold stands in a list for a household the caller may not read.
const MaskedHousehold = auth.MaskedHousehold

// seen is which households the caller may learn (auth.HouseholdsSeenBy).
type seen struct{ auth.SeenHouseholds }

func seenBy(ctx context.Context) seen { return seen{auth.HouseholdsSeenBy(ctx)} }

// meetings shows meetings as the caller may see them: the attendance as a count of
// masked entries, but for the households the caller reads.
func (s seen) meetings(ms []opinion.Meeting) []opinion.Meeting {
	for i := range ms {
		ms[i].Attendees = s.IDs(ms[i].Attendees)
	}
	return ms
}

// meeting is one meeting as the caller may see it.
func (s seen) meeting(m *opinion.Meeting, err error) (*opinion.Meeting, error) {
	if err != nil || m == nil {
		return m, err
	}
	shown := *m
	shown.Attendees = s.IDs(m.Attendees)
	return &shown, nil
}

// ideas shows ideas without the proposing household, unless the caller reads it.
func (s seen) ideas(is []opinion.Idea) []opinion.Idea {
	for i := range is {
		is[i].HouseholdID = s.ID(is[i].HouseholdID)
	}
	return is
}

// idea is one idea as the caller may see it.
func (s seen) idea(i *opinion.Idea, err error) (*opinion.Idea, error) {
	if err != nil || i == nil {
		return i, err
	}
	shown := *i
	shown.HouseholdID = s.ID(i.HouseholdID)
	return &shown, nil
}
