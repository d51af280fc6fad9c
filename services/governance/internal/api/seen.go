package api

import (
	"context"

	"tongdu/platform/auth"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/registry"
)

// maskedHousehold stands for a household the caller may not learn: a list keeps its
// length (how many candidates), a leader's seat shows that it is filled, not by whom.
const maskedHousehold = auth.MaskedHousehold

// seesLeaders reports whether the caller may learn which households stand for and hold a
// compound's leader seats: those who read the compound's households
// (auth.HouseholdsSeenBy) and its residents, who vote for them.
func seesLeaders(ctx context.Context) bool {
	if p, ok := auth.FromContext(ctx); ok && p.Role == auth.Resident {
		return true
	}
	return auth.HouseholdsSeenBy(ctx).All
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
