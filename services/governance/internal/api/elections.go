package api

import (
	"context"
	"errors"
	"fmt"

	"tongdu/platform/idempotency"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
	"tongdu/services/governance/internal/storage"
)

func electionToPB(e *registry.Election, votes map[string]string, eligible int) *pb.LeaderElection {
	out := &pb.LeaderElection{
		Id: e.ID, BuildingId: e.BuildingID, Unit: e.Unit, CandidateHouseholdIds: e.Candidates,
		State: pb.LeaderElection_State(e.State), EligibleHouseholds: int32(eligible),
		CreateTime: ts(e.CreateTime), CloseTime: ts(e.CloseTime),
	}
	if r := e.Result; r != nil {
		out.VotedHouseholds, out.EligibleHouseholds, out.Turnout = int32(r.Voted), int32(r.Eligible), r.Turnout()
		out.WinnerHouseholdId, out.Tie = r.Winner, r.Tie
		for _, v := range r.Votes {
			out.Votes = append(out.Votes, &pb.CandidateVotes{CandidateHouseholdId: v.Candidate, Votes: int32(v.Votes)})
		}
		return out
	}
	// While open, the running count.
	counts := map[string]int32{}
	for _, c := range votes {
		counts[c]++
	}
	for _, c := range e.Candidates {
		out.Votes = append(out.Votes, &pb.CandidateVotes{CandidateHouseholdId: c, Votes: counts[c]})
	}
	out.VotedHouseholds = int32(len(votes))
	if eligible > 0 {
		out.Turnout = float64(len(votes)) / float64(eligible)
	}
	return out
}

// eligible is the electorate of an election: the households of its building or unit.
func (s *Server) eligible(ctx context.Context, e *registry.Election) (map[string]bool, error) {
	hs, err := s.store.BuildingHouseholds(ctx, e.CompoundID, e.BuildingID)
	if err != nil {
		return nil, err
	}
	return registry.Electorate(e, hs), nil
}

// CreateLeaderElection opens the election of a building's leader, or a unit's, among
// candidates who live there (rule 12).
func (s *Server) CreateLeaderElection(ctx context.Context, req *pb.CreateLeaderElectionRequest) (*pb.LeaderElection, error) {
	in := req.GetLeaderElection()
	b, err := s.store.GetBuilding(ctx, in.GetBuildingId())
	if errors.Is(err, registry.ErrNotFound) {
		return nil, s.fail(ctx, fieldNotFound(err, "leaderElection.buildingId"))
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	e := registry.Election{CompoundID: b.CompoundID, BuildingID: b.ID, Unit: in.GetUnit(), Candidates: in.GetCandidateHouseholdIds()}
	el, err := s.eligible(ctx, &e)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if e, err = registry.NewElection(e, el, s.now()); err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateLeaderElection", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	e.ID = id[0]
	if err := s.store.CreateElection(ctx, e); err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.GetLeaderElection(ctx, &pb.GetLeaderElectionRequest{Id: e.ID})
}

// GetLeaderElection returns an election: the running count while open, the result once
// closed.
func (s *Server) GetLeaderElection(ctx context.Context, req *pb.GetLeaderElectionRequest) (*pb.LeaderElection, error) {
	e, votes, err := s.store.GetElection(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	el, err := s.eligible(ctx, e)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return electionToPB(e, votes, len(el)), nil
}

// CastLeaderVote records a household's vote; a second vote replaces the first until the
// election closes. Households outside the building (or unit) may not vote.
func (s *Server) CastLeaderVote(ctx context.Context, req *pb.CastLeaderVoteRequest) (*pb.LeaderElection, error) {
	e, _, err := s.store.GetElection(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	el, err := s.eligible(ctx, e)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := registry.CheckVote(e, el, req.GetHouseholdId(), req.GetCandidateHouseholdId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	hash := ""
	if req.GetRequestId() != "" {
		if hash, err = idempotency.BodyHash(req); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	if err := s.store.CastVote(ctx, e, req.GetHouseholdId(), req.GetCandidateHouseholdId(), req.GetRequestId(), hash); err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.GetLeaderElection(ctx, &pb.GetLeaderElectionRequest{Id: e.ID})
}

// CloseLeaderElection counts the votes, states turnout and the winner or a tie, and
// records the winner as the building's (or unit's) leader, in one step.
func (s *Server) CloseLeaderElection(ctx context.Context, req *pb.CloseLeaderElectionRequest) (*pb.LeaderElection, error) {
	for {
		e, votes, err := s.store.GetElection(ctx, req.GetId())
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if e.State == registry.ElectionClosed && req.GetRequestId() != "" {
			// Only a retry of the request that closed it answers with the result.
			hash, err := idempotency.BodyHash(req)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			c, isNew, err := s.store.ClaimRequest(ctx, "CloseLeaderElection", req.GetRequestId(), storage.Claim{Hash: hash})
			switch {
			case err != nil:
				return nil, s.fail(ctx, err)
			case !isNew && c.Hash != hash:
				return nil, s.fail(ctx, fmt.Errorf("%w: request id %q was used for another request", registry.ErrRequestReused, req.GetRequestId()))
			case !isNew:
				return s.GetLeaderElection(ctx, &pb.GetLeaderElectionRequest{Id: e.ID})
			}
		}
		el, err := s.eligible(ctx, e)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		closed, err := registry.Close(*e, el, votes, s.now())
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if _, err := s.idsFor(ctx, "CloseLeaderElection", req.GetRequestId(), req, 0); err != nil {
			return nil, s.fail(ctx, err)
		}
		err = s.store.CloseElection(ctx, closed)
		if errors.Is(err, registry.ErrConflict) {
			continue // a vote arrived while counting: count again
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return electionToPB(&closed, votes, len(el)), nil
	}
}
