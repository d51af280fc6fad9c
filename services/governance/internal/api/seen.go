package api

import (
	"context"
	"slices"
	"strings"

	"tongdu/platform/auth"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/registry"
)

// maskedHousehold stands for a household the caller may not learn: a list keeps its
// length (how many candidates), a leader's seat shows that it is filled, not by whom.
const maskedHousehold = "*"

// seesLeaders reports whether the caller may learn which households stand for and hold a
// compound's leader seats: the compound's own people (who read its households) and its
// residents (who vote for them). The works' parties (contractors, supervisors), the
// departments and the auditors read a compound's buildings and elections, not its
// households. A call with no caller did not pass an authorizer (the servers of
// in-process tests).
func seesLeaders(ctx context.Context) bool {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Role == auth.Resident {
		return true
	}
	kind, _, _ := strings.Cut(p.Scope, "/")
	// A scope of a project reads the compound's shared matters, not its households.
	inScope := p.Scope == "" || kind == "regions" || kind == "compounds"
	return inScope && slices.Contains(auth.CompoundPeople, p.Role)
}

func mask(h string) string {
	if h == "" {
		return ""
	}
	return maskedHousehold
}

// electionFor encodes elections as the caller in ctx may see them: the candidates, their
// tallies and the winner masked but for those who may learn them.
func electionFor(ctx context.Context) func(*app.Election) *pb.LeaderElection {
	sees := seesLeaders(ctx)
	return func(el *app.Election) *pb.LeaderElection {
		out := electionToPB(el)
		if sees {
			return out
		}
		ids := make([]string, len(out.CandidateHouseholdIds))
		for i, h := range out.CandidateHouseholdIds {
			ids[i] = mask(h)
		}
		out.CandidateHouseholdIds = ids
		for _, v := range out.Votes {
			v.CandidateHouseholdId = mask(v.CandidateHouseholdId)
		}
		out.WinnerHouseholdId = mask(out.WinnerHouseholdId)
		return out
	}
}

// buildingFor encodes buildings as the caller in ctx may see them: who leads the
// building and its units masked but for those who may learn it.
func buildingFor(ctx context.Context) func(*registry.Building) *pb.Building {
	sees := seesLeaders(ctx)
	return func(b *registry.Building) *pb.Building {
		out := buildingToPB(b)
		if sees {
			return out
		}
		out.LeaderHouseholdId = mask(out.LeaderHouseholdId)
		for _, u := range out.UnitLeaders {
			u.HouseholdId = mask(u.HouseholdId)
		}
		return out
	}
}
