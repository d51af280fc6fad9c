package auth

import (
	"context"
	"slices"
	"strings"
)

// MaskedHousehold stands in a list for a household the caller may not learn: the list
// keeps its length (how many attended, how many stand), not who.
const MaskedHousehold = "*"

// SeenHouseholds is which households' ids a caller may learn from the records it reads:
// those the policy lets it read (GetHousehold). The compound's own people (staff, grid
// workers, branch secretaries, owners' committees, building leaders) read every
// household of the compounds in their scope, which the records they may read lie in; a
// resident reads their own; the works' parties (contractors, supervisors), departments
// and auditors read none, though they may read records that name households (meetings,
// ideas, supervision reports, elections).
type SeenHouseholds struct {
	// All: every household of the records the caller may read.
	All bool
	// Own is a resident's household.
	Own string
}

// HouseholdsSeenBy is what the caller in ctx may learn. A call with no caller did not
// pass an authorizer (the servers of in-process tests): it sees everything.
func HouseholdsSeenBy(ctx context.Context) SeenHouseholds {
	p, ok := FromContext(ctx)
	if !ok {
		return SeenHouseholds{All: true}
	}
	kind, id, _ := strings.Cut(p.Scope, "/")
	if p.Role == Resident {
		if kind == "households" {
			return SeenHouseholds{Own: id}
		}
		return SeenHouseholds{}
	}
	// A scope of a project or household reads a compound's shared matters, not its
	// households.
	inScope := p.Scope == "" || kind == "regions" || kind == "compounds"
	return SeenHouseholds{All: inScope && slices.Contains(CompoundPeople, p.Role)}
}

// Sees reports whether the caller may learn household h.
func (s SeenHouseholds) Sees(h string) bool { return s.All || (h != "" && h == s.Own) }

// ID is h, or "" when the caller may not learn it.
func (s SeenHouseholds) ID(h string) string {
	if s.Sees(h) {
		return h
	}
	return ""
}

// IDs is hs with each household the caller may not learn replaced by MaskedHousehold.
func (s SeenHouseholds) IDs(hs []string) []string {
	if s.All || hs == nil {
		return hs
	}
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = MaskedHousehold
		if s.Sees(h) {
			out[i] = h
		}
	}
	return out
}
