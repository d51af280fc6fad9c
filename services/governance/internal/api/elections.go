package api

import (
	"context"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/registry"
)

func electionToPB(el *app.Election) *pb.LeaderElection {
	e, votes, eligible := &el.Election, el.Votes, el.Eligible
	out := &pb.LeaderElection{
		Id: e.ID, BuildingId: e.BuildingID, Unit: e.Unit, CandidateHouseholdIds: e.Candidates,
		State: pb.LeaderElection_State(e.State), EligibleHouseholds: int32(eligible),
		CreateTime: ts(e.CreateTime), CloseTime: ts(e.CloseTime),
		CreateAccount: e.CreateAccount, CloseAccount: e.CloseAccount,
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

// CreateLeaderElection opens the election of a building's leader, or a unit's, among
// candidates who live there (app.CreateLeaderElection).
func (s *Server) CreateLeaderElection(ctx context.Context, req *pb.CreateLeaderElectionRequest) (*pb.LeaderElection, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := req.GetLeaderElection()
	return encoded(electionFor(ctx))(s.app.CreateLeaderElection(ctx, r, registry.Election{BuildingID: in.GetBuildingId(), Unit: in.GetUnit(), Candidates: in.GetCandidateHouseholdIds()}))
}

// GetLeaderElection returns an election: the running count while open, the result once
// closed.
func (s *Server) GetLeaderElection(ctx context.Context, req *pb.GetLeaderElectionRequest) (*pb.LeaderElection, error) {
	return encoded(electionFor(ctx))(s.app.GetLeaderElection(ctx, req.GetId()))
}

// CastLeaderVote records a household's vote (app.CastLeaderVote).
func (s *Server) CastLeaderVote(ctx context.Context, req *pb.CastLeaderVoteRequest) (*pb.LeaderElection, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(electionFor(ctx))(s.app.CastLeaderVote(ctx, r, req.GetId(), req.GetHouseholdId(), req.GetCandidateHouseholdId()))
}

// CloseLeaderElection counts the votes and records the winner (app.CloseLeaderElection).
func (s *Server) CloseLeaderElection(ctx context.Context, req *pb.CloseLeaderElectionRequest) (*pb.LeaderElection, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(electionFor(ctx))(s.app.CloseLeaderElection(ctx, r, req.GetId()))
}
