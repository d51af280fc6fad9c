package storage

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"tongdu/platform/fault"
	"tongdu/platform/ids"
	"tongdu/platform/paging"
	"tongdu/services/governance/internal/registry"
)

var whistleLimits = registry.WhistleLimits{
	UrgentAcknowledge: 2 * time.Hour, UrgentResolve: 24 * time.Hour,
	NormalAcknowledge: 24 * time.Hour, NormalResolve: 72 * time.Hour,
}

// departments registers departments by id.
func departments(t *testing.T, s *Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.CreateDepartment(context.Background(), registry.Department{ID: id, Name: id, CreateTime: t0}, "claim-"+id); err != nil {
			t.Fatal(err)
		}
	}
}

// raiseIn stores a new whistle of compound cid raised at when.
func raiseIn(t *testing.T, s *Store, cid string, p registry.Priority, when time.Time, depts ...string) registry.Whistle {
	t.Helper()
	exist := map[string]bool{}
	for _, d := range depts {
		exist[d] = true
	}
	w, err := registry.NewWhistle(registry.Whistle{CompoundID: cid, Category: "DRAINAGE", Description: "x", DepartmentIDs: depts, Priority: p}, exist, nil, whistleLimits, when)
	if err != nil {
		t.Fatal(err)
	}
	w.ID = ids.New()
	if err := s.CreateWhistle(context.Background(), w, registry.WhistleChangeOf(nil, &w)); err != nil {
		t.Fatal(err)
	}
	return *mustWhistle(t, s, w.ID)
}

func mustWhistle(t *testing.T, s *Store, id string) *registry.Whistle {
	t.Helper()
	w, err := s.GetWhistle(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// change applies edit to the stored whistle and writes it with its change.
func change(t *testing.T, s *Store, id string, edit func(registry.Whistle) (registry.Whistle, bool, error)) registry.Whistle {
	t.Helper()
	cur := mustWhistle(t, s, id)
	next, _, err := edit(*cur)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateWhistle(context.Background(), cur.Status, next, registry.WhistleChangeOf(cur, &next)); err != nil {
		t.Fatal(err)
	}
	return *mustWhistle(t, s, id)
}

func tallyOf(t *testing.T, s *Store, id string, now time.Time) (registry.DepartmentTally, int64) {
	t.Helper()
	tl, past, err := s.DepartmentTally(context.Background(), id, now)
	if err != nil {
		t.Fatal(err)
	}
	return tl, past
}

func TestDepartmentIDsAreTakenOnceAndReplaysChangeNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	water := registry.Department{ID: "water", Name: "水务局", CreateTime: t0}
	if err := s.CreateDepartment(ctx, water, "req-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDepartment(ctx, water, "req-1"); err != nil {
		t.Fatalf("a replay of the same create: %v", err)
	}
	other := water
	other.Name = "另一个水务局"
	if err := s.CreateDepartment(ctx, other, "req-2"); !errors.Is(err, registry.ErrAlreadyExists) {
		t.Fatalf("a taken id: %v", err)
	}
	if got, _ := s.GetDepartment(ctx, "water"); got.Name != "水务局" {
		t.Fatalf("the first department was overwritten: %+v", got)
	}
	departments(t, s, "housing", "power")
	ds, next, err := s.ListDepartments(ctx, "", 2)
	if err != nil || next == "" || len(ds) != 2 || ds[0].ID != "housing" || ds[1].ID != "power" {
		t.Fatalf("first page %v %q %v", ds, next, err)
	}
	ds, next, _ = s.ListDepartments(ctx, next, 2)
	if len(ds) != 1 || ds[0].ID != "water" || next != "" {
		t.Fatalf("second page %v %q", ds, next)
	}
	exist, err := s.DepartmentsExist(ctx, []string{"water", "fire"})
	if err != nil || !exist["water"] || exist["fire"] {
		t.Fatalf("exist %v %v", exist, err)
	}
	if _, err := s.GetDepartment(ctx, "fire"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("an unknown department: %v", err)
	}
}

func TestWhistleChangesMoveRecordIndexesAndCountersTogether(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	departments(t, s, "water", "housing")
	w := raiseIn(t, s, c.ID, registry.Urgent, t0, "water", "housing")

	t.Run("a new whistle counts for both departments and is pending at its acknowledge limit", func(t *testing.T) {
		for _, d := range []string{"water", "housing"} {
			if tl, past := tallyOf(t, s, d, t0.Add(2*time.Hour)); tl.Whistles != 1 || past != 0 {
				t.Fatalf("%s at the limit: %+v, %d past", d, tl, past)
			}
			if _, past := tallyOf(t, s, d, t0.Add(2*time.Hour+time.Microsecond)); past != 1 {
				t.Fatalf("%s just past the limit: %d past", d, past)
			}
		}
	})
	t.Run("a replayed create changes nothing", func(t *testing.T) {
		replay := w
		replay.Description = "changed"
		if err := s.CreateWhistle(ctx, replay, registry.WhistleChangeOf(nil, &replay)); err != nil {
			t.Fatal(err)
		}
		if got := mustWhistle(t, s, w.ID); got.Description != "x" || got.Revision != 1 {
			t.Fatalf("after a replay: %+v", got)
		}
		if tl, _ := tallyOf(t, s, "water", t0); tl.Whistles != 1 {
			t.Fatalf("a replay counted the whistle again: %+v", tl)
		}
	})

	acked := change(t, s, w.ID, func(w registry.Whistle) (registry.Whistle, bool, error) {
		return registry.AcknowledgeWhistle(w, "water", "", t0.Add(time.Hour))
	})
	t.Run("an acknowledgement moves the counters and the pending deadline", func(t *testing.T) {
		tl, past := tallyOf(t, s, "water", t0.Add(3*time.Hour))
		want := registry.DepartmentTally{DepartmentID: "water", Whistles: 1, Acknowledged: 1, AcknowledgeMicros: time.Hour.Microseconds()}
		if tl != want || past != 0 {
			t.Fatalf("water %+v, %d past; want %+v, 0 past", tl, past, want)
		}
		if _, past := tallyOf(t, s, "housing", t0.Add(3*time.Hour)); past != 1 {
			t.Fatalf("housing has not acknowledged: %d past", past)
		}
		if acked.Revision != 2 || acked.Status != registry.WhistleOpen {
			t.Fatalf("after one of two acknowledgements: %+v", acked)
		}
	})
	t.Run("a write on a stale revision is a conflict and moves nothing", func(t *testing.T) {
		stale := w // revision 1
		next, _, _ := registry.AcknowledgeWhistle(stale, "housing", "", t0.Add(time.Hour))
		_, err := s.UpdateWhistle(ctx, stale.Status, next, registry.WhistleChangeOf(&stale, &next))
		if !errors.Is(err, registry.ErrConflict) {
			t.Fatalf("stale write: %v", err)
		}
		if tl, _ := tallyOf(t, s, "housing", t0); tl.Acknowledged != 0 {
			t.Fatalf("a refused write moved the counters: %+v", tl)
		}
	})
	t.Run("an unknown whistle is not found", func(t *testing.T) {
		ghost := w
		ghost.ID = "nope"
		if _, err := s.UpdateWhistle(ctx, ghost.Status, ghost, registry.WhistleChange{}); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("update: %v", err)
		}
		if _, err := s.GetWhistle(ctx, "nope"); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("get: %v", err)
		}
	})
	t.Run("the status index follows the status", func(t *testing.T) {
		done := change(t, s, w.ID, func(w registry.Whistle) (registry.Whistle, bool, error) {
			return ackAndResolve(w, "housing", t0.Add(90*time.Minute))
		})
		done = change(t, s, w.ID, func(w registry.Whistle) (registry.Whistle, bool, error) {
			return ackAndResolve(w, "water", t0.Add(2*time.Hour))
		})
		if done.Status != registry.WhistleResolved {
			t.Fatalf("status %s", done.Status)
		}
		for st, want := range map[registry.WhistleStatus]int64{registry.WhistleOpen: 0, registry.WhistleResolved: 1} {
			if n := s.rdb.ZCard(ctx, whistleStatusKey(st)).Val(); n != want {
				t.Fatalf("%s index holds %d, want %d", st, n, want)
			}
		}
		// Done in time by both: nothing is pending and the whistle leaves the overdue index.
		if n := s.rdb.ZCard(ctx, overdueAtKey()).Val(); n != 0 {
			t.Fatalf("the overdue index holds %d", n)
		}
		for _, d := range []string{"water", "housing"} {
			if n := s.rdb.ZCard(ctx, departmentPendingKey(d)).Val(); n != 0 {
				t.Fatalf("%s has %d pending", d, n)
			}
		}
	})
}

func TestListWhistlesByIndexAndFilter(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c1 := compound(t, s, tr, tr.communityA, nil)
	c2 := compound(t, s, tr, tr.communityB, nil)
	departments(t, s, "water", "housing")
	// Deadlines (acknowledge): a 2 h, b 26 h, c 3 h, d 24 h + 30 min; e is resolved in time.
	a := raiseIn(t, s, c1.ID, registry.Urgent, t0, "water")
	b := raiseIn(t, s, c1.ID, registry.Normal, t0.Add(2*time.Hour), "water", "housing")
	cc := raiseIn(t, s, c2.ID, registry.Urgent, t0.Add(time.Hour), "housing")
	d := raiseIn(t, s, c2.ID, registry.Normal, t0.Add(30*time.Minute), "water")
	e := raiseIn(t, s, c2.ID, registry.Urgent, t0, "water")
	change(t, s, e.ID, func(w registry.Whistle) (registry.Whistle, bool, error) {
		return ackAndResolve(w, "water", t0.Add(time.Minute))
	})
	all := func(f WhistleFilter, now time.Time, size int) []string {
		t.Helper()
		var out []string
		token := ""
		for pages := 0; pages < 100; pages++ {
			ws, next, err := s.ListWhistles(ctx, f, now, func(*registry.Whistle) bool { return true }, token, size)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range ws {
				out = append(out, w.ID)
			}
			if next == "" {
				return out
			}
			token = next
		}
		t.Fatal("paging does not end")
		return nil
	}
	same := func(t *testing.T, got []string, want ...registry.Whistle) {
		t.Helper()
		ids := make([]string, len(want))
		for i := range want {
			ids[i] = want[i].ID
		}
		if !reflect.DeepEqual(got, ids) && !(len(got) == 0 && len(ids) == 0) {
			t.Fatalf("listed %v, want %v", got, ids)
		}
	}

	t.Run("all whistles in creation order", func(t *testing.T) {
		same(t, all(WhistleFilter{}, t0, 2), a, b, cc, d, e)
	})
	t.Run("overdue now, longest overdue first, read by score in pages of one", func(t *testing.T) {
		same(t, all(WhistleFilter{Overdue: true}, t0.Add(time.Hour), 1))
		same(t, all(WhistleFilter{Overdue: true}, t0.Add(2*time.Hour), 1))
		same(t, all(WhistleFilter{Overdue: true}, t0.Add(2*time.Hour+time.Microsecond), 1), a)
		same(t, all(WhistleFilter{Overdue: true}, t0.Add(25*time.Hour), 1), a, cc, d)
		same(t, all(WhistleFilter{Overdue: true}, t0.Add(100*time.Hour), 1), a, cc, d, b)
		same(t, all(WhistleFilter{Overdue: true}, t0.Add(100*time.Hour), 10), a, cc, d, b)
	})
	t.Run("the narrowest index, then the match function", func(t *testing.T) {
		same(t, all(WhistleFilter{CompoundID: c2.ID}, t0, 1), cc, d, e)
		same(t, all(WhistleFilter{DepartmentID: "housing"}, t0, 1), b, cc)
		same(t, all(WhistleFilter{Status: registry.WhistleResolved}, t0, 1), e)
		same(t, all(WhistleFilter{Status: registry.WhistleOpen}, t0, 3), a, b, cc, d)
		// A selective match reads on through the index until the page is full.
		onlyD := func(w *registry.Whistle) bool { return w.ID == d.ID || w.ID == e.ID }
		ws, next, err := s.ListWhistles(ctx, WhistleFilter{}, t0, onlyD, "", 1)
		if err != nil || len(ws) != 1 || ws[0].ID != d.ID || next == "" {
			t.Fatalf("first match %v %q %v", ws, next, err)
		}
		ws, next, _ = s.ListWhistles(ctx, WhistleFilter{}, t0, onlyD, next, 1)
		if len(ws) != 1 || ws[0].ID != e.ID || next != "" {
			t.Fatalf("second match %v %q", ws, next)
		}
	})
	t.Run("a forged token of the overdue list is refused", func(t *testing.T) {
		_, _, err := s.ListWhistles(ctx, WhistleFilter{Overdue: true}, t0, func(*registry.Whistle) bool { return true }, paging.EncodeToken("no-score"), 1)
		if !fault.IsKind(err, fault.Invalid) {
			t.Fatalf("forged token: %v", err)
		}
	})
	// Last, because it starts from an empty store of its own.
	t.Run("whistles sharing an overdue instant page by id", func(t *testing.T) {
		s := newStore(t)
		tr := newTree(t, s)
		c := compound(t, s, tr, tr.communityA, nil)
		departments(t, s, "water")
		var want []registry.Whistle
		for i := 0; i < 5; i++ {
			want = append(want, raiseIn(t, s, c.ID, registry.Urgent, t0, "water"))
		}
		var got []string
		token := ""
		for {
			ws, next, err := s.ListWhistles(ctx, WhistleFilter{Overdue: true}, t0.Add(3*time.Hour), func(*registry.Whistle) bool { return true }, token, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range ws {
				got = append(got, w.ID)
			}
			if next == "" {
				break
			}
			token = next
		}
		same(t, got, want...)
	})
}

// The overdue index and the pending sets compare whole microseconds against a clock that
// has nanoseconds: a deadline has passed exactly when it lies strictly before now.
func TestBeforeIsTheLastMicrosecondStrictlyBeforeNow(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	tests := []struct {
		now  time.Time
		want int64
	}{
		{base, base.UnixMicro() - 1},
		{base.Add(time.Nanosecond), base.UnixMicro()},
		{base.Add(999 * time.Nanosecond), base.UnixMicro()},
		{base.Add(time.Microsecond), base.UnixMicro()},
		{base.Add(time.Microsecond + time.Nanosecond), base.UnixMicro() + 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.now.Sub(base)), func(t *testing.T) {
			if got := before(tt.now); got != tt.want {
				t.Fatalf("before(base+%v) = %d, want %d", tt.now.Sub(base), got, tt.want)
			}
		})
	}
}

// ackAndResolve acknowledges (when the department has not yet) and resolves at the same
// instant: rule 11 lets a department resolve only what it has acknowledged.
func ackAndResolve(w registry.Whistle, department string, at time.Time) (registry.Whistle, bool, error) {
	acked, ackChanged, err := registry.AcknowledgeWhistle(w, department, "", at)
	if err != nil {
		return registry.Whistle{}, false, err
	}
	next, changed, err := registry.ResolveWhistle(acked, department, "", at)
	return next, changed || ackChanged, err
}

// A report sits in its household's index and in no department's, with no counters and
// no overdue instant; its triage puts it in the called departments' indexes and counts
// it there, in the same step as the record.
func TestReportedWhistleJoinsDepartmentsAtItsTriage(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c1 := compound(t, s, tr, tr.communityA, nil)
	departments(t, s, "water")
	w, err := registry.NewReportedWhistle(registry.Whistle{CompoundID: c1.ID, Category: "ROAD", Description: "x"}, "households/h1", t0)
	if err != nil {
		t.Fatal(err)
	}
	w.ID = ids.New()
	if err := s.CreateWhistle(ctx, w, registry.WhistleChangeOf(nil, &w)); err != nil {
		t.Fatal(err)
	}
	list := func(f WhistleFilter) []string {
		t.Helper()
		ws, _, err := s.ListWhistles(ctx, f, t0.Add(1000*time.Hour), func(*registry.Whistle) bool { return true }, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, w := range ws {
			out = append(out, w.ID)
		}
		return out
	}
	if got := list(WhistleFilter{HouseholdID: "h1"}); !reflect.DeepEqual(got, []string{w.ID}) {
		t.Fatalf("the household's whistles: %v", got)
	}
	if got := list(WhistleFilter{DepartmentID: "water"}); len(got) != 0 {
		t.Fatalf("water's whistles before the triage: %v", got)
	}
	if n, err := s.CountOverdue(ctx, t0.Add(1000*time.Hour)); err != nil || n != 0 {
		t.Fatalf("overdue before the triage: %d, %v", n, err)
	}
	triaged := t0.Add(10 * time.Hour)
	next := change(t, s, w.ID, func(w registry.Whistle) (registry.Whistle, bool, error) {
		return registry.TriageWhistle(w, []string{"water"}, registry.Urgent, "", map[string]bool{"water": true}, whistleLimits, triaged)
	})
	if next.Status != registry.WhistleOpen || !next.TriageTime.Equal(triaged) {
		t.Fatalf("stored %+v", next)
	}
	if got := list(WhistleFilter{DepartmentID: "water"}); !reflect.DeepEqual(got, []string{w.ID}) {
		t.Fatalf("water's whistles after the triage: %v", got)
	}
	if got := list(WhistleFilter{Status: registry.WhistleReported}); len(got) != 0 {
		t.Fatalf("still REPORTED: %v", got)
	}
	tally, pastDue := tallyOf(t, s, "water", triaged.Add(3*time.Hour))
	if tally.Whistles != 1 || pastDue != 1 {
		t.Fatalf("water's tally %+v, %d past due", tally, pastDue)
	}
}
