package storage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"tongdu/platform/ids"
	"tongdu/services/governance/internal/registry"
)

func convention(cid string, kind registry.ConventionKind) registry.Convention {
	return registry.Convention{ID: ids.New(), CompoundID: cid, Kind: kind, Title: "公约", Text: "…", CreateTime: t0}
}

func TestConventionVersionsCountPerCompoundAndKind(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c1 := compound(t, s, tr, tr.communityA, nil)
	c2 := compound(t, s, tr, tr.communityA, nil)
	steps := []struct {
		cid  string
		kind registry.ConventionKind
		want int
	}{
		{c1.ID, registry.ResidentsConvention, 1},
		{c1.ID, registry.ResidentsConvention, 2},
		{c1.ID, registry.CleaningRules, 1},
		{c2.ID, registry.ResidentsConvention, 1},
		{c1.ID, registry.ResidentsConvention, 3},
	}
	var first registry.Convention
	for i, st := range steps {
		c := convention(st.cid, st.kind)
		v, err := s.CreateConvention(ctx, c)
		if err != nil || v != st.want {
			t.Fatalf("step %d: version %d (%v), want %d", i, v, err, st.want)
		}
		if i == 0 {
			first = c
		}
	}
	t.Run("a replay keeps its version and adds none", func(t *testing.T) {
		if v, err := s.CreateConvention(ctx, first); err != nil || v != 1 {
			t.Fatalf("replay: version %d, %v", v, err)
		}
		cs, _, _ := s.ListConventions(ctx, c1.ID, registry.ResidentsConvention, "", 10)
		if len(cs) != 3 {
			t.Fatalf("%d residents' conventions", len(cs))
		}
		for i, c := range cs {
			if c.Version != i+1 {
				t.Fatalf("listed %d has version %d", i, c.Version)
			}
		}
	})
	t.Run("all kinds list in writing order", func(t *testing.T) {
		cs, next, _ := s.ListConventions(ctx, c1.ID, registry.ConventionKindUnspecified, "", 3)
		if len(cs) != 3 || next == "" || cs[2].Kind != registry.CleaningRules {
			t.Fatalf("first page %+v %q", cs, next)
		}
		cs, next, _ = s.ListConventions(ctx, c1.ID, registry.ConventionKindUnspecified, next, 3)
		if len(cs) != 1 || cs[0].Version != 3 || next != "" {
			t.Fatalf("second page %+v %q", cs, next)
		}
	})
	t.Run("a convention of a missing compound is not found", func(t *testing.T) {
		if _, err := s.CreateConvention(ctx, convention("nope", registry.CleaningRules)); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("missing compound: %v", err)
		}
	})
	t.Run("adoption is written on the revision read", func(t *testing.T) {
		got, err := s.GetConvention(ctx, first.ID)
		if err != nil || got.Version != 1 || got.Revision != 1 {
			t.Fatalf("get %+v %v", got, err)
		}
		adopted, _, _ := registry.AdoptConvention(*got, registry.Resolution{SurveyID: "s1", Found: true, Passed: true, CompoundID: c1.ID}, t0)
		if rev, err := s.UpdateConvention(ctx, adopted); err != nil || rev != 2 {
			t.Fatalf("update: %d %v", rev, err)
		}
		if _, err := s.UpdateConvention(ctx, adopted); !errors.Is(err, registry.ErrConflict) {
			t.Fatalf("a second write on revision 1: %v", err)
		}
		got, _ = s.GetConvention(ctx, first.ID)
		if !got.Adopted || got.ResolutionSurveyID != "s1" || got.Version != 1 {
			t.Fatalf("after adoption %+v", got)
		}
		if _, err := s.GetConvention(ctx, "nope"); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("unknown convention: %v", err)
		}
	})
}

// Versions are assigned in the write itself, so texts written at the same moment never
// share a version and none is skipped.
func TestConcurrentConventionsGetDistinctVersions(t *testing.T) {
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	const writers = 20
	versions := make([]int, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			versions[i], errs[i] = s.CreateConvention(context.Background(), convention(c.ID, registry.ParkingFeeRules))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Ints(versions)
	for i, v := range versions {
		if v != i+1 {
			t.Fatalf("versions %v, want 1 to %d each once", versions, writers)
		}
	}
}

func TestLinkageMeetingsListByCompound(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	m1 := registry.LinkageMeeting{ID: ids.New(), CompoundID: "c1", HeldTime: t0, Agenda: []string{"加装电梯"}}
	m2 := registry.LinkageMeeting{ID: ids.New(), CompoundID: "c2", HeldTime: t0}
	m3 := registry.LinkageMeeting{ID: ids.New(), CompoundID: "c1", HeldTime: t0, Attendees: []registry.LinkageAttendee{{Party: registry.LinkageOwnersCommittee, Attendee: "业委会"}}}
	for _, m := range []registry.LinkageMeeting{m1, m2, m3, m1} { // m1 twice: a replay
		if err := s.CreateLinkageMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	ms, next, err := s.ListLinkageMeetings(ctx, "c1", "", 1)
	if err != nil || len(ms) != 1 || ms[0].ID != m1.ID || next == "" {
		t.Fatalf("first page %+v %q %v", ms, next, err)
	}
	ms, next, _ = s.ListLinkageMeetings(ctx, "c1", next, 1)
	if len(ms) != 1 || ms[0].ID != m3.ID || next != "" || ms[0].Attendees[0].Party != registry.LinkageOwnersCommittee {
		t.Fatalf("second page %+v %q", ms, next)
	}
	if ms, _, _ := s.ListLinkageMeetings(ctx, "", "", 10); len(ms) != 3 {
		t.Fatalf("all meetings: %d", len(ms))
	}
	if got, err := s.GetLinkageMeeting(ctx, m1.ID); err != nil || got.Agenda[0] != "加装电梯" {
		t.Fatalf("get %+v %v", got, err)
	}
	if _, err := s.GetLinkageMeeting(ctx, "nope"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("unknown meeting: %v", err)
	}
}

func TestLeaderContactsListByCompoundAndCommunity(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	l1 := registry.LeaderContact{ID: ids.New(), LeaderName: "李", CompoundIDs: []string{"c1"}, CommunityIDs: []string{"r1"}, CreateTime: t0}
	l2 := registry.LeaderContact{ID: ids.New(), LeaderName: "王", CompoundIDs: []string{"c1", "c2"}, CreateTime: t0}
	l3 := registry.LeaderContact{ID: ids.New(), LeaderName: "赵", CommunityIDs: []string{"r1", "r2"}, CreateTime: t0}
	for _, l := range []registry.LeaderContact{l1, l2, l3} {
		if err := s.CreateLeaderContact(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	names := func(compound, community string, size int) []string {
		t.Helper()
		var out []string
		token := ""
		for {
			ls, next, err := s.ListLeaderContacts(ctx, compound, community, token, size)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range ls {
				out = append(out, l.LeaderName)
			}
			if next == "" {
				return out
			}
			token = next
		}
	}
	tests := []struct {
		compound, community string
		want                string
	}{
		{"", "", "[李 王 赵]"},
		{"c1", "", "[李 王]"},
		{"c2", "", "[王]"},
		{"", "r1", "[李 赵]"},
		{"c1", "r1", "[李]"},
		{"c2", "r2", "[]"},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 10} {
			if got := names(tt.compound, tt.community, size); fmt.Sprint(got) != tt.want {
				t.Errorf("compound %q community %q (pages of %d): %v, want %s", tt.compound, tt.community, size, got, tt.want)
			}
		}
	}
	if got, err := s.GetLeaderContact(ctx, l2.ID); err != nil || got.LeaderName != "王" {
		t.Fatalf("get %+v %v", got, err)
	}
}
