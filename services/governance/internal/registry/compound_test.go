package registry_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"tongdu/services/governance/internal/registry"
)

var (
	t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Hour)
)

// allFacts is every combination of rule 1's three facts.
func allFacts() []registry.Facts {
	var out []registry.Facts
	for i := 0; i < 8; i++ {
		out = append(out, registry.Facts{PropertyManager: i&1 != 0, OwningUnit: i&2 != 0, SelfManagementCommittee: i&4 != 0})
	}
	return out
}

func factsName(f registry.Facts) string {
	return fmt.Sprintf("pm=%t unit=%t committee=%t", f.PropertyManager, f.OwningUnit, f.SelfManagementCommittee)
}

func TestDeriveManagementType(t *testing.T) {
	pm, unit, committee := true, true, true
	tests := []struct {
		name  string
		facts registry.Facts
		want  registry.ManagementType
	}{
		{"rule 1: no PM, no owning unit, no committee is THREE_NONE", registry.Facts{}, registry.ThreeNone},
		{"a property manager makes it PROFESSIONAL_PM", registry.Facts{PropertyManager: pm}, registry.ProfessionalPM},
		{"an owning unit alone makes it WORK_UNIT_NO_PM", registry.Facts{OwningUnit: unit}, registry.WorkUnitNoPM},
		{"a self-management committee alone makes it SELF_GOVERNED", registry.Facts{SelfManagementCommittee: committee}, registry.SelfGoverned},
		{"a property manager outranks an owning unit", registry.Facts{PropertyManager: pm, OwningUnit: unit}, registry.ProfessionalPM},
		{"a property manager outranks a committee", registry.Facts{PropertyManager: pm, SelfManagementCommittee: committee}, registry.ProfessionalPM},
		{"a committee outranks an owning unit", registry.Facts{OwningUnit: unit, SelfManagementCommittee: committee}, registry.SelfGoverned},
		{"all three facts make it PROFESSIONAL_PM", registry.Facts{PropertyManager: pm, OwningUnit: unit, SelfManagementCommittee: committee}, registry.ProfessionalPM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registry.DeriveManagementType(tt.facts); got != tt.want {
				t.Fatalf("DeriveManagementType(%s) = %s, want %s", factsName(tt.facts), got, tt.want)
			}
		})
	}
}

// Rule 1 both ways: a compound is THREE_NONE if and only if it has none of the three.
func TestRule1ThreeNoneIffNoneOfTheThree(t *testing.T) {
	for _, f := range allFacts() {
		none := !f.PropertyManager && !f.OwningUnit && !f.SelfManagementCommittee
		if derived := registry.DeriveManagementType(f) == registry.ThreeNone; derived != none {
			t.Errorf("%s: derived THREE_NONE = %t, want %t", factsName(f), derived, none)
		}
		if accepted := registry.CheckManagementType(registry.ThreeNone, f) == nil; accepted != none {
			t.Errorf("%s: THREE_NONE accepted = %t, want %t", factsName(f), accepted, none)
		}
	}
}

func TestCheckManagementTypeAcceptsOnlyTypesTheFactsAllow(t *testing.T) {
	// For each type, the fact combinations (pm, unit, committee) it is consistent with.
	allowed := map[registry.ManagementType]func(f registry.Facts) bool{
		registry.ThreeNone: func(f registry.Facts) bool {
			return !f.PropertyManager && !f.OwningUnit && !f.SelfManagementCommittee
		},
		registry.ProfessionalPM: func(f registry.Facts) bool { return f.PropertyManager },
		registry.WorkUnitNoPM:   func(f registry.Facts) bool { return f.OwningUnit && !f.PropertyManager },
		registry.SelfGoverned:   func(f registry.Facts) bool { return f.SelfManagementCommittee && !f.PropertyManager },
		// Told apart from THREE_NONE by its committee, from WORK_UNIT_NO_PM by having no owning unit.
		registry.CommercialNoPM: func(f registry.Facts) bool {
			return !f.PropertyManager && !f.OwningUnit && f.SelfManagementCommittee
		},
	}
	for typ, ok := range allowed {
		for _, f := range allFacts() {
			t.Run(typ.String()+"/"+factsName(f), func(t *testing.T) {
				err := registry.CheckManagementType(typ, f)
				if ok(f) {
					wantErr(t, err, nil)
				} else {
					wantErr(t, err, registry.ErrInconsistent)
				}
			})
		}
	}
}

func TestCheckManagementTypeRefusesAnUnknownTypeAsInvalid(t *testing.T) {
	for _, typ := range []registry.ManagementType{registry.ManagementUnspecified, registry.ManagementType(99)} {
		wantErr(t, registry.CheckManagementType(typ, registry.Facts{}), errInvalid, "managementType")
	}
}

// ManagementType.String indexes an array; an out-of-range value (a corrupt record, a newer
// contract's enum) must not panic where it is formatted into an error or a log line.
func TestManagementTypeStringOfAnUnknownValueDoesNotPanic(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("ManagementType(99).String() panicked: %v", r)
		}
	}()
	_ = registry.ManagementType(99).String()
	_ = registry.ManagementType(-1).String()
}

func TestClassify(t *testing.T) {
	threeNone := registry.Compound{ID: "c1", Name: "幸福里"}
	withPM := registry.Compound{ID: "c2", Name: "锦苑", PropertyManager: "锦江物业"}
	withCommittee := registry.Compound{ID: "c3", Name: "红星院坝", SelfManagementCommittee: true}
	tests := []struct {
		name      string
		c         registry.Compound
		typ       registry.ManagementType
		mode      registry.GovernanceMode
		decidedBy string
		want      registry.ManagementType
		err       error
		field     string
	}{
		{"rule 1: an unspecified type is derived: none of the three → THREE_NONE", threeNone, registry.ManagementUnspecified, registry.SelfGovernance, "社区党委", registry.ThreeNone, nil, ""},
		{"an unspecified type is derived: a property manager → PROFESSIONAL_PM", withPM, registry.ManagementUnspecified, registry.IntroducePM, "社区党委", registry.ProfessionalPM, nil, ""},
		{"a given type that agrees with the facts is kept", withCommittee, registry.CommercialNoPM, registry.SelfGovernance, "五方联动会议", registry.CommercialNoPM, nil, ""},
		{"rule 1: PROFESSIONAL_PM for a three-none compound is refused", threeNone, registry.ProfessionalPM, registry.IntroducePM, "社区党委", 0, registry.ErrInconsistent, ""},
		{"THREE_NONE for a compound with a property manager is refused", withPM, registry.ThreeNone, registry.SelfGovernance, "社区党委", 0, registry.ErrInconsistent, ""},
		{"rule 1: the governance mode is required", threeNone, registry.ManagementUnspecified, registry.GovernanceUnspecified, "社区党委", 0, errInvalid, "governanceMode"},
		{"rule 1: who decided is required", threeNone, registry.ManagementUnspecified, registry.SelfGovernance, "", 0, errInvalid, "decidedBy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.c
			got, err := registry.Classify(tt.c, tt.typ, tt.mode, tt.decidedBy, registry.FactsChange{}, t1)
			if tt.err != nil {
				if tt.field != "" {
					wantErr(t, err, tt.err, tt.field)
				} else {
					wantErr(t, err, tt.err)
				}
				return
			}
			wantErr(t, err, nil)
			if got.ManagementType != tt.want || got.GovernanceMode != tt.mode {
				t.Fatalf("classified %s/%d, want %s/%d", got.ManagementType, got.GovernanceMode, tt.want, tt.mode)
			}
			wantCl := registry.Classification{ManagementType: tt.want, GovernanceMode: tt.mode, DecidedBy: tt.decidedBy, DecideTime: t1}
			if got.Classification == nil || *got.Classification != wantCl {
				t.Fatalf("classification = %+v, want %+v", got.Classification, wantCl)
			}
			if !got.UpdateTime.Equal(t1) {
				t.Fatalf("update time = %v, want %v", got.UpdateTime, t1)
			}
			if !reflect.DeepEqual(tt.c, before) {
				t.Fatal("Classify changed its input")
			}
		})
	}
}

func TestNewCompound(t *testing.T) {
	community := &registry.Region{ID: "comm", Level: registry.Community, Parent: "sub"}
	sub := &registry.Region{ID: "sub", Level: registry.Subdistrict, Parent: "d"}

	t.Run("fills status INVENTORIED and the times, and drops a caller's classification", func(t *testing.T) {
		c, err := registry.NewCompound(registry.Compound{Name: "幸福里", Classification: &registry.Classification{DecidedBy: "forged"}}, community, t0)
		wantErr(t, err, nil)
		if c.Status != registry.Inventoried || !c.CreateTime.Equal(t0) || !c.UpdateTime.Equal(t0) || c.Classification != nil {
			t.Fatalf("got %+v", c)
		}
	})
	t.Run("keeps a status given", func(t *testing.T) {
		c, err := registry.NewCompound(registry.Compound{Name: "x", Status: registry.Surveying}, community, t0)
		wantErr(t, err, nil)
		if c.Status != registry.Surveying {
			t.Fatalf("status %d", c.Status)
		}
	})
	t.Run("a compound sits in a community, not a sub-district", func(t *testing.T) {
		_, err := registry.NewCompound(registry.Compound{Name: "x"}, sub, t0)
		wantErr(t, err, registry.ErrNotCommunity)
	})
	t.Run("rule 1: a management type given at creation must agree with the facts", func(t *testing.T) {
		_, err := registry.NewCompound(registry.Compound{Name: "x", ManagementType: registry.ProfessionalPM}, community, t0)
		wantErr(t, err, registry.ErrInconsistent)
		_, err = registry.NewCompound(registry.Compound{Name: "x", ManagementType: registry.ProfessionalPM, PropertyManager: "锦江物业"}, community, t0)
		wantErr(t, err, nil)
	})
	t.Run("a facility kind is assessed once", func(t *testing.T) {
		_, err := registry.NewCompound(registry.Compound{Name: "x", Facilities: []registry.Facility{
			{Kind: 1, Condition: registry.Poor}, {Kind: 2, Condition: registry.Good}, {Kind: 1, Condition: registry.Fair},
		}}, community, t0)
		wantErr(t, err, errInvalid, "compound.facilities[2].kind")
	})
}

func TestApplyUpdate(t *testing.T) {
	current := registry.Compound{
		ID: "c1", Name: "幸福里", Address: "东川路 1 号", CommunityID: "comm", BuildYear: 1988,
		Status: registry.Inventoried, Facilities: []registry.Facility{{Kind: 1, Condition: registry.Poor}},
		CreateTime: t0, UpdateTime: t0, Revision: 3,
	}
	classifiedThreeNone, err := registry.Classify(current, registry.ManagementUnspecified, registry.SelfGovernance, "社区党委", registry.FactsChange{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	classifiedPM := current
	classifiedPM.PropertyManager = "锦江物业"
	if classifiedPM, err = registry.Classify(classifiedPM, registry.ProfessionalPM, registry.IntroducePM, "社区党委", registry.FactsChange{}, t0); err != nil {
		t.Fatal(err)
	}

	patch := registry.Compound{
		ID: "other", Name: "新名字", Address: "新地址", CommunityID: "elsewhere", BuildYear: 1990,
		HeritageNotes: "保留瓷砖墙", DemonstrationSite: true, Status: registry.Surveying,
		Facilities:      []registry.Facility{{Kind: 3, Condition: registry.Fair}},
		PropertyManager: "新物业", OwningUnit: "机械厂", SelfManagementCommittee: true,
		ManagementType: registry.ProfessionalPM, GovernanceMode: registry.IntroducePM,
	}

	tests := []struct {
		name    string
		current registry.Compound
		patch   registry.Compound
		mask    []string
		err     error
		field   string
		check   func(t *testing.T, got registry.Compound)
	}{
		{
			name: "only masked fields change", current: current, patch: patch, mask: []string{"address", "buildYear"},
			check: func(t *testing.T, got registry.Compound) {
				want := current
				want.Address, want.BuildYear, want.UpdateTime = "新地址", 1990, t1
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("got %+v\nwant %+v", got, want)
				}
			},
		},
		{
			name: "every updatable field can be replaced", current: current, patch: patch,
			mask: []string{"name", "address", "buildYear", "facilities", "heritageNotes", "demonstrationSite", "propertyManager", "owningUnit", "selfManagementCommittee"},
			check: func(t *testing.T, got registry.Compound) {
				if got.Name != patch.Name || got.Address != patch.Address || got.BuildYear != patch.BuildYear ||
					!reflect.DeepEqual(got.Facilities, patch.Facilities) || got.HeritageNotes != patch.HeritageNotes ||
					got.DemonstrationSite != patch.DemonstrationSite || got.Status != current.Status ||
					got.PropertyManager != patch.PropertyManager || got.OwningUnit != patch.OwningUnit ||
					got.SelfManagementCommittee != patch.SelfManagementCommittee {
					t.Fatalf("got %+v", got)
				}
				// Neither the id, the community nor the classification move with a patch.
				if got.ID != current.ID || got.CommunityID != current.CommunityID || got.ManagementType != current.ManagementType || got.GovernanceMode != current.GovernanceMode || got.Revision != current.Revision {
					t.Fatalf("identity or classification moved: %+v", got)
				}
			},
		},
		{name: "the name cannot be emptied", current: current, patch: registry.Compound{}, mask: []string{"name"}, err: errInvalid, field: "compound.name"},
		{name: "rule 1: managementType is decided by :classify, not by a patch", current: current, patch: patch, mask: []string{"managementType"}, err: errInvalid, field: "updateMask"},
		{name: "rule 1: governanceMode is decided by :classify, not by a patch", current: current, patch: patch, mask: []string{"governanceMode"}, err: errInvalid, field: "updateMask"},
		{name: "the community cannot be patched", current: current, patch: patch, mask: []string{"communityId"}, err: errInvalid, field: "updateMask"},
		{name: "derived counts cannot be patched", current: current, patch: patch, mask: []string{"householdCount"}, err: errInvalid, field: "updateMask"},
		{name: "the status is derived only: naming it is refused", current: current, patch: patch, mask: []string{"status"}, err: errInvalid, field: "compound.status"},
		{name: "the status is derived only: naming it with other fields is refused", current: current, patch: patch, mask: []string{"name", "status"}, err: errInvalid, field: "compound.status"},
		{name: "the status is derived only: without a mask, another status is refused", current: current, patch: patch, err: errInvalid, field: "compound.status"},
		{name: "without a mask and with the stored status, the mask is asked for", current: current, patch: registry.Compound{Name: "y", Status: current.Status}, err: errInvalid, field: "updateMask"},
		{
			name: "a facility kind is assessed once", current: current, mask: []string{"facilities"}, err: errInvalid, field: "compound.facilities[1].kind",
			patch: registry.Compound{Facilities: []registry.Facility{{Kind: 4, Condition: registry.Good}, {Kind: 4, Condition: registry.Poor}}},
		},
		{
			name: "rule 1: a property manager for a THREE_NONE compound contradicts its classification", current: classifiedThreeNone,
			patch: registry.Compound{PropertyManager: "锦江物业"}, mask: []string{"propertyManager"}, err: registry.ErrInconsistent,
		},
		{
			name: "rule 1: a committee for a THREE_NONE compound contradicts its classification", current: classifiedThreeNone,
			patch: registry.Compound{SelfManagementCommittee: true}, mask: []string{"selfManagementCommittee"}, err: registry.ErrInconsistent,
		},
		{
			name: "rule 1: removing the property manager of a PROFESSIONAL_PM compound contradicts it", current: classifiedPM,
			patch: registry.Compound{}, mask: []string{"propertyManager"}, err: registry.ErrInconsistent,
		},
		{
			name: "a facts change that keeps the classification true is accepted", current: classifiedPM,
			patch: registry.Compound{PropertyManager: "蓉城物业"}, mask: []string{"propertyManager"},
			check: func(t *testing.T, got registry.Compound) {
				if got.PropertyManager != "蓉城物业" || got.ManagementType != registry.ProfessionalPM {
					t.Fatalf("got %+v", got)
				}
			},
		},
		{
			name: "an unclassified compound's facts change freely", current: current,
			patch: registry.Compound{PropertyManager: "锦江物业"}, mask: []string{"propertyManager"},
			check: func(t *testing.T, got registry.Compound) {
				if got.PropertyManager != "锦江物业" {
					t.Fatalf("got %+v", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.current
			got, err := registry.ApplyUpdate(tt.current, tt.patch, tt.mask, t1)
			if tt.err != nil {
				if tt.field != "" {
					wantErr(t, err, tt.err, tt.field)
				} else {
					wantErr(t, err, tt.err)
				}
				return
			}
			wantErr(t, err, nil)
			if !got.UpdateTime.Equal(t1) {
				t.Fatalf("update time %v, want %v", got.UpdateTime, t1)
			}
			if !reflect.DeepEqual(tt.current, before) {
				t.Fatal("ApplyUpdate changed its input")
			}
			tt.check(t, got)
		})
	}
}

// Every field ApplyUpdate accepts is listed as updatable, and the other way round.
func TestUpdatableFieldsMatchApplyUpdate(t *testing.T) {
	c := registry.Compound{Name: "x", Status: registry.Inventoried}
	patch := registry.Compound{Name: "y", Status: registry.Surveying}
	for _, f := range []string{"name", "address", "buildYear", "facilities", "heritageNotes", "demonstrationSite", "status", "propertyManager", "owningUnit", "selfManagementCommittee", "managementType", "governanceMode", "communityId", "id", "etag"} {
		_, err := registry.ApplyUpdate(c, patch, []string{f}, t1)
		if accepted := err == nil; accepted != registry.UpdatableFields[f] {
			t.Errorf("%s: ApplyUpdate accepts = %t, UpdatableFields = %t", f, accepted, registry.UpdatableFields[f])
		}
	}
}

func TestEtagFollowsTheRevision(t *testing.T) {
	c := registry.Compound{Revision: 7}
	if c.Etag() != "r7" {
		t.Fatalf("etag %q", c.Etag())
	}
}
