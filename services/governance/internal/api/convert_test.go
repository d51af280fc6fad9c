package api

import (
	"testing"

	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
)

// The registry's enums are cast to and from the contract's (convert.go), so their numbers
// must mean the same thing on both sides.
func TestRegistryEnumsHaveTheContractsNumbers(t *testing.T) {
	for _, v := range pb.Region_Level_value {
		l := pb.Region_Level(v)
		want := l.String()
		if l == pb.Region_LEVEL_UNSPECIFIED {
			want = "UNSPECIFIED"
		}
		if got := registry.Level(v).String(); got != want {
			t.Errorf("level %d: registry %s, contract %s", v, got, l)
		}
	}
	for _, v := range pb.Compound_ManagementType_value {
		m := pb.Compound_ManagementType(v)
		want := m.String()
		if m == pb.Compound_MANAGEMENT_TYPE_UNSPECIFIED {
			want = "UNSPECIFIED"
		}
		if got := registry.ManagementType(v).String(); got != want {
			t.Errorf("management type %d: registry %s, contract %s", v, got, m)
		}
	}
	pairs := []struct {
		name     string
		registry int
		contract int32
	}{
		{"INTRODUCE_PM", int(registry.IntroducePM), int32(pb.Compound_INTRODUCE_PM)},
		{"SELF_GOVERNANCE", int(registry.SelfGovernance), int32(pb.Compound_SELF_GOVERNANCE)},
		{"INVENTORIED", int(registry.Inventoried), int32(pb.Compound_INVENTORIED)},
		{"SURVEYING", int(registry.Surveying), int32(pb.Compound_SURVEYING)},
		{"PLANNED", int(registry.Planned), int32(pb.Compound_PLANNED)},
		{"RENOVATING", int(registry.Renovating), int32(pb.Compound_RENOVATING)},
		{"ACCEPTED", int(registry.CompoundAccepted), int32(pb.Compound_ACCEPTED)},
		{"GOOD", int(registry.Good), int32(pb.Facility_GOOD)},
		{"FAIR", int(registry.Fair), int32(pb.Facility_FAIR)},
		{"POOR", int(registry.Poor), int32(pb.Facility_POOR)},
	}
	for _, p := range pairs {
		if int32(p.registry) != p.contract {
			t.Errorf("%s: registry %d, contract %d", p.name, p.registry, p.contract)
		}
	}
	if n := len(pb.Compound_GovernanceMode_value); n != 3 {
		t.Errorf("the contract has %d governance modes; the registry knows 3", n)
	}
	if n := len(pb.Compound_Status_value); n != 7 {
		t.Errorf("the contract has %d statuses; the registry knows 7", n)
	}
	if n := len(pb.Facility_Condition_value); n != 4 {
		t.Errorf("the contract has %d conditions; the registry knows 4", n)
	}
}

func TestPageSizeDefaultsAndCaps(t *testing.T) {
	for in, want := range map[int32]int{0: 50, -1: 50, 1: 1, 400: 400, 1000: 1000, 5000: 1000} {
		if got := paging.Size(in); got != want {
			t.Errorf("paging.Size(%d) = %d, want %d", in, got, want)
		}
	}
}
