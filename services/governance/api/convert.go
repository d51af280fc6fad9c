package api

import (
	"sort"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/registry"
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

// householdToPB shows a household as the API does: personal data masked (rule 13).
func householdToPB(h registry.Household) *pb.Household {
	m := h.Masked()
	return &pb.Household{
		Id: m.ID, CompoundId: m.CompoundID, BuildingId: m.BuildingID, Unit: m.Unit, Room: m.Room,
		ExclusiveAreaM2: m.ExclusiveArea.M2(), ResidentName: m.ResidentName, Phone: m.Phone, IdNumber: m.IDNumber,
		PartyMember: m.PartyMember, NeedsAccessibility: m.NeedsAccessibility, CreateTime: ts(m.CreateTime),
	}
}
