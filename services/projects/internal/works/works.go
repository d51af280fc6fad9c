// Package works holds the rules of a compound's renovation project (一小区一策): its work
// items and their order (rule 5: basic works first, safety-critical first, easy before
// hard), its guarded lifecycle (rule 6: PROPOSED to MAINTENANCE, each step behind a
// guard), reports during the works, and the joint acceptance by the professional parties
// and the residents. Plain Go: no protobuf, no Redis; errors are platform/fault values.
package works

import (
	"fmt"
	"time"

	"tongdu/platform/dated"
	"tongdu/platform/fault"
)

// Errors of the works rules, each with the kind and ErrorInfo reason a client reads; they
// are wrapped with fmt.Errorf("%w: …") so the message names the case.
var (
	ErrNotFound      = fault.New(fault.NotFound, "", "not found")
	ErrConflict      = fault.New(fault.Conflict, "ETAG_MISMATCH", "changed since read")
	ErrRequestReused = fault.New(fault.Exists, "REQUEST_ID_REUSED", "request id reused with another request")
	ErrAlreadyExists = fault.New(fault.Exists, "PLAN_EXISTS", "already exists")
	ErrTransition    = fault.New(fault.Refused, "INVALID_TRANSITION", "transition not allowed")
	ErrProjectClosed = fault.New(fault.Refused, "PROJECT_CLOSED", "project closed to this change")
	ErrNotInCompound = fault.New(fault.Refused, "HOUSEHOLD_NOT_IN_COMPOUND", "household not in compound")
)

// Status is where a project stands in rule 6's lifecycle.
type Status int

const (
	StatusUnspecified Status = iota
	Proposed
	Approved
	InConstruction
	PendingAcceptance
	Accepted
	Maintenance
	Suspended
	Cancelled
)

var statusNames = [...]string{"UNSPECIFIED", "PROPOSED", "APPROVED", "IN_CONSTRUCTION", "PENDING_ACCEPTANCE", "ACCEPTED", "MAINTENANCE", "SUSPENDED", "CANCELLED"}

func (s Status) String() string { return nameOf(s, statusNames[:], "Status(%d)") }

// nameOf is v's name in names, or unknown (a format, such as "Role(%d)") with v's number
// when it has none.
func nameOf[T ~int](v T, names []string, unknown string) string {
	if v < 0 || int(v) >= len(names) {
		return fmt.Sprintf(unknown, int(v))
	}
	return names[v]
}

// Transition is one change of a project's status, kept as history. RequestID is the
// request that made it, so a retry finds its work done.
type Transition struct {
	From      Status    `json:"from"`
	To        Status    `json:"to"`
	Actor     string    `json:"actor"`
	Reason    string    `json:"reason,omitempty"`
	Time      time.Time `json:"time"` // when it happened (rule 15)
	RequestID string    `json:"requestId,omitempty"`
	// RecordTime is when it was entered: Time, unless it was entered after the fact.
	RecordTime time.Time `json:"recordTime,omitzero"`
	// Account is the signed-in account that made the change (its token's subject; rule
	// 16: who acts). Actor is only a note of the officer on whose behalf.
	Account string `json:"account,omitempty"`
}

// MadeBy reports whether a request already moved the project.
func (p *Project) MadeBy(requestID string) bool {
	if requestID == "" {
		return false
	}
	for _, t := range p.History {
		if t.RequestID == requestID {
			return true
		}
	}
	return false
}

// Project is one compound's renovation plan for one round (year).
type Project struct {
	ID                 string       `json:"id"`
	CompoundID         string       `json:"compoundId"`
	Title              string       `json:"title"`
	Year               int          `json:"year"`
	BudgetFen          int64        `json:"budgetFen"`
	Description        string       `json:"description,omitempty"`
	HeritageNotes      string       `json:"heritageNotes,omitempty"`
	Status             Status       `json:"status"`
	SuspendedFrom      Status       `json:"suspendedFrom,omitempty"`
	History            []Transition `json:"history"`
	ResolutionSurveyID string       `json:"resolutionSurveyId,omitempty"`
	AcceptanceSurveyID string       `json:"acceptanceSurveyId,omitempty"`
	CreateTime         time.Time    `json:"createTime"`
	UpdateTime         time.Time    `json:"updateTime"`

	Revision int64 `json:"-"` // kept beside the record
}

// Etag is the project's revision as the API shows it.
func (p *Project) Etag() string { return fmt.Sprintf("r%d", p.Revision) }

// Open reports whether the project still takes plan changes: not once accepted, in
// upkeep, or cancelled.
func (p *Project) Open() bool {
	return p.Status != Accepted && p.Status != Maintenance && p.Status != Cancelled
}

// NewProject checks a project to be created and records its creation in the history,
// as drawn up at at (rule 15: a plan of years ago entered now; zero: now).
func NewProject(p Project, actor string, at, now time.Time) (Project, error) {
	if p.BudgetFen < 0 {
		return Project{}, fault.Field("project.budgetFen", "must not be negative")
	}
	at, err := dated.At(at, now, time.Time{}, "effectiveTime", "")
	if err != nil {
		return Project{}, err
	}
	p.Status, p.SuspendedFrom = Proposed, StatusUnspecified
	p.ResolutionSurveyID = ""
	if actor == "" {
		actor = "unknown"
	}
	p.History = []Transition{{From: StatusUnspecified, To: Proposed, Actor: actor, Reason: "plan drawn up", Time: at, RecordTime: now}}
	p.CreateTime, p.UpdateTime = now, now
	return p, nil
}

// UpdatableFields are the project fields PATCH may replace, by their API names. The
// compound is fixed, and the status moves only through the lifecycle.
var UpdatableFields = map[string]bool{"title": true, "budgetFen": true, "description": true, "heritageNotes": true, "acceptanceSurveyId": true}

// ApplyUpdate replaces the masked fields of current with those of patch.
func ApplyUpdate(current, patch Project, mask []string, now time.Time) (Project, error) {
	next := current
	for _, f := range mask {
		switch f {
		case "title":
			if patch.Title == "" {
				return Project{}, fault.Field("project.title", "cannot be emptied")
			}
			next.Title = patch.Title
		case "year":
			// One plan per compound per round: moving a plan to another round would
			// leave one round without and another with two.
			return Project{}, fault.Field("updateMask", "the year is the plan's round and is fixed; plan another round as a new project")
		case "budgetFen":
			// The budget is what funding must cover: once building has started it is fixed.
			if current.Status != Proposed && current.Status != Approved {
				return Project{}, fmt.Errorf("%w: the budget changes only before construction; the project is %s", ErrProjectClosed, current.Status)
			}
			next.BudgetFen = patch.BudgetFen
		case "description":
			next.Description = patch.Description
		case "heritageNotes":
			next.HeritageNotes = patch.HeritageNotes
		case "acceptanceSurveyId":
			next.AcceptanceSurveyID = patch.AcceptanceSurveyID
		default:
			return Project{}, fault.Field("updateMask", fmt.Sprintf("%q cannot be updated", f))
		}
	}
	if next.BudgetFen < 0 {
		return Project{}, fault.Field("project.budgetFen", "must not be negative")
	}
	next.UpdateTime = now
	return next, nil
}

// Since is when the project entered its present status (rule 15: when it happened).
func (p *Project) Since() time.Time {
	if len(p.History) == 0 {
		return time.Time{}
	}
	return p.History[len(p.History)-1].Time
}
