package api_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// electionWorld is building b (two units: h[0..3] in unit 1, h[4..5] in unit 2) and
// building other (household x) of one compound.
type electionWorld struct {
	b, other *pb.Building
	h        []string
	x        string
}

func (e env) electionWorld(t *testing.T) electionWorld {
	t.Helper()
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	w := electionWorld{b: e.building(t, c.Id, "1栋", 2), other: e.building(t, c.Id, "2栋", 1)}
	var in []*pb.Household
	for i := 0; i < 6; i++ {
		in = append(in, &pb.Household{BuildingId: w.b.Id, Unit: fmt.Sprint(1 + i/4), Room: fmt.Sprintf("%d0%d", 1+i/4, i), ExclusiveAreaM2: 70, ResidentName: "王五"})
	}
	in = append(in, &pb.Household{BuildingId: w.other.Id, Unit: "1", Room: "101", ExclusiveAreaM2: 70})
	hs := testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: in})).Households
	for _, h := range hs[:6] {
		w.h = append(w.h, h.Id)
	}
	w.x = hs[6].Id
	return w
}

func (e env) openElection(t *testing.T, building, unit string, candidates ...string) *pb.LeaderElection {
	t.Helper()
	return testkit.Must[*pb.LeaderElection](t)(e.CreateLeaderElection(bg, &pb.CreateLeaderElectionRequest{LeaderElection: &pb.LeaderElection{BuildingId: building, Unit: unit, CandidateHouseholdIds: candidates}}))
}

func (e env) vote(t *testing.T, id, voter, candidate string) *pb.LeaderElection {
	t.Helper()
	return testkit.Must[*pb.LeaderElection](t)(e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: id, HouseholdId: voter, CandidateHouseholdId: candidate}))
}

// tally is an election's counts as "candidate:votes" in the order stated.
func tally(el *pb.LeaderElection) string {
	var out []string
	for _, v := range el.Votes {
		out = append(out, fmt.Sprintf("%s:%d", v.CandidateHouseholdId, v.Votes))
	}
	return fmt.Sprint(out)
}

func unitLeader(b *pb.Building, unit string) string {
	for _, l := range b.UnitLeaders {
		if l.Unit == unit {
			return l.HouseholdId
		}
	}
	return ""
}

func TestLeaderElectionTurnoutReplacedVotesAndWinner(t *testing.T) {
	e := start(t)
	w := e.electionWorld(t)
	h := w.h
	el := e.openElection(t, w.b.Id, "", h[0], h[1])
	if el.Id == "" || el.State != pb.LeaderElection_OPEN || el.EligibleHouseholds != 6 || el.VotedHouseholds != 0 || el.Turnout != 0 || el.CreateTime == nil || el.CloseTime != nil {
		t.Fatalf("a new election: %v", el)
	}

	e.vote(t, el.Id, h[2], h[0])
	e.vote(t, el.Id, h[3], h[0])
	got := e.vote(t, el.Id, h[2], h[1]) // replaces h2's first vote
	if got.VotedHouseholds != 2 || tally(got) != fmt.Sprint([]string{h[0] + ":1", h[1] + ":1"}) {
		t.Fatalf("after a replaced vote: voted %d, %s", got.VotedHouseholds, tally(got))
	}
	e.vote(t, el.Id, h[4], h[1])
	e.vote(t, el.Id, h[1], h[1]) // a candidate votes too
	open := testkit.Must[*pb.LeaderElection](t)(e.GetLeaderElection(bg, &pb.GetLeaderElectionRequest{Id: el.Id}))
	if open.State != pb.LeaderElection_OPEN || open.VotedHouseholds != 4 || open.EligibleHouseholds != 6 || open.Turnout != 4.0/6 || open.WinnerHouseholdId != "" {
		t.Fatalf("the running count: %v", open)
	}

	closed := testkit.Must[*pb.LeaderElection](t)(e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: el.Id}))
	if closed.State != pb.LeaderElection_CLOSED || closed.CloseTime == nil {
		t.Fatalf("closed: %v", closed)
	}
	if closed.VotedHouseholds != 4 || closed.EligibleHouseholds != 6 || closed.Turnout != 4.0/6 {
		t.Fatalf("turnout %d/%d = %v, want 4/6", closed.VotedHouseholds, closed.EligibleHouseholds, closed.Turnout)
	}
	if closed.WinnerHouseholdId != h[1] || closed.Tie || tally(closed) != fmt.Sprint([]string{h[1] + ":3", h[0] + ":1"}) {
		t.Fatalf("winner %q tie %v votes %s", closed.WinnerHouseholdId, closed.Tie, tally(closed))
	}
	if again := testkit.Must[*pb.LeaderElection](t)(e.GetLeaderElection(bg, &pb.GetLeaderElectionRequest{Id: el.Id})); !proto.Equal(again, closed) {
		t.Fatalf("GetLeaderElection after close\n%v\nCloseLeaderElection answered\n%v", again, closed)
	}
	b := testkit.Must[*pb.Building](t)(e.GetBuilding(bg, &pb.GetBuildingRequest{Id: w.b.Id}))
	if b.LeaderHouseholdId != h[1] || len(b.UnitLeaders) != 0 {
		t.Fatalf("building leader %q, unit leaders %v; want %s", b.LeaderHouseholdId, b.UnitLeaders, h[1])
	}

	t.Run("a vote after close is WRONG_STATE and changes nothing", func(t *testing.T) {
		_, err := e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: el.Id, HouseholdId: h[5], CandidateHouseholdId: h[0]})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
		_, err = e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: el.Id, HouseholdId: h[2], CandidateHouseholdId: h[0]})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
		if after := testkit.Must[*pb.LeaderElection](t)(e.GetLeaderElection(bg, &pb.GetLeaderElectionRequest{Id: el.Id})); !proto.Equal(after, closed) {
			t.Fatalf("after refused votes %v", after)
		}
	})
}

func TestLeaderElectionTie(t *testing.T) {
	e := start(t)
	w := e.electionWorld(t)
	h := w.h
	el := e.openElection(t, w.b.Id, "", h[0], h[1], h[2])
	e.vote(t, el.Id, h[3], h[0])
	e.vote(t, el.Id, h[4], h[1])
	e.vote(t, el.Id, h[5], h[2])
	e.vote(t, el.Id, h[0], h[0])
	e.vote(t, el.Id, h[1], h[1])
	closed := testkit.Must[*pb.LeaderElection](t)(e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: el.Id}))
	if !closed.Tie || closed.WinnerHouseholdId != "" || closed.VotedHouseholds != 5 {
		t.Fatalf("tie %v winner %q voted %d", closed.Tie, closed.WinnerHouseholdId, closed.VotedHouseholds)
	}
	if tally(closed) != fmt.Sprint([]string{h[0] + ":2", h[1] + ":2", h[2] + ":1"}) {
		t.Fatalf("votes %s", tally(closed))
	}
	if b := testkit.Must[*pb.Building](t)(e.GetBuilding(bg, &pb.GetBuildingRequest{Id: w.b.Id})); b.LeaderHouseholdId != "" {
		t.Fatalf("a tie elected %q", b.LeaderHouseholdId)
	}
	t.Run("an election nobody voted in has no winner and no tie", func(t *testing.T) {
		el := e.openElection(t, w.b.Id, "", h[0])
		closed := testkit.Must[*pb.LeaderElection](t)(e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: el.Id}))
		if closed.Tie || closed.WinnerHouseholdId != "" || closed.VotedHouseholds != 0 || closed.Turnout != 0 || closed.EligibleHouseholds != 6 {
			t.Fatalf("closed %v", closed)
		}
	})
}

func TestLeaderVoteRefusalsChangeNothing(t *testing.T) {
	e := start(t)
	w := e.electionWorld(t)
	h := w.h
	el := e.openElection(t, w.b.Id, "", h[0], h[1])
	e.vote(t, el.Id, h[2], h[0])
	before := testkit.Must[*pb.LeaderElection](t)(e.GetLeaderElection(bg, &pb.GetLeaderElectionRequest{Id: el.Id}))

	t.Run("a household of another building is NOT_ELIGIBLE", func(t *testing.T) {
		_, err := e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: el.Id, HouseholdId: w.x, CandidateHouseholdId: h[0]})
		testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_ELIGIBLE")
	})
	t.Run("an unknown household is NOT_ELIGIBLE", func(t *testing.T) {
		_, err := e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: el.Id, HouseholdId: "nope", CandidateHouseholdId: h[0]})
		testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_ELIGIBLE")
	})
	t.Run("a vote for a household that is not a candidate is INVALID_ARGUMENT", func(t *testing.T) {
		_, err := e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: el.Id, HouseholdId: h[3], CandidateHouseholdId: h[4]})
		testkit.WantViolation(t, err, "candidateHouseholdId")
		// Nor does a refused vote undo the household's earlier one.
		_, err = e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: el.Id, HouseholdId: h[2], CandidateHouseholdId: w.x})
		testkit.WantViolation(t, err, "candidateHouseholdId")
	})
	t.Run("a vote without a candidate is INVALID_ARGUMENT", func(t *testing.T) {
		_, err := e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: el.Id, HouseholdId: h[3]})
		testkit.WantViolation(t, err, "candidateHouseholdId")
	})
	t.Run("a vote in an unknown election is NOT_FOUND", func(t *testing.T) {
		_, err := e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: "nope", HouseholdId: h[3], CandidateHouseholdId: h[0]})
		testkit.WantStatus(t, err, codes.NotFound)
	})
	if after := testkit.Must[*pb.LeaderElection](t)(e.GetLeaderElection(bg, &pb.GetLeaderElectionRequest{Id: el.Id})); !proto.Equal(after, before) {
		t.Fatalf("refused votes changed the election:\n%v\nwas\n%v", after, before)
	}
	t.Run("an unknown election is NOT_FOUND", func(t *testing.T) {
		_, err := e.GetLeaderElection(bg, &pb.GetLeaderElectionRequest{Id: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
		_, err = e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}

func TestCreateLeaderElectionRefusals(t *testing.T) {
	e := start(t)
	w := e.electionWorld(t)
	h := w.h
	tests := []struct {
		name  string
		el    *pb.LeaderElection
		field string
	}{
		{"an unknown building", &pb.LeaderElection{BuildingId: "nope", CandidateHouseholdIds: []string{h[0]}}, "leaderElection.buildingId"},
		{"a candidate of another building", &pb.LeaderElection{BuildingId: w.b.Id, CandidateHouseholdIds: []string{h[0], w.x}}, "leaderElection.candidateHouseholdIds[1]"},
		{"a candidate of another unit", &pb.LeaderElection{BuildingId: w.b.Id, Unit: "2", CandidateHouseholdIds: []string{h[4], h[0]}}, "leaderElection.candidateHouseholdIds[1]"},
		{"an unknown candidate", &pb.LeaderElection{BuildingId: w.b.Id, CandidateHouseholdIds: []string{"nope"}}, "leaderElection.candidateHouseholdIds[0]"},
		{"no candidates", &pb.LeaderElection{BuildingId: w.b.Id}, "leaderElection.candidateHouseholdIds"},
		{"a candidate named twice", &pb.LeaderElection{BuildingId: w.b.Id, CandidateHouseholdIds: []string{h[0], h[0]}}, "leaderElection.candidateHouseholdIds"},
		{"no building", &pb.LeaderElection{CandidateHouseholdIds: []string{h[0]}}, "leaderElection.buildingId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.CreateLeaderElection(bg, &pb.CreateLeaderElectionRequest{LeaderElection: tt.el})
			testkit.WantViolation(t, err, tt.field)
		})
	}
	t.Run("a unit with no households is refused", func(t *testing.T) {
		_, err := e.CreateLeaderElection(bg, &pb.CreateLeaderElectionRequest{LeaderElection: &pb.LeaderElection{BuildingId: w.b.Id, Unit: "9", CandidateHouseholdIds: []string{h[0]}}})
		testkit.WantStatus(t, err, codes.InvalidArgument)
	})
	t.Run("a building with no households is refused", func(t *testing.T) {
		empty := e.building(t, w.b.CompoundId, "空楼", 1)
		_, err := e.CreateLeaderElection(bg, &pb.CreateLeaderElectionRequest{LeaderElection: &pb.LeaderElection{BuildingId: empty.Id, CandidateHouseholdIds: []string{h[0]}}})
		testkit.WantStatus(t, err, codes.InvalidArgument)
	})
	t.Run("the same request id opens one election", func(t *testing.T) {
		req := &pb.CreateLeaderElectionRequest{LeaderElection: &pb.LeaderElection{BuildingId: w.b.Id, CandidateHouseholdIds: []string{h[0], h[1]}}, RequestId: "election-1"}
		a := testkit.Must[*pb.LeaderElection](t)(e.CreateLeaderElection(bg, req))
		b := testkit.Must[*pb.LeaderElection](t)(e.CreateLeaderElection(bg, req))
		if !proto.Equal(a, b) {
			t.Fatalf("a replay answered %v, first %v", b, a)
		}
		other := proto.Clone(req).(*pb.CreateLeaderElectionRequest)
		other.LeaderElection.CandidateHouseholdIds = []string{h[2]}
		_, err := e.CreateLeaderElection(bg, other)
		testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
	})
}

func TestUnitElectionsElectUnitLeaders(t *testing.T) {
	e := start(t)
	w := e.electionWorld(t)
	h := w.h
	unit2 := e.openElection(t, w.b.Id, "2", h[4], h[5])
	if unit2.Unit != "2" || unit2.EligibleHouseholds != 2 {
		t.Fatalf("unit election %v", unit2)
	}
	t.Run("only the unit's households vote", func(t *testing.T) {
		_, err := e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: unit2.Id, HouseholdId: h[0], CandidateHouseholdId: h[4]})
		testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_ELIGIBLE")
		_, err = e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: unit2.Id, HouseholdId: w.x, CandidateHouseholdId: h[4]})
		testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_ELIGIBLE")
	})
	e.vote(t, unit2.Id, h[4], h[5])
	e.vote(t, unit2.Id, h[5], h[5])
	closed := testkit.Must[*pb.LeaderElection](t)(e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: unit2.Id}))
	if closed.WinnerHouseholdId != h[5] || closed.EligibleHouseholds != 2 || closed.VotedHouseholds != 2 || closed.Turnout != 1 {
		t.Fatalf("unit 2 result %v", closed)
	}
	b := testkit.Must[*pb.Building](t)(e.GetBuilding(bg, &pb.GetBuildingRequest{Id: w.b.Id}))
	if unitLeader(b, "2") != h[5] || b.LeaderHouseholdId != "" || len(b.UnitLeaders) != 1 {
		t.Fatalf("after unit 2's election: leader %q, unit leaders %v", b.LeaderHouseholdId, b.UnitLeaders)
	}

	// Unit 1 and then the whole building elect; no election overwrites another's leader.
	unit1 := e.openElection(t, w.b.Id, "1", h[0], h[1])
	whole := e.openElection(t, w.b.Id, "", h[2], h[4])
	e.vote(t, unit1.Id, h[3], h[0])
	e.vote(t, whole.Id, h[0], h[4])
	e.vote(t, whole.Id, h[5], h[4])
	e.vote(t, whole.Id, h[1], h[2])
	testkit.Must[*pb.LeaderElection](t)(e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: whole.Id}))
	testkit.Must[*pb.LeaderElection](t)(e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: unit1.Id}))
	b = testkit.Must[*pb.Building](t)(e.GetBuilding(bg, &pb.GetBuildingRequest{Id: w.b.Id}))
	if b.LeaderHouseholdId != h[4] || unitLeader(b, "1") != h[0] || unitLeader(b, "2") != h[5] || len(b.UnitLeaders) != 2 {
		t.Fatalf("leader %q, unit leaders %v; want %s, 1:%s, 2:%s", b.LeaderHouseholdId, b.UnitLeaders, h[4], h[0], h[5])
	}
	listed := testkit.Must[*pb.ListBuildingsResponse](t)(e.ListBuildings(bg, &pb.ListBuildingsRequest{CompoundId: w.b.CompoundId}))
	for _, lb := range listed.Buildings {
		if lb.Id == w.b.Id && (lb.LeaderHouseholdId != h[4] || unitLeader(lb, "1") != h[0] || unitLeader(lb, "2") != h[5]) {
			t.Fatalf("ListBuildings shows leader %q, unit leaders %v", lb.LeaderHouseholdId, lb.UnitLeaders)
		}
	}
	if other := testkit.Must[*pb.Building](t)(e.GetBuilding(bg, &pb.GetBuildingRequest{Id: w.other.Id})); other.LeaderHouseholdId != "" || len(other.UnitLeaders) != 0 {
		t.Fatalf("the other building got leaders: %v", other)
	}
}

// Households register their unit as "01" or "1" alike (one stairwell, one name); an
// election of unit "01" is unit 1's, and its winner leads unit "1".
func TestAUnitElectionNamesItsUnitAsHouseholdsDo(t *testing.T) {
	e := start(t)
	w := e.electionWorld(t)
	h := w.h
	el, err := e.CreateLeaderElection(bg, &pb.CreateLeaderElectionRequest{LeaderElection: &pb.LeaderElection{BuildingId: w.b.Id, Unit: "01", CandidateHouseholdIds: []string{h[0]}}})
	if err != nil {
		t.Fatalf("an election of unit \"01\" (unit 1 has households): %v", err)
	}
	if el.EligibleHouseholds != 4 {
		t.Fatalf("unit 01 has %d eligible households, unit 1 has 4", el.EligibleHouseholds)
	}
	e.vote(t, el.Id, h[1], h[0])
	testkit.Must[*pb.LeaderElection](t)(e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: el.Id}))
	if b := testkit.Must[*pb.Building](t)(e.GetBuilding(bg, &pb.GetBuildingRequest{Id: w.b.Id})); unitLeader(b, "1") != h[0] {
		t.Fatalf("unit leaders %v, want unit 1 led by %s", b.UnitLeaders, h[0])
	}
}

func TestClosingTwice(t *testing.T) {
	e := start(t)
	w := e.electionWorld(t)
	h := w.h
	el := e.openElection(t, w.b.Id, "", h[0], h[1])
	e.vote(t, el.Id, h[2], h[0])
	closed := testkit.Must[*pb.LeaderElection](t)(e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: el.Id, RequestId: "close-1"}))
	if closed.WinnerHouseholdId != h[0] {
		t.Fatalf("closed %v", closed)
	}

	t.Run("a replay of the close answers the same result", func(t *testing.T) {
		again := testkit.Must[*pb.LeaderElection](t)(e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: el.Id, RequestId: "close-1"}))
		if !proto.Equal(again, closed) {
			t.Fatalf("a replay answered\n%v\nfirst\n%v", again, closed)
		}
	})
	t.Run("a second close without a request id is WRONG_STATE", func(t *testing.T) {
		_, err := e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: el.Id})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("a second close with a new request id is WRONG_STATE", func(t *testing.T) {
		_, err := e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: el.Id, RequestId: "close-2"})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("the close's request id on another election is REQUEST_ID_REUSED", func(t *testing.T) {
		other := e.openElection(t, w.b.Id, "", h[3])
		_, err := e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: other.Id, RequestId: "close-1"})
		testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
		if got := testkit.Must[*pb.LeaderElection](t)(e.GetLeaderElection(bg, &pb.GetLeaderElectionRequest{Id: other.Id})); got.State != pb.LeaderElection_OPEN {
			t.Fatalf("a refused close closed it: %v", got)
		}
	})
	if got := testkit.Must[*pb.LeaderElection](t)(e.GetLeaderElection(bg, &pb.GetLeaderElectionRequest{Id: el.Id})); !proto.Equal(got, closed) {
		t.Fatalf("after second closes\n%v\nfirst\n%v", got, closed)
	}
	if b := testkit.Must[*pb.Building](t)(e.GetBuilding(bg, &pb.GetBuildingRequest{Id: w.b.Id})); b.LeaderHouseholdId != h[0] {
		t.Fatalf("leader %q", b.LeaderHouseholdId)
	}
}

// A vote's request id stands for that vote: its late retry answers without casting it
// again, so it never undoes the household's newer vote.
func TestALateRetryOfAVoteDoesNotUndoANewerVote(t *testing.T) {
	e := start(t)
	w := e.electionWorld(t)
	h := w.h
	el := e.openElection(t, w.b.Id, "", h[0], h[1])
	first := &pb.CastLeaderVoteRequest{Id: el.Id, HouseholdId: h[2], CandidateHouseholdId: h[0], RequestId: "vote-1"}
	testkit.Must[*pb.LeaderElection](t)(e.CastLeaderVote(bg, first))
	testkit.Must[*pb.LeaderElection](t)(e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: el.Id, HouseholdId: h[2], CandidateHouseholdId: h[1], RequestId: "vote-2"}))

	other := proto.Clone(first).(*pb.CastLeaderVoteRequest)
	other.CandidateHouseholdId = h[1]
	_, err := e.CastLeaderVote(bg, other)
	testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")

	_, _ = e.CastLeaderVote(bg, first) // the network retries the first vote late
	got := testkit.Must[*pb.LeaderElection](t)(e.GetLeaderElection(bg, &pb.GetLeaderElectionRequest{Id: el.Id}))
	if want := fmt.Sprint([]string{h[0] + ":0", h[1] + ":1"}); tally(got) != want {
		t.Fatalf("after a late retry of the first vote: %s, want the newer vote kept: %s", tally(got), want)
	}
}

// Votes (each household changing its mind) race a close: the result counts exactly the
// votes that were accepted, and every vote is either accepted or WRONG_STATE.
func TestConcurrentVotesAndCloseCountTheAcceptedVotes(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	b := e.building(t, c.Id, "1栋", 6)
	in, _ := dwellings(b.Id, 40)
	resp := testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: in}))
	var hs []string
	for _, h := range resp.Households {
		hs = append(hs, h.Id)
	}
	candidates := hs[:3]
	for round := 0; round < 3; round++ {
		el := e.openElection(t, b.Id, "", candidates...)
		accepted := make([]string, len(hs))
		var landed, finished atomic.Int64
		// Each round closes after a different share of the votes has landed.
		closeAfter := int64(round * len(hs))
		var wg sync.WaitGroup
		var mu sync.Mutex
		var unexpected []error
		for i := range hs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				defer finished.Add(1)
				for k := 0; k < 3; k++ {
					cand := candidates[(i+k+round)%3]
					_, err := e.CastLeaderVote(bg, &pb.CastLeaderVoteRequest{Id: el.Id, HouseholdId: hs[i], CandidateHouseholdId: cand})
					if err != nil {
						if st := status.Convert(err); st.Code() != codes.FailedPrecondition {
							mu.Lock()
							unexpected = append(unexpected, err)
							mu.Unlock()
						}
						return
					}
					accepted[i] = cand
					landed.Add(1)
				}
			}(i)
		}
		var closed *pb.LeaderElection
		var closeErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			for landed.Load() < closeAfter && finished.Load() < int64(len(hs)) {
				runtime.Gosched()
			}
			closed, closeErr = e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: el.Id})
		}()
		wg.Wait()
		if closeErr != nil {
			t.Fatal(closeErr)
		}
		if len(unexpected) > 0 {
			t.Fatalf("votes failed otherwise than WRONG_STATE: %v", unexpected)
		}
		want := map[string]int32{}
		var voted int32
		for _, cand := range accepted {
			if cand != "" {
				want[cand]++
				voted++
			}
		}
		if closed.VotedHouseholds != voted || closed.EligibleHouseholds != 40 {
			t.Fatalf("round %d: %d of %d voted, %d votes were accepted", round, closed.VotedHouseholds, closed.EligibleHouseholds, voted)
		}
		for _, v := range closed.Votes {
			if v.Votes != want[v.CandidateHouseholdId] {
				t.Fatalf("round %d: %s has %d votes, %d accepted", round, v.CandidateHouseholdId, v.Votes, want[v.CandidateHouseholdId])
			}
		}
		if got := testkit.Must[*pb.LeaderElection](t)(e.GetLeaderElection(bg, &pb.GetLeaderElectionRequest{Id: el.Id})); !proto.Equal(got, closed) {
			t.Fatalf("round %d: stored\n%v\nclose answered\n%v", round, got, closed)
		}
	}
}
