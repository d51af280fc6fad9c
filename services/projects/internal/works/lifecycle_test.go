package works

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"tongdu/platform/fault"
)

var allStatuses = []Status{Proposed, Approved, InConstruction, PendingAcceptance, Accepted, Maintenance, Suspended, Cancelled}

var allActions = []Action{Approve, StartConstruction, RequestAcceptance, Accept, StartMaintenance, Suspend, Resume, Cancel}

// lifecycle is rule 6 written out as a table: from → action → to. What is missing is
// forbidden. A SUSPENDED project here was suspended from IN_CONSTRUCTION.
var lifecycle = map[Status]map[Action]Status{
	Proposed:          {Approve: Approved, Cancel: Cancelled},
	Approved:          {StartConstruction: InConstruction, Suspend: Suspended, Cancel: Cancelled},
	InConstruction:    {RequestAcceptance: PendingAcceptance, Suspend: Suspended, Cancel: Cancelled},
	PendingAcceptance: {Accept: Accepted, Suspend: Suspended, Cancel: Cancelled},
	Accepted:          {StartMaintenance: Maintenance},
	Maintenance:       {},
	Suspended:         {Resume: InConstruction, Cancel: Cancelled},
	Cancelled:         {},
}

func projectIn(s Status) Project {
	p := Project{ID: "p1", CompoundID: "c1", Title: "石羊路21号院改造", Year: 2021, BudgetFen: 60_000_000, Status: s, Revision: 3,
		History: []Transition{{From: StatusUnspecified, To: Proposed, Actor: "planner", Reason: "plan drawn up", Time: t0}}}
	if s == Suspended {
		p.SuspendedFrom = InConstruction
	}
	return p
}

// TestEveryTransitionOfRule6 walks all 8 statuses × 8 actions: an allowed one moves the
// project and records who, when, from, to and why; a guarded one whose guard fails names
// the guard and changes nothing; a forbidden one is ErrTransition naming status and action.
func TestEveryTransitionOfRule6(t *testing.T) {
	later := t0.Add(48 * time.Hour)
	for _, from := range allStatuses {
		for _, a := range allActions {
			t.Run(from.String()+"/"+strings.ReplaceAll(a.String(), " ", "_"), func(t *testing.T) {
				p := projectIn(from)
				to, allowed := lifecycle[from][a]

				gotTo, err := Target(&p, a)
				if allowed != (err == nil) || (allowed && gotTo != to) {
					t.Fatalf("Target = %v, %v; want %v allowed %v", gotTo, err, to, allowed)
				}

				// With a failed guard.
				fail := []GuardFailure{{Guard: "SOME_GUARD", Detail: "short by 1"}}
				_, err = Apply(p, a, fail, "officer 王", "because", "req-"+a.String(), time.Time{}, later)
				if !allowed {
					if !errors.Is(err, ErrTransition) {
						t.Fatalf("forbidden %s from %s: %v, want ErrTransition", a, from, err)
					}
					if !strings.Contains(err.Error(), from.String()) || !strings.Contains(err.Error(), a.String()) {
						t.Fatalf("refusal %q does not name %s and %q", err, from, a)
					}
					if f, _ := fault.As(err); len(f.Preconditions) > 0 {
						t.Fatalf("forbidden transition reported as a guard failure: %v", err)
					}
				} else {
					ge, ok := fault.As(err)
					if !ok || ge.Kind != fault.Refused {
						t.Fatalf("failed guard: %v, want a guard refusal", err)
					}
					want := GuardReason[a]
					got := make([]GuardFailure, len(ge.Preconditions))
					for i, p := range ge.Preconditions {
						got[i] = GuardFailure{Guard: p.Type, Detail: p.Description}
					}
					if ge.Reason != want || !strings.HasPrefix(ge.Error(), "cannot "+a.String()+":") || !slices.Equal(got, fail) {
						t.Fatalf("guard error %+v, want reason %q", ge, want)
					}
					if !strings.Contains(ge.Error(), "SOME_GUARD: short by 1") {
						t.Fatalf("guard error %q hides the figures", ge)
					}
				}

				// With the guard holding.
				next, err := Apply(p, a, nil, "officer 王", "because", "req-"+a.String(), time.Time{}, later)
				if !allowed {
					if !errors.Is(err, ErrTransition) {
						t.Fatalf("forbidden %s from %s: %v", a, from, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if next.Status != to {
					t.Fatalf("status %s, want %s", next.Status, to)
				}
				if len(next.History) != len(p.History)+1 {
					t.Fatalf("history %v", next.History)
				}
				last := next.History[len(next.History)-1]
				if want := (Transition{From: from, To: to, Actor: "officer 王", Reason: "because", Time: later, RequestID: "req-" + a.String(), RecordTime: later}); last != want {
					t.Fatalf("history entry %+v, want %+v", last, want)
				}
				if !next.UpdateTime.Equal(later) {
					t.Fatalf("update time %v", next.UpdateTime)
				}
				switch {
				case a == Suspend && next.SuspendedFrom != from:
					t.Fatalf("suspended from %s, want %s", next.SuspendedFrom, from)
				case a != Suspend && next.SuspendedFrom != StatusUnspecified:
					// suspended_from is "the status :resume returns to" while SUSPENDED
					// (projects.proto); a cancelled project keeping it shows a stale status.
					t.Errorf("BUG: suspended_from %s left set after %s (status %s)", next.SuspendedFrom, a, next.Status)
				}
				if len(p.History) != 1 || p.Status != from {
					t.Fatalf("Apply changed the project it was given: %+v", p)
				}
				if last := next.History[len(next.History)-1]; last.RequestID != "req-"+a.String() || !next.MadeBy("req-"+a.String()) {
					t.Fatalf("the transition does not record its request: %+v", last)
				}
			})
		}
	}
}

func TestResumeReturnsToTheStatusLeft(t *testing.T) {
	for _, left := range []Status{Approved, InConstruction, PendingAcceptance} {
		p := projectIn(left)
		p, err := Apply(p, Suspend, nil, "街道", "rainy season", "", time.Time{}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != Suspended || p.SuspendedFrom != left {
			t.Fatalf("suspended: %s from %s", p.Status, p.SuspendedFrom)
		}
		p, err = Apply(p, Resume, nil, "街道", "", "", time.Time{}, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != left || p.SuspendedFrom != StatusUnspecified {
			t.Fatalf("resumed to %s (suspended from %s), want %s", p.Status, p.SuspendedFrom, left)
		}
	}
}

// Apply must not share its history's backing array with the project it was given: two
// transitions judged from one read must not write into each other's history.
func TestApplyDoesNotAliasHistory(t *testing.T) {
	p := projectIn(Approved)
	p.History = make([]Transition, 1, 10)
	p.History[0] = Transition{To: Proposed}
	a, err := Apply(p, Suspend, nil, "x", "flood", "", time.Time{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Apply(p, Cancel, nil, "y", "no money", "", time.Time{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if a.History[1].To != Suspended || b.History[1].To != Cancelled {
		t.Fatalf("histories share storage: %v / %v", a.History, b.History)
	}
}

func TestSuspendAndCancelNeedAReason(t *testing.T) {
	for _, a := range []Action{Suspend, Cancel} {
		for _, reason := range []string{"", "   ", "\t\n"} {
			_, err := Apply(projectIn(Approved), a, nil, "x", reason, "", time.Time{}, t0)
			if fs := violationFields(err); !slices.Equal(fs, []string{"reason"}) {
				t.Errorf("%s with reason %q: %v", a, reason, err)
			}
		}
	}
	// The other transitions may go without one.
	for _, a := range []Action{Approve} {
		if _, err := Apply(projectIn(Proposed), a, nil, "x", "", "", time.Time{}, t0); err != nil {
			t.Errorf("%s without a reason: %v", a, err)
		}
	}
}

// TestLifecycleMachine drives random sequences of actions, guards holding, against the
// table of rule 6 and checks the history stays a chain from PROPOSED to the status.
func TestLifecycleMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p, err := NewProject(Project{CompoundID: "c", Title: "x", Year: 2024}, "planner", time.Time{}, t0)
		if err != nil {
			t.Fatal(err)
		}
		model, left := Proposed, StatusUnspecified
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			a := rapid.SampledFrom(allActions).Draw(t, "action")
			want, ok := lifecycle[model][a]
			if a == Resume && ok {
				want = left
			}
			next, err := Apply(p, a, nil, "actor", "why", "", time.Time{}, t0.Add(time.Duration(i)*time.Minute))
			if ok != (err == nil) {
				t.Fatalf("%s from %s: err %v, allowed %v", a, model, err, ok)
			}
			if !ok {
				continue
			}
			if a == Suspend {
				left = model
			}
			model, p = want, next
			if p.Status != model {
				t.Fatalf("status %s, model %s", p.Status, model)
			}
		}
		if p.History[0].From != StatusUnspecified || p.History[0].To != Proposed {
			t.Fatalf("history does not start with the plan: %v", p.History)
		}
		for i := 1; i < len(p.History); i++ {
			if p.History[i].From != p.History[i-1].To {
				t.Fatalf("history broken at %d: %v", i, p.History)
			}
		}
		if last := p.History[len(p.History)-1]; last.To != p.Status {
			t.Fatalf("history ends at %s, status %s", last.To, p.Status)
		}
		// (That suspended_from is cleared when a suspended project is cancelled is checked
		// by TestEveryTransitionOfRule6, SUSPENDED/cancel.)
		if p.Status == Suspended && p.SuspendedFrom == StatusUnspecified {
			t.Fatalf("suspended without suspended_from")
		}
		if p.Status != Suspended && p.Status != Cancelled && p.SuspendedFrom != StatusUnspecified {
			t.Fatalf("status %s with suspended_from %s", p.Status, p.SuspendedFrom)
		}
	})
}

func TestNewProject(t *testing.T) {
	p, err := NewProject(Project{ID: "p", CompoundID: "c", Title: "改造", Year: 2021, BudgetFen: 1, Status: Accepted, SuspendedFrom: Approved, ResolutionSurveyID: "forged"}, "", time.Time{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != Proposed || p.SuspendedFrom != StatusUnspecified || p.ResolutionSurveyID != "" {
		t.Fatalf("a new project takes status and resolution from the caller: %+v", p)
	}
	if len(p.History) != 1 || p.History[0].To != Proposed || p.History[0].Actor == "" || !p.History[0].Time.Equal(t0) || !p.CreateTime.Equal(t0) {
		t.Fatalf("creation not recorded: %+v", p.History)
	}
	_, err = NewProject(Project{BudgetFen: -1}, "x", time.Time{}, t0)
	if fs := violationFields(err); !slices.Equal(fs, []string{"project.budgetFen"}) {
		t.Fatalf("negative budget: %v", err)
	}
}

func TestApplyUpdate(t *testing.T) {
	cur := projectIn(Approved)
	next, err := ApplyUpdate(cur, Project{Title: "新标题", BudgetFen: 70_000_000, AcceptanceSurveyID: "sv1", Status: Accepted}, []string{"title", "budgetFen", "acceptanceSurveyId"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if next.Title != "新标题" || next.BudgetFen != 70_000_000 || next.AcceptanceSurveyID != "sv1" || next.Status != Approved {
		t.Fatalf("updated %+v", next)
	}
	for _, tc := range []struct {
		mask  string
		patch Project
		field string
	}{
		{"title", Project{}, "project.title"},
		{"year", Project{Year: 2031}, "updateMask"},
		{"budgetFen", Project{BudgetFen: -5}, "project.budgetFen"},
		{"status", Project{Status: Accepted}, "updateMask"},
		{"compoundId", Project{CompoundID: "other"}, "updateMask"},
		{"resolutionSurveyId", Project{ResolutionSurveyID: "x"}, "updateMask"},
	} {
		_, err := ApplyUpdate(cur, tc.patch, []string{tc.mask}, t0)
		if fs := violationFields(err); !slices.Equal(fs, []string{tc.field}) {
			t.Errorf("mask %s: %v, want a violation of %s", tc.mask, err, tc.field)
		}
	}
	// Once building has started, the budget funding had to cover is fixed.
	for _, s := range []Status{InConstruction, PendingAcceptance, Accepted, Maintenance, Suspended, Cancelled} {
		_, err := ApplyUpdate(projectIn(s), Project{BudgetFen: 1}, []string{"budgetFen"}, t0)
		if !errors.Is(err, ErrProjectClosed) {
			t.Errorf("budget change while %s: %v", s, err)
		}
	}
}

func TestGuards(t *testing.T) {
	t.Run("resolution", func(t *testing.T) {
		figures := []string{"participation by households 4/4 = 1.0000 ≥ 2/3", "consent by households 2/4 = 0.5000 < 3/4"}
		cases := []struct {
			f      ResolutionFacts
			detail string
		}{
			{ResolutionFacts{}, "no renovation resolution"},
			{ResolutionFacts{SurveyID: "s1", Found: true}, "s1 is not a renovation resolution of this compound"},
			{ResolutionFacts{SurveyID: "s1", Found: true, CompoundOK: true}, "s1 is still open"},
			{ResolutionFacts{SurveyID: "s1", Found: true, CompoundOK: true, Closed: true, Figures: figures}, "s1 did not pass: " + figures[0] + "; " + figures[1]},
		}
		for _, tc := range cases {
			fs := CheckResolution(tc.f)
			if len(fs) != 1 || fs[0].Guard != "RESOLUTION_PASSED" || !strings.Contains(fs[0].Detail, tc.detail) {
				t.Errorf("%+v: %+v, want detail %q", tc.f, fs, tc.detail)
			}
		}
		if fs := CheckResolution(ResolutionFacts{SurveyID: "s1", Found: true, CompoundOK: true, Closed: true, Passed: true}); fs != nil {
			t.Errorf("passed resolution fails: %v", fs)
		}
	})
	t.Run("funding", func(t *testing.T) {
		fs := CheckFunding(60_000_000, FundingFacts{Found: true, CommittedFen: 45_000_050})
		if len(fs) != 1 || fs[0].Guard != "FUNDING_COVERED" || fs[0].Detail != "committed 450000.50 < budget 600000.00 yuan, short by 149999.50" {
			t.Errorf("short funding: %+v", fs)
		}
		if fs := CheckFunding(60_000_000, FundingFacts{}); len(fs) != 1 || !strings.Contains(fs[0].Detail, "no funding plan") {
			t.Errorf("no plan: %+v", fs)
		}
		for _, committed := range []int64{60_000_000, 60_000_001} {
			if fs := CheckFunding(60_000_000, FundingFacts{Found: true, CommittedFen: committed}); fs != nil {
				t.Errorf("committed %d covers 60000000: %v", committed, fs)
			}
		}
	})
	t.Run("items", func(t *testing.T) {
		if fs := CheckItemsComplete(nil); len(fs) != 1 || fs[0].Guard != "ITEMS_COMPLETE" || !strings.Contains(fs[0].Detail, "no work items") {
			t.Errorf("no items: %+v", fs)
		}
		items := []Item{{ID: "road", ProgressPercent: 100}, {ID: "drain", ProgressPercent: 40}, {ID: "lights", ProgressPercent: 99}}
		fs := CheckItemsComplete(items)
		if len(fs) != 1 || fs[0].Detail != "1 of 3 items complete; open: drain at 40%, lights at 99%" {
			t.Errorf("open items: %+v", fs)
		}
		items[1].ProgressPercent, items[2].ProgressPercent = 100, 100
		if fs := CheckItemsComplete(items); fs != nil {
			t.Errorf("complete items: %v", fs)
		}
	})
}

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 108_400: "1084.00", 60_000_000: "600000.00", -150: "-1.50", -5: "-0.05"} {
		if got := Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

func TestMadeByFindsTheRequestInTheHistory(t *testing.T) {
	p := projectIn(Proposed)
	if p.MadeBy("") || p.MadeBy("r1") {
		t.Error("a new project was moved by a request")
	}
	p, _ = Apply(p, Approve, nil, "x", "", "r1", time.Time{}, t0)
	p, _ = Apply(p, Suspend, nil, "x", "flood", "r2", time.Time{}, t0)
	p, _ = Apply(p, Resume, nil, "x", "", "r3", time.Time{}, t0)
	for _, id := range []string{"r1", "r2", "r3"} {
		if !p.MadeBy(id) {
			t.Errorf("history lost request %s: %+v", id, p.History)
		}
	}
	if p.MadeBy("r4") || p.MadeBy("") {
		t.Error("MadeBy found a request that made nothing")
	}
}

// Rule 15: a move entered after the fact carries when it happened beside when it was
// entered; it may not lie in the future nor before the move it follows.
func TestApplyAfterTheFact(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	drawn := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	p, err := NewProject(Project{CompoundID: "c", Title: "石羊路21号院改造", Year: 2021}, "区住建局", drawn, now)
	if err != nil || !p.History[0].Time.Equal(drawn) || !p.History[0].RecordTime.Equal(now) {
		t.Fatalf("a 2021 plan entered now: %+v, %v", p.History, err)
	}
	approved := time.Date(2021, 4, 10, 0, 0, 0, 0, time.UTC)
	q, err := Apply(p, Approve, nil, "x", "", "", approved, now)
	if err != nil || !q.Since().Equal(approved) || !q.History[1].RecordTime.Equal(now) {
		t.Fatalf("approved in 2021, entered now: %+v, %v", q.History, err)
	}
	for _, c := range []struct {
		name string
		at   time.Time
	}{
		{"in the future", now.Add(time.Hour)},
		{"before the move it follows", drawn.Add(-time.Hour)},
	} {
		_, err := Apply(p, Approve, nil, "x", "", "", c.at, now)
		found := false
		for _, v := range fault.ViolationsOf(err) {
			found = found || v.Field == "effectiveTime"
		}
		if !found {
			t.Errorf("%s: %v, want a violation on effectiveTime", c.name, err)
		}
	}
	if _, err := Apply(p, Approve, nil, "x", "", "", now.Add(30*time.Second), now); err != nil {
		t.Errorf("half a minute ahead (clocks differ a little): %v", err)
	}
}
