package api

import (
	"context"
	"sort"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/auth"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
)

// The registry's enums use the contract's numbers, so conversion is a cast;
// convert_test.go checks that names and numbers agree.

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func regionToPB(r *registry.Region) *pb.Region {
	return &pb.Region{Id: r.ID, Name: r.Name, Level: pb.Region_Level(r.Level), Parent: r.Parent, CreateTime: ts(r.CreateTime)}
}

func compoundFromPB(c *pb.Compound) registry.Compound {
	out := registry.Compound{
		ID: c.GetId(), Name: c.GetName(), Address: c.GetAddress(), CommunityID: c.GetCommunityId(),
		BuildYear: int(c.GetBuildYear()), ManagementType: registry.ManagementType(c.GetManagementType()),
		GovernanceMode: registry.GovernanceMode(c.GetGovernanceMode()), HeritageNotes: c.GetHeritageNotes(),
		DemonstrationSite: c.GetDemonstrationSite(), Status: registry.CompoundStatus(c.GetStatus()),
		PropertyManager: c.GetPropertyManager(), OwningUnit: c.GetOwningUnit(),
		SelfManagementCommittee: c.GetSelfManagementCommittee(),
	}
	for _, f := range c.GetFacilities() {
		out.Facilities = append(out.Facilities, registry.Facility{Kind: int(f.GetKind()), Condition: registry.Condition(f.GetCondition()), Notes: f.GetNotes()})
	}
	return out
}

func compoundToPB(c *registry.Compound) *pb.Compound {
	out := &pb.Compound{
		Id: c.ID, Name: c.Name, Address: c.Address, CommunityId: c.CommunityID, BuildYear: int32(c.BuildYear),
		ManagementType: pb.Compound_ManagementType(c.ManagementType), GovernanceMode: pb.Compound_GovernanceMode(c.GovernanceMode),
		HeritageNotes: c.HeritageNotes, DemonstrationSite: c.DemonstrationSite, Status: pb.Compound_Status(c.Status),
		PropertyManager: c.PropertyManager, OwningUnit: c.OwningUnit, SelfManagementCommittee: c.SelfManagementCommittee,
		HouseholdCount: int32(c.HouseholdCount), TotalExclusiveAreaM2: c.TotalArea.M2(), BuildingCount: int32(c.BuildingCount),
		RegionPath: c.RegionPath, CreateTime: ts(c.CreateTime), UpdateTime: ts(c.UpdateTime), Etag: c.Etag(),
		CreateAccount: c.CreateAccount, UpdateAccount: c.UpdateAccount,
	}
	for _, f := range c.Facilities {
		out.Facilities = append(out.Facilities, &pb.Facility{Kind: pb.Facility_Kind(f.Kind), Condition: pb.Facility_Condition(f.Condition), Notes: f.Notes})
	}
	if cl := c.Classification; cl != nil {
		out.Classification = &pb.Classification{
			ManagementType: pb.Compound_ManagementType(cl.ManagementType), GovernanceMode: pb.Compound_GovernanceMode(cl.GovernanceMode),
			DecidedBy: cl.DecidedBy, DecideTime: ts(cl.DecideTime),
		}
	}
	return out
}

func buildingToPB(b *registry.Building) *pb.Building {
	out := &pb.Building{
		Id: b.ID, CompoundId: b.CompoundID, Name: b.Name, UnitCount: int32(b.UnitCount), FloorCount: int32(b.FloorCount),
		LeaderHouseholdId: b.LeaderHouseholdID, HouseholdCount: int32(b.HouseholdCount), CreateTime: ts(b.CreateTime),
	}
	units := make([]string, 0, len(b.UnitLeaders))
	for unit := range b.UnitLeaders {
		units = append(units, unit)
	}
	sort.Strings(units)
	for _, unit := range units {
		out.UnitLeaders = append(out.UnitLeaders, &pb.UnitLeader{Unit: unit, HouseholdId: b.UnitLeaders[unit]})
	}
	return out
}

func householdFromPB(h *pb.Household) registry.Household {
	return registry.Household{
		BuildingID: h.GetBuildingId(), Unit: h.GetUnit(), Room: h.GetRoom(),
		ExclusiveArea: registry.AreaFromM2(h.GetExclusiveAreaM2()), ResidentName: h.GetResidentName(),
		Phone: h.GetPhone(), IDNumber: h.GetIdNumber(), PartyMember: h.GetPartyMember(),
		NeedsAccessibility: h.GetNeedsAccessibility(),
	}
}

// householdToPB shows a household as the API does (rule 13, personal data masked):
// residents' names, phone
// numbers and ID numbers only to the staff who register and visit households, and to a
// resident reading their own household; masked to everyone else.
func householdToPB(ctx context.Context, h registry.Household) *pb.Household {
	p, ok := auth.FromContext(ctx)
	if !ok || !(p.SeesPersonalData() || (p.Role == auth.Resident && p.Scope == "households/"+h.ID)) {
		h = h.Masked()
	}
	return &pb.Household{
		Id: h.ID, CompoundId: h.CompoundID, BuildingId: h.BuildingID, Unit: h.Unit, Room: h.Room,
		ExclusiveAreaM2: h.ExclusiveArea.M2(), ResidentName: h.ResidentName, Phone: h.Phone, IdNumber: h.IDNumber,
		PartyMember: h.PartyMember, NeedsAccessibility: h.NeedsAccessibility, CreateTime: ts(h.CreateTime),
		CreateAccount: h.CreateAccount,
	}
}

func auditEntryToPB(e *registry.AuditEntry) *pb.AuditEntry {
	return &pb.AuditEntry{Id: e.ID, Service: e.Service, Actor: e.Actor, Role: e.Role, Method: e.Method,
		Resource: e.Resource, RequestId: e.RequestID, Outcome: e.Outcome, Time: ts(e.Time)}
}
