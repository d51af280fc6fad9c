package storage_test

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"tongdu/services/survey/internal/opinion"
)

func (f fixture) idea(t *testing.T, id, cid string) opinion.Idea {
	t.Helper()
	i := opinion.Idea{ID: id, CompoundID: cid, HouseholdID: "h0", Text: "idea " + id, Status: opinion.Submitted, CreateTime: t0}
	if err := f.store.CreateIdea(bg, i); err != nil {
		t.Fatal(err)
	}
	return i
}

func (f fixture) endorse(t *testing.T, i opinion.Idea, h string) int64 {
	t.Helper()
	got, err := f.store.EndorseIdea(bg, &i, h)
	if err != nil {
		t.Fatal(err)
	}
	return got.Endorsements
}

func TestEndorseIdeaOncePerHousehold(t *testing.T) {
	f := newFixture(t)
	i := f.idea(t, "i1", "c1")
	if n := f.endorse(t, i, "h1"); n != 1 {
		t.Fatalf("first endorsement: %d", n)
	}
	if n := f.endorse(t, i, "h1"); n != 1 {
		t.Fatalf("second endorsement by the same household counted: %d", n)
	}
	if n := f.endorse(t, i, "h2"); n != 2 {
		t.Fatalf("another household's endorsement: %d", n)
	}
	got, err := f.store.GetIdea(bg, "i1")
	if err != nil || got.Endorsements != 2 || got.Text != "idea i1" {
		t.Fatalf("idea %+v, %v", got, err)
	}
	missing := opinion.Idea{ID: "nope", CompoundID: "c1"}
	if _, err := f.store.EndorseIdea(bg, &missing, "h1"); !errors.Is(err, opinion.ErrNotFound) {
		t.Fatalf("missing idea: %v", err)
	}
	if _, err := f.store.GetIdea(bg, "nope"); !errors.Is(err, opinion.ErrNotFound) {
		t.Fatalf("missing idea: %v", err)
	}
}

func TestConcurrentEndorsementsCountEachHouseholdOnce(t *testing.T) {
	f := newFixture(t)
	i := f.idea(t, "i1", "c1")
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := 0; h < 50; h++ {
				if _, err := f.store.EndorseIdea(bg, &i, fmt.Sprintf("h%02d", h)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got, _ := f.store.GetIdea(bg, "i1")
	if got.Endorsements != 50 {
		t.Fatalf("%d endorsements from 50 households", got.Endorsements)
	}
}

func TestDecidedIdeaTakesNoEndorsementsAndStaysDecided(t *testing.T) {
	f := newFixture(t)
	i := f.idea(t, "i1", "c1")
	f.endorse(t, i, "h1")
	adopted, err := opinion.Decide(i, true, "into the plan", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.DecideIdea(bg, adopted); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.EndorseIdea(bg, &i, "h2"); !errors.Is(err, opinion.ErrWrongState) {
		t.Fatalf("endorsing an adopted idea: %v", err)
	}
	declined, _ := opinion.Decide(i, false, "too late", t0)
	if err := f.store.DecideIdea(bg, declined); !errors.Is(err, opinion.ErrWrongState) {
		t.Fatalf("deciding twice: %v", err)
	}
	got, _ := f.store.GetIdea(bg, "i1")
	if got.Status != opinion.Adopted || got.Endorsements != 1 {
		t.Fatalf("idea %+v", got)
	}
}

func ideaIDs(is []opinion.Idea) []string {
	out := make([]string, len(is))
	for k, i := range is {
		out[k] = fmt.Sprintf("%s:%d", i.ID, i.Endorsements)
	}
	return out
}

func TestListIdeasByEndorsementsThenAge(t *testing.T) {
	f := newFixture(t)
	ideas := map[string]opinion.Idea{}
	for _, id := range []string{"i1", "i2", "i3", "i4", "i5"} {
		ideas[id] = f.idea(t, id, "c1")
	}
	f.idea(t, "x1", "c2") // another compound's
	for id, n := range map[string]int{"i1": 0, "i2": 3, "i3": 1, "i4": 3, "i5": 2} {
		for h := 0; h < n; h++ {
			f.endorse(t, ideas[id], fmt.Sprintf("h%d", h))
		}
	}
	all := func(*opinion.Idea) bool { return true }

	var got []opinion.Idea
	token := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		page, next, err := f.store.ListIdeas(bg, "c1", true, all, token, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		token = next
	}
	want := []string{"i2:3", "i4:3", "i5:2", "i3:1", "i1:0"}
	if !reflect.DeepEqual(ideaIDs(got), want) {
		t.Fatalf("by endorsements %v, want %v", ideaIDs(got), want)
	}

	created, _, err := f.store.ListIdeas(bg, "c1", false, all, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"i1:0", "i2:3", "i3:1", "i4:3", "i5:2"}; !reflect.DeepEqual(ideaIDs(created), want) {
		t.Fatalf("in order of submission %v, want %v", ideaIDs(created), want)
	}

	popular, _, err := f.store.ListIdeas(bg, "c1", true, func(i *opinion.Idea) bool { return i.Endorsements >= 2 }, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"i2:3", "i4:3", "i5:2"}; !reflect.DeepEqual(ideaIDs(popular), want) {
		t.Fatalf("filtered %v, want %v", ideaIDs(popular), want)
	}
}

func TestMeetingClosesOnce(t *testing.T) {
	f := newFixture(t)
	m := opinion.Meeting{ID: "m1", CompoundID: "c1", Title: "院坝会", HeldAt: t0, State: opinion.MeetingOpen, CreateTime: t0}
	if err := f.store.CreateMeeting(bg, m); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateMeeting(bg, opinion.Meeting{ID: "m2", CompoundID: "c2", Title: "other", State: opinion.MeetingOpen}); err != nil {
		t.Fatal(err)
	}
	closed, err := opinion.CloseMeeting(m, []string{"h1"}, "minutes", []string{"paint"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.CloseMeeting(bg, closed); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CloseMeeting(bg, closed); !errors.Is(err, opinion.ErrWrongState) {
		t.Fatalf("closing twice: %v", err)
	}
	ghost := closed
	ghost.ID = "nope"
	if err := f.store.CloseMeeting(bg, ghost); !errors.Is(err, opinion.ErrNotFound) {
		t.Fatalf("closing a missing meeting: %v", err)
	}
	got, err := f.store.GetMeeting(bg, "m1")
	if err != nil || got.State != opinion.MeetingClosed || got.Minutes != "minutes" {
		t.Fatalf("meeting %+v, %v", got, err)
	}
	if _, err := f.store.GetMeeting(bg, "nope"); !errors.Is(err, opinion.ErrNotFound) {
		t.Fatalf("missing meeting: %v", err)
	}
	ms, _, err := f.store.ListMeetings(bg, "c1", func(*opinion.Meeting) bool { return true }, "", 10)
	if err != nil || len(ms) != 1 || ms[0].ID != "m1" {
		t.Fatalf("meetings of c1: %v, %v", ms, err)
	}
	all, _, err := f.store.ListMeetings(bg, "", func(*opinion.Meeting) bool { return true }, "", 10)
	if err != nil || len(all) != 2 {
		t.Fatalf("all meetings: %v, %v", all, err)
	}
}

func rank(id, name string, year int, score float64, regions ...string) opinion.RankedCompound {
	return opinion.RankedCompound{RankEntry: opinion.RankEntry{CompoundID: id, Name: name, BuildYear: year, Score: score, Status: opinion.Inventoried}, Regions: regions}
}

func rankIDs(es []opinion.RankEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.CompoundID
	}
	return out
}

func TestRankingOrdersByScoreThenTieRules(t *testing.T) {
	f := newFixture(t)
	err := f.store.UpsertRanks(bg, []opinion.RankedCompound{
		rank("c1", "Beta", 1990, 0.4, "d1", "s1"),
		rank("c2", "Alpha", 1990, 0.4, "d1", "s2"),
		rank("c3", "Gamma", 1985, 0.4, "d1", "s1"),
		rank("c4", "Delta", 0, 0.4, "d1", "s2"),
		rank("c5", "Omega", 2010, 0.75, "d1", "s1"),
		rank("c6", "Zeta", 2000, 0.1, "d1", "s2"),
	})
	if err != nil {
		t.Fatal(err)
	}
	page := func(region string, off, size int64) ([]string, int64) {
		t.Helper()
		es, total, err := f.store.RankPage(bg, region, opinion.WaitingStatuses, off, size)
		if err != nil {
			t.Fatal(err)
		}
		return rankIDs(es), total
	}
	// Highest score first; equal scores: older build year, unknown year last, then name.
	if got, total := page("d1", 0, 10); !reflect.DeepEqual(got, []string{"c5", "c3", "c2", "c1", "c4", "c6"}) || total != 6 {
		t.Fatalf("district ranking %v (%d)", got, total)
	}
	if got, _ := page("", 0, 10); len(got) != 6 {
		t.Fatalf("the all-district ranking holds %v", got)
	}
	if got, total := page("s1", 0, 10); !reflect.DeepEqual(got, []string{"c5", "c3", "c1"}) || total != 3 {
		t.Fatalf("sub-district s1 ranking %v (%d)", got, total)
	}
	if got, total := page("d1", 2, 2); !reflect.DeepEqual(got, []string{"c2", "c1"}) || total != 6 {
		t.Fatalf("page from offset 2: %v (%d)", got, total)
	}

	// A compound moves: its score and its name change; it is listed once, in its new place.
	if err := f.store.UpsertRanks(bg, []opinion.RankedCompound{rank("c6", "Aaa", 2000, 0.9, "d1", "s2")}); err != nil {
		t.Fatal(err)
	}
	if got, total := page("d1", 0, 10); !reflect.DeepEqual(got, []string{"c6", "c5", "c3", "c2", "c1", "c4"}) || total != 6 {
		t.Fatalf("after the move %v (%d)", got, total)
	}
	if got, _ := page("s2", 0, 10); !reflect.DeepEqual(got, []string{"c6", "c2", "c4"}) {
		t.Fatalf("s2 after the move %v", got)
	}
	es, _, err := f.store.RankPage(bg, "s2", opinion.WaitingStatuses, 0, 1)
	if err != nil || len(es) != 1 || es[0].Name != "Aaa" || es[0].Score != 0.9 {
		t.Fatalf("moved entry %+v, %v", es, err)
	}
}

// Rule 4 ranks by default only compounds waiting for a plan: a compound whose status
// moves leaves the default ranking for its status's, atomically, and a read of several
// statuses merges their sets in rank order.
func TestRankingKeepsOneSetPerStatus(t *testing.T) {
	f := newFixture(t)
	planned := rank("c2", "Alpha", 1990, 0.4, "d1")
	planned.Status = opinion.Planned
	if err := f.store.UpsertRanks(bg, []opinion.RankedCompound{rank("c1", "Beta", 1990, 0.4, "d1"), rank("c2", "Alpha", 1990, 0.4, "d1"), rank("c3", "Zero", 1990, 0, "d1")}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.UpsertRanks(bg, []opinion.RankedCompound{planned}); err != nil {
		t.Fatal(err)
	}
	page := func(statuses []opinion.CompoundStatus, off, size int64) ([]string, int64) {
		t.Helper()
		es, total, err := f.store.RankPage(bg, "d1", statuses, off, size)
		if err != nil {
			t.Fatal(err)
		}
		return rankIDs(es), total
	}
	if got, total := page(opinion.WaitingStatuses, 0, 10); !reflect.DeepEqual(got, []string{"c1", "c3"}) || total != 2 {
		t.Fatalf("waiting %v (%d)", got, total)
	}
	if got, total := page([]opinion.CompoundStatus{opinion.Planned}, 0, 10); !reflect.DeepEqual(got, []string{"c2"}) || total != 1 {
		t.Fatalf("planned %v (%d)", got, total)
	}
	mixed := []opinion.CompoundStatus{opinion.Inventoried, opinion.Planned}
	if got, total := page(mixed, 1, 2); !reflect.DeepEqual(got, []string{"c1", "c3"}) || total != 3 {
		t.Fatalf("inventoried and planned from 1: %v (%d)", got, total)
	}
	if got, total := page(mixed, 3, 2); len(got) != 0 || total != 3 {
		t.Fatalf("past the end: %v (%d)", got, total)
	}
}

func TestRankBuiltAndLatestNeeds(t *testing.T) {
	f := newFixture(t)
	if at, err := f.store.RankBuilt(bg, "d1"); err != nil || !at.IsZero() {
		t.Fatalf("never built: %v, %v", at, err)
	}
	if err := f.store.MarkRankBuilt(bg, "d1", t0); err != nil {
		t.Fatal(err)
	}
	if at, err := f.store.RankBuilt(bg, "d1"); err != nil || !at.Equal(t0) {
		t.Fatalf("built at %v, %v", at, err)
	}
	sv := f.survey(t, "s1", opinion.Needs, opinion.Open)
	f.submit(t, sv, wants("h1", true, t0), wants("h2", false, t0))
	if err := f.store.SetLatestNeeds(bg, "c1", "s1"); err != nil {
		t.Fatal(err)
	}
	latest, err := f.store.LatestNeeds(bg, []string{"c1", "c2"})
	if err != nil || !reflect.DeepEqual(latest, []string{"s1", ""}) {
		t.Fatalf("latest %q, %v", latest, err)
	}
	svs, err := f.store.GetSurveys(bg, latest)
	if err != nil || svs[0] == nil || svs[0].ID != "s1" || svs[1] != nil {
		t.Fatalf("surveys %v, %v", svs, err)
	}
	ts, err := f.store.Counters(bg, latest, opinion.CounterResponded, opinion.CounterWilling)
	if err != nil || ts[0][opinion.CounterResponded] != 2 || ts[0][opinion.CounterWilling] != 1 || len(ts[1]) != 0 {
		t.Fatalf("counters %v, %v", ts, err)
	}
}

// TestListIdeasLastPageHasNoToken: as for every other list (AIP-158), a page that ends
// the collection carries no next-page token, so a client does not fetch an empty page.
func TestListIdeasLastPageHasNoToken(t *testing.T) {
	f := newFixture(t)
	f.idea(t, "i1", "c1")
	f.idea(t, "i2", "c1")
	all := func(*opinion.Idea) bool { return true }
	for _, byEndorsements := range []bool{false, true} {
		page, next, err := f.store.ListIdeas(bg, "c1", byEndorsements, all, "", 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 2 || next != "" {
			t.Errorf("by endorsements %v: %d ideas of 2 with next-page token %q", byEndorsements, len(page), next)
		}
	}
}
