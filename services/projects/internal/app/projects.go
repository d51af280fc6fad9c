package app

import (
	"context"
	"time"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
	"tongdu/services/projects/internal/works"
)

// ProjectView is a project as the API shows it: with its items, whose figures (count,
// estimated cost, items complete) it reports.
type ProjectView struct {
	Project *works.Project
	Items   []works.Item
}

// view reads a project's items beside it.
func (a *App) view(ctx context.Context, p *works.Project) (ProjectView, error) {
	items, err := a.store.Items(ctx, p.ID)
	if err != nil {
		return ProjectView{}, err
	}
	return ProjectView{Project: p, Items: items}, nil
}

// CreateProject draws up a compound's plan for a round, with actor as its first history
// entry. The compound must be one governance knows (bad input on project.compoundId
// otherwise); one live plan per compound and year (works.ErrAlreadyExists otherwise).
func (a *App) CreateProject(ctx context.Context, in works.Project, actor string, at time.Time, rq Request) (ProjectView, error) {
	ok, err := a.peers.Governance.CompoundExists(ctx, in.CompoundID)
	if err != nil {
		return ProjectView{}, err
	}
	if !ok {
		return ProjectView{}, fault.Field("project.compoundId", "no compound "+in.CompoundID)
	}
	p, err := works.NewProject(in, actor, at, a.now())
	if err != nil {
		return ProjectView{}, err
	}
	p.History[0].Account = auth.Acting(ctx)
	if err := a.checkAcceptanceSurvey(ctx, p.AcceptanceSurveyID, p.CompoundID); err != nil {
		return ProjectView{}, err
	}
	id, _, err := a.claim(ctx, "CreateProject", rq, 1)
	if err != nil {
		return ProjectView{}, err
	}
	p.ID = id[0]
	if err := a.store.CreateProject(ctx, p); err != nil {
		return ProjectView{}, err
	}
	return a.GetProject(ctx, p.ID)
}

// GetProject returns a project with its items, or works.ErrNotFound.
func (a *App) GetProject(ctx context.Context, id string) (ProjectView, error) {
	p, err := a.store.GetProject(ctx, id)
	if err != nil {
		return ProjectView{}, err
	}
	return a.view(ctx, p)
}

// ListProjects pages through the projects of a compound ("" for all) in a status
// (unspecified for any) and year (0 for any).
func (a *App) ListProjects(ctx context.Context, compoundID string, st works.Status, year int, token string, size int) ([]ProjectView, string, error) {
	ps, next, err := a.store.ListProjects(ctx, compoundID, func(p *works.Project) bool {
		return (st == works.StatusUnspecified || p.Status == st) && (year == 0 || p.Year == year)
	}, token, size)
	if err != nil {
		return nil, "", err
	}
	out := make([]ProjectView, 0, len(ps))
	for i := range ps {
		v, err := a.view(ctx, &ps[i])
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	return out, next, nil
}

// UpdateProject replaces the fields of patch.ID named in mask. A stale etag is
// works.ErrConflict; without one, a write that lost a race is read and tried again.
func (a *App) UpdateProject(ctx context.Context, patch works.Project, mask []string, etag string) (ProjectView, error) {
	if patch.ID == "" || len(mask) == 0 {
		return ProjectView{}, fault.Field("updateMask", "name the project (project.id) and the fields to update")
	}
	for {
		cur, err := a.store.GetProject(ctx, patch.ID)
		if err != nil {
			return ProjectView{}, err
		}
		if etag != "" && etag != cur.Etag() {
			return ProjectView{}, works.ErrConflict
		}
		next, err := works.ApplyUpdate(*cur, patch, mask, a.now())
		if err != nil {
			return ProjectView{}, err
		}
		if next.AcceptanceSurveyID != cur.AcceptanceSurveyID {
			if err := a.checkAcceptanceSurvey(ctx, next.AcceptanceSurveyID, next.CompoundID); err != nil {
				return ProjectView{}, err
			}
		}
		_, err = a.store.UpdateProject(ctx, next)
		if isConflict(err) && etag == "" {
			if err := retryPause(ctx); err != nil {
				return ProjectView{}, err
			}
			continue
		}
		if err != nil {
			return ProjectView{}, err
		}
		return a.GetProject(ctx, next.ID)
	}
}

// checkAcceptanceSurvey refuses as bad input an acceptance survey named ("" names none)
// that is no ACCEPTANCE survey of the compound (rule 6).
func (a *App) checkAcceptanceSurvey(ctx context.Context, surveyID, compoundID string) error {
	if surveyID == "" {
		return nil
	}
	s, err := a.peers.Survey.Describe(ctx, surveyID)
	if err != nil {
		return err
	}
	return works.CheckAcceptanceSurveyID(s, compoundID, "project.acceptanceSurveyId")
}
