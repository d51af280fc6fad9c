package works

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"tongdu/platform/fault"
)

var t0 = time.Date(2021, 5, 10, 9, 0, 0, 0, time.UTC)

// shiyangRoad21 are the works of the Shiyang Road No. 21 compound (seed article), each
// with a plausible category, safety flag, difficulty and estimated cost. Kind numbers are
// the contract's.
func shiyangRoad21() []Item {
	return []Item{
		{ID: "demolition", Kind: 1, Description: "illegal structures demolished", Quantity: 80, Unit: "m2", Category: Basic, SafetyCritical: true, Difficulty: Easy, EstimatedCostFen: 2_400_000},
		{ID: "stairwell-paint", Kind: 2, Description: "stairwells repainted", Quantity: 8, Unit: "buildings", Category: Basic, Difficulty: Easy, EstimatedCostFen: 9_600_000},
		{ID: "road", Kind: 3, Description: "damaged roads repaired", Quantity: 968, Unit: "m2", Category: Basic, SafetyCritical: true, Difficulty: Medium, EstimatedCostFen: 19_360_000},
		{ID: "greening", Kind: 4, Description: "greening added", Quantity: 10, Unit: "m2", Category: Improvement, Difficulty: Easy, EstimatedCostFen: 300_000},
		{ID: "drain-pipes", Kind: 5, Description: "resident drain pipes renewed", Quantity: 40, Unit: "m", Category: Basic, SafetyCritical: true, Difficulty: Hard, EstimatedCostFen: 4_800_000},
		{ID: "covers", Kind: 6, Description: "broken drain and manhole covers replaced", Quantity: 7, Unit: "pcs", Category: Basic, SafetyCritical: true, Difficulty: Easy, EstimatedCostFen: 350_000},
		{ID: "lights", Kind: 7, Description: "32 stairwell lights in 8 units", Quantity: 32, Unit: "pcs", Category: Basic, Difficulty: Easy, EstimatedCostFen: 960_000},
		{ID: "charger", Kind: 8, Description: "e-bike charging point", Quantity: 1, Unit: "pcs", Category: Improvement, SafetyCritical: true, Difficulty: Medium, EstimatedCostFen: 1_500_000},
		{ID: "bike-shed", Kind: 9, Description: "e-bike shed", Quantity: 1, Unit: "pcs", Category: Improvement, Difficulty: Medium, EstimatedCostFen: 2_000_000},
		{ID: "pavilion", Kind: 10, Description: "连心亭", Quantity: 1, Unit: "pcs", Category: Upgrade, Difficulty: Medium, EstimatedCostFen: 3_000_000},
		{ID: "drying-area", Kind: 11, Description: "shared drying area", Quantity: 1, Unit: "pcs", Category: Improvement, Difficulty: Easy, EstimatedCostFen: 300_000},
		{ID: "ramp", Kind: 12, Description: "wheelchair ramp to the activity square", Quantity: 1, Unit: "pcs", Category: Improvement, SafetyCritical: true, Difficulty: Easy, EstimatedCostFen: 800_000},
		{ID: "meeting-room", Kind: 13, Description: "unsafe shed turned into 睦邻议事厅", Quantity: 1, Unit: "pcs", Category: Upgrade, SafetyCritical: true, Difficulty: Hard, EstimatedCostFen: 8_000_000},
	}
}

// shiyangRoad21Order is rule 5's order of those works (the drain pipes before the road,
// covers and greening over them, 先地下后地上), each with why it stands there.
var shiyangRoad21Order = []struct{ id, reason string }{
	{"demolition", "first: follows no other item; easier first"}, // basic, safety, easy
	{"drain-pipes", "easier first"},                              // basic, safety, hard; underground
	{"covers", "after DRAIN_PIPE drain-pipes: underground works before the surface over them"},
	{"road", "easier first"},                       // basic, safety, medium; over the drain pipes
	{"stairwell-paint", "safety-critical first"},   // basic, easy, 96,000 yuan
	{"lights", "bigger cost first"},                // basic, easy, 9,600 yuan
	{"ramp", "BASIC before IMPROVEMENT"},           // improvement, safety, easy
	{"charger", "easier first"},                    // improvement, safety, medium
	{"drying-area", "safety-critical first"},       // improvement, easy, 3,000 yuan
	{"greening", "by id"},                          // improvement, easy, 3,000 yuan: a tie broken by id
	{"bike-shed", "easier first"},                  // improvement, medium
	{"meeting-room", "IMPROVEMENT before UPGRADE"}, // upgrade, safety, hard
	{"pavilion", "safety-critical first"},          // upgrade, medium; last
}

func TestScheduleOfShiyangRoad21FollowsRule5FromAnyOrder(t *testing.T) {
	base := shiyangRoad21()
	orders := [][]Item{base, slices.Clone(base)}
	slices.Reverse(orders[1])
	for seed := uint64(0); seed < 200; seed++ {
		shuffled := slices.Clone(base)
		r := rand.New(rand.NewPCG(seed, 21))
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		orders = append(orders, shuffled)
	}
	for n, in := range orders {
		before := slices.Clone(in)
		got := Schedule(in)
		if !slices.EqualFunc(in, before, func(a, b Item) bool { return a.ID == b.ID }) {
			t.Fatalf("order %d: Schedule reordered its input", n)
		}
		if len(got) != len(shiyangRoad21Order) {
			t.Fatalf("order %d: %d entries, want %d", n, len(got), len(shiyangRoad21Order))
		}
		for i, want := range shiyangRoad21Order {
			e := got[i]
			if e.Position != i+1 || e.Item.ID != want.id || e.Reason != want.reason {
				t.Fatalf("order %d (input %v): position %d is %d %s %q, want %d %s %q", n, ids(in), i+1, e.Position, e.Item.ID, e.Reason, i+1, want.id, want.reason)
			}
		}
	}
}

func TestScheduleOfNothingAndOfOne(t *testing.T) {
	if got := Schedule(nil); len(got) != 0 {
		t.Fatalf("Schedule(nil) = %v", got)
	}
	got := Schedule([]Item{{ID: "only", Category: Upgrade}})
	if len(got) != 1 || got[0].Position != 1 || got[0].Reason != "the only item" {
		t.Fatalf("Schedule of one = %+v", got)
	}
}

func ids(items []Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func genItems(t *rapid.T) []Item {
	n := rapid.IntRange(0, 30).Draw(t, "n")
	idSet := rapid.SliceOfNDistinct(rapid.StringMatching(`[a-z0-9]{1,6}`), n, n, rapid.ID[string]).Draw(t, "ids")
	// Few costs, so ties on every earlier key happen often.
	cost := rapid.SampledFrom([]int64{0, 1, 100, 300_000, 2_400_000, math.MaxInt64})
	out := make([]Item, n)
	for i := range out {
		out[i] = Item{
			ID:               idSet[i],
			Category:         Category(rapid.IntRange(1, 3).Draw(t, "category")),
			SafetyCritical:   rapid.Bool().Draw(t, "safety"),
			Difficulty:       Difficulty(rapid.IntRange(1, 3).Draw(t, "difficulty")),
			EstimatedCostFen: cost.Draw(t, "cost"),
			Quantity:         1, Unit: "pcs",
			// Underground works, the surfaces over them, and others (rule 5's precedence).
			Kind: rapid.SampledFrom([]int{KindDrainPipe, KindWaterPipe, KindRoadRepair, KindPaving, KindGreening, 9, 13}).Draw(t, "kind"),
		}
		if i > 0 && rapid.Bool().Draw(t, "linked") {
			out[i].After = []string{idSet[rapid.IntRange(0, n-1).Draw(t, "after")]}
		}
	}
	return out
}

// Schedule returns a permutation of its items in rule 5's order (the order of works:
// precedence first, then the keys), each with the reason that decides it (checkSchedule);
// the input order does not matter.
func TestScheduleIsAPermutationSortedByRule5(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		items := genItems(t)
		got := Schedule(items)
		if len(got) != len(items) {
			t.Fatalf("%d entries for %d items", len(got), len(items))
		}
		gotIDs := make([]string, len(got))
		for i, e := range got {
			gotIDs[i] = e.Item.ID
			if e.Position != i+1 {
				t.Fatalf("entry %d has position %d", i, e.Position)
			}
		}
		wantIDs := ids(items)
		slices.Sort(wantIDs)
		sortedGot := slices.Clone(gotIDs)
		slices.Sort(sortedGot)
		if !slices.Equal(sortedGot, wantIDs) {
			t.Fatalf("not a permutation: %v of %v", gotIDs, wantIDs)
		}
		checkSchedule(t, items, got)
		perm := rapid.Permutation(items).Draw(t, "permutation")
		again := Schedule(perm)
		for i := range again {
			if again[i].Item.ID != got[i].Item.ID || again[i].Reason != got[i].Reason {
				t.Fatalf("another input order gives another schedule: %v vs %v", gotIDs, ids(perm))
			}
		}
	})
}

func violationFields(err error) []string {
	var out []string
	for _, v := range fault.ViolationsOf(err) {
		out = append(out, v.Field)
	}
	return out
}

func TestCheckItemNamesEveryBadField(t *testing.T) {
	good := Item{Category: Basic, Difficulty: Easy, Quantity: 968, Unit: "m2", EstimatedCostFen: 19_360_000, ProgressPercent: 0}
	if err := CheckItem(good, "item"); err != nil {
		t.Fatalf("good item refused: %v", err)
	}
	cases := []struct {
		name  string
		edit  func(*Item)
		field string
	}{
		{"negative quantity", func(it *Item) { it.Quantity = -80 }, "item.quantity"},
		{"zero quantity", func(it *Item) { it.Quantity = 0 }, "item.quantity"},
		{"NaN quantity", func(it *Item) { it.Quantity = math.NaN() }, "item.quantity"},
		{"unknown category", func(it *Item) { it.Category = 4 }, "item.category"},
		{"no category", func(it *Item) { it.Category = CategoryUnspecified }, "item.category"},
		{"negative category", func(it *Item) { it.Category = -1 }, "item.category"},
		{"unknown difficulty", func(it *Item) { it.Difficulty = 4 }, "item.difficulty"},
		{"no difficulty", func(it *Item) { it.Difficulty = 0 }, "item.difficulty"},
		{"unknown unit", func(it *Item) { it.Unit = "km" }, "item.unit"},
		{"no unit", func(it *Item) { it.Unit = "" }, "item.unit"},
		{"negative cost", func(it *Item) { it.EstimatedCostFen = -1 }, "item.estimatedCostFen"},
		{"progress over 100", func(it *Item) { it.ProgressPercent = 101 }, "item.progressPercent"},
		{"negative progress", func(it *Item) { it.ProgressPercent = -1 }, "item.progressPercent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it := good
			tc.edit(&it)
			err := CheckItem(it, "item")
			if !fault.IsKind(err, fault.Invalid) {
				t.Fatalf("CheckItem = %v, want bad input", err)
			}
			if fs := violationFields(err); !slices.Equal(fs, []string{tc.field}) {
				t.Fatalf("violations %v, want [%s]", fs, tc.field)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("message %q does not name %s", err, tc.field)
			}
		})
	}
	all := CheckItem(Item{Category: 9, Quantity: -1, Unit: "acre", EstimatedCostFen: -5, ProgressPercent: 200}, "items[3]")
	want := []string{"items[3].category", "items[3].difficulty", "items[3].quantity", "items[3].unit", "items[3].estimatedCostFen", "items[3].progressPercent"}
	if fs := violationFields(all); !slices.Equal(fs, want) {
		t.Fatalf("violations %v, want every one of %v", fs, want)
	}
}

func TestApplyItemUpdate(t *testing.T) {
	cur := Item{ID: "road", ProjectID: "p", Category: Basic, Kind: 3, Quantity: 968, Unit: "m2", Difficulty: Medium, EstimatedCostFen: 100, Revision: 4, UpdateTime: t0}
	later := t0.Add(time.Hour)

	next, err := ApplyItemUpdate(cur, Item{ProgressPercent: 60, Quantity: 1000, Description: "ignored: not in the mask"}, []string{"progressPercent", "quantity"}, later)
	if err != nil {
		t.Fatal(err)
	}
	if next.ProgressPercent != 60 || next.Quantity != 1000 || next.Description != "" || next.Revision != 4 || !next.UpdateTime.Equal(later) || next.ID != "road" {
		t.Fatalf("updated item %+v", next)
	}

	for _, tc := range []struct {
		patch Item
		mask  string
		field string
	}{
		{Item{Quantity: -3}, "quantity", "item.quantity"},
		{Item{Category: 7}, "category", "item.category"},
		{Item{ProgressPercent: 150}, "progressPercent", "item.progressPercent"},
		{Item{}, "projectId", "updateMask"},
		{Item{}, "id", "updateMask"},
	} {
		_, err := ApplyItemUpdate(cur, tc.patch, []string{tc.mask}, later)
		if fs := violationFields(err); !slices.Equal(fs, []string{tc.field}) {
			t.Errorf("mask %s: violations %v (%v), want [%s]", tc.mask, fs, err, tc.field)
		}
	}
	if cur.ProgressPercent != 0 || cur.Quantity != 968 || !cur.UpdateTime.Equal(t0) {
		t.Fatalf("ApplyItemUpdate changed its input: %+v", cur)
	}
}

func TestItemComplete(t *testing.T) {
	for p, want := range map[int]bool{0: false, 99: false, 100: true} {
		it := Item{ProgressPercent: p}
		if it.Complete() != want {
			t.Errorf("progress %d: complete %v", p, it.Complete())
		}
	}
	it := Item{Revision: 7}
	if it.Etag() != "r7" {
		t.Errorf("etag %q", it.Etag())
	}
}

func TestEnumNames(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Basic.String(), "basic"}, {Improvement.String(), "improvement"}, {Upgrade.String(), "upgrade"},
		{Category(9).String(), "category 9"},
		{Easy.String(), "easy"}, {Medium.String(), "medium"}, {Hard.String(), "hard"}, {Difficulty(-1).String(), "difficulty -1"},
		{Proposed.String(), "PROPOSED"}, {Cancelled.String(), "CANCELLED"}, {Status(42).String(), "Status(42)"},
		{Supervisor.String(), "SUPERVISOR"}, {Community.String(), "COMMUNITY"}, {Role(5).String(), "Role(5)"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// Rule 5 (a cycle is refused): CheckOrder names the field and, for a cycle, its items in
// order; the default precedence (underground before the surface over it) counts.
func TestCheckOrderRefusesCyclesAndStrangers(t *testing.T) {
	road := Item{ID: "road", Kind: KindRoadRepair}
	drain := Item{ID: "drain", Kind: KindDrainPipe, After: []string{"road"}}
	err := CheckOrder([]Item{road, drain}, "drain", "item.after")
	if f := violationFields(err); len(f) != 1 || f[0] != "item.after" || !strings.Contains(err.Error(), "ROAD_REPAIR road") || !strings.Contains(err.Error(), "DRAIN_PIPE drain") {
		t.Fatalf("cycle through the default precedence: %v", err)
	}
	for _, after := range []string{"shed", "nobody"} {
		shed := Item{ID: "shed", Kind: 9, After: []string{after}}
		if f := violationFields(CheckOrder([]Item{road, shed}, "shed", "item.after")); len(f) != 1 || f[0] != "item.after" {
			t.Fatalf("after %q: %v", after, f)
		}
	}
	a, b := Item{ID: "a", After: []string{"b"}}, Item{ID: "b", After: []string{"a"}}
	if err := CheckOrder([]Item{a, b}, "b", "item.after"); err == nil || !strings.Contains(err.Error(), "a") {
		t.Fatalf("cycle of links: %v", err)
	}
	if err := CheckOrder([]Item{road, {ID: "drain", Kind: KindDrainPipe}, {ID: "shed", Kind: 9, After: []string{"road"}}}, "shed", "item.after"); err != nil {
		t.Fatalf("no cycle refused: %v", err)
	}
}
