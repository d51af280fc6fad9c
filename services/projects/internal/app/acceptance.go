package app

import (
	"context"
	"time"

	"tongdu/platform/auth"
	"tongdu/platform/dated"
	"tongdu/services/projects/internal/works"
)

// CreateSignoff records a professional party's verdict (so's role, verdict, remarks and
// signer) while the project is PENDING_ACCEPTANCE (works.ErrProjectClosed otherwise); a
// later sign-off of the same role replaces the earlier, and a retried request answers
// the sign-off it recorded. When it completes the acceptance conditions, the project is
// accepted at once.
func (a *App) CreateSignoff(ctx context.Context, projectID string, so works.Signoff, at time.Time, rq Request) (works.Signoff, error) {
	p, err := a.projectFor(ctx, projectID, works.CanSignOff)
	if err != nil {
		return works.Signoff{}, err
	}
	// Rule 15: a sign-off entered after the fact carries when the party signed, which is
	// not before the works were handed over for acceptance.
	if at, err = dated.At(at, a.now(), p.Since(), "effectiveTime", "the request for acceptance"); err != nil {
		return works.Signoff{}, err
	}
	id, _, err := a.claim(ctx, "CreateSignoff", rq, 1)
	if err != nil {
		return works.Signoff{}, err
	}
	so.ID, so.ProjectID, so.SignTime, so.RecordTime = id[0], p.ID, at, a.now()
	so.Account = auth.Acting(ctx)
	so, created, err := a.store.AddSignoff(ctx, so)
	if err != nil {
		return works.Signoff{}, err
	}
	if created && so.Verdict == works.Pass {
		by := so.Signer
		if by == "" {
			by = so.Account
		}
		a.acceptIfReady(ctx, p.ID, by, so.SignTime)
	}
	return so, nil
}

// acceptIfReady accepts the project when every condition now holds. Not holding yet is
// the usual case and no error; anything else is logged, as the sign-off is recorded and
// :accept remains.
func (a *App) acceptIfReady(ctx context.Context, projectID, signer string, at time.Time) {
	p, err := a.store.GetProject(ctx, projectID)
	if err != nil {
		a.log.WarnContext(ctx, "acceptance not checked", "project", projectID, "cause", err.Error())
		return
	}
	cs, _, err := a.conditions(ctx, p)
	if err != nil {
		a.log.WarnContext(ctx, "acceptance not checked", "project", projectID, "cause", err.Error())
		return
	}
	if len(works.Failures(cs)) > 0 {
		return
	}
	// Accepted when the last party signed (rule 15), which may be a day entered late.
	m := Move{ID: projectID, Actor: "tongdu (after the sign-off by " + signer + ")", Reason: "every acceptance condition holds", At: at}
	if _, err := a.AcceptProject(ctx, m); err != nil {
		a.log.WarnContext(ctx, "project not accepted after sign-off", "project", projectID, "cause", err.Error())
	}
}

func (a *App) acceptanceGuard(ctx context.Context, p *works.Project) ([]works.GuardFailure, error) {
	cs, _, err := a.conditions(ctx, p)
	return works.Failures(cs), err
}

// conditions evaluates rule 6's joint acceptance for a project (a PASS from each of the
// four parties and a closed ACCEPTANCE survey with enough residents satisfied and
// responding), with each party's latest sign-off.
func (a *App) conditions(ctx context.Context, p *works.Project) ([]works.Condition, map[works.Role]works.Signoff, error) {
	latest, err := a.store.LatestSignoffs(ctx, p.ID)
	if err != nil {
		return nil, nil, err
	}
	// Rule 6: the survey named, or the compound's latest closed ACCEPTANCE survey opened
	// after the project reached PENDING_ACCEPTANCE (an older one judged other works).
	f, err := a.peers.Survey.AcceptanceSurvey(ctx, p.CompoundID, p.AcceptanceSurveyID, p.AcceptanceRequested())
	if err != nil {
		return nil, nil, err
	}
	return works.AcceptanceConditions(latest, f, a.thresholds), latest, nil
}

// Acceptance is where a project's joint acceptance stands: every condition and whether
// it holds, and each party's latest sign-off in works.Roles order.
type Acceptance struct {
	Project    *works.Project
	Conditions []works.Condition
	Signoffs   []works.Signoff
	AllHold    bool
}

// GetAcceptance lists every condition of the joint acceptance of a project and whether
// it holds; works.ErrNotFound for no such project.
func (a *App) GetAcceptance(ctx context.Context, projectID string) (Acceptance, error) {
	p, err := a.store.GetProject(ctx, projectID)
	if err != nil {
		return Acceptance{}, err
	}
	cs, latest, err := a.conditions(ctx, p)
	if err != nil {
		return Acceptance{}, err
	}
	out := Acceptance{Project: p, Conditions: cs, AllHold: len(works.Failures(cs)) == 0}
	for _, r := range works.Roles {
		if so, ok := latest[r]; ok {
			out.Signoffs = append(out.Signoffs, so)
		}
	}
	return out, nil
}
