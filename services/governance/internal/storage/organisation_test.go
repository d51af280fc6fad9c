package storage

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"tongdu/platform/ids"
	"tongdu/services/governance/internal/registry"
)

// Tests of the organisation's records (party branches, grid cells, linked units, party
// members, service records), the buildings' party and accessibility counters, and the
// leader elections kept in the compounds' slots.

func TestPartyBranchesOnePerCompound(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	first := registry.PartyBranch{ID: ids.New(), Name: "幸福里党支部", Kind: registry.CompoundBranch, CompoundID: c.ID, CommunityID: tr.communityA.ID, CreateTime: t0}
	if err := s.CreatePartyBranch(ctx, first); err != nil {
		t.Fatal(err)
	}
	general := registry.PartyBranch{ID: ids.New(), Name: "幸福社区党总支", Kind: registry.CommunityGeneralBranch, CommunityID: tr.communityA.ID, CreateTime: t0}
	if err := s.CreatePartyBranch(ctx, general); err != nil {
		t.Fatal(err)
	}
	inB := registry.PartyBranch{ID: ids.New(), Name: "和平社区党总支", Kind: registry.CommunityGeneralBranch, CommunityID: tr.communityB.ID, CreateTime: t0}
	if err := s.CreatePartyBranch(ctx, inB); err != nil {
		t.Fatal(err)
	}

	t.Run("a second branch of the compound is ErrAlreadyExists and is not stored", func(t *testing.T) {
		second := first
		second.ID, second.Name = ids.New(), "第二支部"
		err := s.CreatePartyBranch(ctx, second)
		if !errors.Is(err, registry.ErrAlreadyExists) {
			t.Fatalf("second branch: %v", err)
		}
		all, _, err := s.ListPartyBranches(ctx, "", func(*registry.PartyBranch) bool { return true }, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 {
			t.Fatalf("%d branches stored, want 3", len(all))
		}
	})
	t.Run("the same branch stored again (a replay) changes nothing", func(t *testing.T) {
		again := first
		again.Name = "改名"
		if err := s.CreatePartyBranch(ctx, again); err != nil {
			t.Fatalf("replay: %v", err)
		}
		got, _, err := s.ListPartyBranches(ctx, tr.communityA.ID, func(b *registry.PartyBranch) bool { return b.CompoundID == c.ID }, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Name != "幸福里党支部" {
			t.Fatalf("after a replay: %+v", got)
		}
	})
	t.Run("branches list by community, in creation order", func(t *testing.T) {
		got, next, err := s.ListPartyBranches(ctx, tr.communityA.ID, func(*registry.PartyBranch) bool { return true }, "", 50)
		if err != nil || next != "" {
			t.Fatal(err, next)
		}
		if want := []string{first.ID, general.ID}; !reflect.DeepEqual(idsOf(got, branchID), want) {
			t.Fatalf("community A lists %v, want %v", idsOf(got, branchID), want)
		}
		got, _, err = s.ListPartyBranches(ctx, tr.communityB.ID, func(*registry.PartyBranch) bool { return true }, "", 50)
		if err != nil || len(got) != 1 || got[0].ID != inB.ID {
			t.Fatalf("community B lists %+v (%v)", got, err)
		}
	})
	t.Run("branches page one at a time", func(t *testing.T) {
		var seen []string
		token := ""
		for i := 0; ; i++ {
			if i > 10 {
				t.Fatal("paging does not end")
			}
			page, next, err := s.ListPartyBranches(ctx, "", func(*registry.PartyBranch) bool { return true }, token, 1)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, idsOf(page, branchID)...)
			if next == "" {
				break
			}
			token = next
		}
		if want := []string{first.ID, general.ID, inB.ID}; !reflect.DeepEqual(seen, want) {
			t.Fatalf("paged %v, want %v", seen, want)
		}
	})
}

func branchID(b registry.PartyBranch) string { return b.ID }
func gridID(g registry.GridCell) string      { return g.ID }
func memberID(m registry.PartyMember) string { return m.ID }

func TestGridCellsHoldEachBuildingOnce(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b1, b2, b3 := building(t, s, c.ID, "1栋", 2), building(t, s, c.ID, "2栋", 2), building(t, s, c.ID, "3栋", 2)
	g1 := registry.GridCell{ID: ids.New(), Name: "一网格", CommunityID: tr.communityA.ID, BuildingIDs: []string{b1.ID, b2.ID}, CreateTime: t0}
	if err := s.CreateGridCell(ctx, g1); err != nil {
		t.Fatal(err)
	}

	t.Run("a building of another cell refuses the whole cell", func(t *testing.T) {
		g2 := registry.GridCell{ID: ids.New(), Name: "二网格", CommunityID: tr.communityA.ID, BuildingIDs: []string{b3.ID, b2.ID}, CreateTime: t0}
		err := s.CreateGridCell(ctx, g2)
		var taken *BuildingTakenError
		if !errors.As(err, &taken) || taken.Index != 1 || !errors.Is(err, registry.ErrAlreadyExists) {
			t.Fatalf("got %v, want building 1 taken", err)
		}
		cells, _, err := s.ListGridCells(ctx, "", "", 50)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(idsOf(cells, gridID), []string{g1.ID}) {
			t.Fatalf("cells after a refusal: %v", idsOf(cells, gridID))
		}
		// b3 was not taken by the refused cell.
		g3 := registry.GridCell{ID: ids.New(), Name: "三网格", CommunityID: tr.communityA.ID, BuildingIDs: []string{b3.ID}, CreateTime: t0}
		if err := s.CreateGridCell(ctx, g3); err != nil {
			t.Fatalf("b3 is still taken after a refused cell: %v", err)
		}
	})
	t.Run("the same cell stored again (a replay) is accepted once", func(t *testing.T) {
		if err := s.CreateGridCell(ctx, g1); err != nil {
			t.Fatalf("replay: %v", err)
		}
		cells, _, err := s.ListGridCells(ctx, tr.communityA.ID, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(cells) != 2 || cells[0].ID != g1.ID || !reflect.DeepEqual(cells[0].BuildingIDs, g1.BuildingIDs) {
			t.Fatalf("cells %+v", cells)
		}
	})
	t.Run("cells list by community", func(t *testing.T) {
		cells, _, err := s.ListGridCells(ctx, tr.communityB.ID, "", 50)
		if err != nil || len(cells) != 0 {
			t.Fatalf("community B lists %+v (%v)", cells, err)
		}
	})
	t.Run("concurrent cells over one building: exactly one gets it", func(t *testing.T) {
		b := building(t, s, c.ID, "争议楼", 1)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = s.CreateGridCell(ctx, registry.GridCell{ID: ids.New(), Name: fmt.Sprint(i), CommunityID: tr.communityA.ID, BuildingIDs: []string{b.ID}, CreateTime: t0})
			}(i)
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, registry.ErrAlreadyExists):
				t.Fatal(err)
			}
		}
		if won != 1 {
			t.Fatalf("%d cells got the building", won)
		}
	})
}

func TestBuildingsCountPartyMembersAndAccessibilityNeeds(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b1, b2 := building(t, s, c.ID, "1栋", 2), building(t, s, c.ID, "2栋", 2)
	hs := append(households(c.ID, b1, "a", 5), households(c.ID, b2, "b", 3)...)
	hs[0].PartyMember, hs[1].PartyMember, hs[1].NeedsAccessibility, hs[4].NeedsAccessibility = true, true, true, true
	hs[5].PartyMember, hs[6].NeedsAccessibility = true, true
	if err := s.CreateHouseholds(ctx, c.ID, hs); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, b registry.Building, households, party, access int) {
		t.Helper()
		got, err := s.GetBuilding(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.HouseholdCount != households || got.PartyMembers != party || got.NeedsAccessibility != access {
			t.Fatalf("%s counts %d households, %d party members, %d needing access; want %d, %d, %d",
				b.Name, got.HouseholdCount, got.PartyMembers, got.NeedsAccessibility, households, party, access)
		}
	}
	check(t, b1, 5, 2, 2)
	check(t, b2, 3, 1, 1)

	t.Run("a replayed batch does not count twice", func(t *testing.T) {
		if err := s.CreateHouseholds(ctx, c.ID, hs); err != nil {
			t.Fatal(err)
		}
		check(t, b1, 5, 2, 2)
		check(t, b2, 3, 1, 1)
	})
	t.Run("a refused batch counts nothing", func(t *testing.T) {
		more := households(c.ID, b1, "c", 3)
		for i := range more {
			more[i].PartyMember, more[i].NeedsAccessibility = true, true
		}
		more[2].Room = hs[0].Room // registered already
		var taken *DwellingTakenError
		if err := s.CreateHouseholds(ctx, c.ID, more); !errors.As(err, &taken) {
			t.Fatalf("got %v", err)
		}
		check(t, b1, 5, 2, 2)
	})
	t.Run("the counters are read with every building of a compound", func(t *testing.T) {
		bs, err := s.BuildingsOf(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := bs[b1.ID]; got.PartyMembers != 2 || got.NeedsAccessibility != 2 {
			t.Fatalf("BuildingsOf shows %+v", got)
		}
	})
	t.Run("buildings of several compounds read by id, a missing one nil", func(t *testing.T) {
		other := compound(t, s, tr, tr.communityA, nil)
		b3 := building(t, s, other.ID, "3栋", 1)
		got, err := s.GetBuildings(ctx, []string{b2.ID, "no-such-building", b3.ID, b1.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 || got[1] != nil || got[0] == nil || got[2] == nil || got[3] == nil {
			t.Fatalf("GetBuildings gave %+v", got)
		}
		if got[0].HouseholdCount != 3 || got[3].PartyMembers != 2 || got[2].CompoundID != other.ID || got[2].Name != "3栋" {
			t.Fatalf("GetBuildings read %+v, %+v, %+v", got[0], got[2], got[3])
		}
	})
}

func TestLinkedUnitsAndPartyMembers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	u1 := registry.LinkedUnit{ID: ids.New(), Name: "区住建局", CommunityID: tr.communityA.ID, CreateTime: t0}
	u2 := registry.LinkedUnit{ID: ids.New(), Name: "区税务局", CommunityID: tr.communityB.ID, CreateTime: t0}
	for _, u := range []registry.LinkedUnit{u1, u2} {
		if err := s.CreateLinkedUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("a unit reads back; a second write of its id changes nothing", func(t *testing.T) {
		again := u1
		again.Name = "改名"
		if err := s.CreateLinkedUnit(ctx, again); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetLinkedUnit(ctx, u1.ID)
		if err != nil || got.Name != "区住建局" || got.CommunityID != tr.communityA.ID {
			t.Fatalf("got %+v (%v)", got, err)
		}
		units, _, err := s.ListLinkedUnits(ctx, "", "", 50)
		if err != nil || len(units) != 2 {
			t.Fatalf("units %+v (%v)", units, err)
		}
		units, _, err = s.ListLinkedUnits(ctx, tr.communityB.ID, "", 50)
		if err != nil || len(units) != 1 || units[0].ID != u2.ID {
			t.Fatalf("community B's units %+v (%v)", units, err)
		}
	})
	t.Run("an unknown unit or member is ErrNotFound", func(t *testing.T) {
		if _, err := s.GetLinkedUnit(ctx, "nope"); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("unit: %v", err)
		}
		if _, err := s.GetPartyMember(ctx, "nope"); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("member: %v", err)
		}
	})

	// 1,003 members of u1: every third lives in community B; three members of u2.
	var ofU1, ofU1InB []string
	for i := 0; i < 1003; i++ {
		m := registry.PartyMember{ID: ids.New(), Name: "张三", ResidenceCommunityID: tr.communityA.ID, LinkedUnitID: u1.ID, RegisterTime: t0}
		if i%3 == 0 {
			m.ResidenceCommunityID = tr.communityB.ID
			ofU1InB = append(ofU1InB, m.ID)
		}
		if err := s.CreatePartyMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		ofU1 = append(ofU1, m.ID)
	}
	var ofU2 []string
	for i := 0; i < 3; i++ {
		m := registry.PartyMember{ID: ids.New(), Name: "李四", ResidenceCommunityID: tr.communityB.ID, LinkedUnitID: u2.ID, RegisterTime: t0}
		if err := s.CreatePartyMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		ofU2 = append(ofU2, m.ID)
	}
	listAllMembers := func(t *testing.T, community, unit string, size int) []string {
		t.Helper()
		var out []string
		token := ""
		for i := 0; ; i++ {
			if i > 2000 {
				t.Fatal("paging does not end")
			}
			page, next, err := s.ListPartyMembers(ctx, community, unit, token, size)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > size {
				t.Fatalf("a page of %d, asked %d", len(page), size)
			}
			out = append(out, idsOf(page, memberID)...)
			if next == "" {
				return out
			}
			token = next
		}
	}
	t.Run("UnitMembers reads every member of a unit past a page of 1,000", func(t *testing.T) {
		ms, err := s.UnitMembers(ctx, u1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(idsOf(ms, memberID), ofU1) {
			t.Fatalf("UnitMembers gave %d members, want %d in order", len(ms), len(ofU1))
		}
	})
	t.Run("members list by unit", func(t *testing.T) {
		if got := listAllMembers(t, "", u2.ID, 2); !reflect.DeepEqual(got, ofU2) {
			t.Fatalf("u2 lists %v, want %v", got, ofU2)
		}
	})
	t.Run("members list by community", func(t *testing.T) {
		want := append(append([]string{}, ofU1InB...), ofU2...)
		got := listAllMembers(t, tr.communityB.ID, "", 100)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("community B lists %d members, want %d", len(got), len(want))
		}
	})
	t.Run("members list by unit and community, across pages", func(t *testing.T) {
		if got := listAllMembers(t, tr.communityB.ID, u1.ID, 100); !reflect.DeepEqual(got, ofU1InB) {
			t.Fatalf("u1's members in community B: %d listed, want %d", len(got), len(ofU1InB))
		}
	})
}

func TestServiceRecordsAreCountedOnceIntoMonthlyTotals(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	rec := func(member, date string, hours registry.Hours) registry.ServiceRecord {
		return registry.ServiceRecord{ID: ids.New(), PartyMemberID: member, Date: date, Hours: hours, Activity: "清理楼道", CreateTime: t0}
	}
	records := []registry.ServiceRecord{
		rec("m1", "2021-10-31", 150), rec("m1", "2021-11-01", 233), rec("m1", "2021-11-30", 17), rec("m1", "2021-12-15", 400), rec("m1", "2022-01-01", 800),
		rec("m2", "2021-11-06", 2400), rec("m2", "2021-02-28", 1),
	}
	for _, r := range records {
		if err := s.AddServiceRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	totals := func(t *testing.T, months ...string) map[string][2]int64 {
		t.Helper()
		got, err := s.ServiceTotals(ctx, []string{"m1", "m2", "m3"}, months)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	t.Run("totals per month, quarter and year", func(t *testing.T) {
		tests := []struct {
			months     []string
			m1, m2, m3 [2]int64
		}{
			{[]string{"2021-11"}, [2]int64{2, 250}, [2]int64{1, 2400}, [2]int64{}},
			{[]string{"2021-10", "2021-11", "2021-12"}, [2]int64{4, 800}, [2]int64{1, 2400}, [2]int64{}},
			{[]string{"2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06", "2021-07", "2021-08", "2021-09", "2021-10", "2021-11", "2021-12"}, [2]int64{4, 800}, [2]int64{2, 2401}, [2]int64{}},
			{[]string{"2022-01"}, [2]int64{1, 800}, [2]int64{}, [2]int64{}},
			{[]string{"2020-11"}, [2]int64{}, [2]int64{}, [2]int64{}},
		}
		for _, tt := range tests {
			got := totals(t, tt.months...)
			if got["m1"] != tt.m1 || got["m2"] != tt.m2 || got["m3"] != tt.m3 {
				t.Errorf("%v: m1 %v m2 %v m3 %v, want %v %v %v", tt.months, got["m1"], got["m2"], got["m3"], tt.m1, tt.m2, tt.m3)
			}
		}
	})
	t.Run("a record stored again (a replay) is counted once", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.AddServiceRecord(ctx, records[1]); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got := totals(t, "2021-11")["m1"]; got != [2]int64{2, 250} {
			t.Fatalf("after replays m1 has %v in 2021-11", got)
		}
	})
	t.Run("no members, no totals", func(t *testing.T) {
		got, err := s.ServiceTotals(ctx, nil, []string{"2021-11"})
		if err != nil || len(got) != 0 {
			t.Fatalf("got %v (%v)", got, err)
		}
	})
}

// electionFixture is a building of six households (h[0..3] in unit 1, h[4..5] in unit
// 2) and an open election (e) of the building, or of the unit given, among the
// candidates given by index.
type electionFixture struct {
	s  *Store
	c  registry.Compound
	b  registry.Building
	hs []registry.Household
	e  registry.Election
}

func newElectionFixture(t *testing.T, unit string, candidates ...int) electionFixture {
	t.Helper()
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	f := electionFixture{s: s, c: compound(t, s, tr, tr.communityA, nil)}
	f.b = building(t, s, f.c.ID, "1栋", 2)
	f.hs = households(f.c.ID, f.b, "r", 6)
	for i := 4; i < 6; i++ {
		f.hs[i].Unit = "2"
	}
	if err := s.CreateHouseholds(ctx, f.c.ID, f.hs); err != nil {
		t.Fatal(err)
	}
	f.e = f.election(t, unit, candidates...)
	return f
}

func (f electionFixture) election(t *testing.T, unit string, candidates ...int) registry.Election {
	t.Helper()
	e := registry.Election{ID: ids.New(), CompoundID: f.c.ID, BuildingID: f.b.ID, Unit: unit}
	for _, i := range candidates {
		e.Candidates = append(e.Candidates, f.hs[i].ID)
	}
	e, err := registry.NewElection(e, registry.Electorate(&e, f.hs), t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.CreateElection(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// closeNow counts the stored votes and closes, as the API does (count again on conflict).
func (f electionFixture) closeNow(t *testing.T, id string) (registry.Election, map[string]string) {
	t.Helper()
	closed, votes, err := f.closeElection(id)
	if err != nil {
		t.Fatal(err)
	}
	return closed, votes
}

func (f electionFixture) closeElection(id string) (registry.Election, map[string]string, error) {
	ctx := context.Background()
	for {
		e, votes, err := f.s.GetElection(ctx, id)
		if err != nil {
			return registry.Election{}, nil, err
		}
		closed, err := registry.Close(*e, registry.Electorate(e, f.hs), votes, t0)
		if err != nil {
			return registry.Election{}, nil, err
		}
		err = f.s.CloseElection(ctx, closed)
		if errors.Is(err, registry.ErrConflict) {
			continue
		}
		return closed, votes, err
	}
}

func TestElectionVotesReplaceUntilClose(t *testing.T) {
	ctx := context.Background()
	f := newElectionFixture(t, "", 0, 1)
	h := f.hs

	got, votes, err := f.s.GetElection(ctx, f.e.ID)
	if err != nil || got.State != registry.ElectionOpen || len(votes) != 0 || got.VoteRevision != 0 {
		t.Fatalf("new election %+v, votes %v (%v)", got, votes, err)
	}
	for _, v := range [][2]int{{2, 0}, {3, 0}, {2, 1}, {4, 1}, {5, 1}} {
		if err := f.s.CastVote(ctx, got, h[v[0]].ID, h[v[1]].ID, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	got, votes, err = f.s.GetElection(ctx, f.e.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{h[2].ID: h[1].ID, h[3].ID: h[0].ID, h[4].ID: h[1].ID, h[5].ID: h[1].ID}
	if !reflect.DeepEqual(votes, want) {
		t.Fatalf("stored votes %v, want the second vote of h2 to replace its first: %v", votes, want)
	}
	if got.VoteRevision != 5 {
		t.Fatalf("revision %d after five votes", got.VoteRevision)
	}

	t.Run("a count older than the last vote is ErrConflict and closes nothing", func(t *testing.T) {
		stale, _, err := f.s.GetElection(ctx, f.e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.CastVote(ctx, stale, h[3].ID, h[1].ID, "", ""); err != nil {
			t.Fatal(err)
		}
		closed, err := registry.Close(*stale, registry.Electorate(stale, h), want, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.CloseElection(ctx, closed); !errors.Is(err, registry.ErrConflict) {
			t.Fatalf("closing on a stale count: %v", err)
		}
		e, _, err := f.s.GetElection(ctx, f.e.ID)
		if err != nil || e.State != registry.ElectionOpen {
			t.Fatalf("after a refused close %+v (%v)", e, err)
		}
		if b, err := f.s.GetBuilding(ctx, f.b.ID); err != nil || b.LeaderHouseholdID != "" {
			t.Fatalf("a refused close recorded leader %q (%v)", b.LeaderHouseholdID, err)
		}
	})
	closed, votes := f.closeNow(t, f.e.ID)
	t.Run("the closed election keeps its result and the winner leads the building", func(t *testing.T) {
		if r := closed.Result; r.Winner != h[1].ID || r.Voted != 4 || r.Eligible != 6 || len(votes) != 4 {
			t.Fatalf("result %+v of votes %v", r, votes)
		}
		e, _, err := f.s.GetElection(ctx, f.e.ID)
		if err != nil || e.State != registry.ElectionClosed || !reflect.DeepEqual(e.Result, closed.Result) {
			t.Fatalf("stored %+v (%v)", e, err)
		}
		b, err := f.s.GetBuilding(ctx, f.b.ID)
		if err != nil || b.LeaderHouseholdID != h[1].ID || len(b.UnitLeaders) != 0 {
			t.Fatalf("building leader %q, unit leaders %v (%v)", b.LeaderHouseholdID, b.UnitLeaders, err)
		}
		if b.Name != "1栋" || b.HouseholdCount != 6 {
			t.Fatalf("the building record changed: %+v", b)
		}
	})
	t.Run("no vote and no second close after close", func(t *testing.T) {
		e, before, err := f.s.GetElection(ctx, f.e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.CastVote(ctx, e, h[0].ID, h[0].ID, "", ""); !errors.Is(err, registry.ErrWrongState) {
			t.Fatalf("vote after close: %v", err)
		}
		again := closed
		again.Result = &registry.ElectionResult{Winner: h[0].ID}
		again.VoteRevision = e.VoteRevision
		if err := f.s.CloseElection(ctx, again); !errors.Is(err, registry.ErrWrongState) {
			t.Fatalf("second close: %v", err)
		}
		_, after, err := f.s.GetElection(ctx, f.e.ID)
		if err != nil || !reflect.DeepEqual(before, after) {
			t.Fatalf("votes changed after close: %v → %v", before, after)
		}
		if b, _ := f.s.GetBuilding(ctx, f.b.ID); b.LeaderHouseholdID != h[1].ID {
			t.Fatalf("a refused close changed the leader to %q", b.LeaderHouseholdID)
		}
	})
	t.Run("an unknown election is ErrNotFound", func(t *testing.T) {
		if _, _, err := f.s.GetElection(ctx, "nope"); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestUnitElectionsRecordUnitLeadersBesideTheBuildingLeader(t *testing.T) {
	ctx := context.Background()
	f := newElectionFixture(t, "1", 0, 1)
	h := f.hs
	unit2 := f.election(t, "2", 4, 5)
	whole := f.election(t, "", 2, 3)
	cast := func(e registry.Election, voter, candidate int) {
		t.Helper()
		if err := f.s.CastVote(ctx, &e, h[voter].ID, h[candidate].ID, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	cast(f.e, 0, 1)
	cast(f.e, 1, 1)
	cast(unit2, 4, 5)
	cast(whole, 5, 3)
	f.closeNow(t, whole.ID)
	f.closeNow(t, f.e.ID)
	f.closeNow(t, unit2.ID)

	b, err := f.s.GetBuilding(ctx, f.b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"1": h[1].ID, "2": h[5].ID}; !reflect.DeepEqual(b.UnitLeaders, want) {
		t.Fatalf("unit leaders %v, want %v", b.UnitLeaders, want)
	}
	if b.LeaderHouseholdID != h[3].ID {
		t.Fatalf("building leader %q, want %s", b.LeaderHouseholdID, h[3].ID)
	}
	t.Run("a tie records no leader and keeps the last one", func(t *testing.T) {
		e := f.election(t, "1", 0, 1)
		cast(e, 0, 0)
		cast(e, 1, 1)
		closed, _ := f.closeNow(t, e.ID)
		if !closed.Result.Tie {
			t.Fatalf("result %+v", closed.Result)
		}
		b, _ := f.s.GetBuilding(ctx, f.b.ID)
		if b.UnitLeaders["1"] != h[1].ID {
			t.Fatalf("after a tie, unit 1's leader is %q", b.UnitLeaders["1"])
		}
	})
}

// Votes and a close racing: the stated result is exactly the votes stored when the
// election closed, and every vote either counts or is refused as ErrWrongState.
func TestConcurrentVotesAndCloseStateTheStoredVotes(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b := building(t, s, c.ID, "1栋", 1)
	hs := households(c.ID, b, "r", 60)
	if err := s.CreateHouseholds(ctx, c.ID, hs); err != nil {
		t.Fatal(err)
	}
	f := electionFixture{s: s, c: c, b: b, hs: hs}
	for round := 0; round < 5; round++ {
		e := f.election(t, "", 0, 1, 2)
		var wg sync.WaitGroup
		accepted := make([]string, len(hs)) // the last vote of each household the store took
		var landed, finished atomic.Int64
		// Each round closes after a different share of the votes has landed.
		closeAfter := int64(round * len(hs) * 3 / 5)
		for i := range hs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				defer finished.Add(1)
				for k := 0; k < 3; k++ {
					candidate := e.Candidates[(i+k)%3]
					err := s.CastVote(ctx, &e, hs[i].ID, candidate, "", "")
					if errors.Is(err, registry.ErrWrongState) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					accepted[i] = candidate
					landed.Add(1)
				}
			}(i)
		}
		var closed registry.Election
		var counted map[string]string
		var closeErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			for landed.Load() < closeAfter && finished.Load() < int64(len(hs)) {
				runtime.Gosched()
			}
			closed, counted, closeErr = f.closeElection(e.ID)
		}()
		wg.Wait()
		if closeErr != nil {
			t.Fatal(closeErr)
		}

		_, stored, err := s.GetElection(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stored, counted) {
			t.Fatalf("round %d: counted %d votes, %d stored", round, len(counted), len(stored))
		}
		want := map[string]int{}
		voted := 0
		for i, c := range accepted {
			if c != "" {
				voted++
				want[c]++
				if stored[hs[i].ID] != c {
					t.Fatalf("round %d: household %d's last accepted vote %s, stored %s", round, i, c, stored[hs[i].ID])
				}
			}
		}
		if closed.Result.Voted != voted {
			t.Fatalf("round %d: result says %d voted, %d votes were accepted", round, closed.Result.Voted, voted)
		}
		for _, v := range closed.Result.Votes {
			if v.Votes != want[v.Candidate] {
				t.Fatalf("round %d: %s has %d votes, accepted %d", round, v.Candidate, v.Votes, want[v.Candidate])
			}
		}
	}
}
