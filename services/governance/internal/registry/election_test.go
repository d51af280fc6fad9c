package registry_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"tongdu/services/governance/internal/registry"
)

var electionNow = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// electionHouseholds: building b1 has h1–h4 in unit 1 and h5–h6 in unit 2; building b2
// has x1.
func electionHouseholds() []registry.Household {
	return []registry.Household{
		{ID: "h1", BuildingID: "b1", Unit: "1"}, {ID: "h2", BuildingID: "b1", Unit: "1"},
		{ID: "h3", BuildingID: "b1", Unit: "1"}, {ID: "h4", BuildingID: "b1", Unit: "1"},
		{ID: "h5", BuildingID: "b1", Unit: "2"}, {ID: "h6", BuildingID: "b1", Unit: "2"},
		{ID: "x1", BuildingID: "b2", Unit: "1"},
	}
}

func openElection(t *testing.T, unit string, candidates ...string) (registry.Election, map[string]bool) {
	t.Helper()
	e := registry.Election{ID: "e1", CompoundID: "c1", BuildingID: "b1", Unit: unit, Candidates: candidates}
	el := registry.Electorate(&e, electionHouseholds())
	e, err := registry.NewElection(e, el, electionNow)
	if err != nil {
		t.Fatal(err)
	}
	return e, el
}

func TestElectorateIsTheBuildingOrTheUnit(t *testing.T) {
	hs := electionHouseholds()
	keys := func(m map[string]bool) string {
		var out []string
		for _, h := range hs {
			if m[h.ID] {
				out = append(out, h.ID)
			}
		}
		return fmt.Sprint(out)
	}
	if got := keys(registry.Electorate(&registry.Election{BuildingID: "b1"}, hs)); got != "[h1 h2 h3 h4 h5 h6]" {
		t.Fatalf("building electorate %s", got)
	}
	if got := keys(registry.Electorate(&registry.Election{BuildingID: "b1", Unit: "2"}, hs)); got != "[h5 h6]" {
		t.Fatalf("unit electorate %s", got)
	}
	if got := registry.Electorate(&registry.Election{BuildingID: "b1", Unit: "9"}, hs); len(got) != 0 {
		t.Fatalf("an empty unit has electorate %v", got)
	}
}

func TestNewElection(t *testing.T) {
	hs := electionHouseholds()
	tests := []struct {
		name       string
		unit       string
		candidates []string
		fields     []string // nil when accepted
	}{
		{"candidates of the building", "", []string{"h1", "h5"}, nil},
		{"candidates of the unit", "2", []string{"h5", "h6"}, nil},
		{"a candidate of another building", "", []string{"h1", "x1"}, []string{"leaderElection.candidateHouseholdIds[1]"}},
		{"a candidate of another unit", "1", []string{"h5", "h1", "h6"}, []string{"leaderElection.candidateHouseholdIds[0]", "leaderElection.candidateHouseholdIds[2]"}},
		{"an unknown candidate", "", []string{"nope"}, []string{"leaderElection.candidateHouseholdIds[0]"}},
		{"a unit with no households", "9", []string{"h1"}, []string{"leaderElection.unit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := registry.Election{ID: "e1", BuildingID: "b1", Unit: tt.unit, Candidates: tt.candidates, State: registry.ElectionClosed, Result: &registry.ElectionResult{Winner: "h1"}}
			got, err := registry.NewElection(e, registry.Electorate(&e, hs), electionNow)
			if tt.fields != nil {
				wantErr(t, err, errInvalid, tt.fields...)
				return
			}
			wantErr(t, err, nil)
			if got.State != registry.ElectionOpen || got.Result != nil || !got.CreateTime.Equal(electionNow) {
				t.Fatalf("a new election is %+v, want OPEN with no result", got)
			}
		})
	}
}

func TestCheckVote(t *testing.T) {
	open, el := openElection(t, "", "h1", "h2")
	closed, err := registry.Close(open, el, nil, electionNow)
	if err != nil {
		t.Fatal(err)
	}
	unit, unitEl := openElection(t, "2", "h5", "h6")
	tests := []struct {
		name             string
		e                registry.Election
		el               map[string]bool
		voter, candidate string
		want             error
	}{
		{"a household of the building votes for a candidate", open, el, "h3", "h1", nil},
		{"a candidate votes for itself", open, el, "h1", "h1", nil},
		{"a household of another building", open, el, "x1", "h1", registry.ErrNotEligible},
		{"an unknown household", open, el, "nope", "h1", registry.ErrNotEligible},
		{"a vote for a household that is not a candidate", open, el, "h3", "h4", errInvalid},
		{"a vote for nobody", open, el, "h3", "", errInvalid},
		{"a vote once closed", closed, el, "h3", "h1", registry.ErrWrongState},
		{"a unit election takes its unit's households", unit, unitEl, "h6", "h5", nil},
		{"a unit election refuses the building's other units", unit, unitEl, "h1", "h5", registry.ErrNotEligible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := registry.CheckVote(&tt.e, tt.el, tt.voter, tt.candidate)
			if errors.Is(tt.want, errInvalid) {
				wantErr(t, err, errInvalid, "candidateHouseholdId")
				return
			}
			wantErr(t, err, tt.want)
		})
	}
}

func TestCloseStatesTurnoutAndTheWinnerOrATie(t *testing.T) {
	tests := []struct {
		name       string
		candidates []string
		votes      map[string]string
		voted      int
		counts     []registry.CandidateVotes // in the order stated
		winner     string
		tie        bool
	}{
		{
			name: "the most votes win", candidates: []string{"h1", "h2"},
			votes: map[string]string{"h1": "h2", "h2": "h2", "h3": "h1"}, voted: 3,
			counts: []registry.CandidateVotes{{"h2", 2}, {"h1", 1}}, winner: "h2",
		},
		{
			name: "equal most votes are a tie", candidates: []string{"h1", "h2", "h3"},
			votes: map[string]string{"h1": "h1", "h2": "h2", "h3": "h1", "h4": "h2", "h5": "h3"}, voted: 5,
			counts: []registry.CandidateVotes{{"h1", 2}, {"h2", 2}, {"h3", 1}}, tie: true,
		},
		{
			name: "a tie between the first two does not stop a later candidate winning", candidates: []string{"h1", "h2", "h3"},
			votes: map[string]string{"h1": "h1", "h2": "h2", "h3": "h3", "h4": "h3", "h5": "h3"}, voted: 5,
			counts: []registry.CandidateVotes{{"h3", 3}, {"h1", 1}, {"h2", 1}}, winner: "h3",
		},
		{
			name: "a tie after a leader is still a tie", candidates: []string{"h1", "h2", "h3"},
			votes: map[string]string{"h1": "h1", "h2": "h2", "h3": "h3", "h4": "h3", "h5": "h2"}, voted: 5,
			counts: []registry.CandidateVotes{{"h2", 2}, {"h3", 2}, {"h1", 1}}, tie: true,
		},
		{
			name: "no votes: no winner and no tie", candidates: []string{"h1", "h2"},
			votes: nil, voted: 0,
			counts: []registry.CandidateVotes{{"h1", 0}, {"h2", 0}},
		},
		{
			name: "one candidate with one vote wins", candidates: []string{"h4"},
			votes: map[string]string{"h6": "h4"}, voted: 1,
			counts: []registry.CandidateVotes{{"h4", 1}}, winner: "h4",
		},
		{
			name: "votes of households outside the building are not counted", candidates: []string{"h1", "h2"},
			votes: map[string]string{"x1": "h2", "nope": "h2", "h3": "h1"}, voted: 1,
			counts: []registry.CandidateVotes{{"h1", 1}, {"h2", 0}}, winner: "h1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, el := openElection(t, "", tt.candidates...)
			closeAt := electionNow.Add(time.Hour)
			got, err := registry.Close(e, el, tt.votes, closeAt)
			if err != nil {
				t.Fatal(err)
			}
			r := got.Result
			if got.State != registry.ElectionClosed || r == nil || !got.CloseTime.Equal(closeAt) {
				t.Fatalf("closed election %+v", got)
			}
			if r.Eligible != 6 || r.Voted != tt.voted {
				t.Fatalf("turnout %d of %d, want %d of 6", r.Voted, r.Eligible, tt.voted)
			}
			if want := float64(tt.voted) / 6; r.Turnout() != want {
				t.Fatalf("turnout %v, want %v", r.Turnout(), want)
			}
			if !reflect.DeepEqual(r.Votes, tt.counts) {
				t.Fatalf("votes %v, want %v", r.Votes, tt.counts)
			}
			if r.Winner != tt.winner || r.Tie != tt.tie {
				t.Fatalf("winner %q tie %v, want %q %v", r.Winner, r.Tie, tt.winner, tt.tie)
			}
			if e.State != registry.ElectionOpen || e.Result != nil {
				t.Fatalf("Close changed the election it was given: %+v", e)
			}
		})
	}
}

func TestCloseOfAUnitElectionCountsOnlyItsUnit(t *testing.T) {
	e, el := openElection(t, "2", "h5", "h6")
	got, err := registry.Close(e, el, map[string]string{"h1": "h6", "h2": "h6", "h5": "h5"}, electionNow)
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Result; r.Eligible != 2 || r.Voted != 1 || r.Winner != "h5" || r.Tie {
		t.Fatalf("unit result %+v", r)
	}
}

func TestClosingTwiceIsWrongState(t *testing.T) {
	e, el := openElection(t, "", "h1", "h2")
	closed, err := registry.Close(e, el, map[string]string{"h3": "h1"}, electionNow)
	if err != nil {
		t.Fatal(err)
	}
	again, err := registry.Close(closed, el, map[string]string{"h3": "h2", "h4": "h2"}, electionNow.Add(time.Hour))
	wantErr(t, err, registry.ErrWrongState)
	if again.Result != nil {
		t.Fatalf("a second close stated %+v", again.Result)
	}
	if closed.Result.Winner != "h1" {
		t.Fatalf("the first result changed: %+v", closed.Result)
	}
}

func TestTurnoutOfAnEmptyElectorateIsZero(t *testing.T) {
	if got := (&registry.ElectionResult{}).Turnout(); got != 0 {
		t.Fatalf("turnout %v", got)
	}
}

// Rule 12, for any votes: the counts add up to the households that voted, the winner has
// strictly more votes than every other candidate, and a tie is two or more candidates
// sharing the most votes.
func TestPropertyCloseCountsEveryEligibleVoteOnce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nHouseholds := rapid.IntRange(1, 40).Draw(t, "households")
		var hs []registry.Household
		for i := 0; i < nHouseholds; i++ {
			hs = append(hs, registry.Household{ID: fmt.Sprintf("h%d", i), BuildingID: "b1", Unit: fmt.Sprint(1 + i%3)})
		}
		hs = append(hs, registry.Household{ID: "outsider", BuildingID: "b2"})
		nCandidates := rapid.IntRange(1, min(5, nHouseholds)).Draw(t, "candidates")
		var candidates []string
		for i := 0; i < nCandidates; i++ {
			candidates = append(candidates, fmt.Sprintf("h%d", i))
		}
		e := registry.Election{ID: "e", BuildingID: "b1", Candidates: candidates}
		el := registry.Electorate(&e, hs)
		e, err := registry.NewElection(e, el, electionNow)
		if err != nil {
			t.Fatal(err)
		}
		votes := map[string]string{}
		counts := map[string]int{}
		for _, h := range hs {
			if rapid.Bool().Draw(t, "votes "+h.ID) {
				c := rapid.SampledFrom(candidates).Draw(t, "for")
				votes[h.ID] = c
				if h.ID != "outsider" {
					counts[c]++
				}
			}
		}
		closed, err := registry.Close(e, el, votes, electionNow)
		if err != nil {
			t.Fatal(err)
		}
		r := closed.Result
		sum, most, atMost := 0, 0, 0
		for i, v := range r.Votes {
			if v.Votes != counts[v.Candidate] {
				t.Fatalf("%s has %d votes, cast %d", v.Candidate, v.Votes, counts[v.Candidate])
			}
			if i > 0 && v.Votes > r.Votes[i-1].Votes {
				t.Fatalf("votes not in descending order: %v", r.Votes)
			}
			sum += v.Votes
			most = max(most, v.Votes)
		}
		for _, v := range r.Votes {
			if v.Votes == most {
				atMost++
			}
		}
		if len(r.Votes) != len(candidates) || sum != r.Voted || r.Eligible != nHouseholds {
			t.Fatalf("%d counts summing to %d, voted %d of %d", len(r.Votes), sum, r.Voted, r.Eligible)
		}
		switch {
		case r.Voted == 0:
			if r.Winner != "" || r.Tie {
				t.Fatalf("no votes yet winner %q tie %v", r.Winner, r.Tie)
			}
		case atMost > 1:
			if r.Winner != "" || !r.Tie {
				t.Fatalf("%d candidates share %d votes, yet winner %q tie %v", atMost, most, r.Winner, r.Tie)
			}
		default:
			if r.Tie || counts[r.Winner] != most {
				t.Fatalf("winner %q with %d votes, most %d, tie %v", r.Winner, counts[r.Winner], most, r.Tie)
			}
		}
	})
}
