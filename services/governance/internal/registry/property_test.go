package registry_test

import (
	"fmt"
	"strconv"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"

	"tongdu/services/governance/internal/registry"
)

// Rule 13: a masked name shows its first character and nothing else, one '*' for each
// hidden character.
func TestPropertyMaskNameRevealsOnlyTheFirstRune(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.OneOf(
			rapid.StringMatching(`[\p{Han}]{1,6}`),
			rapid.StringN(0, 30, -1),
		).Draw(t, "name")
		masked := registry.MaskName(name)
		in, out := []rune(name), []rune(masked)
		if len(out) != len(in) {
			t.Fatalf("MaskName(%q) = %q: %d runes, want %d", name, masked, len(out), len(in))
		}
		if len(in) == 0 {
			return
		}
		if out[0] != in[0] {
			t.Fatalf("MaskName(%q) = %q: first rune not kept", name, masked)
		}
		for i := 1; i < len(out); i++ {
			if out[i] != '*' {
				t.Fatalf("MaskName(%q) = %q reveals rune %d", name, masked, i)
			}
		}
	})
}

// Rule 13: a masked mobile number never shows its middle four digits; it keeps its length
// and the first three and last four digits.
func TestPropertyMaskPhoneHidesTheMiddleDigitsOfAMobileNumber(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		phone := rapid.StringMatching(`1[3-9][0-9]{9}`).Draw(t, "phone")
		masked := registry.MaskPhone(phone)
		if want := phone[:3] + "****" + phone[7:]; masked != want {
			t.Fatalf("MaskPhone(%q) = %q, want %q", phone, masked, want)
		}
	})
}

// For any phone the contract accepts, the mask keeps the length and reveals at most the
// first three and last four characters of a number of 11 or more, and at most the last two
// of a shorter one.
func TestPropertyMaskPhoneRevealsAtMostTheEnds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		phone := rapid.StringMatching(`[0-9+\-]{0,20}`).Draw(t, "phone")
		masked := registry.MaskPhone(phone)
		if len(masked) != len(phone) {
			t.Fatalf("MaskPhone(%q) = %q changes the length", phone, masked)
		}
		for i := 0; i < len(masked); i++ {
			end := i < 3 || i >= len(phone)-4
			if len(phone) < 11 {
				end = i >= len(phone)-2 && len(phone) > 4
			}
			if masked[i] != '*' && !end {
				t.Fatalf("MaskPhone(%q) = %q reveals position %d", phone, masked, i)
			}
			if masked[i] != '*' && masked[i] != phone[i] {
				t.Fatalf("MaskPhone(%q) = %q alters position %d", phone, masked, i)
			}
		}
	})
}

// Rule 13: a masked ID number shows at most its first and last character.
func TestPropertyMaskIDNumberRevealsAtMostTheEnds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		id := rapid.StringMatching(`[0-9]{0,17}[0-9Xx]?`).Draw(t, "id")
		masked := registry.MaskIDNumber(id)
		if len(masked) != len(id) {
			t.Fatalf("MaskIDNumber(%q) = %q changes the length", id, masked)
		}
		for i := 0; i < len(masked); i++ {
			end := (i == 0 || i == len(id)-1) && len(id) > 2
			if masked[i] != '*' && !end {
				t.Fatalf("MaskIDNumber(%q) = %q reveals position %d", id, masked, i)
			}
		}
	})
}

func drawFacts(t *rapid.T) registry.Facts {
	return registry.Facts{
		PropertyManager:         rapid.Bool().Draw(t, "propertyManager"),
		OwningUnit:              rapid.Bool().Draw(t, "owningUnit"),
		SelfManagementCommittee: rapid.Bool().Draw(t, "selfManagementCommittee"),
	}
}

// Rule 1: the derived type always agrees with the facts it was derived from, and it is
// THREE_NONE exactly when none of the three is there.
func TestPropertyDerivedManagementTypeAlwaysPassesItsOwnCheck(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := drawFacts(t)
		typ := registry.DeriveManagementType(f)
		if err := registry.CheckManagementType(typ, f); err != nil {
			t.Fatalf("CheckManagementType(DeriveManagementType(%+v) = %s) = %v", f, typ, err)
		}
		none := !f.PropertyManager && !f.OwningUnit && !f.SelfManagementCommittee
		if (typ == registry.ThreeNone) != none {
			t.Fatalf("facts %+v derive %s", f, typ)
		}
	})
}

// Rule 1: classifying without naming a type never fails for a valid decision, and the
// result can then be patched with any change to non-fact fields.
func TestPropertyClassifyWithoutATypeAlwaysSucceeds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := drawFacts(t)
		c := registry.Compound{ID: "c", Name: "x", SelfManagementCommittee: f.SelfManagementCommittee}
		if f.PropertyManager {
			c.PropertyManager = "物业"
		}
		if f.OwningUnit {
			c.OwningUnit = "单位"
		}
		mode := rapid.SampledFrom([]registry.GovernanceMode{registry.IntroducePM, registry.SelfGovernance}).Draw(t, "mode")
		got, err := registry.Classify(c, registry.ManagementUnspecified, mode, "社区党委", registry.FactsChange{}, t0)
		if err != nil {
			t.Fatalf("Classify(%+v) = %v", f, err)
		}
		if got.ManagementType != registry.DeriveManagementType(f) {
			t.Fatalf("classified %s, derived %s", got.ManagementType, registry.DeriveManagementType(f))
		}
		if _, err := registry.ApplyUpdate(got, registry.Compound{Address: "新地址"}, []string{"address"}, t1); err != nil {
			t.Fatalf("an address change after classification refused: %v", err)
		}
	})
}

// Areas given with two decimals are kept exactly, and convert back to the same decimal.
func TestPropertyAreaFromM2KeepsHundredthsExactly(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.Int64Range(0, 100_000_000_000).Draw(t, "hundredths")
		m2, err := strconv.ParseFloat(fmt.Sprintf("%d.%02d", n/100, n%100), 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := registry.AreaFromM2(m2); int64(got) != n {
			t.Fatalf("AreaFromM2(%v) = %d, want %d", m2, got, n)
		}
		if got := registry.Area(n).M2(); got != m2 {
			t.Fatalf("Area(%d).M2() = %v, want %v", n, got, m2)
		}
	})
}

// A batch is accepted whole or refused whole, and a refusal names every bad entry:
// unknown building, unit out of range, non-positive area, or a dwelling repeated within
// the batch. The expected verdict is computed here independently of NewHouseholds.
func TestPropertyNewHouseholdsIsAllOrNothingAndNamesEveryBadEntry(t *testing.T) {
	bs := buildings()
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(t, "n")
		in := make([]registry.Household, n)
		for i := range in {
			in[i] = registry.Household{
				BuildingID:    rapid.SampledFrom([]string{"b1", "b1", "b2", "gone"}).Draw(t, "building"),
				Unit:          rapid.SampledFrom([]string{"", "1", "2", "3", "6", "7", "0", "东"}).Draw(t, "unit"),
				Room:          rapid.SampledFrom([]string{"101", "102", "201", "202", "301"}).Draw(t, "room"),
				ExclusiveArea: registry.Area(rapid.Int64Range(-100, 20000).Draw(t, "area")),
			}
		}
		type dwelling struct{ building, unit, room string }
		seen := map[dwelling]bool{}
		var want []string
		for i, h := range in {
			b, ok := bs[h.BuildingID]
			if !ok {
				want = append(want, fmt.Sprintf("households[%d].buildingId", i))
			} else if u, err := strconv.Atoi(h.Unit); err == nil && (u < 1 || u > b.UnitCount) {
				want = append(want, fmt.Sprintf("households[%d].unit", i))
			}
			if h.ExclusiveArea <= 0 {
				want = append(want, fmt.Sprintf("households[%d].exclusiveAreaM2", i))
			}
			d := dwelling{h.BuildingID, h.Unit, h.Room}
			if seen[d] {
				want = append(want, fmt.Sprintf("households[%d].room", i))
			}
			seen[d] = true
		}
		out, err := registry.NewHouseholds("c1", in, bs, "households", false, t0)
		got := fields(err)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("violations %q, want %q", got, want)
		}
		if (err == nil) != (len(out) == n) || (err != nil && out != nil) {
			t.Fatalf("err %v with %d of %d households returned", err, len(out), n)
		}
	})
}

// utf8 sanity for the generators above: MaskName of valid UTF-8 stays valid.
func TestPropertyMaskNameKeepsValidUTF8(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.String().Draw(t, "name")
		if utf8.ValidString(name) && !utf8.ValidString(registry.MaskName(name)) {
			t.Fatalf("MaskName(%q) is not valid UTF-8", name)
		}
	})
}
