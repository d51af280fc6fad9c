package api

import (
	"context"
	"errors"
	"fmt"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
	"tongdu/services/governance/internal/storage"
)

// community returns the COMMUNITY region a request names in field, or bad input there.
func (s *Server) community(ctx context.Context, id, field string) (*registry.Region, error) {
	r, err := s.store.GetRegion(ctx, id)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, &registry.InvalidError{Violations: []registry.Violation{{Field: field, Reason: "no community " + id}}}
	}
	if err != nil {
		return nil, err
	}
	if r.Level != registry.Community {
		return nil, &registry.InvalidError{Violations: []registry.Violation{{Field: field, Reason: fmt.Sprintf("%s is a %s, not a COMMUNITY", id, r.Level)}}}
	}
	return r, nil
}

// compoundIn returns the compound a request names in field, or bad input there.
func (s *Server) compoundIn(ctx context.Context, id, field string) (*registry.Compound, error) {
	c, err := s.store.GetCompound(ctx, id)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, &registry.InvalidError{Violations: []registry.Violation{{Field: field, Reason: "no compound " + id}}}
	}
	return c, err
}

func branchToPB(b *registry.PartyBranch) *pb.PartyBranch {
	return &pb.PartyBranch{Id: b.ID, Name: b.Name, Kind: pb.PartyBranch_Kind(b.Kind), CompoundId: b.CompoundID, CommunityId: b.CommunityID,
		Secretary: b.Secretary, MemberCount: int32(b.MemberCount), CreateTime: ts(b.CreateTime)}
}

// CreatePartyBranch founds a compound's party branch (one per compound) or a community's
// general branch.
func (s *Server) CreatePartyBranch(ctx context.Context, req *pb.CreatePartyBranchRequest) (*pb.PartyBranch, error) {
	in := req.GetPartyBranch()
	b := registry.PartyBranch{Name: in.GetName(), Kind: registry.BranchKind(in.GetKind()), CompoundID: in.GetCompoundId(), CommunityID: in.GetCommunityId(), Secretary: in.GetSecretary(), MemberCount: int(in.GetMemberCount())}
	var compound *registry.Compound
	var community *registry.Region
	var err error
	if b.CompoundID != "" {
		if compound, err = s.compoundIn(ctx, b.CompoundID, "partyBranch.compoundId"); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	if b.Kind == registry.CommunityGeneralBranch {
		if community, err = s.community(ctx, b.CommunityID, "partyBranch.communityId"); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	if b, err = registry.NewPartyBranch(b, compound, community, s.now()); err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreatePartyBranch", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	b.ID = id[0]
	if err := s.store.CreatePartyBranch(ctx, b); err != nil {
		return nil, s.fail(ctx, err)
	}
	// A replay answers with what the first request stored.
	stored, err := s.store.GetPartyBranch(ctx, b.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return branchToPB(stored), nil
}

// ListPartyBranches lists branches of a community (and of one compound).
func (s *Server) ListPartyBranches(ctx context.Context, req *pb.ListPartyBranchesRequest) (*pb.ListPartyBranchesResponse, error) {
	bs, next, err := s.store.ListPartyBranches(ctx, req.GetCommunityId(), func(b *registry.PartyBranch) bool {
		return req.GetCompoundId() == "" || b.CompoundID == req.GetCompoundId()
	}, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListPartyBranchesResponse{NextPageToken: next}
	for i := range bs {
		out.PartyBranches = append(out.PartyBranches, branchToPB(&bs[i]))
	}
	return out, nil
}

// CreateGridCell draws a grid of a community over some of its buildings; a building
// belongs to at most one grid cell.
func (s *Server) CreateGridCell(ctx context.Context, req *pb.CreateGridCellRequest) (*pb.GridCell, error) {
	in := req.GetGridCell()
	community, err := s.community(ctx, in.GetCommunityId(), "gridCell.communityId")
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	communityOf := map[string]string{}
	for _, bid := range in.GetBuildingIds() {
		b, err := s.store.GetBuilding(ctx, bid)
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		c, err := s.store.GetCompound(ctx, b.CompoundID)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		communityOf[bid] = c.CommunityID
	}
	g, err := registry.NewGridCell(registry.GridCell{Name: in.GetName(), CommunityID: community.ID, GridWorker: in.GetGridWorker(), BuildingIDs: in.GetBuildingIds()}, community, communityOf, s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateGridCell", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	g.ID = id[0]
	err = s.store.CreateGridCell(ctx, g)
	var taken *storage.BuildingTakenError
	if errors.As(err, &taken) {
		return nil, s.fail(ctx, &registry.InvalidError{Violations: []registry.Violation{{Field: fmt.Sprintf("gridCell.buildingIds[%d]", taken.Index), Reason: "the building belongs to another grid cell"}}})
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	stored, err := s.store.GetGridCell(ctx, g.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.gridToPB(ctx, stored)
}

// gridToPB shows a grid cell with its figures, summed from its buildings' counters.
func (s *Server) gridToPB(ctx context.Context, g *registry.GridCell) (*pb.GridCell, error) {
	out := &pb.GridCell{Id: g.ID, Name: g.Name, CommunityId: g.CommunityID, GridWorker: g.GridWorker, BuildingIds: g.BuildingIDs, CreateTime: ts(g.CreateTime)}
	for _, bid := range g.BuildingIDs {
		b, err := s.store.GetBuilding(ctx, bid)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		out.HouseholdCount += int32(b.HouseholdCount)
		out.PartyMemberCount += int32(b.PartyMembers)
		out.NeedsAccessibilityCount += int32(b.NeedsAccessibility)
	}
	return out, nil
}

// ListGridCells lists a community's grid cells with their figures.
func (s *Server) ListGridCells(ctx context.Context, req *pb.ListGridCellsRequest) (*pb.ListGridCellsResponse, error) {
	gs, next, err := s.store.ListGridCells(ctx, req.GetCommunityId(), req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListGridCellsResponse{NextPageToken: next}
	for i := range gs {
		g, err := s.gridToPB(ctx, &gs[i])
		if err != nil {
			return nil, err
		}
		out.GridCells = append(out.GridCells, g)
	}
	return out, nil
}

// CreateLinkedUnit ties a work unit to a community (挂联单位).
func (s *Server) CreateLinkedUnit(ctx context.Context, req *pb.CreateLinkedUnitRequest) (*pb.LinkedUnit, error) {
	in := req.GetLinkedUnit()
	if _, err := s.community(ctx, in.GetCommunityId(), "linkedUnit.communityId"); err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateLinkedUnit", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	u := registry.LinkedUnit{ID: id[0], Name: in.GetName(), CommunityID: in.GetCommunityId(), Contact: in.GetContact(), CreateTime: s.now()}
	if err := s.store.CreateLinkedUnit(ctx, u); err != nil {
		return nil, s.fail(ctx, err)
	}
	stored, err := s.store.GetLinkedUnit(ctx, u.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return unitToPB(stored), nil
}

func unitToPB(u *registry.LinkedUnit) *pb.LinkedUnit {
	return &pb.LinkedUnit{Id: u.ID, Name: u.Name, CommunityId: u.CommunityID, Contact: u.Contact, CreateTime: ts(u.CreateTime)}
}

// ListLinkedUnits lists a community's linked units.
func (s *Server) ListLinkedUnits(ctx context.Context, req *pb.ListLinkedUnitsRequest) (*pb.ListLinkedUnitsResponse, error) {
	us, next, err := s.store.ListLinkedUnits(ctx, req.GetCommunityId(), req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListLinkedUnitsResponse{NextPageToken: next}
	for i := range us {
		out.LinkedUnits = append(out.LinkedUnits, unitToPB(&us[i]))
	}
	return out, nil
}

// memberToPB shows a member with the name masked (rule 13).
func memberToPB(m *registry.PartyMember) *pb.PartyMember {
	return &pb.PartyMember{Id: m.ID, Name: registry.MaskName(m.Name), ResidenceCommunityId: m.ResidenceCommunityID, LinkedUnitId: m.LinkedUnitID, HouseholdId: m.HouseholdID, RegisterTime: ts(m.RegisterTime)}
}

// CreatePartyMember registers an in-service member with the community they live in
// (双报到), tied to their work unit.
func (s *Server) CreatePartyMember(ctx context.Context, req *pb.CreatePartyMemberRequest) (*pb.PartyMember, error) {
	in := req.GetPartyMember()
	if _, err := s.community(ctx, in.GetResidenceCommunityId(), "partyMember.residenceCommunityId"); err != nil {
		return nil, s.fail(ctx, err)
	}
	if _, err := s.store.GetLinkedUnit(ctx, in.GetLinkedUnitId()); err != nil {
		return nil, s.fail(ctx, fieldNotFound(err, "partyMember.linkedUnitId"))
	}
	if hid := in.GetHouseholdId(); hid != "" {
		if _, err := s.store.GetHousehold(ctx, hid); err != nil {
			return nil, s.fail(ctx, fieldNotFound(err, "partyMember.householdId"))
		}
	}
	id, err := s.idsFor(ctx, "CreatePartyMember", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	m := registry.PartyMember{ID: id[0], Name: in.GetName(), ResidenceCommunityID: in.GetResidenceCommunityId(), LinkedUnitID: in.GetLinkedUnitId(), HouseholdID: in.GetHouseholdId(), RegisterTime: s.now()}
	if err := s.store.CreatePartyMember(ctx, m); err != nil {
		return nil, s.fail(ctx, err)
	}
	stored, err := s.store.GetPartyMember(ctx, m.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return memberToPB(stored), nil
}

// ListPartyMembers lists members by residence community or linked unit; names masked.
func (s *Server) ListPartyMembers(ctx context.Context, req *pb.ListPartyMembersRequest) (*pb.ListPartyMembersResponse, error) {
	ms, next, err := s.store.ListPartyMembers(ctx, req.GetResidenceCommunityId(), req.GetLinkedUnitId(), req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListPartyMembersResponse{NextPageToken: next}
	for i := range ms {
		out.PartyMembers = append(out.PartyMembers, memberToPB(&ms[i]))
	}
	return out, nil
}

// CreateServiceRecord records a member's service to the community (双服务).
func (s *Server) CreateServiceRecord(ctx context.Context, req *pb.CreateServiceRecordRequest) (*pb.ServiceRecord, error) {
	in := req.GetServiceRecord()
	if _, err := s.store.GetPartyMember(ctx, req.GetPartyMemberId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	if cid := in.GetCompoundId(); cid != "" {
		if _, err := s.compoundIn(ctx, cid, "serviceRecord.compoundId"); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	r, err := registry.NewServiceRecord(registry.ServiceRecord{PartyMemberID: req.GetPartyMemberId(), Date: in.GetDate(), Hours: registry.HoursFrom(in.GetHours()), Activity: in.GetActivity(), CompoundID: in.GetCompoundId()}, s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateServiceRecord", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	// A replay carries the first id, which the store counts once.
	r.ID = id[0]
	if err := s.store.AddServiceRecord(ctx, r); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &pb.ServiceRecord{Id: r.ID, PartyMemberId: r.PartyMemberID, Date: r.Date, Hours: r.Hours.Float(), Activity: r.Activity, CompoundId: r.CompoundID}, nil
}

// GetReportBack sums a linked unit's members' service over a period (双报告), read from
// monthly totals kept with each record.
func (s *Server) GetReportBack(ctx context.Context, req *pb.GetReportBackRequest) (*pb.ReportBack, error) {
	if _, err := s.store.GetLinkedUnit(ctx, req.GetLinkedUnitId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	months, err := registry.Months(req.GetPeriod())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	members, err := s.store.UnitMembers(ctx, req.GetLinkedUnitId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	totals, err := s.store.ServiceTotals(ctx, ids, months)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ReportBack{LinkedUnitId: req.GetLinkedUnitId(), Period: req.GetPeriod(), Members: int32(len(members))}
	var hours registry.Hours
	for _, m := range members {
		t := totals[m.ID]
		out.Records += int32(t[0])
		hours += registry.Hours(t[1])
		out.MemberSummaries = append(out.MemberSummaries, &pb.MemberServiceSummary{PartyMemberId: m.ID, Name: registry.MaskName(m.Name), Records: int32(t[0]), Hours: registry.Hours(t[1]).Float()})
	}
	out.Hours = hours.Float()
	return out, nil
}

// fieldNotFound turns an unknown record named by a request into bad input on that field.
func fieldNotFound(err error, field string) error {
	if errors.Is(err, registry.ErrNotFound) {
		return &registry.InvalidError{Violations: []registry.Violation{{Field: field, Reason: err.Error()}}}
	}
	return err
}
