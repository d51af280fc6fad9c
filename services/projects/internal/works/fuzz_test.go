package works

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// itemsFrom decodes fuzz bytes into work items the API would accept, 8 bytes an item:
// id, category, difficulty, safety-critical, estimated cost (4 bytes), up to 64 items (a
// big project's worth). Ids are unique, as the store makes them; an item repeating an id
// is dropped.
func itemsFrom(data []byte) []Item {
	var items []Item
	seen := map[string]bool{}
	for ; len(data) >= 8 && len(items) < 64; data = data[8:] {
		id := fmt.Sprintf("it-%02x", data[0])
		if seen[id] {
			continue
		}
		seen[id] = true
		items = append(items, Item{
			ID: id, ProjectID: "p1", Kind: int(data[0]), Quantity: 1, Unit: "pcs",
			Category:         Category(1 + int(data[1])%3),
			Difficulty:       Difficulty(1 + int(data[2])%3),
			SafetyCritical:   data[3]&1 == 1,
			EstimatedCostFen: int64(binary.LittleEndian.Uint32(data[4:8])),
		})
	}
	return items
}

// rule5Key is rule 5 written out on its own: category, safety-critical first, easy before
// hard, bigger cost first, id.
func rule5Less(a, b Item) (bool, string) {
	switch {
	case a.Category != b.Category:
		lo, hi := min(a.Category, b.Category), max(a.Category, b.Category)
		return a.Category < b.Category, lo.String() + " before " + hi.String()
	case a.SafetyCritical != b.SafetyCritical:
		return a.SafetyCritical, "safety-critical first"
	case a.Difficulty != b.Difficulty:
		lo, hi := min(a.Difficulty, b.Difficulty), max(a.Difficulty, b.Difficulty)
		return a.Difficulty < b.Difficulty, lo.String() + " before " + hi.String()
	case a.EstimatedCostFen != b.EstimatedCostFen:
		return a.EstimatedCostFen > b.EstimatedCostFen, "bigger cost first"
	}
	return a.ID < b.ID, "registered earlier"
}

// FuzzSchedule fuzzes rule 5 over item sets. Invariants: the schedule is a permutation
// of the items, unchanged, at positions 1..n; each item stands before the next by rule 5
// (BASIC before IMPROVEMENT before UPGRADE, then safety-critical first, then easy before
// hard, then bigger estimated cost first, then id; rule 5 states no dependencies between
// items); every entry but the last gives the reason that decided it against the next,
// and the last gives none; the same items in any order give the same schedule.
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
	f.Fuzz(func(t *testing.T, data []byte) {
		items := itemsFrom(data)
		s := Schedule(items)
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
			if i+1 == len(s) {
				if e.Reason != "" {
					t.Fatalf("the last entry gives a reason: %q", e.Reason)
				}
				continue
			}
			first, why := rule5Less(e.Item, s[i+1].Item)
			if !first {
				t.Fatalf("position %d %+v stands before %+v against rule 5 (%s)", e.Position, e.Item, s[i+1].Item, why)
			}
			if e.Reason != why {
				t.Fatalf("position %d: reason %q, rule 5 decides by %q", e.Position, e.Reason, why)
			}
		}
		if len(byID) > 0 {
			t.Fatalf("items left out of the schedule: %v", byID)
		}
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
