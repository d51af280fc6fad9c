package registry_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"tongdu/services/governance/internal/registry"
)

// numbered reports whether a unit is written as a number ("1", "02"), which, and how the
// registry writes it: "02" as "2"; a number too long for an int stays as written.
func numbered(unit string) (n int, canonical string, isNum bool) {
	if unit == "" || strings.Trim(unit, "0123456789") != "" {
		return 0, unit, false
	}
	n, err := strconv.Atoi(unit)
	if err != nil {
		return int(^uint(0) >> 1), unit, true // beyond any building
	}
	return n, strconv.Itoa(n), true
}

type dwelling struct{ building, unit, room string }

// FuzzNewHouseholds fuzzes household registration (the registry's validation of a batch
// of households). Invariants: no panic; a batch is accepted exactly when every entry
// names a building of the compound, has a positive area, has no control character in its
// unit or room (the dwelling key's separator is one), has a numbered unit (if any, in a
// building with a unit count) from 1 to the unit count (named units such as "east" are
// taken as given), and no two entries are the same dwelling, a numbered unit however it
// is written ("01" is unit 1); accepted households keep their fields, belong to the
// compound, and have distinct dwelling keys.
func FuzzNewHouseholds(f *testing.F) {
	f.Add(uint8(6), uint8(0), "1", "101", int64(6250), uint8(0), "2", "101", int64(5830))
	f.Add(uint8(6), uint8(0), "1", "101", int64(6250), uint8(0), "01", "101", int64(5830))
	f.Add(uint8(2), uint8(0), "3", "1", int64(1), uint8(1), "east", "1", int64(1))
	f.Add(uint8(2), uint8(0), "0", "1", int64(1), uint8(2), "", "1", int64(0))
	f.Add(uint8(0), uint8(0), "1|2", "3", int64(1), uint8(0), "1", "2|3", int64(1))
	f.Add(uint8(9), uint8(0), "99999999999999999999", "1", int64(1), uint8(0), "+1", "1", int64(-1))
	f.Fuzz(func(t *testing.T, unitCount, b1 uint8, u1, r1 string, a1 int64, b2 uint8, u2, r2 string, a2 int64) {
		// Building b1 has unitCount units (0: not stated); b2 has none stated; b3 is elsewhere.
		buildings := map[string]*registry.Building{
			"b1": {ID: "b1", CompoundID: "c1", Name: "1栋", UnitCount: int(unitCount)},
			"b2": {ID: "b2", CompoundID: "c1", Name: "2栋"},
		}
		bid := func(b uint8) string { return "b" + strconv.Itoa(1+int(b)%3) }
		in := []registry.Household{
			{BuildingID: bid(b1), Unit: u1, Room: r1, ExclusiveArea: registry.Area(a1), ResidentName: "张三"},
			{BuildingID: bid(b2), Unit: u2, Room: r2, ExclusiveArea: registry.Area(a2)},
		}
		now := time.Unix(1_600_000_000, 0)
		out, err := registry.NewHouseholds("c1", in, buildings, "households", false, now)

		valid := true
		seen := map[dwelling]bool{}
		for _, h := range in {
			b, ok := buildings[h.BuildingID]
			// Unit and room each, not joined: two halves of a UTF-8 sequence ("\xc2", "\x80")
			// make a control character only when put together.
			if !ok || h.ExclusiveArea <= 0 || strings.IndexFunc(h.Unit, unicode.IsControl) >= 0 || strings.IndexFunc(h.Room, unicode.IsControl) >= 0 {
				valid = false
			}
			d := dwelling{h.BuildingID, h.Unit, h.Room}
			if n, canonical, isNum := numbered(h.Unit); isNum {
				d.unit = canonical
				if ok && b.UnitCount > 0 && (n < 1 || n > b.UnitCount) {
					valid = false
				}
			}
			if seen[d] {
				valid = false
			}
			seen[d] = true
		}
		if valid != (err == nil) {
			t.Fatalf("households %+v in buildings b1 (%d units), b2: error %v, want accepted %v", in, unitCount, err, valid)
		}
		if err != nil {
			return
		}
		keys := map[string]bool{}
		for i, h := range out {
			if h.CompoundID != "c1" || !h.CreateTime.Equal(now) || h.BuildingID != in[i].BuildingID ||
				h.Room != in[i].Room || h.ExclusiveArea != in[i].ExclusiveArea || h.ResidentName != in[i].ResidentName {
				t.Fatalf("household %d changed: %+v → %+v", i, in[i], h)
			}
			if _, canonical, _ := numbered(in[i].Unit); h.Unit != canonical {
				t.Fatalf("unit %q stored as %q", in[i].Unit, h.Unit)
			}
			if keys[h.DwellingKey()] {
				t.Fatalf("two accepted households share the dwelling key %q", h.DwellingKey())
			}
			keys[h.DwellingKey()] = true
		}
	})
}

// FuzzClassify fuzzes rule 1 on a compound's facts and a classification request.
// Invariants: no panic; a classification is refused without a governance mode or a
// decider; a management type left unspecified is derived from the facts, and what is
// derived always agrees with the facts; THREE_NONE is accepted exactly when the compound
// has no property manager, no owning unit and no self-management committee, and such a
// compound is never accepted as anything else; an accepted classification records the
// type, the mode and who decided, on the compound too.
func FuzzClassify(f *testing.F) {
	f.Add("", "", false, uint8(0), uint8(2), "沙坝社区居委会", uint8(0), "", "", false)
	f.Add("", "东川砖瓦厂", false, uint8(2), uint8(2), "沙坝社区居委会", uint8(0), "", "", false)
	f.Add("", "", false, uint8(3), uint8(1), "x", uint8(1), "某物业公司", "", false)
	f.Add("物业", "", true, uint8(5), uint8(0), "", uint8(7), "", "单位", true)
	f.Add("", "", true, uint8(1), uint8(2), "业委会", uint8(4), "", "", false)
	f.Fuzz(func(t *testing.T, pm, owning string, smc bool, mt, mode uint8, decidedBy string, changes uint8, newPM, newOwning string, newSMC bool) {
		c := registry.Compound{ID: "k1", Name: "石羊路21号院", PropertyManager: pm, OwningUnit: owning, SelfManagementCommittee: smc}
		var change registry.FactsChange
		if changes&1 != 0 {
			change.PropertyManager = &newPM
		}
		if changes&2 != 0 {
			change.OwningUnit = &newOwning
		}
		if changes&4 != 0 {
			change.SelfManagementCommittee = &newSMC
		}
		typ := registry.ManagementType(int(mt) % 7) // one past the last: unknown
		gm := registry.GovernanceMode(int(mode) % 3)
		now := time.Unix(1_600_000_000, 0)
		got, err := registry.Classify(c, typ, gm, decidedBy, change, now)

		after := c
		if change.PropertyManager != nil {
			after.PropertyManager = newPM
		}
		if change.OwningUnit != nil {
			after.OwningUnit = newOwning
		}
		if change.SelfManagementCommittee != nil {
			after.SelfManagementCommittee = newSMC
		}
		facts := registry.Facts{PropertyManager: after.PropertyManager != "", OwningUnit: after.OwningUnit != "", SelfManagementCommittee: after.SelfManagementCommittee}
		none := !facts.PropertyManager && !facts.OwningUnit && !facts.SelfManagementCommittee
		derived := registry.DeriveManagementType(facts)
		if registry.CheckManagementType(derived, facts) != nil {
			t.Fatalf("facts %+v derive %s, which the check refuses", facts, derived)
		}
		if (derived == registry.ThreeNone) != none {
			t.Fatalf("facts %+v derive %s", facts, derived)
		}
		if gm == registry.GovernanceUnspecified || decidedBy == "" {
			if err == nil {
				t.Fatalf("classified without mode (%d) or decider (%q)", gm, decidedBy)
			}
			return
		}
		if typ == registry.ManagementUnspecified && err != nil {
			t.Fatalf("deriving from facts %+v refused: %v", facts, err)
		}
		if err != nil {
			return
		}
		want := typ
		if typ == registry.ManagementUnspecified {
			want = derived
		}
		if (want == registry.ThreeNone) != none {
			t.Fatalf("facts %+v accepted as %s", facts, want)
		}
		cl := got.Classification
		if got.ManagementType != want || got.GovernanceMode != gm || cl == nil || cl.ManagementType != want ||
			cl.GovernanceMode != gm || cl.DecidedBy != decidedBy || !cl.DecideTime.Equal(now) {
			t.Fatalf("classification %+v %+v, want %s %d by %q", got, cl, want, gm, decidedBy)
		}
		if got.PropertyManager != after.PropertyManager || got.OwningUnit != after.OwningUnit || got.SelfManagementCommittee != after.SelfManagementCommittee {
			t.Fatalf("facts recorded %+v, want those stated %+v", got, after)
		}
	})
}
