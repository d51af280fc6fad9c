package works

import (
	"fmt"
	"time"

	"tongdu/platform/fault"
)

// ProgressReport is a contractor's report on one item; it sets the item's progress.
type ProgressReport struct {
	ID              string    `json:"id"`
	ProjectID       string    `json:"projectId"`
	ItemID          string    `json:"itemId"`
	ProgressPercent int       `json:"progressPercent"`
	Remarks         string    `json:"remarks,omitempty"`
	Contractor      string    `json:"contractor"`
	ReportTime      time.Time `json:"reportTime"`
}

// SupervisionReport is a resident's observation during the works (居民监督).
type SupervisionReport struct {
	ID          string    `json:"id"`
	ProjectID   string    `json:"projectId"`
	HouseholdID string    `json:"householdId"`
	ItemID      string    `json:"itemId,omitempty"`
	Text        string    `json:"text"`
	ReportTime  time.Time `json:"reportTime"`
}

// CanReportProgress: progress is reported while the project is being built.
func CanReportProgress(p *Project) error {
	if p.Status != InConstruction {
		return fmt.Errorf("%w: progress is reported while the project is IN_CONSTRUCTION; it is %s", ErrProjectClosed, p.Status)
	}
	return nil
}

// CanSupervise: residents supervise from approval until the works are accepted.
func CanSupervise(p *Project) error {
	switch p.Status {
	case Approved, InConstruction, PendingAcceptance, Suspended:
		return nil
	}
	return fmt.Errorf("%w: residents supervise the works from approval to acceptance; the project is %s", ErrProjectClosed, p.Status)
}

// CanSignOff: the professional parties sign once the works are done.
func CanSignOff(p *Project) error {
	if p.Status != PendingAcceptance {
		return fmt.Errorf("%w: sign-offs are taken while the project is PENDING_ACCEPTANCE; it is %s", ErrProjectClosed, p.Status)
	}
	return nil
}

// CanChangeItems: the plan's items change until acceptance is requested, when every
// item is complete and the parties sign what they see (also while suspended from there).
func CanChangeItems(p *Project) error {
	st := p.Status
	if st == Suspended {
		st = p.SuspendedFrom
	}
	switch st {
	case Proposed, Approved, InConstruction:
		return nil
	}
	return fmt.Errorf("%w: the items of a %s project are fixed", ErrProjectClosed, p.Status)
}

// Progress applies a progress report to its item.
func Progress(it Item, percent int, now time.Time) (Item, error) {
	if percent < 0 || percent > 100 {
		return Item{}, fault.Field("progressReport.progressPercent", "runs from 0 to 100")
	}
	it.ProgressPercent, it.UpdateTime = percent, now
	return it, nil
}
