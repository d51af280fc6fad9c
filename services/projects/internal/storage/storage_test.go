package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/events"
	"tongdu/platform/fault"
	"tongdu/platform/idempotency"
	"tongdu/platform/ids"
	"tongdu/platform/paging"
	"tongdu/platform/testkit"
	"tongdu/services/projects/internal/works"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var (
	bg = context.Background()
	t0 = time.Date(2021, 5, 10, 9, 0, 0, 0, time.UTC)
)

// newStore is a store whose outbox no relay drains: the events its writes make stay in
// the outbox, where the tests read them.
func newStore(t *testing.T, rdb redis.UniversalClient) *Store {
	return New(rdb, events.NewOutbox(rdb, slog.New(slog.NewTextHandler(io.Discard, nil))))
}

func newProject(t *testing.T, s *Store, compound string, year int) works.Project {
	t.Helper()
	p, err := works.NewProject(works.Project{ID: ids.New(), CompoundID: compound, Title: "改造", Year: year, BudgetFen: 60_000_000}, "planner", time.Time{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateProject(bg, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetProject(bg, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return *got
}

func TestProjectRoundTripsAndStartsAtRevisionOne(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	if err := s.Ping(bg); err != nil {
		t.Fatal(err)
	}
	p := newProject(t, s, "c1", 2021)
	if p.Revision != 1 || p.Etag() != "r1" || p.Status != works.Proposed || p.CompoundID != "c1" || p.Year != 2021 || p.BudgetFen != 60_000_000 ||
		len(p.History) != 1 || p.History[0].Actor != "planner" || !p.History[0].Time.Equal(t0) || !p.CreateTime.Equal(t0) {
		t.Fatalf("stored project %+v", p)
	}
	if _, err := s.GetProject(bg, "nope"); !errors.Is(err, works.ErrNotFound) {
		t.Fatalf("missing project: %v", err)
	}
}

// One plan per compound per round: a second live plan for the same compound and year is
// refused; other years and other compounds are free; a released plan frees the round.
func TestOnePlanPerCompoundAndYear(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	a := newProject(t, s, "c1", 2021)
	dup, _ := works.NewProject(works.Project{ID: ids.New(), CompoundID: "c1", Title: "again", Year: 2021}, "x", time.Time{}, t0)
	if err := s.CreateProject(bg, dup); !errors.Is(err, works.ErrAlreadyExists) {
		t.Fatalf("second plan for c1/2021: %v", err)
	}
	if _, err := s.GetProject(bg, dup.ID); !errors.Is(err, works.ErrNotFound) {
		t.Fatalf("the refused plan was stored: %v", err)
	}
	newProject(t, s, "c1", 2022)
	newProject(t, s, "c2", 2021)

	// Only the holder releases its round.
	if err := s.ReleasePlan(bg, dup); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateProject(bg, dup); !errors.Is(err, works.ErrAlreadyExists) {
		t.Fatalf("a project that does not hold the round released it: %v", err)
	}
	if err := s.ReleasePlan(bg, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateProject(bg, dup); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

// Creating the same project again (a retried request with the same id) is not refused
// and does not overwrite it.
func TestCreateProjectAgainKeepsTheFirst(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	p := newProject(t, s, "c1", 2021)
	p.Status = works.Approved
	if _, err := s.UpdateProject(bg, p); err != nil {
		t.Fatal(err)
	}
	again := p
	again.Status, again.Title = works.Proposed, "other"
	if err := s.CreateProject(bg, again); err != nil {
		t.Fatalf("retried create: %v", err)
	}
	got, _ := s.GetProject(bg, p.ID)
	if got.Status != works.Approved || got.Title != "改造" || got.Revision != 2 {
		t.Fatalf("retried create overwrote the project: %+v", got)
	}
	list, _, err := s.ListProjects(bg, "c1", func(*works.Project) bool { return true }, "", 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("list after retried create: %v %v", list, err)
	}
}

// A claim left by a create that never wrote its project (a crash in between) does not hold
// the round.
func TestAClaimWithoutItsProjectDoesNotHoldTheRound(t *testing.T) {
	rdb := testkit.Redis(t)
	s := newStore(t, rdb)
	if err := rdb.HSet(bg, plansKey(), "c1|2021", "ghost").Err(); err != nil {
		t.Fatal(err)
	}
	p := newProject(t, s, "c1", 2021)
	if holder, _ := rdb.HGet(bg, plansKey(), "c1|2021").Result(); holder != p.ID {
		t.Fatalf("round held by %q, want %s", holder, p.ID)
	}
}

// transitions.go (CancelProject) relies on this: "Failing here [ReleasePlan] leaves the
// claim held by a cancelled project, which CreateProject looks through." A cancelled
// project must not hold its round.
func TestACancelledHolderDoesNotHoldTheRound(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	a := newProject(t, s, "c1", 2021)
	a.Status = works.Cancelled // cancelled, but ReleasePlan did not run (Redis hiccup)
	if _, err := s.UpdateProject(bg, a); err != nil {
		t.Fatal(err)
	}
	b, _ := works.NewProject(works.Project{ID: ids.New(), CompoundID: "c1", Title: "new round", Year: 2021}, "x", time.Time{}, t0)
	if err := s.CreateProject(bg, b); err != nil {
		t.Fatalf("BUG: a plan held by cancelled project %s blocks the round for ever: %v", a.ID, err)
	}
}

func TestUpdateProjectChecksTheRevision(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	p := newProject(t, s, "c1", 2021)
	p.Title = "first"
	if _, err := s.UpdateProject(bg, p); err != nil {
		t.Fatal(err)
	}
	stale := p
	stale.Title = "lost update"
	if _, err := s.UpdateProject(bg, stale); !errors.Is(err, works.ErrConflict) {
		t.Fatalf("stale write: %v", err)
	}
	got, _ := s.GetProject(bg, p.ID)
	if got.Title != "first" || got.Revision != 2 {
		t.Fatalf("after a refused stale write: %+v", got)
	}
	missing := p
	missing.ID = "nope"
	if _, err := s.UpdateProject(bg, missing); !errors.Is(err, works.ErrNotFound) {
		t.Fatalf("update of a missing project: %v", err)
	}
	if _, err := s.GetProject(bg, "nope"); !errors.Is(err, works.ErrNotFound) {
		t.Fatalf("update created a project: %v", err)
	}
}

// A change and its event are one step (issue 16): a write that lands leaves its event in
// the project's outbox, in the record's hash slot; a stale write, refused, leaves
// neither its change nor its event.
func TestAProjectsEventIsWrittenOnlyWithItsChange(t *testing.T) {
	rdb := testkit.Redis(t)
	s := newStore(t, rdb)
	p := newProject(t, s, "c1", 2021)
	outbox := events.OutboxKey(projectKey(p.ID))
	moved := p
	moved.Status = works.Approved
	if _, err := s.UpdateProject(bg, moved, events.Event("topic", map[string]string{"status": "APPROVED"})); err != nil {
		t.Fatal(err)
	}
	stale := p
	stale.Status = works.Cancelled
	if _, err := s.UpdateProject(bg, stale, events.Event("topic", map[string]string{"status": "CANCELLED"})); !errors.Is(err, works.ErrConflict) {
		t.Fatalf("stale write: %v", err)
	}
	missing := p
	missing.ID = "nope"
	if _, err := s.UpdateProject(bg, missing, events.Event("topic", map[string]string{"status": "GHOST"})); !errors.Is(err, works.ErrNotFound) {
		t.Fatalf("write of a missing project: %v", err)
	}
	got, _ := s.GetProject(bg, p.ID)
	evs, err := rdb.LRange(bg, outbox, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != works.Approved || len(evs) != 1 || !strings.Contains(evs[0], `"status":"APPROVED"`) {
		t.Fatalf("stored %s, outbox %q: want the one change that happened and its event", got.Status, evs)
	}
	if n := rdb.LLen(bg, events.OutboxKey(projectKey("nope"))).Val(); n != 0 {
		t.Fatalf("a missing project's outbox holds %d events", n)
	}
	// A write that calls for no event leaves the outbox alone.
	got.Title = "renamed"
	if _, err := s.UpdateProject(bg, *got); err != nil {
		t.Fatal(err)
	}
	if n := rdb.LLen(bg, outbox).Val(); n != 1 {
		t.Fatalf("outbox holds %d events after a write without one, want 1", n)
	}
}

// Of concurrent writes from one read, exactly one lands.
func TestConcurrentWritesFromOneReadOnlyOneWins(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	p := newProject(t, s, "c1", 2021)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := p
			next.Title = fmt.Sprint("writer ", i)
			_, errs[i] = s.UpdateProject(bg, next)
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("writers %d and %d both won", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, works.ErrConflict):
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	got, _ := s.GetProject(bg, p.ID)
	if won < 0 || got.Title != fmt.Sprint("writer ", won) || got.Revision != 2 {
		t.Fatalf("winner %d, stored %+v", won, got)
	}
}

func TestListProjectsPagesAndFilters(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	var all, c1 []string
	for i := range 7 {
		cid := []string{"c1", "c2"}[i%2]
		p := newProject(t, s, cid, 2001+i)
		all = append(all, p.ID)
		if cid == "c1" {
			c1 = append(c1, p.ID)
		}
	}
	page := func(cid string, match func(*works.Project) bool, size int) ([]string, []int) {
		var got []string
		var sizes []int
		token := ""
		for range 100 {
			ps, next, err := s.ListProjects(bg, cid, match, token, size)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(ps))
			for _, p := range ps {
				got = append(got, p.ID)
			}
			if next == "" {
				return got, sizes
			}
			token = next
		}
		t.Fatal("paging does not end")
		return nil, nil
	}
	every := func(*works.Project) bool { return true }
	for _, size := range []int{1, 2, 3, 7, 50} {
		if got, _ := page("", every, size); !slices.Equal(got, all) {
			t.Fatalf("size %d: %v, want %v", size, got, all)
		}
		if got, _ := page("c1", every, size); !slices.Equal(got, c1) {
			t.Fatalf("c1 size %d: %v, want %v", size, got, c1)
		}
	}
	if _, sizes := page("", every, 7); !slices.Equal(sizes, []int{7}) {
		t.Fatalf("a full last page offers another: %v", sizes)
	}
	odd := func(p *works.Project) bool { return p.Year%2 == 1 }
	got, _ := page("", odd, 2)
	want := []string{all[0], all[2], all[4], all[6]}
	if !slices.Equal(got, want) {
		t.Fatalf("filtered %v, want %v", got, want)
	}
	if _, _, err := s.ListProjects(bg, "", every, "!!not-a-token", 2); !fault.IsKind(err, fault.Invalid) {
		t.Fatalf("bad token: %v", err)
	}
	if ps, next, err := s.ListProjects(bg, "none", every, "", 5); err != nil || len(ps) != 0 || next != "" {
		t.Fatalf("empty compound: %v %q %v", ps, next, err)
	}
}

func newItem(projectID string, n int) works.Item {
	return works.Item{ID: ids.New(), ProjectID: projectID, Category: works.Basic, Kind: 3, Quantity: float64(n), Unit: "m2", Difficulty: works.Easy, CreateTime: t0, UpdateTime: t0}
}

func TestItems(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	p := newProject(t, s, "c1", 2021)
	if err := s.CreateItem(bg, newItem("nope", 1)); !errors.Is(err, works.ErrNotFound) {
		t.Fatalf("item of a missing project: %v", err)
	}
	var want []string
	for i := range 5 {
		it := newItem(p.ID, i+1)
		if err := s.CreateItem(bg, it); err != nil {
			t.Fatal(err)
		}
		want = append(want, it.ID)
	}
	items, err := s.Items(bg, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(itemIDs(items), want) {
		t.Fatalf("items %v, want %v in registration order", itemIDs(items), want)
	}
	for _, it := range items {
		if it.Revision != 1 || it.ProjectID != p.ID {
			t.Fatalf("item %+v", it)
		}
	}

	// Creating an item again keeps the first.
	again := items[0]
	again.Quantity = 999
	if err := s.CreateItem(bg, again); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetItem(bg, p.ID, again.ID); got.Quantity != 1 || got.Revision != 1 {
		t.Fatalf("create again overwrote the item: %+v", got)
	}
	if _, err := s.GetItem(bg, p.ID, "nope"); !errors.Is(err, works.ErrNotFound) {
		t.Fatalf("missing item: %v", err)
	}
	if _, err := s.GetItem(bg, "other", want[0]); !errors.Is(err, works.ErrNotFound) {
		t.Fatalf("item of another project: %v", err)
	}
	if items, err := s.Items(bg, "nope"); err != nil || len(items) != 0 {
		t.Fatalf("items of a missing project: %v %v", items, err)
	}
}

// A progress report and the item it moves are written together, only if the item is
// still at the revision read.
func TestUpdateItemWithItsReport(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	p := newProject(t, s, "c1", 2021)
	it := newItem(p.ID, 968)
	if err := s.CreateItem(bg, it); err != nil {
		t.Fatal(err)
	}
	cur, _ := s.GetItem(bg, p.ID, it.ID)
	next, _ := works.Progress(*cur, 60, t0)
	r := works.ProgressReport{ID: ids.New(), ProjectID: p.ID, ItemID: it.ID, ProgressPercent: 60, Contractor: "川建", ReportTime: t0}
	if err := s.UpdateItem(bg, next, &r); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetItem(bg, p.ID, it.ID)
	if got.ProgressPercent != 60 || got.Revision != 2 {
		t.Fatalf("item %+v", got)
	}

	// From the stale read: refused, and its report is not kept.
	stale, _ := works.Progress(*cur, 100, t0)
	r2 := works.ProgressReport{ID: ids.New(), ProjectID: p.ID, ItemID: it.ID, ProgressPercent: 100, Contractor: "川建", ReportTime: t0}
	if err := s.UpdateItem(bg, stale, &r2); !errors.Is(err, works.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	reports, next2, err := ListReports(bg, s, p.ID, "progress", func(*works.ProgressReport) bool { return true }, "", 10)
	if err != nil || next2 != "" || len(reports) != 1 || reports[0].ID != r.ID || reports[0].ProgressPercent != 60 {
		t.Fatalf("reports %+v %q %v", reports, next2, err)
	}
	if got, _ := s.GetItem(bg, p.ID, it.ID); got.ProgressPercent != 60 {
		t.Fatalf("stale update landed: %+v", got)
	}

	// A plain edit has no report.
	got.Description = "edited"
	if err := s.UpdateItem(bg, *got, nil); err != nil {
		t.Fatal(err)
	}
	if reports, _, _ := ListReports(bg, s, p.ID, "progress", func(*works.ProgressReport) bool { return true }, "", 10); len(reports) != 1 {
		t.Fatalf("a plain edit added a report: %+v", reports)
	}
	missing := *got
	missing.ID = "nope"
	if err := s.UpdateItem(bg, missing, nil); !errors.Is(err, works.ErrNotFound) {
		t.Fatalf("update of a missing item: %v", err)
	}
}

func TestSupervisionReportsPage(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	p := newProject(t, s, "c1", 2021)
	var want []string
	for i := range 5 {
		r := works.SupervisionReport{ID: ids.New(), ProjectID: p.ID, HouseholdID: fmt.Sprint("h", i%2), Text: "水泥没干就踩了", ReportTime: t0}
		if err := s.AddSupervisionReport(bg, r); err != nil {
			t.Fatal(err)
		}
		want = append(want, r.ID)
	}
	var got []string
	token := ""
	for {
		rs, next, err := ListReports(bg, s, p.ID, "supervision", func(*works.SupervisionReport) bool { return true }, token, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			got = append(got, r.ID)
		}
		if next == "" {
			break
		}
		token = next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("reports %v, want %v", got, want)
	}
	h1, _, err := ListReports(bg, s, p.ID, "supervision", func(r *works.SupervisionReport) bool { return r.HouseholdID == "h1" }, "", 10)
	if err != nil || len(h1) != 2 || h1[0].ID != want[1] || h1[1].ID != want[3] {
		t.Fatalf("h1's reports %+v %v", h1, err)
	}
}

func TestLatestSignoffOfEachRole(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	p := newProject(t, s, "c1", 2021)
	if latest, err := s.LatestSignoffs(bg, p.ID); err != nil || len(latest) != 0 {
		t.Fatalf("no sign-offs: %v %v", latest, err)
	}
	add := func(r works.Role, v works.Verdict, signer string) {
		if _, _, err := s.AddSignoff(bg, works.Signoff{ID: ids.New(), ProjectID: p.ID, Role: r, Verdict: v, Signer: signer, SignTime: t0}); err != nil {
			t.Fatal(err)
		}
	}
	add(works.Supervisor, works.Fail, "张工")
	add(works.Builder, works.Pass, "住建局")
	add(works.Supervisor, works.Pass, "张工")
	latest, err := s.LatestSignoffs(bg, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 2 || latest[works.Supervisor].Verdict != works.Pass || latest[works.Builder].Signer != "住建局" {
		t.Fatalf("latest %+v", latest)
	}
	if n, _ := s.rdb.LLen(bg, signoffLogKey(p.ID)).Result(); n != 3 {
		t.Fatalf("sign-off log holds %d, want every one of 3", n)
	}
}

func TestClaimRequest(t *testing.T) {
	s := newStore(t, testkit.Redis(t))
	first := idempotency.Claim{Hash: "h1", IDs: []string{"a"}}
	c, isNew, err := s.ClaimRequest(bg, "CreateProject", "r1", first)
	if err != nil || !isNew || c.Hash != "h1" {
		t.Fatalf("first claim %v %v %v", c, isNew, err)
	}
	c, isNew, err = s.ClaimRequest(bg, "CreateProject", "r1", idempotency.Claim{Hash: "h2", IDs: []string{"b"}})
	if err != nil || isNew || c.Hash != "h1" || !slices.Equal(c.IDs, []string{"a"}) {
		t.Fatalf("second claim %v %v %v", c, isNew, err)
	}
	// Request ids are per method.
	if _, isNew, _ := s.ClaimRequest(bg, "CreateWorkItem", "r1", first); !isNew {
		t.Fatal("a request id of one method holds another's")
	}
}

// The store's page tokens are platform/paging's.
func TestPageTokens(t *testing.T) {
	if paging.EncodeToken("") != "" {
		t.Fatal("empty token")
	}
	for _, id := range []string{"01hx", "a|b", "项目"} {
		got, err := paging.DecodeToken(paging.EncodeToken(id))
		if err != nil || got != id {
			t.Fatalf("round trip %q: %q %v", id, got, err)
		}
	}
	for _, bad := range []string{"!!", "a b", "="} {
		_, err := paging.DecodeToken(bad)
		if vs := fault.ViolationsOf(err); len(vs) == 0 || vs[0].Field != "pageToken" {
			t.Fatalf("token %q: %v", bad, err)
		}
	}
}

func itemIDs(items []works.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}
