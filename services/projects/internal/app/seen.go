package app

import (
	"context"
	"slices"
	"strings"

	"tongdu/platform/auth"
	"tongdu/services/projects/internal/works"
)

// seen is which households' ids a caller may learn from the records it reads: those the
// policy lets it read (GetHousehold). The compound's own people (staff, grid workers,
// branch secretaries, owners' committees, building leaders) read every household of
// the compounds in their scope, which the records they may read lie in; a resident reads
// their own; the works' parties (contractors, supervisors), departments and auditors
// read none, though they may read a project's supervision reports.
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

// reports shows residents' supervision reports without the reporting household, unless
// the caller reads it.
func (s seen) reports(rs []works.SupervisionReport) []works.SupervisionReport {
	for i := range rs {
		rs[i].HouseholdID = s.id(rs[i].HouseholdID)
	}
	return rs
}
