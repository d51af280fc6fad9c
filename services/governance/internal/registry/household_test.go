package registry_test

import (
	"reflect"
	"strings"
	"testing"

	"tongdu/services/governance/internal/registry"
)

// buildings of compound "c1": b1 with six units, b2 with two.
func buildings() map[string]*registry.Building {
	return map[string]*registry.Building{
		"b1": {ID: "b1", CompoundID: "c1", Name: "1栋", UnitCount: 6},
		"b2": {ID: "b2", CompoundID: "c1", Name: "2栋", UnitCount: 2},
	}
}

func hh(building, unit, room string) registry.Household {
	return registry.Household{BuildingID: building, Unit: unit, Room: room, ExclusiveArea: 7653, ResidentName: "张三"}
}

func TestNewHouseholds(t *testing.T) {
	tests := []struct {
		name   string
		in     []registry.Household
		single bool
		fields []string // nil: accepted
	}{
		{name: "a batch of distinct dwellings is accepted", in: []registry.Household{hh("b1", "1", "101"), hh("b1", "2", "101"), hh("b2", "1", "101"), hh("b1", "", "门面1")}},
		{name: "the top unit of a building is accepted", in: []registry.Household{hh("b1", "6", "601")}},
		{name: "a named unit is accepted as given", in: []registry.Household{hh("b2", "东", "101")}},
		{name: "an unknown building is refused", in: []registry.Household{hh("b1", "1", "101"), hh("nope", "1", "101")}, fields: []string{"households[1].buildingId"}},
		{name: "a unit beyond the building's units is refused", in: []registry.Household{hh("b2", "3", "301")}, fields: []string{"households[0].unit"}},
		{name: "unit 0 is refused: units count from 1", in: []registry.Household{hh("b1", "0", "101")}, fields: []string{"households[0].unit"}},
		{name: "a very large unit number is refused", in: []registry.Household{hh("b1", "99999999999999999999", "101")}, fields: []string{"households[0].unit"}},
		{name: "the same dwelling twice in a batch is refused at its second entry", in: []registry.Household{hh("b1", "1", "101"), hh("b1", "1", "102"), hh("b1", "1", "101")}, fields: []string{"households[2].room"}},
		{
			name:   "all or nothing: one bad entry among many refuses the batch and names it",
			in:     []registry.Household{hh("b1", "1", "101"), hh("b1", "1", "102"), hh("b1", "1", "103"), hh("b1", "1", "101"), hh("b1", "1", "104")},
			fields: []string{"households[3].room"},
		},
		{
			name:   "every bad entry is listed, in order",
			in:     []registry.Household{hh("x", "1", "101"), hh("b1", "1", "101"), hh("b2", "9", "101"), hh("b1", "1", "101")},
			fields: []string{"households[0].buildingId", "households[2].unit", "households[3].room"},
		},
		{name: "a zero area is refused", in: []registry.Household{{BuildingID: "b1", Room: "101"}}, fields: []string{"households[0].exclusiveAreaM2"}},
		{name: "a negative area is refused", in: []registry.Household{{BuildingID: "b1", Room: "101", ExclusiveArea: -5}}, fields: []string{"households[0].exclusiveAreaM2"}},
		{name: "a single household's violations carry no index", in: []registry.Household{hh("nope", "1", "101")}, single: true, fields: []string{"household.buildingId"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field := "households"
			if tt.single {
				field = "household"
			}
			out, err := registry.NewHouseholds("c1", tt.in, buildings(), field, tt.single, t0)
			if tt.fields == nil {
				wantErr(t, err, nil)
				if len(out) != len(tt.in) {
					t.Fatalf("got %d households, want %d", len(out), len(tt.in))
				}
				for i, h := range out {
					want := tt.in[i]
					want.CompoundID, want.CreateTime = "c1", t0
					if !reflect.DeepEqual(h, want) {
						t.Fatalf("household %d = %+v, want %+v", i, h, want)
					}
				}
				return
			}
			wantErr(t, err, errInvalid, tt.fields...)
			if out != nil {
				t.Fatalf("a refused batch returned %d households", len(out))
			}
		})
	}
}

// Two different dwellings must not be mistaken for one. DwellingKey joins building, unit
// and room with "|", which the contract allows inside unit and room (max 20 characters,
// no pattern), so unit "1|2" room "3" and unit "1" room "2|3" collide.
func TestDwellingKeyTellsDifferentDwellingsApart(t *testing.T) {
	a, b := hh("b1", "1|2", "3"), hh("b1", "1", "2|3")
	if a.DwellingKey() == b.DwellingKey() {
		t.Errorf("unit %q room %q and unit %q room %q share the dwelling key %q", a.Unit, a.Room, b.Unit, b.Room, a.DwellingKey())
	}
	if _, err := registry.NewHouseholds("c1", []registry.Household{a, b}, buildings(), "households", false, t0); err != nil {
		t.Errorf("two different dwellings refused as one: %v", err)
	}
}

// NewHouseholds reads a numeric unit as a number (unit "01" is within a six-unit building
// because it is unit 1), so "01" and "1" are the same unit and must be the same dwelling;
// otherwise one flat is registered twice and counts twice in rule 3's area and household
// totals.
func TestNumericUnitsNameOneDwellingHoweverWritten(t *testing.T) {
	_, err := registry.NewHouseholds("c1", []registry.Household{hh("b1", "1", "101"), hh("b1", "01", "101")}, buildings(), "households", false, t0)
	if err == nil {
		t.Fatal(`unit "1" room 101 and unit "01" room 101 were accepted as two dwellings`)
	}
	wantErr(t, err, errInvalid, "households[1].room")
}

func TestMaskName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"rule 13: a two-character name keeps the family name", "张三", "张*"},
		{"rule 13: a compound family name keeps only its first character", "欧阳娜娜", "欧***"},
		{"a three-character name", "李小龙", "李**"},
		{"a Latin name", "Li Lei", "L*****"},
		{"an empty name stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registry.MaskName(tt.in); got != tt.want {
				t.Fatalf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"rule 13: a mobile number keeps the first three and last four digits", "13812345678", "138****5678"},
		{"a number with country code", "+8613812345678", "+86*******5678"},
		{"a landline with area code", "028-87654321", "028*****4321"},
		{"a landline without area code keeps only its last two digits", "87654321", "******21"},
		{"a short number keeps only its last two digits", "1234567", "*****67"},
		{"a very short number is hidden entirely", "1234", "****"},
		{"an empty phone stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registry.MaskPhone(tt.in); got != tt.want {
				t.Fatalf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskIDNumber(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"rule 13: an 18-character ID number keeps its first and last character", "110101199003071234", "1" + strings.Repeat("*", 16) + "4"},
		{"a check character X is kept as the last", "11010119900307123X", "1" + strings.Repeat("*", 16) + "X"},
		{"two characters are hidden entirely", "12", "**"},
		{"an empty ID number stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registry.MaskIDNumber(tt.in); got != tt.want {
				t.Fatalf("MaskIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHouseholdMaskedHidesPersonalDataOnly(t *testing.T) {
	h := registry.Household{
		ID: "h1", CompoundID: "c1", BuildingID: "b1", Unit: "2", Room: "301", ExclusiveArea: 7653,
		ResidentName: "欧阳娜娜", Phone: "13812345678", IDNumber: "110101199003071234",
		PartyMember: true, NeedsAccessibility: true, CreateTime: t0,
	}
	m := h.Masked()
	want := h
	want.ResidentName, want.Phone, want.IDNumber = "欧***", "138****5678", "1"+strings.Repeat("*", 16)+"4"
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("Masked() = %+v, want %+v", m, want)
	}
	if h.ResidentName != "欧阳娜娜" {
		t.Fatal("Masked changed the household it was called on")
	}
}
