package app

import (
	"context"
	"slices"
	"strings"

	"tongdu/platform/auth"
	"tongdu/services/survey/internal/opinion"
)

// MaskedHousehold stands in a list for a household the caller may not read: the list
// keeps its length (how many attended), not who.
const MaskedHousehold = "*"

// seen is which households' ids a caller may learn from the records it reads: those the
// policy lets it read (GetHousehold). The compound's own people (staff, grid workers,
// branch secretaries, owners' committees, building leaders) read every household of
// the compounds in their scope, which the records they may read lie in; a resident reads
// their own; the works' parties (contractors, supervisors), departments and auditors
// read none, though they may read a compound's meetings and ideas.
type seen struct {
	all bool
	own string // a resident's household
}

// seenBy is what the caller in ctx may see. A call with no caller did not pass an
// authorizer (the servers of in-process tests): it sees everything.
func seenBy(ctx context.Context) seen {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return seen{all: true}
	}
	kind, id, _ := strings.Cut(p.Scope, "/")
	if p.Role == auth.Resident {
		if kind == "households" {
			return seen{own: id}
		}
		return seen{}
	}
	// A scope of a project or household reads a compound's shared matters, not its
	// households.
	inScope := p.Scope == "" || kind == "regions" || kind == "compounds"
	return seen{all: inScope && slices.Contains(auth.CompoundPeople, p.Role)}
}

// sees reports whether the caller may learn household h.
func (s seen) sees(h string) bool { return s.all || (h != "" && h == s.own) }

// id is h, or "" when the caller may not learn it.
func (s seen) id(h string) string {
	if s.sees(h) {
		return h
	}
	return ""
}

// ids is hs with each household the caller may not learn replaced by MaskedHousehold.
func (s seen) ids(hs []string) []string {
	if s.all || hs == nil {
		return hs
	}
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = MaskedHousehold
		if s.sees(h) {
			out[i] = h
		}
	}
	return out
}

// meetings shows meetings as the caller may see them: the attendance as a count of
// masked entries, but for the households the caller reads.
func (s seen) meetings(ms []opinion.Meeting) []opinion.Meeting {
	for i := range ms {
		ms[i].Attendees = s.ids(ms[i].Attendees)
	}
	return ms
}

// meeting is one meeting as the caller may see it.
func (s seen) meeting(m *opinion.Meeting, err error) (*opinion.Meeting, error) {
	if err != nil || m == nil {
		return m, err
	}
	shown := *m
	shown.Attendees = s.ids(m.Attendees)
	return &shown, nil
}

// ideas shows ideas without the proposing household, unless the caller reads it.
func (s seen) ideas(is []opinion.Idea) []opinion.Idea {
	for i := range is {
		is[i].HouseholdID = s.id(is[i].HouseholdID)
	}
	return is
}

// idea is one idea as the caller may see it.
func (s seen) idea(i *opinion.Idea, err error) (*opinion.Idea, error) {
	if err != nil || i == nil {
		return i, err
	}
	shown := *i
	shown.HouseholdID = s.id(i.HouseholdID)
	return &shown, nil
}
