package registry

import (
	"fmt"
	"sort"
	"time"

	"tongdu/platform/fault"
)

// ElectionState is OPEN while households vote, CLOSED once the result is stated.
type ElectionState int

const (
	ElectionUnspecified ElectionState = iota
	ElectionOpen
	ElectionClosed
)

// Election elects a building's leader (楼栋长), or a unit's (单元长) when Unit is set, by
// the households of that building or unit, one vote each (rule 12: a building's households
// elect its leader, one vote each).
type Election struct {
	ID         string          `json:"id"`
	CompoundID string          `json:"compoundId"`
	BuildingID string          `json:"buildingId"`
	Unit       string          `json:"unit,omitempty"`
	Candidates []string        `json:"candidates"`
	State      ElectionState   `json:"state"`
	Result     *ElectionResult `json:"result,omitempty"`
	CreateTime time.Time       `json:"createTime"`
	CloseTime  time.Time       `json:"closeTime,omitzero"`
	// CreateAccount and CloseAccount are the signed-in accounts (their tokens' subjects)
	// that opened the election and closed it, so declared the winner (rule 16: who acts).
	CreateAccount string `json:"createAccount,omitempty"`
	CloseAccount  string `json:"closeAccount,omitempty"`

	VoteRevision int64 `json:"-"` // moves with every vote, kept beside the record
}

// ElectionResult states turnout, each candidate's votes, and the winner or a tie.
type ElectionResult struct {
	Eligible int              `json:"eligible"`
	Voted    int              `json:"voted"`
	Votes    []CandidateVotes `json:"votes"`
	Winner   string           `json:"winner,omitempty"`
	Tie      bool             `json:"tie,omitempty"`
}

// CandidateVotes is one candidate's count.
type CandidateVotes struct {
	Candidate string `json:"candidate"`
	Votes     int    `json:"votes"`
}

// Turnout is the share of eligible households that voted.
func (r *ElectionResult) Turnout() float64 {
	if r.Eligible == 0 {
		return 0
	}
	return float64(r.Voted) / float64(r.Eligible)
}

// Electorate is the households of an election's building, or of its unit.
func Electorate(e *Election, households []Household) map[string]bool {
	out := map[string]bool{}
	unit := normalUnit(e.Unit)
	for _, h := range households {
		if h.BuildingID == e.BuildingID && (unit == "" || h.Unit == unit) {
			out[h.ID] = true
		}
	}
	return out
}

// NewElection checks an election: candidates are households of the building (or unit).
func NewElection(e Election, eligible map[string]bool, now time.Time) (Election, error) {
	e.Unit = normalUnit(e.Unit) // as households name it, so the unit leader lands on it
	if len(eligible) == 0 {
		field := "leaderElection.buildingId"
		if e.Unit != "" {
			field = "leaderElection.unit"
		}
		return Election{}, fault.Field(field, "the building (or unit) has no households to vote")
	}
	var vs []fault.Violation
	for i, c := range e.Candidates {
		if !eligible[c] {
			vs = append(vs, violation(fmt.Sprintf("leaderElection.candidateHouseholdIds[%d]", i), fmt.Sprintf("household %s does not live in the building (or unit)", c)))
		}
	}
	if len(vs) > 0 {
		return Election{}, fault.Fields(vs...)
	}
	e.State, e.Result, e.CreateTime = ElectionOpen, nil, now
	e.CreateAccount, e.CloseAccount = "", ""
	return e, nil
}

// Seat is what an election fills: its building's leader, or one unit's (the unit as
// households name it, "01" and "1" alike). Rule 12 (one election per building, or unit,
// is open at a time) allows one OPEN election per seat; a unit's election and the
// whole building's are different seats.
func (e *Election) Seat() string { return e.BuildingID + "/" + normalUnit(e.Unit) }

// CheckVote refuses a vote the election cannot count: by a household outside its
// building or unit, for someone who is not a candidate, or once it closed. A second vote
// of a household replaces its first (the store keeps one per household).
func CheckVote(e *Election, eligible map[string]bool, voter, candidate string) error {
	if e.State != ElectionOpen {
		return fmt.Errorf("%w: election %s is closed", ErrWrongState, e.ID)
	}
	if !eligible[voter] {
		return fmt.Errorf("%w: household %s does not live in the building (or unit) of election %s", ErrNotEligible, voter, e.ID)
	}
	for _, c := range e.Candidates {
		if c == candidate {
			return nil
		}
	}
	return fault.Field("candidateHouseholdId", fmt.Sprintf("household %s is not a candidate", candidate))
}

// Close counts the votes (household → candidate) and states the result: the candidate
// with the most votes wins; equal most votes are a tie (no winner).
func Close(e Election, eligible map[string]bool, votes map[string]string, now time.Time) (Election, error) {
	if e.State != ElectionOpen {
		return Election{}, fmt.Errorf("%w: election %s is closed", ErrWrongState, e.ID)
	}
	counts := map[string]int{}
	r := &ElectionResult{Eligible: len(eligible)}
	for voter, c := range votes {
		if eligible[voter] {
			counts[c]++
			r.Voted++
		}
	}
	best := -1
	for _, c := range e.Candidates {
		n := counts[c]
		r.Votes = append(r.Votes, CandidateVotes{Candidate: c, Votes: n})
		switch {
		case n > best:
			best, r.Winner, r.Tie = n, c, false
		case n == best:
			r.Tie = true
		}
	}
	sort.SliceStable(r.Votes, func(i, j int) bool { return r.Votes[i].Votes > r.Votes[j].Votes })
	if r.Tie || r.Voted == 0 {
		r.Winner = ""
		r.Tie = r.Voted > 0
	}
	e.State, e.Result, e.CloseTime = ElectionClosed, r, now
	return e, nil
}
