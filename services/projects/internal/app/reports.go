package app

import (
	"context"
	"fmt"

	"tongdu/platform/fault"
	"tongdu/services/projects/internal/works"
)

// CreateProgressReport records a contractor's report (r's item, percent, remarks and
// contractor) while the project is IN_CONSTRUCTION and sets its item's progress, in one
// step. An unknown item is bad input on progressReport.itemId; a retried request answers
// the report it recorded.
func (a *App) CreateProgressReport(ctx context.Context, projectID string, r works.ProgressReport, rq Request) (works.ProgressReport, error) {
	p, err := a.projectFor(ctx, projectID, works.CanReportProgress)
	if err != nil {
		return works.ProgressReport{}, err
	}
	id, replayed, err := a.claim(ctx, "CreateProgressReport", rq, 1)
	if err != nil {
		return works.ProgressReport{}, err
	}
	r.ID, r.ProjectID, r.ReportTime = id[0], p.ID, a.now()
	if replayed {
		if done, err := a.store.ProgressReport(ctx, p.ID, r.ID); err == nil {
			return *done, nil
		}
	}
	for {
		it, err := a.store.GetItem(ctx, p.ID, r.ItemID)
		if err != nil {
			return works.ProgressReport{}, fieldNotFound(err, "progressReport.itemId")
		}
		next, err := works.Progress(*it, r.ProgressPercent, r.ReportTime)
		if err != nil {
			return works.ProgressReport{}, err
		}
		err = a.store.UpdateItem(ctx, next, &r)
		if isConflict(err) {
			if err := retryPause(ctx); err != nil {
				return works.ProgressReport{}, err
			}
			continue
		}
		if err != nil {
			return works.ProgressReport{}, err
		}
		return r, nil
	}
}

// ListProgressReports pages through a project's progress reports, oldest first, on one
// item ("" for all).
func (a *App) ListProgressReports(ctx context.Context, projectID, itemID, token string, size int) ([]works.ProgressReport, string, error) {
	if _, err := a.store.GetProject(ctx, projectID); err != nil {
		return nil, "", err
	}
	return a.store.ProgressReports(ctx, projectID, func(r *works.ProgressReport) bool {
		return itemID == "" || r.ItemID == itemID
	}, token, size)
}

// CreateSupervisionReport records a resident's observation (r's household, item and
// text) during the works (works.ErrProjectClosed before approval and after acceptance).
// The household must live in the project's compound (works.ErrNotInCompound); an
// unknown item is bad input on supervisionReport.itemId.
func (a *App) CreateSupervisionReport(ctx context.Context, projectID string, r works.SupervisionReport, rq Request) (works.SupervisionReport, error) {
	p, err := a.projectFor(ctx, projectID, works.CanSupervise)
	if err != nil {
		return works.SupervisionReport{}, err
	}
	if r.ItemID != "" {
		if _, err := a.store.GetItem(ctx, p.ID, r.ItemID); err != nil {
			return works.SupervisionReport{}, fieldNotFound(err, "supervisionReport.itemId")
		}
	}
	cid, err := a.peers.Governance.HouseholdCompound(ctx, r.HouseholdID)
	if err != nil {
		return works.SupervisionReport{}, err
	}
	if cid != p.CompoundID {
		return works.SupervisionReport{}, fmt.Errorf("%w: household %s is not a household of compound %s", works.ErrNotInCompound, r.HouseholdID, p.CompoundID)
	}
	id, _, err := a.claim(ctx, "CreateSupervisionReport", rq, 1)
	if err != nil {
		return works.SupervisionReport{}, err
	}
	r.ID, r.ProjectID, r.ReportTime = id[0], p.ID, a.now()
	if err := a.store.AddSupervisionReport(ctx, r); err != nil {
		return works.SupervisionReport{}, err
	}
	r.HouseholdID = seenBy(ctx).ID(r.HouseholdID)
	return r, nil
}

// ListSupervisionReports pages through residents' reports on a project, oldest first, on
// one item and by one household ("" for any). The reporting household is shown only to
// a caller who may read it (seen), and only such a caller may ask by household: for
// anyone else the answer would tell which households reported.
func (a *App) ListSupervisionReports(ctx context.Context, projectID, itemID, householdID, token string, size int) ([]works.SupervisionReport, string, error) {
	who := seenBy(ctx)
	if householdID != "" && !who.Sees(householdID) {
		return nil, "", fault.New(fault.Denied, "", "households/"+householdID+" is not within your scope: reports are listed by household only for those who may read it")
	}
	if _, err := a.store.GetProject(ctx, projectID); err != nil {
		return nil, "", err
	}
	rs, next, err := a.store.SupervisionReports(ctx, projectID, func(r *works.SupervisionReport) bool {
		return (itemID == "" || r.ItemID == itemID) && (householdID == "" || r.HouseholdID == householdID)
	}, token, size)
	return who.reports(rs), next, err
}
