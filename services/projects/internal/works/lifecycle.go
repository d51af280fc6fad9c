package works

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"tongdu/platform/dated"
	"tongdu/platform/fault"
)

// Action is a lifecycle transition a caller asks for (rule 6: PROPOSED → APPROVED →
// IN_CONSTRUCTION → PENDING_ACCEPTANCE → ACCEPTED → MAINTENANCE, with SUSPENDED and
// CANCELLED).
type Action int

const (
	Approve Action = iota + 1
	StartConstruction
	RequestAcceptance
	Accept
	StartMaintenance
	Suspend
	Resume
	Cancel
)

var actionNames = map[Action]string{
	Approve: "approve", StartConstruction: "start construction", RequestAcceptance: "request acceptance",
	Accept: "accept", StartMaintenance: "start maintenance", Suspend: "suspend", Resume: "resume", Cancel: "cancel",
}

func (a Action) String() string { return actionNames[a] }

// GuardReason is the ErrorInfo reason of the guard that keeps each transition.
var GuardReason = map[Action]string{
	Approve:           "RESOLUTION_NOT_PASSED",
	StartConstruction: "FUNDING_NOT_COVERED",
	RequestAcceptance: "ITEMS_INCOMPLETE",
	Accept:            "ACCEPTANCE_CONDITIONS_NOT_MET",
}

// Target is the status an action leads to from the project's current one, or
// ErrTransition when rule 6 (the lifecycle) does not allow the action from there.
func Target(p *Project, a Action) (Status, error) {
	from := p.Status
	var to Status
	ok := false
	switch a {
	case Approve:
		to, ok = Approved, from == Proposed
	case StartConstruction:
		to, ok = InConstruction, from == Approved
	case RequestAcceptance:
		to, ok = PendingAcceptance, from == InConstruction
	case Accept:
		to, ok = Accepted, from == PendingAcceptance
	case StartMaintenance:
		to, ok = Maintenance, from == Accepted
	case Suspend:
		to, ok = Suspended, from == Approved || from == InConstruction || from == PendingAcceptance
	case Resume:
		to, ok = p.SuspendedFrom, from == Suspended
	case Cancel:
		to, ok = Cancelled, from != Accepted && from != Maintenance && from != Cancelled && from != StatusUnspecified
	}
	if !ok {
		return 0, fmt.Errorf("%w: a %s project cannot %s", ErrTransition, from, a)
	}
	return to, nil
}

// GuardFailure is one failed guard or condition, with the figures behind it.
type GuardFailure struct {
	Guard  string // e.g. RESOLUTION_PASSED, SUPERVISOR_PASS
	Detail string // e.g. "consent by area 0.7100 < 3/4"
}

// Refusal refuses action because its guard failed: a fault of kind Refused with the
// action's GuardReason, every failure as a precondition of the project and, in the
// metadata, each guard's figures; its message lists them all ("cannot approve: G: d; …").
func Refusal(a Action, failures []GuardFailure) *fault.Error {
	parts := make([]string, len(failures))
	meta := make(map[string]string, len(failures))
	pre := make([]fault.Precondition, len(failures))
	for i, f := range failures {
		parts[i] = f.Guard + ": " + f.Detail
		meta[f.Guard] = f.Detail
		pre[i] = fault.Precondition{Type: f.Guard, Subject: "project", Description: f.Detail}
	}
	e := fault.Refuse(GuardReason[a], fmt.Sprintf("cannot %s: %s", a, strings.Join(parts, "; ")), meta)
	e.Preconditions = pre
	return e
}

// Apply moves the project by action once its guard has passed (failures empty), and
// records the transition, and the request that made it, in the history: as happened at
// at (rule 15; zero: now), which may not be before the move it follows.
func Apply(p Project, a Action, failures []GuardFailure, actor, reason, requestID string, at, now time.Time) (Project, error) {
	to, err := Target(&p, a)
	if err != nil {
		return Project{}, err
	}
	at, err = dated.At(at, now, p.Since(), "effectiveTime", "the project's last move")
	if err != nil {
		return Project{}, err
	}
	if (a == Suspend || a == Cancel) && strings.TrimSpace(reason) == "" {
		return Project{}, fault.Field("reason", fmt.Sprintf("say why you %s the project", a))
	}
	if len(failures) > 0 {
		return Project{}, Refusal(a, failures)
	}
	from := p.Status
	switch a {
	case Suspend:
		p.SuspendedFrom = from
	case Resume, Cancel:
		p.SuspendedFrom = StatusUnspecified
	}
	p.Status = to
	p.History = append(append([]Transition(nil), p.History...), Transition{From: from, To: to, Actor: actor, Reason: reason, Time: at, RequestID: requestID, RecordTime: now})
	p.UpdateTime = now
	return p, nil
}

// ResolutionFacts is what the survey service says of the renovation resolution.
type ResolutionFacts struct {
	SurveyID   string
	Found      bool     // a RESOLUTION survey of this compound with matter RENOVATION
	CompoundOK bool     // it is a survey of the project's compound
	Closed     bool     // the vote has closed
	Passed     bool     // rule 3 holds (3/4 of the voting area and households consent)
	Figures    []string // the result's figures, one line each
	Latest     string   // the compound's latest closed renovation resolution ("" for none)
}

// ErrorInfo reasons of rule 6's refusals of a resolution that is not the project's to use.
const (
	ReasonSuperseded     = "RESOLUTION_SUPERSEDED"
	ReasonResolutionUsed = "RESOLUTION_ALREADY_USED"
)

// Superseded is approve's second guard (rule 6: only the compound's latest closed
// renovation resolution counts, so a later vote, passed or failed, supersedes an earlier
// pass): a refusal naming the superseding survey (metadata supersededBy), or nil.
func Superseded(f ResolutionFacts) error {
	if f.Latest == "" || f.Latest == f.SurveyID {
		return nil
	}
	return fault.Refuse(ReasonSuperseded,
		fmt.Sprintf("cannot approve: resolution %s was superseded by the later vote %s; only the compound's latest closed renovation resolution counts", f.SurveyID, f.Latest),
		map[string]string{"resolution": f.SurveyID, "supersededBy": f.Latest})
}

// UsedBy refuses approval on a resolution another project used (rule 6: one resolution
// approves one project), naming that project (metadata project).
func UsedBy(surveyID, projectID string) error {
	return fault.Refuse(ReasonResolutionUsed,
		fmt.Sprintf("cannot approve: resolution %s already approved project %s; one resolution approves one project", surveyID, projectID),
		map[string]string{"resolution": surveyID, "project": projectID})
}

// CheckResolution is approve's guard: a passed renovation resolution for the compound.
func CheckResolution(f ResolutionFacts) []GuardFailure {
	switch {
	case !f.Found:
		return []GuardFailure{{"RESOLUTION_PASSED", "no renovation resolution (a RESOLUTION survey with matter RENOVATION) of the compound"}}
	case !f.CompoundOK:
		return []GuardFailure{{"RESOLUTION_PASSED", fmt.Sprintf("survey %s is not a renovation resolution of this compound", f.SurveyID)}}
	case !f.Closed && len(f.Figures) > 0:
		return []GuardFailure{{"RESOLUTION_PASSED", fmt.Sprintf("resolution %s is still open (so far: %s)", f.SurveyID, strings.Join(f.Figures, "; "))}}
	case !f.Closed:
		return []GuardFailure{{"RESOLUTION_PASSED", fmt.Sprintf("resolution %s is still open", f.SurveyID)}}
	case !f.Passed:
		return []GuardFailure{{"RESOLUTION_PASSED", fmt.Sprintf("resolution %s did not pass: %s", f.SurveyID, strings.Join(f.Figures, "; "))}}
	}
	return nil
}

// FundingFacts is what the finance service says of the project's funding plan.
type FundingFacts struct {
	Found        bool
	CommittedFen int64
}

// CheckFunding is start-construction's guard: committed sources cover the budget.
func CheckFunding(budgetFen int64, f FundingFacts) []GuardFailure {
	switch {
	case !f.Found:
		return []GuardFailure{{"FUNDING_COVERED", "no funding plan for the project"}}
	case f.CommittedFen < budgetFen:
		return []GuardFailure{{"FUNDING_COVERED", fmt.Sprintf("committed %s < budget %s yuan, short by %s", Yuan(f.CommittedFen), Yuan(budgetFen), Yuan(budgetFen-f.CommittedFen))}}
	}
	return nil
}

// CheckItemsComplete is request-acceptance's guard: there are items and all are done.
func CheckItemsComplete(items []Item) []GuardFailure {
	if len(items) == 0 {
		return []GuardFailure{{"ITEMS_COMPLETE", "the project has no work items"}}
	}
	var open []string
	for _, it := range items {
		if !it.Complete() {
			open = append(open, fmt.Sprintf("%s at %d%%", it.ID, it.ProgressPercent))
		}
	}
	if len(open) > 0 {
		return []GuardFailure{{"ITEMS_COMPLETE", fmt.Sprintf("%d of %d items complete; open: %s", len(items)-len(open), len(items), strings.Join(open, ", "))}}
	}
	return nil
}

// Yuan shows fen as yuan with two decimals, e.g. 60000000 → "600000.00".
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + fmt.Sprintf("%02d", fen%100)
}
