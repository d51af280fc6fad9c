package works

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// itemsFrom decodes fuzz bytes into work items the API would accept, 8 bytes an item:
// id (and kind: the id's byte mod 21), category, difficulty, flags (bit 0 safety-critical,
// bit 1 an after link to the item whose id byte is the flags' byte; bits 2-7 an after link
// to an item decoded earlier), estimated cost (4 bytes), up to 64 items (a big project's
// worth). Ids are unique, as the store makes them; an item repeating an id is dropped.
// Links may name no item or close a cycle: CheckOrder refuses those on the way in, and
// Schedule must still place every item.
func itemsFrom(data []byte) []Item {
	var items []Item
	seen := map[string]bool{}
	for ; len(data) >= 8 && len(items) < 64; data = data[8:] {
		id := fmt.Sprintf("it-%02x", data[0])
		if seen[id] {
			continue
		}
		seen[id] = true
		it := Item{
			ID: id, ProjectID: "p1", Kind: int(data[0]) % 21, Quantity: 1, Unit: "pcs",
			Category:         Category(1 + int(data[1])%3),
			Difficulty:       Difficulty(1 + int(data[2])%3),
			SafetyCritical:   data[3]&1 == 1,
			EstimatedCostFen: int64(binary.LittleEndian.Uint32(data[4:8])),
		}
		if data[3]&2 != 0 {
			it.After = append(it.After, fmt.Sprintf("it-%02x", data[3]))
		}
		if k := int(data[3] >> 2); k > 0 && len(items) > 0 {
			it.After = append(it.After, items[k%len(items)].ID)
		}
		items = append(items, it)
	}
	return items
}

// rule5Less is rule 5's keys written out on their own: category, safety-critical first,
// easy before hard, bigger cost first, id.
func rule5Less(a, b Item) (bool, string) {
	switch {
	case a.Category != b.Category:
		lo, hi := min(a.Category, b.Category), max(a.Category, b.Category)
		return a.Category < b.Category, strings.ToUpper(lo.String()) + " before " + strings.ToUpper(hi.String())
	case a.SafetyCritical != b.SafetyCritical:
		return a.SafetyCritical, "safety-critical first"
	case a.Difficulty != b.Difficulty:
		return a.Difficulty < b.Difficulty, "easier first"
	case a.EstimatedCostFen != b.EstimatedCostFen:
		return a.EstimatedCostFen > b.EstimatedCostFen, "bigger cost first"
	}
	return a.ID < b.ID, "by id"
}

// rule5Preds is rule 5's precedence written out on its own: the items an item must
// follow, by id: those it names (that exist, not itself) and, for a surface (road 3,
// greening 4, manhole covers 6, paving 20), every underground work (drain 5, water 17,
// gas 18, cable 19).
func rule5Preds(items []Item) map[string]map[string]bool {
	underground := map[int]bool{5: true, 17: true, 18: true, 19: true}
	surface := map[int]bool{3: true, 4: true, 6: true, 20: true}
	ids := map[string]bool{}
	for _, it := range items {
		ids[it.ID] = true
	}
	out := map[string]map[string]bool{}
	for _, it := range items {
		out[it.ID] = map[string]bool{}
		for _, a := range it.After {
			if ids[a] && a != it.ID {
				out[it.ID][a] = true
			}
		}
		if surface[it.Kind] {
			for _, u := range items {
				if underground[u.Kind] {
					out[it.ID][u.ID] = true
				}
			}
		}
	}
	return out
}

// checkSchedule is rule 5's oracle for a schedule s of items: a permutation of the items,
// unchanged, at positions 1..n, every entry with a reason. When the links form no cycle
// (CheckOrder takes them): every item stands after all it must follow (topological), and
// among the items free to go at its place none beats it by the keys; its reason names
// the entry before it when that one is its predecessor, else is the key that puts the
// entry before it first.
func checkSchedule(t interface {
	Fatalf(string, ...any)
}, items []Item, s []ScheduleEntry) {
	if len(s) != len(items) {
		t.Fatalf("%d items scheduled as %d entries", len(items), len(s))
	}
	byID := map[string]Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	for i, e := range s {
		if e.Position != i+1 {
			t.Fatalf("entry %d at position %d", i, e.Position)
		}
		in, ok := byID[e.Item.ID]
		if !ok {
			t.Fatalf("entry %d is item %s, not one of the items or scheduled twice", i, e.Item.ID)
		}
		delete(byID, e.Item.ID)
		if !reflect.DeepEqual(in, e.Item) {
			t.Fatalf("item %s changed by scheduling: %+v → %+v", in.ID, in, e.Item)
		}
		if e.Reason == "" {
			t.Fatalf("position %d (%s) gives no reason", e.Position, e.Item.ID)
		}
	}
	if len(byID) > 0 {
		t.Fatalf("items left out of the schedule: %v", byID)
	}
	if CheckOrder(items, "", "item.after") != nil {
		return // a cycle (refused on entry): every item placed, each with a reason
	}
	preds := rule5Preds(items)
	placed := map[string]bool{}
	for i, e := range s {
		for p := range preds[e.Item.ID] {
			if !placed[p] {
				t.Fatalf("position %d %s stands before %s, which it must follow", e.Position, e.Item.ID, p)
			}
		}
		for _, o := range s[i+1:] {
			free := true
			for p := range preds[o.Item.ID] {
				free = free && placed[p]
			}
			if first, why := rule5Less(o.Item, e.Item); free && first {
				t.Fatalf("position %d %s, while %s, free to go too, comes first by %s", e.Position, e.Item.ID, o.Item.ID, why)
			}
		}
		if i > 0 {
			prev := s[i-1].Item
			if preds[e.Item.ID][prev.ID] {
				if !strings.Contains(e.Reason, prev.ID) {
					t.Fatalf("position %d follows %s, its predecessor, and says %q", e.Position, prev.ID, e.Reason)
				}
			} else if first, why := rule5Less(prev, e.Item); !first || e.Reason != why {
				t.Fatalf("position %d: reason %q, rule 5's keys decide %v by %q", e.Position, e.Reason, first, why)
			}
		}
		placed[e.Item.ID] = true
	}
}

// FuzzSchedule fuzzes rule 5 (the order of works) over item sets with kinds and after
// links. Invariants (checkSchedule): the schedule is a permutation of the items, unchanged,
// at positions 1..n, every entry with a reason; without a cycle it is a topological order
// of the precedences (underground works before the surfaces over them, each item after
// those it names) whose ties among the items free to go are broken by the keys (BASIC
// before IMPROVEMENT before UPGRADE, safety-critical first, easy before hard, bigger cost
// first, id), and each reason is the precedence or key that decided it against the entry
// before it; the same items in any order give the same schedule.
func FuzzSchedule(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{
		1, 0, 1, 1, 0x00, 0x2d, 0x31, 0x01, // BASIC, medium, safety-critical, 2,000,000 yuan
		2, 0, 0, 1, 0x40, 0x42, 0x0f, 0x00, // BASIC, easy, safety-critical
		3, 2, 0, 0, 0xc0, 0xc6, 0x2d, 0x00, // UPGRADE, easy
	})
	f.Add([]byte{ // every key tied but the id
		9, 1, 1, 0, 7, 0, 0, 0,
		3, 1, 1, 0, 7, 0, 0, 0,
		5, 1, 1, 0, 7, 0, 0, 0,
	})
	f.Add([]byte{ // the same id twice: the second is dropped
		4, 2, 2, 1, 0xff, 0xff, 0xff, 0xff,
		4, 0, 0, 0, 0, 0, 0, 0,
		8, 2, 2, 1, 0xff, 0xff, 0xff, 0xff,
	})
	f.Add([]byte{ // a road, the drain pipe under it, and a shed named after the road
		3, 0, 0, 1, 9, 0, 0, 0,
		5, 2, 2, 0, 1, 0, 0, 0,
		9, 1, 0, 4, 1, 0, 0, 0,
	})
	f.Add([]byte{ // a cycle through a link and the default precedence
		3, 0, 0, 0x07, 1, 0, 0, 0, // road after it-07
		7, 0, 0, 0, 1, 0, 0, 0,
		5, 0, 0, 0x04, 1, 0, 0, 0, // drain after the road
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		items := itemsFrom(data)
		s := Schedule(items)
		checkSchedule(t, items, s)
		if again := Schedule(items); !reflect.DeepEqual(again, s) {
			t.Fatal("the same items scheduled twice give two schedules")
		}
		reversed := slices.Clone(items)
		slices.Reverse(reversed)
		if other := Schedule(reversed); !reflect.DeepEqual(other, s) {
			t.Fatal("the same items in another order give another schedule")
		}
	})
}
