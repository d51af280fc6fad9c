package opinion

import (
	"fmt"
	"math"
)

// Weights weigh the three terms of rule 4's priority score (deficit, willingness,
// participation); they are configuration.
type Weights struct {
	Deficit, Willingness, Participation float64
}

// DefaultWeights are rule 4's: 0.40·deficit + 0.35·willingness + 0.25·participation.
var DefaultWeights = Weights{Deficit: 0.40, Willingness: 0.35, Participation: 0.25}

// Check refuses negative weights and weights that do not sum to 1 (a score must stay in
// [0,1] to be read as a share).
func (w Weights) Check() error {
	if w.Deficit < 0 || w.Willingness < 0 || w.Participation < 0 {
		return fmt.Errorf("ranking weights must not be negative: %+v", w)
	}
	if sum := w.Deficit + w.Willingness + w.Participation; math.Abs(sum-1) > 1e-9 {
		return fmt.Errorf("ranking weights must sum to 1, they sum to %g", sum)
	}
	return nil
}

// Condition is an assessed facility's state, as numbered in the contract.
type Condition int

const (
	ConditionUnspecified Condition = iota
	Good
	Fair
	Poor
)

// Deficit is the share of assessed facilities in poor condition: POOR counts 1, FAIR 0.5,
// GOOD 0 (rule 4, the priority ranking's deficit term). A compound with no assessment has no known deficit: 0.
func Deficit(conditions []Condition) float64 {
	var sum float64
	n := 0
	for _, c := range conditions {
		switch c {
		case Poor:
			sum++
		case Fair:
			sum += 0.5
		case Good:
		default:
			continue
		}
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// RankEntry is one compound's place in the ranking, with each term shown so a resident can
// see why a compound is ahead.
type RankEntry struct {
	CompoundID    string
	Name          string
	BuildYear     int
	SurveyID      string // the NEEDS survey the willingness and participation come from
	Deficit       float64
	Willingness   float64
	Participation float64
	Score         float64
	// Status is where the compound stands in its renovation, as the registry last said;
	// rule 4 ranks by default only those still waiting for a plan.
	Status CompoundStatus
}

// RankedCompound is an entry as the ranking keeps it: with the regions whose rankings hold
// it, and the compound's households as the registry last said (participation's
// denominator while its survey is open).
type RankedCompound struct {
	RankEntry
	Regions    []string `json:"regions"`
	Households int      `json:"households"`
}

// Score computes rule 4's priority score (the weighed sum of the three terms), rounded to 1e-9 so that equal terms always give equal
// scores and the tie rules decide.
func (w Weights) Score(deficit, willingness, participation float64) float64 {
	s := w.Deficit*deficit + w.Willingness*willingness + w.Participation*participation
	return math.Round(s*1e9) / 1e9
}

// TieKey orders compounds of equal score: older build year first (an unknown year last),
// then name, then id. Comparing keys as strings gives that order.
func TieKey(e RankEntry) string {
	year := e.BuildYear
	if year <= 0 || year > 9999 {
		year = 9999
	}
	return fmt.Sprintf("%04d%s\x00%s", year, e.Name, e.CompoundID)
}

// Ahead reports whether a ranks before b: higher score, then the tie rules.
func Ahead(a, b RankEntry) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return TieKey(a) < TieKey(b)
}

// CompoundStatus is where a compound stands in its renovation, numbered as governance's
// contract numbers it.
type CompoundStatus int

const (
	StatusUnspecified CompoundStatus = iota
	Inventoried
	Surveying
	Planned
	Renovating
	Accepted
	Maintaining
)

// MaxCompoundStatus is the highest status known; the ranking keeps one set per status up
// to it (a status beyond, from a newer registry, is kept as unspecified).
const MaxCompoundStatus = Maintaining

// Known returns s, or StatusUnspecified for a number this service does not know.
func (s CompoundStatus) Known() CompoundStatus {
	if s < StatusUnspecified || s > MaxCompoundStatus {
		return StatusUnspecified
	}
	return s
}

// WaitingForPlan reports whether a compound of this status is still waiting for a
// renovation plan (INVENTORIED or SURVEYING): rule 4 ranks only these by default.
func (s CompoundStatus) WaitingForPlan() bool { return s == Inventoried || s == Surveying }

// WaitingStatuses are the statuses rule 4's default ranking shows.
var WaitingStatuses = []CompoundStatus{Inventoried, Surveying}

// RankedStatuses are the statuses a ranking read shows: those asked for, each once, in
// order of status; none asked for: WaitingStatuses (rule 4: only compounds still waiting
// for a plan).
func RankedStatuses(asked []CompoundStatus) []CompoundStatus {
	if len(asked) == 0 {
		return WaitingStatuses
	}
	var seen [MaxCompoundStatus + 1]bool
	for _, s := range asked {
		seen[s.Known()] = true
	}
	var out []CompoundStatus
	for s, ok := range seen {
		if ok {
			out = append(out, CompoundStatus(s))
		}
	}
	return out
}
