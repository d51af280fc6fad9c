package works

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"tongdu/platform/fault"
)

// Role is a professional party that signs the acceptance.
type Role int

const (
	RoleUnspecified Role = iota
	Supervisor           // 监理
	Contractor           // 施工单位
	Builder              // 建设单位
	Community            // 社区
)

// Roles are the four parties whose PASS rule 6 (the joint acceptance) needs, in the
// order they are shown.
var Roles = []Role{Supervisor, Contractor, Builder, Community}

var roleNames = [...]string{"UNSPECIFIED", "SUPERVISOR", "CONTRACTOR", "BUILDER", "COMMUNITY"}

func (r Role) String() string { return nameOf(r, roleNames[:], "Role(%d)") }

// Verdict is a party's PASS or FAIL.
type Verdict int

const (
	VerdictUnspecified Verdict = iota
	Pass
	Fail
)

// Signoff is a party's verdict on the finished works; a later one of the same role
// replaces the earlier (a FAIL can be followed by a PASS once mended).
type Signoff struct {
	ID        string    `json:"id"`
	ProjectID string    `json:"projectId"`
	Role      Role      `json:"role"`
	Verdict   Verdict   `json:"verdict"`
	Remarks   string    `json:"remarks,omitempty"`
	Signer    string    `json:"signer"`
	SignTime  time.Time `json:"signTime"` // when the party signed (rule 15)
	// RecordTime is when the sign-off was entered.
	RecordTime time.Time `json:"recordTime,omitzero"`
	// Account is the signed-in account that recorded the sign-off (its token's subject;
	// rule 16: who acts). Signer is only a note of the person signing for the party.
	Account string `json:"account,omitempty"`
}

// Fraction is a threshold compared exactly: n/d of something.
type Fraction struct{ Num, Den int64 }

// ParseFraction reads "2/3" (or a decimal such as "0.5").
func ParseFraction(s string) (Fraction, error) {
	if a, b, ok := strings.Cut(s, "/"); ok {
		n, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
		d, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
		if err1 != nil || err2 != nil || d <= 0 || n < 0 || n > d {
			return Fraction{}, fmt.Errorf("threshold %q: want n/d with 0 ≤ n ≤ d", s)
		}
		return Fraction{n, d}, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1 {
		return Fraction{}, fmt.Errorf("threshold %q: want n/d or a number from 0 to 1", s)
	}
	return Fraction{int64(f*1e6 + 0.5), 1e6}, nil
}

func (f Fraction) String() string { return fmt.Sprintf("%d/%d", f.Num, f.Den) }

// met reports n/d ≥ f exactly; nothing of nothing is not met.
func (f Fraction) met(n, d int64) bool { return d > 0 && n*f.Den >= f.Num*d }

// Thresholds are rule 6's residents' acceptance thresholds (configuration).
type Thresholds struct {
	Satisfied Fraction // of respondents, at least
	Responded Fraction // of households, at least
}

// DefaultThresholds are rule 6's: 2/3 of respondents satisfied, half the households
// responding.
var DefaultThresholds = Thresholds{Satisfied: Fraction{2, 3}, Responded: Fraction{1, 2}}

// AcceptanceSurveyFacts is what the survey service says of the ACCEPTANCE survey.
type AcceptanceSurveyFacts struct {
	SurveyID   string
	Found      bool // an ACCEPTANCE survey of the project's compound
	Closed     bool
	Responded  int64
	Households int64
	Satisfied  int64
}

// SurveyFacts is what the survey service says of a survey a project names.
type SurveyFacts struct {
	ID         string
	Found      bool
	Kind       string // e.g. "ACCEPTANCE", "RESOLUTION"
	CompoundID string
}

// CheckAcceptanceSurveyID refuses, as bad input on field, an acceptance survey that is
// no ACCEPTANCE survey of the project's compound (rule 6: the residents' part of the
// joint acceptance is theirs), saying what it is instead.
func CheckAcceptanceSurveyID(s SurveyFacts, compoundID, field string) error {
	switch {
	case !s.Found:
		return fault.Field(field, fmt.Sprintf("no survey %s", s.ID))
	case s.Kind != "ACCEPTANCE":
		return fault.Field(field, fmt.Sprintf("survey %s is a %s survey, not an ACCEPTANCE survey", s.ID, s.Kind))
	case s.CompoundID != compoundID:
		return fault.Field(field, fmt.Sprintf("survey %s is an ACCEPTANCE survey of another compound (%s), not of %s", s.ID, s.CompoundID, compoundID))
	}
	return nil
}

// AcceptanceRequested is when the project last went from IN_CONSTRUCTION to
// PENDING_ACCEPTANCE (zero if never): rule 6 counts, when no survey is named, only an
// ACCEPTANCE survey opened after it.
func (p *Project) AcceptanceRequested() time.Time {
	for i := len(p.History) - 1; i >= 0; i-- {
		if t := p.History[i]; t.From == InConstruction && t.To == PendingAcceptance {
			return t.Time
		}
	}
	return time.Time{}
}

// Condition is one condition of acceptance and whether it holds.
type Condition struct {
	Name   string
	Holds  bool
	Detail string
}

// AcceptanceConditions lists every condition of rule 6's joint acceptance: a PASS from
// each professional party (their latest sign-off), and a closed ACCEPTANCE survey in
// which enough respondents are satisfied and enough households responded.
func AcceptanceConditions(latest map[Role]Signoff, s AcceptanceSurveyFacts, th Thresholds) []Condition {
	var cs []Condition
	for _, r := range Roles {
		c := Condition{Name: r.String() + "_PASS"}
		switch so, ok := latest[r]; {
		case !ok:
			c.Detail = "no sign-off yet"
		case so.Verdict != Pass:
			c.Detail = fmt.Sprintf("latest sign-off by %s is FAIL: %s", so.Signer, so.Remarks)
		default:
			c.Holds, c.Detail = true, "PASS by "+so.Signer
		}
		cs = append(cs, c)
	}
	closed := Condition{Name: "ACCEPTANCE_SURVEY_CLOSED"}
	switch {
	case !s.Found:
		closed.Detail = "no ACCEPTANCE survey named for the project (acceptanceSurveyId), and no closed ACCEPTANCE survey of the compound opened since acceptance was requested"
	case !s.Closed:
		closed.Detail = fmt.Sprintf("survey %s is still open", s.SurveyID)
	default:
		closed.Holds, closed.Detail = true, fmt.Sprintf("survey %s closed", s.SurveyID)
	}
	satisfied := Condition{Name: "RESIDENTS_SATISFIED", Holds: s.Found && th.Satisfied.met(s.Satisfied, s.Responded)}
	satisfied.Detail = fmt.Sprintf("satisfied %d of %d respondents, %.4f %s %s required", s.Satisfied, s.Responded, ratio(s.Satisfied, s.Responded), cmpSign(satisfied.Holds), th.Satisfied)
	responded := Condition{Name: "RESIDENTS_RESPONDED", Holds: s.Found && th.Responded.met(s.Responded, s.Households)}
	responded.Detail = fmt.Sprintf("responded %d of %d households, %.4f %s %s required", s.Responded, s.Households, ratio(s.Responded, s.Households), cmpSign(responded.Holds), th.Responded)
	return append(cs, closed, satisfied, responded)
}

// Failures turns the conditions that do not hold into guard failures.
func Failures(cs []Condition) []GuardFailure {
	var out []GuardFailure
	for _, c := range cs {
		if !c.Holds {
			out = append(out, GuardFailure{Guard: c.Name, Detail: c.Detail})
		}
	}
	return out
}

func cmpSign(ok bool) string {
	if ok {
		return "≥"
	}
	return "<"
}

func ratio(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
