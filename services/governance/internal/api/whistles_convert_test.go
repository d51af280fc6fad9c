package api

import (
	"testing"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
)

// whistles.go and linkage.go cast the registry's enums to and from the contract's, so
// their numbers must mean the same thing on both sides.
func TestWhistleAndLinkageEnumsHaveTheContractsNumbers(t *testing.T) {
	check := func(kind string, names map[string]int32, registryName func(int32) string, unspecified int32) {
		t.Helper()
		for name, v := range names {
			if v == unspecified {
				continue
			}
			if got := registryName(v); got != name {
				t.Errorf("%s %d: registry %s, contract %s", kind, v, got, name)
			}
		}
	}
	check("whistle status", pb.Whistle_Status_value, func(v int32) string { return registry.WhistleStatus(v).String() }, 0)
	check("priority", pb.Whistle_Priority_value, func(v int32) string { return registry.Priority(v).String() }, 0)
	check("escalation level", pb.Whistle_EscalationLevel_value, func(v int32) string { return registry.Escalation(v).String() }, 0)
	check("linkage party", pb.LinkageAttendee_Party_value, func(v int32) string { return registry.LinkageParty(v).String() }, 0)
	check("convention kind", pb.Convention_Kind_value, func(v int32) string { return registry.ConventionKind(v).String() }, 0)
	if n := len(pb.Whistle_Status_value); n != 6 {
		t.Errorf("the contract has %d whistle statuses; the registry knows 6", n)
	}
	if n := len(pb.LinkageAttendee_Party_value); n != 6 {
		t.Errorf("the contract has %d parties; the registry knows 6", n)
	}
}
