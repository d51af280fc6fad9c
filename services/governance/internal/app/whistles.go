package app

import (
	"context"
	"errors"
	"slices"
	"time"

	"tongdu/platform/auth"
	"tongdu/platform/dated"
	"tongdu/platform/fault"
	"tongdu/services/governance/internal/registry"
)

// Departments and whistles (rule 11: called departments acknowledge and resolve within
// limits by priority, or the whistle is overdue and escalates). Overdue, escalation and
// the departments' overdue marks are worked out from the recorded times and the server
// clock at every read, so they are right at any instant without a background job
// (registry.Whistle.Assess).

// Whistle is a whistle as it stands at Now, the instant it was read.
type Whistle struct {
	registry.Whistle
	Now time.Time
}

// CreateDepartment registers a department that whistles may call. The caller may choose
// its id ("water"); a taken id is registry.ErrAlreadyExists.
func (a *App) CreateDepartment(ctx context.Context, req Request, in registry.Department) (*registry.Department, error) {
	d, err := registry.NewDepartment(in, a.now())
	if err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreateDepartment", req, 1)
	if err != nil {
		return nil, err
	}
	if d.ID == "" {
		d.ID = id[0]
	}
	// The claimed id names this request, so a replay of it finds its own department and
	// another request finds the id taken.
	if err := a.store.CreateDepartment(ctx, d, id[0]); err != nil {
		return nil, err
	}
	return a.store.GetDepartment(ctx, d.ID)
}

// ListDepartments lists the departments in order of id.
func (a *App) ListDepartments(ctx context.Context, token string, size int) ([]registry.Department, string, error) {
	return a.store.ListDepartments(ctx, token, size)
}

// CreateWhistle raises a whistle in a compound, calling registered departments. Its
// deadlines are fixed now, from the limits of its priority.
func (a *App) CreateWhistle(ctx context.Context, req Request, in registry.Whistle, at time.Time) (*Whistle, error) {
	if _, err := a.store.GetCompound(ctx, in.CompoundID); errors.Is(err, registry.ErrNotFound) {
		return nil, fault.Field("whistle.compoundId", "no compound "+in.CompoundID)
	} else if err != nil {
		return nil, err
	}
	registered, err := a.store.DepartmentsExist(ctx, in.DepartmentIDs)
	if err != nil {
		return nil, err
	}
	var meeting *registry.LinkageMeeting
	if id := in.LinkageMeetingID; id != "" {
		meeting, err = a.store.GetLinkageMeeting(ctx, id)
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return nil, err
		}
	}
	// Rule 15: a whistle raised on paper before it is entered carries when it was raised,
	// and its limits run from then.
	raised, err := dated.At(at, a.now(), time.Time{}, "effectiveTime", "")
	if err != nil {
		return nil, err
	}
	w, err := registry.NewWhistle(in, registered, meeting, a.limits, raised)
	if err != nil {
		return nil, err
	}
	return a.storeNew(ctx, "CreateWhistle", req, w)
}

// storeNew stores a new whistle under its request's id, naming the signed-in caller as
// who raised it (rule 16), and answers it as it stands; a replayed request answers with
// what the first one stored.
func (a *App) storeNew(ctx context.Context, method string, req Request, w registry.Whistle) (*Whistle, error) {
	id, err := a.idsFor(ctx, method, req, 1)
	if err != nil {
		return nil, err
	}
	w.ID = id[0]
	w.RaiseAccount = auth.Acting(ctx)
	if err := a.store.CreateWhistle(ctx, w, registry.WhistleChangeOf(nil, &w)); err != nil {
		return nil, err
	}
	return a.GetWhistle(ctx, w.ID)
}

// ReportWhistle files a whistle reported by anyone: a household (householdID, which must
// live in the compound), an Open311 app or staff. It is REPORTED: no department is
// called and no limit runs until the community triages it. The reporter is the household
// when one is named, else the signed-in caller's subject; the caller is recorded as who
// raised it either way (rule 16). A replayed request answers with the first report.
func (a *App) ReportWhistle(ctx context.Context, req Request, in registry.Whistle, householdID string, at time.Time) (*Whistle, error) {
	if _, err := a.store.GetCompound(ctx, in.CompoundID); errors.Is(err, registry.ErrNotFound) {
		return nil, fault.Field("compoundId", "no compound "+in.CompoundID)
	} else if err != nil {
		return nil, err
	}
	reporter := auth.Acting(ctx)
	if householdID != "" {
		h, err := a.store.GetHousehold(ctx, householdID)
		if errors.Is(err, registry.ErrNotFound) {
			return nil, fault.Field("householdId", "no household "+householdID)
		} else if err != nil {
			return nil, err
		}
		if h.CompoundID != in.CompoundID {
			return nil, fault.Field("householdId", "household "+householdID+" is not in compound "+in.CompoundID)
		}
		reporter = "households/" + householdID
	}
	reported, err := dated.At(at, a.now(), time.Time{}, "effectiveTime", "")
	if err != nil {
		return nil, err
	}
	w, err := registry.NewReportedWhistle(in, reporter, reported)
	if err != nil {
		return nil, err
	}
	return a.storeNew(ctx, "ReportWhistle", req, w)
}

// TriageWhistle calls registered departments to a REPORTED whistle with a priority: it
// becomes OPEN and rule 11's limits run from now. Any other state is
// registry.ErrWrongState, except the same triage again (a retried request), which
// changes nothing.
func (a *App) TriageWhistle(ctx context.Context, req Request, id string, departments []string, priority registry.Priority, remarks string, at time.Time) (*Whistle, error) {
	registered, err := a.store.DepartmentsExist(ctx, departments)
	if err != nil {
		return nil, err
	}
	return a.changeWhistle(ctx, "TriageWhistle", req, id, func(w registry.Whistle, now time.Time) (registry.Whistle, bool, error) {
		when, err := dated.At(at, now, w.RaiseTime, "effectiveTime", "the report")
		if err != nil {
			return w, false, err
		}
		next, changed, err := registry.TriageWhistle(w, departments, priority, remarks, registered, a.limits, when)
		if changed {
			next.TriageAccount = auth.Acting(ctx)
		}
		return next, changed, err
	})
}

// RateWhistle records the reporting household's 1–5 rating of a CLOSED whistle, once;
// another household is registry.ErrNotEligible, a whistle not closed or rated already
// with another score registry.ErrWrongState.
func (a *App) RateWhistle(ctx context.Context, req Request, id, householdID string, rating int) (*Whistle, error) {
	return a.changeWhistle(ctx, "RateWhistle", req, id, func(w registry.Whistle, now time.Time) (registry.Whistle, bool, error) {
		next, changed, err := registry.RateWhistle(w, householdID, rating)
		if changed {
			next.RateAccount = auth.Acting(ctx)
		}
		return next, changed, err
	})
}

// GetWhistle returns a whistle as it stands now: overdue and escalation by the clock.
func (a *App) GetWhistle(ctx context.Context, id string) (*Whistle, error) {
	w, err := a.store.GetWhistle(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Whistle{Whistle: *w, Now: a.now()}, nil
}

// ListWhistles lists whistles by status, overdue now, compound and department called.
// A named compound or department must exist.
func (a *App) ListWhistles(ctx context.Context, f registry.WhistleFilter, token string, size int) ([]Whistle, string, error) {
	if f.CompoundID != "" {
		if _, err := a.store.GetCompound(ctx, f.CompoundID); err != nil {
			return nil, "", err
		}
	}
	if f.DepartmentID != "" {
		if _, err := a.store.GetDepartment(ctx, f.DepartmentID); err != nil {
			return nil, "", err
		}
	}
	now := a.now()
	match := func(w *registry.Whistle) bool {
		return (f.Status == registry.WhistleStatusUnspecified || w.Status == f.Status) &&
			(f.CompoundID == "" || w.CompoundID == f.CompoundID) &&
			(f.DepartmentID == "" || slices.Contains(w.DepartmentIDs, f.DepartmentID)) &&
			(f.HouseholdID == "" || w.ReporterHousehold() == f.HouseholdID) &&
			(!f.Overdue || w.Assess(now).Overdue)
	}
	ws, next, err := a.store.ListWhistles(ctx, f, now, match, token, size)
	if err != nil {
		return nil, "", err
	}
	out := make([]Whistle, len(ws))
	for i := range ws {
		out[i] = Whistle{Whistle: ws[i], Now: now}
	}
	return out, next, nil
}

// AcknowledgeWhistle records a called department's acknowledgement (报到). Acknowledging
// again changes nothing; a department the whistle does not call is
// registry.ErrNotEligible.
func (a *App) AcknowledgeWhistle(ctx context.Context, req Request, id, department, remarks string, at time.Time) (*Whistle, error) {
	return a.changeWhistle(ctx, "AcknowledgeWhistle", req, id, func(w registry.Whistle, now time.Time) (registry.Whistle, bool, error) {
		when, err := dated.At(at, now, w.ClockStart(), "effectiveTime", "the call")
		if err != nil {
			return w, false, err
		}
		next, changed, err := registry.AcknowledgeWhistle(w, department, remarks, when)
		if changed {
			responseOf(&next, department).AcknowledgeAccount = auth.Acting(ctx)
		}
		return next, changed, err
	})
}

// ResolveWhistle records that a called department resolved its part; one that has not
// acknowledged is refused, registry.ErrNotAcknowledged (rule 11: a department resolves
// only what it has acknowledged), before its request id is claimed. Resolving again
// changes nothing.
func (a *App) ResolveWhistle(ctx context.Context, req Request, id, department, remarks string, at time.Time) (*Whistle, error) {
	return a.changeWhistle(ctx, "ResolveWhistle", req, id, func(w registry.Whistle, now time.Time) (registry.Whistle, bool, error) {
		when, err := dated.At(at, now, responseOf(&w, department).AcknowledgeTime, "effectiveTime", "the acknowledgement")
		if err != nil {
			return w, false, err
		}
		next, changed, err := registry.ResolveWhistle(w, department, remarks, when)
		if changed {
			responseOf(&next, department).ResolveAccount = auth.Acting(ctx)
		}
		return next, changed, err
	})
}

// CloseWhistle closes a RESOLVED whistle with the community's 1–5 rating of every
// department it called; before that it is registry.ErrWrongState.
func (a *App) CloseWhistle(ctx context.Context, req Request, id string, ratings []registry.DepartmentRating, at time.Time) (*Whistle, error) {
	return a.changeWhistle(ctx, "CloseWhistle", req, id, func(w registry.Whistle, now time.Time) (registry.Whistle, bool, error) {
		var resolved time.Time
		for _, r := range w.Responses {
			if r.ResolveTime.After(resolved) {
				resolved = r.ResolveTime
			}
		}
		when, err := dated.At(at, now, resolved, "effectiveTime", "the last resolution")
		if err != nil {
			return w, false, err
		}
		next, changed, err := registry.CloseWhistle(w, ratings, when)
		if changed {
			next.CloseAccount = auth.Acting(ctx)
		}
		return next, changed, err
	})
}

// responseOf is the called department's response in w; the registry's edits that report
// a change found it, so it is there.
func responseOf(w *registry.Whistle, department string) *registry.DepartmentResponse {
	for i := range w.Responses {
		if w.Responses[i].DepartmentID == department {
			return &w.Responses[i]
		}
	}
	return &registry.DepartmentResponse{}
}

// changeWhistle reads, edits and writes a whistle with a revision check, in one atomic
// step with its indexes and its departments' counters; it retries when another writer
// got in between (two departments acknowledging at once, say). An edit that changes
// nothing writes nothing. The request id is claimed once the edit is found valid, as the
// creates do, so a refused request does not use up its id.
func (a *App) changeWhistle(ctx context.Context, method string, req Request, id string, edit func(registry.Whistle, time.Time) (registry.Whistle, bool, error)) (*Whistle, error) {
	claimed := false
	for attempt := 0; ; attempt++ {
		cur, err := a.store.GetWhistle(ctx, id)
		if err != nil {
			return nil, err
		}
		now := a.now()
		next, changed, err := edit(*cur, now)
		if err != nil {
			return nil, err
		}
		if !claimed {
			if _, err := a.idsFor(ctx, method, req, 0); err != nil {
				return nil, err
			}
			claimed = true
		}
		if !changed {
			return &Whistle{Whistle: *cur, Now: now}, nil
		}
		_, err = a.store.UpdateWhistle(ctx, cur.Status, next, registry.WhistleChangeOf(cur, &next))
		if errors.Is(err, registry.ErrConflict) {
			if err := pause(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return a.GetWhistle(ctx, id)
	}
}

// GetDepartmentPerformance reports a department's whistles: counts, mean times from the
// raise time, overdue count and rate, and mean rating. It reads the department's running
// counters and counts its passed pending deadlines; it never reads its whistles.
func (a *App) GetDepartmentPerformance(ctx context.Context, departmentID string) (registry.DepartmentPerformance, error) {
	if _, err := a.store.GetDepartment(ctx, departmentID); err != nil {
		return registry.DepartmentPerformance{}, err
	}
	t, pastDue, err := a.store.DepartmentTally(ctx, departmentID, a.now())
	if err != nil {
		return registry.DepartmentPerformance{}, err
	}
	return registry.Performance(t, pastDue), nil
}
