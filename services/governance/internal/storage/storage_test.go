package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"tongdu/platform/events"
	"tongdu/platform/fault"
	"tongdu/platform/idempotency"
	"tongdu/platform/ids"
	"tongdu/platform/testkit"
	"tongdu/services/governance/internal/registry"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// newStore is a store on a fresh Redis whose outbox relay is not running, so a test sees
// the events a change wrote in the compound's outbox (events_test.go starts it).
func newStore(t *testing.T) *Store {
	t.Helper()
	rdb := testkit.Redis(t)
	return New(rdb, events.NewOutbox(rdb, slog.New(slog.DiscardHandler)))
}

// region stores a region with a fresh id and returns it.
func region(t *testing.T, s *Store, name string, level registry.Level, parent string) registry.Region {
	t.Helper()
	r := registry.Region{ID: ids.New(), Name: name, Level: level, Parent: parent, CreateTime: t0}
	if err := s.CreateRegion(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// tree is a district with one sub-district and two communities in it.
type tree struct{ district, sub, communityA, communityB registry.Region }

func newTree(t *testing.T, s *Store) tree {
	t.Helper()
	var tr tree
	tr.district = region(t, s, "东川区", registry.District, "")
	tr.sub = region(t, s, "东门街道", registry.Subdistrict, tr.district.ID)
	tr.communityA = region(t, s, "幸福社区", registry.Community, tr.sub.ID)
	tr.communityB = region(t, s, "和平社区", registry.Community, tr.sub.ID)
	return tr
}

// compound stores a compound of community (whose path is district, sub, community).
func compound(t *testing.T, s *Store, tr tree, community registry.Region, mutate func(*registry.Compound)) registry.Compound {
	t.Helper()
	c := registry.Compound{
		ID: ids.New(), Name: "小区", CommunityID: community.ID, Status: registry.Inventoried,
		RegionPath: []string{tr.district.ID, tr.sub.ID, community.ID}, CreateTime: t0, UpdateTime: t0,
	}
	if mutate != nil {
		mutate(&c)
	}
	if err := s.CreateCompound(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func building(t *testing.T, s *Store, cid, name string, units int) registry.Building {
	t.Helper()
	b := registry.Building{ID: ids.New(), CompoundID: cid, Name: name, UnitCount: units, CreateTime: t0}
	if err := s.CreateBuilding(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

// households makes n households of building b with fresh ids, rooms prefix-0..n-1 and
// area 50.00 m² + i hundredths.
func households(cid string, b registry.Building, prefix string, n int) []registry.Household {
	out := make([]registry.Household, n)
	for i := range out {
		out[i] = registry.Household{
			ID: ids.New(), CompoundID: cid, BuildingID: b.ID, Unit: "1", Room: fmt.Sprintf("%s-%d", prefix, i),
			ExclusiveArea: registry.Area(5000 + i), ResidentName: "张三", CreateTime: t0,
		}
	}
	return out
}

func sumArea(hs ...[]registry.Household) registry.Area {
	var a registry.Area
	for _, batch := range hs {
		for _, h := range batch {
			a += h.ExclusiveArea
		}
	}
	return a
}

func idsOf[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func householdID(h registry.Household) string { return h.ID }
func compoundID(c registry.Compound) string   { return c.ID }
func regionID(r registry.Region) string       { return r.ID }

func mustCompound(t *testing.T, s *Store, id string) *registry.Compound {
	t.Helper()
	c, err := s.GetCompound(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func allHouseholds(t *testing.T, s *Store, cid, bid string) []registry.Household {
	t.Helper()
	var out []registry.Household
	token := ""
	for {
		page, next, err := s.ListHouseholds(context.Background(), cid, bid, token, 1000)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		token = next
	}
}

func TestRegionsCreateGetAndListInPages(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	d := region(t, s, "东川区", registry.District, "")
	other := region(t, s, "西江区", registry.District, "")
	var subs []registry.Region
	for i := 0; i < 5; i++ {
		subs = append(subs, region(t, s, fmt.Sprintf("街道%d", i), registry.Subdistrict, d.ID))
	}

	got, err := s.GetRegion(ctx, subs[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, subs[2]) {
		t.Fatalf("GetRegion = %+v, want %+v", *got, subs[2])
	}
	if _, err := s.GetRegion(ctx, "nope"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("unknown region: %v", err)
	}

	t.Run("children come in pages of the size asked, oldest first", func(t *testing.T) {
		var listed []string
		var sizes []int
		token := ""
		for {
			page, next, err := s.ListRegions(ctx, d.ID, token, 2)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(page))
			listed = append(listed, idsOf(page, regionID)...)
			if next == "" {
				break
			}
			token = next
		}
		if fmt.Sprint(sizes) != "[2 2 1]" {
			t.Fatalf("page sizes %v, want [2 2 1]", sizes)
		}
		if want := idsOf(subs, regionID); !reflect.DeepEqual(listed, want) {
			t.Fatalf("listed %v, want %v", listed, want)
		}
	})
	t.Run("an empty parent lists the districts only", func(t *testing.T) {
		page, next, err := s.ListRegions(ctx, "", "", 50)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{d.ID, other.ID}; !reflect.DeepEqual(idsOf(page, regionID), want) || next != "" {
			t.Fatalf("districts %v (next %q), want %v", idsOf(page, regionID), next, want)
		}
	})
	t.Run("a region without children lists nothing", func(t *testing.T) {
		page, next, err := s.ListRegions(ctx, other.ID, "", 50)
		if err != nil || len(page) != 0 || next != "" {
			t.Fatalf("got %v, %q, %v", page, next, err)
		}
	})
	t.Run("a page token this service did not issue is invalid", func(t *testing.T) {
		if _, _, err := s.ListRegions(ctx, d.ID, "!!not base64!!", 2); !fault.IsKind(err, fault.Invalid) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("creating a region again (a replay) keeps the first record", func(t *testing.T) {
		again := subs[0]
		again.Name = "改名"
		if err := s.CreateRegion(ctx, again); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetRegion(ctx, subs[0].ID)
		if err != nil || got.Name != subs[0].Name {
			t.Fatalf("got %+v, %v", got, err)
		}
		page, _, _ := s.ListRegions(ctx, d.ID, "", 50)
		if len(page) != 5 {
			t.Fatalf("%d children after a replay, want 5", len(page))
		}
	})
}

func TestCreateCompoundIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, func(c *registry.Compound) { c.Name = "幸福里" })
	b := building(t, s, c.ID, "1栋", 6)
	hs := households(c.ID, b, "r", 3)
	if err := s.CreateHouseholds(ctx, c.ID, hs); err != nil {
		t.Fatal(err)
	}

	again := c
	again.Name = "另一个名字"
	if err := s.CreateCompound(ctx, again); err != nil {
		t.Fatal(err)
	}
	got := mustCompound(t, s, c.ID)
	if got.Name != "幸福里" || got.HouseholdCount != 3 || got.TotalArea != sumArea(hs) || got.BuildingCount != 1 || got.Revision != 1 {
		t.Fatalf("after a second create: name %q, households %d, area %d, buildings %d, revision %d", got.Name, got.HouseholdCount, got.TotalArea, got.BuildingCount, got.Revision)
	}
	all, _, err := s.ListCompounds(ctx, "", func(*registry.Compound) bool { return true }, "", 50)
	if err != nil || len(all) != 1 {
		t.Fatalf("listed %d compounds (%v), want 1", len(all), err)
	}
}

func TestGetCompoundOfUnknownIDIsNotFound(t *testing.T) {
	if _, err := newStore(t).GetCompound(context.Background(), "nope"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("got %v", err)
	}
}

func TestCreateBuilding(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b := building(t, s, c.ID, "1栋", 6)

	got, err := s.GetBuilding(ctx, b.ID)
	if err != nil || got.Name != "1栋" || got.UnitCount != 6 || got.CompoundID != c.ID {
		t.Fatalf("GetBuilding = %+v, %v", got, err)
	}
	t.Run("a building name is unique in its compound", func(t *testing.T) {
		dup := registry.Building{ID: ids.New(), CompoundID: c.ID, Name: "1栋", UnitCount: 2}
		if err := s.CreateBuilding(ctx, dup); !errors.Is(err, registry.ErrAlreadyExists) {
			t.Fatalf("got %v", err)
		}
		if _, err := s.GetBuilding(ctx, dup.ID); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("the refused building is readable: %v", err)
		}
	})
	t.Run("the same name in another compound is fine", func(t *testing.T) {
		other := compound(t, s, tr, tr.communityB, nil)
		building(t, s, other.ID, "1栋", 2)
	})
	t.Run("a building of an unknown compound is refused", func(t *testing.T) {
		err := s.CreateBuilding(ctx, registry.Building{ID: ids.New(), CompoundID: "nope", Name: "x", UnitCount: 1})
		if !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("the compound counts its buildings once, replays included", func(t *testing.T) {
		if err := s.CreateBuilding(ctx, b); err != nil {
			t.Fatal(err)
		}
		if n := mustCompound(t, s, c.ID).BuildingCount; n != 1 {
			t.Fatalf("building count %d, want 1", n)
		}
	})
	t.Run("BuildingsOf maps every building by id", func(t *testing.T) {
		b2 := building(t, s, c.ID, "2栋", 2)
		m, err := s.BuildingsOf(ctx, c.ID)
		if err != nil || len(m) != 2 || m[b.ID].Name != "1栋" || m[b2.ID].Name != "2栋" {
			t.Fatalf("BuildingsOf = %v, %v", m, err)
		}
	})
}

func TestCreateHouseholdsIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b := building(t, s, c.ID, "1栋", 6)
	first := households(c.ID, b, "r", 3)
	if err := s.CreateHouseholds(ctx, c.ID, first); err != nil {
		t.Fatal(err)
	}

	// A second batch whose entry 2 names a dwelling the first batch registered.
	second := households(c.ID, b, "s", 4)
	second[2].Room = first[1].Room
	err := s.CreateHouseholds(ctx, c.ID, second)
	var taken *DwellingTakenError
	if !errors.As(err, &taken) || taken.Index != 2 || !errors.Is(err, registry.ErrAlreadyExists) {
		t.Fatalf("got %v, want a DwellingTakenError at index 2", err)
	}

	got := mustCompound(t, s, c.ID)
	if got.HouseholdCount != 3 || got.TotalArea != sumArea(first) {
		t.Fatalf("after a refused batch: %d households, area %d; want 3, %d", got.HouseholdCount, got.TotalArea, sumArea(first))
	}
	if bb, _ := s.GetBuilding(ctx, b.ID); bb.HouseholdCount != 3 {
		t.Fatalf("building counts %d households, want 3", bb.HouseholdCount)
	}
	if stored, err := s.GetHouseholds(ctx, idsOf(second, householdID)); err != nil || len(stored) != 0 {
		t.Fatalf("records of the refused batch: %d (%v)", len(stored), err)
	}
	if _, err := s.GetHousehold(ctx, second[0].ID); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("GetHousehold of a refused household: %v", err)
	}
	if listed := allHouseholds(t, s, c.ID, ""); !reflect.DeepEqual(idsOf(listed, householdID), idsOf(first, householdID)) {
		t.Fatalf("listed %v, want the first batch only", idsOf(listed, householdID))
	}
	if listed := allHouseholds(t, s, c.ID, b.ID); len(listed) != 3 {
		t.Fatalf("the building lists %d households, want 3", len(listed))
	}

	// The refused batch's other dwellings are still free.
	retry := append(append([]registry.Household{}, second[:2]...), second[3])
	if err := s.CreateHouseholds(ctx, c.ID, retry); err != nil {
		t.Fatalf("the free dwellings of a refused batch: %v", err)
	}
	if got := mustCompound(t, s, c.ID); got.HouseholdCount != 6 || got.TotalArea != sumArea(first, retry) {
		t.Fatalf("%d households, area %d; want 6, %d", got.HouseholdCount, got.TotalArea, sumArea(first, retry))
	}
}

func TestCreateHouseholdsReplayChangesNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b := building(t, s, c.ID, "1栋", 6)
	batch := households(c.ID, b, "r", 5)
	if err := s.CreateHouseholds(ctx, c.ID, batch); err != nil {
		t.Fatal(err)
	}

	t.Run("the same batch again (same ids) is a no-op", func(t *testing.T) {
		replay := append([]registry.Household{}, batch...)
		for i := range replay {
			replay[i].CreateTime = t0.Add(time.Hour) // a replay made later must not rewrite records
		}
		if err := s.CreateHouseholds(ctx, c.ID, replay); err != nil {
			t.Fatalf("replay: %v", err)
		}
		got := mustCompound(t, s, c.ID)
		if got.HouseholdCount != 5 || got.TotalArea != sumArea(batch) {
			t.Fatalf("after a replay: %d households, area %d", got.HouseholdCount, got.TotalArea)
		}
		stored, err := s.GetHouseholds(ctx, idsOf(batch, householdID))
		if err != nil || !reflect.DeepEqual(stored, batch) {
			t.Fatalf("records after a replay differ from the first write (%v)", err)
		}
		if bb, _ := s.GetBuilding(ctx, b.ID); bb.HouseholdCount != 5 {
			t.Fatalf("building counts %d", bb.HouseholdCount)
		}
	})
	t.Run("the same dwellings under new ids are taken", func(t *testing.T) {
		again := households(c.ID, b, "r", 5)
		var taken *DwellingTakenError
		if err := s.CreateHouseholds(ctx, c.ID, again); !errors.As(err, &taken) || taken.Index != 0 {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a batch that is part replay, part new is refused whole", func(t *testing.T) {
		mixed := append([]registry.Household{batch[0]}, households(c.ID, b, "m", 2)...)
		if err := s.CreateHouseholds(ctx, c.ID, mixed); !errors.Is(err, registry.ErrAlreadyExists) {
			t.Fatalf("got %v", err)
		}
		if got := mustCompound(t, s, c.ID); got.HouseholdCount != 5 {
			t.Fatalf("%d households", got.HouseholdCount)
		}
		if stored, _ := s.GetHouseholds(ctx, idsOf(mixed[1:], householdID)); len(stored) != 0 {
			t.Fatalf("%d new records written", len(stored))
		}
	})
	t.Run("households of an unknown compound are refused", func(t *testing.T) {
		if err := s.CreateHouseholds(ctx, "nope", households("nope", b, "x", 1)); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestDerivedCountsFollowEveryBatch(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b1 := building(t, s, c.ID, "1栋", 6)
	b2 := building(t, s, c.ID, "2栋", 2)

	// Areas with hundredths that floats cannot hold exactly (0.29, 1.15, 76.53 m²).
	odd := func(hs []registry.Household) []registry.Household {
		for i := range hs {
			hs[i].ExclusiveArea = []registry.Area{29, 115, 7653, 10000, 1}[i%5]
		}
		return hs
	}
	batches := [][]registry.Household{
		odd(households(c.ID, b1, "a", 7)),
		households(c.ID, b2, "b", 11),
		odd(households(c.ID, b1, "c", 1)),
		households(c.ID, b2, "d", 30),
	}
	count, perBuilding := 0, map[string]int{}
	for _, batch := range batches {
		if err := s.CreateHouseholds(ctx, c.ID, batch); err != nil {
			t.Fatal(err)
		}
		count += len(batch)
		perBuilding[batch[0].BuildingID] += len(batch)
		got := mustCompound(t, s, c.ID)
		if got.HouseholdCount != count {
			t.Fatalf("household count %d, want %d", got.HouseholdCount, count)
		}
	}
	got := mustCompound(t, s, c.ID)
	if want := sumArea(batches...); got.TotalArea != want {
		t.Fatalf("total area %d hundredths, want %d", got.TotalArea, want)
	}
	bs, err := s.BuildingsOf(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range perBuilding {
		if bs[id].HouseholdCount != want {
			t.Errorf("building %s counts %d households, want %d", bs[id].Name, bs[id].HouseholdCount, want)
		}
		if n := len(allHouseholds(t, s, c.ID, id)); n != want {
			t.Errorf("building %s lists %d households, want %d", bs[id].Name, n, want)
		}
	}
}

func TestListHouseholdsPagesAThousand(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b := building(t, s, c.ID, "1栋", 6)
	batch := households(c.ID, b, "r", 1000)
	if err := s.CreateHouseholds(ctx, c.ID, batch); err != nil {
		t.Fatal(err)
	}

	var sizes []int
	seen := map[string]bool{}
	var listed []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("more pages than 1,000 / 400 needs")
		}
		page, next, err := s.ListHouseholds(ctx, c.ID, "", token, 400)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page))
		for _, h := range page {
			if seen[h.ID] {
				t.Fatalf("household %s listed twice", h.ID)
			}
			seen[h.ID] = true
			listed = append(listed, h.ID)
		}
		if next == "" {
			break
		}
		token = next
	}
	if fmt.Sprint(sizes) != "[400 400 200]" {
		t.Fatalf("page sizes %v, want [400 400 200]", sizes)
	}
	want := idsOf(batch, householdID)
	if !reflect.DeepEqual(listed, want) {
		t.Fatalf("listed ids differ from the created ids or their order (%d listed)", len(listed))
	}
}

func TestListHouseholdsEndsWithoutATokenOnAnExactPage(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b := building(t, s, c.ID, "1栋", 6)
	if err := s.CreateHouseholds(ctx, c.ID, households(c.ID, b, "r", 10)); err != nil {
		t.Fatal(err)
	}
	page, next, err := s.ListHouseholds(ctx, c.ID, "", "", 10)
	if err != nil || len(page) != 10 || next != "" {
		t.Fatalf("got %d households, next %q, %v; want 10 and no token", len(page), next, err)
	}
}

func TestUpdateCompoundChecksTheRevision(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, func(c *registry.Compound) { c.Name = "幸福里" })
	read := mustCompound(t, s, c.ID)
	if read.Revision != 1 {
		t.Fatalf("a new compound is at revision %d, want 1", read.Revision)
	}

	edit := *read
	edit.Name = "幸福里小区"
	rev, err := s.UpdateCompound(ctx, edit)
	if err != nil || rev != 2 {
		t.Fatalf("update = %d, %v; want revision 2", rev, err)
	}

	stale := *read
	stale.Name = "过时的修改"
	if _, err := s.UpdateCompound(ctx, stale); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("an update on revision 1 after revision 2: %v, want ErrConflict", err)
	}
	if got := mustCompound(t, s, c.ID); got.Name != "幸福里小区" || got.Revision != 2 {
		t.Fatalf("after a stale update: %q at revision %d", got.Name, got.Revision)
	}

	missing := edit
	missing.ID = "nope"
	if _, err := s.UpdateCompound(ctx, missing); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("update of an unknown compound: %v", err)
	}
}

func TestUpdateCompoundKeepsTheDerivedCounts(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b := building(t, s, c.ID, "1栋", 6)
	hs := households(c.ID, b, "r", 4)
	if err := s.CreateHouseholds(ctx, c.ID, hs); err != nil {
		t.Fatal(err)
	}
	read := mustCompound(t, s, c.ID)
	read.Address = "东川路 1 号"
	if _, err := s.UpdateCompound(ctx, *read); err != nil {
		t.Fatal(err)
	}
	got := mustCompound(t, s, c.ID)
	if got.Address != "东川路 1 号" || got.HouseholdCount != 4 || got.TotalArea != sumArea(hs) || got.BuildingCount != 1 {
		t.Fatalf("after an update: %+v", got)
	}
}

func TestListCompoundsFiltersAcrossPages(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	var all, threeNone, inA []registry.Compound
	for i := 0; i < 25; i++ {
		community := tr.communityA
		if i%5 == 4 {
			community = tr.communityB
		}
		c := compound(t, s, tr, community, func(c *registry.Compound) {
			c.Name = fmt.Sprintf("小区%02d", i)
			if i%3 == 0 {
				c.ManagementType = registry.ThreeNone
			}
		})
		all = append(all, c)
		if i%3 == 0 {
			threeNone = append(threeNone, c)
		}
		if community.ID == tr.communityA.ID {
			inA = append(inA, c)
		}
	}
	isThreeNone := func(c *registry.Compound) bool { return c.ManagementType == registry.ThreeNone }
	everything := func(*registry.Compound) bool { return true }

	list := func(t *testing.T, region string, match func(*registry.Compound) bool, size int) []string {
		t.Helper()
		var out []string
		seen := map[string]bool{}
		token := ""
		for pages := 0; ; pages++ {
			if pages > 30 {
				t.Fatal("paging does not end")
			}
			page, next, err := s.ListCompounds(ctx, region, match, token, size)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > size {
				t.Fatalf("a page of %d, asked for %d", len(page), size)
			}
			for _, c := range page {
				if seen[c.ID] {
					t.Fatalf("compound %s listed twice", c.Name)
				}
				seen[c.ID] = true
				out = append(out, c.ID)
			}
			if next == "" {
				return out
			}
			token = next
		}
	}

	for _, size := range []int{1, 2, 3, 4, 9, 50} {
		t.Run(fmt.Sprintf("a filter pages through every match, page size %d", size), func(t *testing.T) {
			if got, want := list(t, "", isThreeNone, size), idsOf(threeNone, compoundID); !reflect.DeepEqual(got, want) {
				t.Fatalf("listed %v, want %v", got, want)
			}
		})
	}
	// Two of every three match, so a page often fills in the middle of a batch read from
	// the index: the next page must start right after the last compound returned.
	var dense []string
	for i, c := range all {
		if i%3 != 2 {
			dense = append(dense, c.ID)
		}
	}
	isDense := func(c *registry.Compound) bool {
		var i int
		_, _ = fmt.Sscanf(c.Name, "小区%02d", &i)
		return i%3 != 2
	}
	for _, size := range []int{1, 2, 3, 5, 7} {
		t.Run(fmt.Sprintf("a page that fills mid-batch resumes after its last compound, page size %d", size), func(t *testing.T) {
			if got := list(t, "", isDense, size); !reflect.DeepEqual(got, dense) {
				t.Fatalf("listed %d, want %d", len(got), len(dense))
			}
		})
	}
	t.Run("a filter that matches nothing lists nothing", func(t *testing.T) {
		none := func(c *registry.Compound) bool { return c.ManagementType == registry.ProfessionalPM }
		if got := list(t, "", none, 4); len(got) != 0 {
			t.Fatalf("listed %v", got)
		}
	})
	t.Run("a district lists the compounds of all its communities", func(t *testing.T) {
		if got, want := list(t, tr.district.ID, everything, 7), idsOf(all, compoundID); !reflect.DeepEqual(got, want) {
			t.Fatalf("listed %d, want %d", len(got), len(want))
		}
	})
	t.Run("a community lists its own compounds only", func(t *testing.T) {
		if got, want := list(t, tr.communityA.ID, everything, 6), idsOf(inA, compoundID); !reflect.DeepEqual(got, want) {
			t.Fatalf("listed %d, want %d", len(got), len(want))
		}
	})
	t.Run("region and filter together", func(t *testing.T) {
		var want []string
		for _, c := range inA {
			if c.ManagementType == registry.ThreeNone {
				want = append(want, c.ID)
			}
		}
		if got := list(t, tr.communityA.ID, isThreeNone, 2); !reflect.DeepEqual(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
	})
}

func TestClaimRequestReturnsTheFirstClaim(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	first := Claim{Hash: "h1", IDs: []string{"a", "b", "c"}}

	got, isNew, err := s.ClaimRequest(ctx, "BatchCreateHouseholds", "req-1", first)
	if err != nil || !isNew || !reflect.DeepEqual(got, first) {
		t.Fatalf("first claim = %+v, %t, %v", got, isNew, err)
	}
	got, isNew, err = s.ClaimRequest(ctx, "BatchCreateHouseholds", "req-1", Claim{Hash: "h2", IDs: []string{"x"}})
	if err != nil || isNew || !reflect.DeepEqual(got, first) {
		t.Fatalf("reuse = %+v, %t, %v; want the first claim %+v", got, isNew, err, first)
	}

	t.Run("the same request id of another method is another claim", func(t *testing.T) {
		other := Claim{Hash: "h3", IDs: []string{"z"}}
		got, isNew, err := s.ClaimRequest(ctx, "CreateCompound", "req-1", other)
		if err != nil || !isNew || !reflect.DeepEqual(got, other) {
			t.Fatalf("got %+v, %t, %v", got, isNew, err)
		}
	})
	t.Run("the claim expires after idempotency.TTL", func(t *testing.T) {
		ttl, err := s.rdb.TTL(ctx, claimKey("BatchCreateHouseholds", "req-1")).Result()
		if err != nil || ttl <= 0 || ttl > idempotency.TTL {
			t.Fatalf("ttl %v, %v", ttl, err)
		}
	})
	t.Run("a claim of no ids comes back with no ids", func(t *testing.T) {
		empty := Claim{Hash: "h4"}
		if _, _, err := s.ClaimRequest(ctx, "M", "req-empty", empty); err != nil {
			t.Fatal(err)
		}
		got, isNew, err := s.ClaimRequest(ctx, "M", "req-empty", Claim{Hash: "h5"})
		if err != nil || isNew || got.Hash != "h4" || len(got.IDs) != 0 {
			t.Fatalf("reuse = hash %q ids %q, %t, %v; want hash h4 and no ids", got.Hash, got.IDs, isNew, err)
		}
	})
}

// Counts move in the same atomic step as the records: concurrent batches of distinct
// dwellings add up exactly, and of batches racing for one dwelling exactly one wins.
func TestConcurrentBatchesKeepTheCountsExact(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b := building(t, s, c.ID, "1栋", 6)

	const writers = 8
	batches := make([][]registry.Household, writers)
	for i := range batches {
		batches[i] = households(c.ID, b, fmt.Sprintf("w%d", i), 50)
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range batches {
		wg.Add(1)
		go func(i int) { defer wg.Done(); errs[i] = s.CreateHouseholds(ctx, c.ID, batches[i]) }(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	if got := mustCompound(t, s, c.ID); got.HouseholdCount != writers*50 || got.TotalArea != sumArea(batches...) {
		t.Fatalf("%d households, area %d; want %d, %d", got.HouseholdCount, got.TotalArea, writers*50, sumArea(batches...))
	}

	// Racing for one dwelling, under different ids.
	wins := 0
	var mu sync.Mutex
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := households(c.ID, b, "contested", 1)
			err := s.CreateHouseholds(ctx, c.ID, h)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, registry.ErrAlreadyExists):
				t.Errorf("a losing batch: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d batches registered the contested dwelling, want 1", wins)
	}
	if got := mustCompound(t, s, c.ID); got.HouseholdCount != writers*50+1 {
		t.Fatalf("%d households, want %d", got.HouseholdCount, writers*50+1)
	}
}

// Two regions of one name under one parent would be one place counted twice; the same name
// under another parent is a different place.
func TestRegionNamesAreUniqueAmongSiblings(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	tr := newTree(t, s)
	dup := registry.Region{ID: ids.New(), Name: "幸福社区", Level: registry.Community, Parent: tr.sub.ID, CreateTime: t0}
	if err := s.CreateRegion(ctx, dup); !errors.Is(err, registry.ErrAlreadyExists) {
		t.Fatalf("second 幸福社区 under one sub-district: %v", err)
	}
	if _, err := s.GetRegion(ctx, dup.ID); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("refused region was stored: %v", err)
	}
	other := region(t, s, "西门街道", registry.Subdistrict, tr.district.ID)
	region(t, s, "幸福社区", registry.Community, other.ID)
	// A replay of a stored region (same id) is not a duplicate.
	if err := s.CreateRegion(ctx, tr.communityA); err != nil {
		t.Fatalf("replay: %v", err)
	}
}
