package app

import (
	"context"
	"strconv"
	"time"

	"tongdu/platform/auth"
	"tongdu/platform/events"

	"tongdu/services/projects/internal/works"
)

// Move is what every transition request carries: the project, an optional note of who
// acts (the office on whose behalf), why, and the request. Who acted is recorded apart,
// as the signed-in account the context carries.
type Move struct {
	ID, Actor, Reason string
	Request           Request
	// At is when the move happened, for one entered after the fact (rule 15); zero: now.
	At time.Time
}

// guard checks a transition's guard against its owner; it returns the failures (none:
// the guard holds).
type guard func(ctx context.Context, p *works.Project) ([]works.GuardFailure, error)

// transition moves a project by action once its guard holds, in one revision-checked
// write: of two concurrent transitions of one project only one can succeed, and the other
// is re-judged against the status the first left. A retried request (same request id,
// same body) whose work is done answers with the project as it stands. A moved project
// is published on the compound events stream in the same step as its write (statusEvent),
// so a crash between them loses no event and a refused write publishes none.
//
// then, when given, completes the next state before it is written and may take a claim
// the write depends on; its release runs when the write does not go through.
func (a *App) transition(ctx context.Context, method string, m Move, act works.Action, check guard, then func(context.Context, *works.Project) (release func(), err error)) (ProjectView, error) {
	_, replayed, err := a.claim(ctx, method, m.Request, 0)
	if err != nil {
		return ProjectView{}, err
	}
	for {
		p, err := a.store.GetProject(ctx, m.ID)
		if err != nil {
			return ProjectView{}, err
		}
		if (replayed && p.MadeBy(m.Request.ID)) || (act == works.Accept && p.Status == works.Accepted) {
			// A retry finds its work done; :accept is idempotent by contract.
			return a.view(ctx, p)
		}
		if _, err := works.Target(p, act); err != nil {
			return ProjectView{}, err
		}
		var failures []works.GuardFailure
		if check != nil {
			if failures, err = check(ctx, p); err != nil {
				return ProjectView{}, err
			}
		}
		next, err := works.Apply(*p, act, failures, m.Actor, m.Reason, m.Request.ID, m.At, a.now())
		if err != nil {
			return ProjectView{}, err
		}
		next.History[len(next.History)-1].Account = auth.Acting(ctx)
		release := func() {}
		if then != nil {
			if release, err = then(ctx, &next); err != nil {
				return ProjectView{}, err
			}
		}
		rev, err := a.store.UpdateProject(ctx, next, statusEvent(next))
		if err != nil {
			release()
		}
		if isConflict(err) {
			if err := retryPause(ctx); err != nil {
				return ProjectView{}, err
			}
			continue
		}
		if err != nil {
			return ProjectView{}, err
		}
		next.Revision = rev
		if act == works.Cancel {
			// The round is free again for a new plan. Failing here leaves the claim held
			// by a cancelled project, which CreateProject looks through.
			if err := a.store.ReleasePlan(ctx, next); err != nil {
				a.log.WarnContext(ctx, "plan not released", "project", next.ID, "cause", err.Error())
			}
		}
		return a.view(ctx, &next)
	}
}

// statusEvent tells governance, on the compound events stream, that a project of a
// compound reached a status, and when (rule 15: when it happened); governance follows it
// in the compound's status and counts it in that year. The round (year) tells governance
// which of a compound's plans is the newest; a suspended project says the status it holds.
func statusEvent(p works.Project) string {
	fields := map[string]string{"compound": p.CompoundID, "fact": "PROJECT_STATUS", "project": p.ID, "status": p.Status.String(),
		"year": strconv.Itoa(p.Year), "at": p.Since().UTC().Format(time.RFC3339Nano)}
	if p.Status == works.Suspended {
		fields["suspendedFrom"] = p.SuspendedFrom.String()
	}
	return events.Event(events.CompoundTopic, fields)
}

// ApproveProject: PROPOSED → APPROVED once the compound's renovation resolution passed
// (rule 3: a renovation needs the owners' resolution), as the survey service reports it:
// the survey named, or the compound's latest closed one. Rule 6 sharpens it: only the
// latest closed resolution counts (a later vote supersedes an earlier pass:
// RESOLUTION_SUPERSEDED), and one resolution approves one project
// (RESOLUTION_ALREADY_USED). The claim on the resolution is taken in one atomic step
// before the revision-checked write and given back if that write fails, so of two
// approvals on one resolution at once only one wins. Rules 6 and 14 add the plan's
// public notice: the plan as it stands posted, every objection answered, the period over
// (NOTICE_NOT_PUBLISHED, OBJECTION_UNANSWERED, NOTICE_PERIOD_OPEN).
func (a *App) ApproveProject(ctx context.Context, m Move, resolutionSurveyID string) (ProjectView, error) {
	var surveyID string
	check := func(ctx context.Context, p *works.Project) ([]works.GuardFailure, error) {
		f, err := a.peers.Survey.Resolution(ctx, p.CompoundID, resolutionSurveyID)
		if err != nil {
			return nil, err
		}
		surveyID = f.SurveyID
		if fs := works.CheckResolution(f); fs != nil {
			return fs, nil
		}
		if err := works.Superseded(f); err != nil {
			return nil, err
		}
		return nil, a.planNotice(ctx, p)
	}
	claim := func(ctx context.Context, p *works.Project) (func(), error) {
		p.ResolutionSurveyID = surveyID
		holder, err := a.store.ClaimResolution(ctx, surveyID, p.ID)
		if err != nil {
			return nil, err
		}
		if holder != "" {
			return nil, works.UsedBy(surveyID, holder)
		}
		return func() {
			if err := a.store.ReleaseResolution(ctx, surveyID, p.ID); err != nil {
				a.log.WarnContext(ctx, "resolution claim not released", "project", p.ID, "resolution", surveyID, "cause", err.Error())
			}
		}, nil
	}
	return a.transition(ctx, "ApproveProject", m, works.Approve, check, claim)
}

// StartConstruction: APPROVED → IN_CONSTRUCTION once the funding plan's committed sources
// cover the budget, as the finance service reports it.
func (a *App) StartConstruction(ctx context.Context, m Move) (ProjectView, error) {
	check := func(ctx context.Context, p *works.Project) ([]works.GuardFailure, error) {
		f, err := a.peers.Finance.Funding(ctx, p.ID)
		return works.CheckFunding(p.BudgetFen, f), err
	}
	return a.transition(ctx, "StartConstruction", m, works.StartConstruction, check, nil)
}

// RequestAcceptance: IN_CONSTRUCTION → PENDING_ACCEPTANCE once every item is complete.
func (a *App) RequestAcceptance(ctx context.Context, m Move) (ProjectView, error) {
	check := func(ctx context.Context, p *works.Project) ([]works.GuardFailure, error) {
		items, err := a.store.Items(ctx, p.ID)
		return works.CheckItemsComplete(items), err
	}
	return a.transition(ctx, "RequestAcceptance", m, works.RequestAcceptance, check, nil)
}

// AcceptProject: PENDING_ACCEPTANCE → ACCEPTED once every acceptance condition holds.
// Idempotent: accepting an ACCEPTED project answers with it unchanged. The service also
// accepts by itself after a sign-off that completes the conditions.
func (a *App) AcceptProject(ctx context.Context, m Move) (ProjectView, error) {
	return a.transition(ctx, "AcceptProject", m, works.Accept, a.acceptanceGuard, nil)
}

// StartMaintenance: ACCEPTED → MAINTENANCE, upkeep taking over.
func (a *App) StartMaintenance(ctx context.Context, m Move) (ProjectView, error) {
	return a.transition(ctx, "StartMaintenance", m, works.StartMaintenance, nil, nil)
}

// SuspendProject halts an approved, building or pending project, with a reason.
func (a *App) SuspendProject(ctx context.Context, m Move) (ProjectView, error) {
	return a.transition(ctx, "SuspendProject", m, works.Suspend, nil, nil)
}

// ResumeProject returns a suspended project to where it was.
func (a *App) ResumeProject(ctx context.Context, m Move) (ProjectView, error) {
	return a.transition(ctx, "ResumeProject", m, works.Resume, nil, nil)
}

// CancelProject ends a project before acceptance, with a reason; the compound may then
// plan the round again.
func (a *App) CancelProject(ctx context.Context, m Move) (ProjectView, error) {
	return a.transition(ctx, "CancelProject", m, works.Cancel, nil, nil)
}
