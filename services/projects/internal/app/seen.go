package app

import (
	"context"

	"tongdu/platform/auth"
	"tongdu/services/projects/internal/works"
)

// seen is which households the caller may learn (auth.HouseholdsSeenBy).
type seen struct{ auth.SeenHouseholds }

func seenBy(ctx context.Context) seen { return seen{auth.HouseholdsSeenBy(ctx)} }

// reports shows residents' supervision reports without the reporting household, unless
// the caller reads it.
func (s seen) reports(rs []works.SupervisionReport) []works.SupervisionReport {
	for i := range rs {
		rs[i].HouseholdID = s.ID(rs[i].HouseholdID)
	}
	return rs
}
