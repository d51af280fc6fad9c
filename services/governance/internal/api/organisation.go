package api

import (
	"context"

	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/registry"
)

// Party branches, grid cells, linked units and in-service party members (双报到, 双服务,
// 双报告); the use cases are in app/organisation.go.

// CreatePartyBranch founds a compound's party branch (one per compound) or a community's
// general branch.
func (s *Server) CreatePartyBranch(ctx context.Context, req *pb.CreatePartyBranchRequest) (*pb.PartyBranch, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := req.GetPartyBranch()
	return encoded(branchToPB)(s.app.CreatePartyBranch(ctx, r, registry.PartyBranch{Name: in.GetName(), Kind: registry.BranchKind(in.GetKind()), CompoundID: in.GetCompoundId(), CommunityID: in.GetCommunityId(), Secretary: in.GetSecretary(), MemberCount: int(in.GetMemberCount())}))
}

// ListPartyBranches lists branches of a community (and of one compound).
func (s *Server) ListPartyBranches(ctx context.Context, req *pb.ListPartyBranchesRequest) (*pb.ListPartyBranchesResponse, error) {
	bs, next, err := s.app.ListPartyBranches(ctx, req.GetCommunityId(), req.GetCompoundId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListPartyBranchesResponse{PartyBranches: encodeAll(bs, branchToPB), NextPageToken: next}, nil
}

// CreateGridCell draws a grid of a community over some of its buildings; a building
// belongs to at most one grid cell.
func (s *Server) CreateGridCell(ctx context.Context, req *pb.CreateGridCellRequest) (*pb.GridCell, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := req.GetGridCell()
	return encoded(gridToPB)(s.app.CreateGridCell(ctx, r, registry.GridCell{Name: in.GetName(), CommunityID: in.GetCommunityId(), GridWorker: in.GetGridWorker(), BuildingIDs: in.GetBuildingIds()}))
}

// ListGridCells lists a community's grid cells with their figures.
func (s *Server) ListGridCells(ctx context.Context, req *pb.ListGridCellsRequest) (*pb.ListGridCellsResponse, error) {
	gs, next, err := s.app.ListGridCells(ctx, req.GetCommunityId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListGridCellsResponse{GridCells: encodeAll(gs, gridToPB), NextPageToken: next}, nil
}

// CreateLinkedUnit ties a work unit to a community (挂联单位).
func (s *Server) CreateLinkedUnit(ctx context.Context, req *pb.CreateLinkedUnitRequest) (*pb.LinkedUnit, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := req.GetLinkedUnit()
	return encoded(unitToPB)(s.app.CreateLinkedUnit(ctx, r, registry.LinkedUnit{Name: in.GetName(), CommunityID: in.GetCommunityId(), Contact: in.GetContact()}))
}

// ListLinkedUnits lists a community's linked units.
func (s *Server) ListLinkedUnits(ctx context.Context, req *pb.ListLinkedUnitsRequest) (*pb.ListLinkedUnitsResponse, error) {
	us, next, err := s.app.ListLinkedUnits(ctx, req.GetCommunityId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListLinkedUnitsResponse{LinkedUnits: encodeAll(us, unitToPB), NextPageToken: next}, nil
}

// CreatePartyMember registers an in-service member with the community they live in
// (双报到), tied to their work unit.
func (s *Server) CreatePartyMember(ctx context.Context, req *pb.CreatePartyMemberRequest) (*pb.PartyMember, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := req.GetPartyMember()
	return encoded(memberToPB)(s.app.CreatePartyMember(ctx, r, registry.PartyMember{Name: in.GetName(), ResidenceCommunityID: in.GetResidenceCommunityId(), LinkedUnitID: in.GetLinkedUnitId(), HouseholdID: in.GetHouseholdId()}))
}

// ListPartyMembers lists members by residence community or linked unit; names masked.
func (s *Server) ListPartyMembers(ctx context.Context, req *pb.ListPartyMembersRequest) (*pb.ListPartyMembersResponse, error) {
	ms, next, err := s.app.ListPartyMembers(ctx, req.GetResidenceCommunityId(), req.GetLinkedUnitId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListPartyMembersResponse{PartyMembers: encodeAll(ms, memberToPB), NextPageToken: next}, nil
}

// CreateServiceRecord records a member's service to the community (双服务).
func (s *Server) CreateServiceRecord(ctx context.Context, req *pb.CreateServiceRecordRequest) (*pb.ServiceRecord, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := req.GetServiceRecord()
	rec, err := s.app.CreateServiceRecord(ctx, r, registry.ServiceRecord{PartyMemberID: req.GetPartyMemberId(), Date: in.GetDate(), Hours: registry.HoursFrom(in.GetHours()), Activity: in.GetActivity(), CompoundID: in.GetCompoundId()})
	if err != nil {
		return nil, err
	}
	return &pb.ServiceRecord{Id: rec.ID, PartyMemberId: rec.PartyMemberID, Date: rec.Date, Hours: rec.Hours.Float(), Activity: rec.Activity, CompoundId: rec.CompoundID}, nil
}

// GetReportBack sums a linked unit's members' service over a period (双报告).
func (s *Server) GetReportBack(ctx context.Context, req *pb.GetReportBackRequest) (*pb.ReportBack, error) {
	rb, err := s.app.GetReportBack(ctx, req.GetLinkedUnitId(), req.GetPeriod())
	if err != nil {
		return nil, err
	}
	out := &pb.ReportBack{LinkedUnitId: req.GetLinkedUnitId(), Period: req.GetPeriod(), Members: int32(len(rb.Members)), Records: int32(rb.Records), Hours: rb.Hours.Float()}
	for _, m := range rb.Members {
		out.MemberSummaries = append(out.MemberSummaries, &pb.MemberServiceSummary{PartyMemberId: m.ID, Name: registry.MaskName(m.Name), Records: int32(m.Records), Hours: m.Hours.Float()})
	}
	return out, nil
}

func branchToPB(b *registry.PartyBranch) *pb.PartyBranch {
	return &pb.PartyBranch{Id: b.ID, Name: b.Name, Kind: pb.PartyBranch_Kind(b.Kind), CompoundId: b.CompoundID, CommunityId: b.CommunityID,
		Secretary: b.Secretary, MemberCount: int32(b.MemberCount), CreateTime: ts(b.CreateTime)}
}

// gridToPB shows a grid cell with its figures.
func gridToPB(g *app.GridCell) *pb.GridCell {
	return &pb.GridCell{Id: g.ID, Name: g.Name, CommunityId: g.CommunityID, GridWorker: g.GridWorker, BuildingIds: g.BuildingIDs, CreateTime: ts(g.CreateTime),
		HouseholdCount: int32(g.Households), PartyMemberCount: int32(g.PartyMembers), NeedsAccessibilityCount: int32(g.NeedsAccessibility)}
}

func unitToPB(u *registry.LinkedUnit) *pb.LinkedUnit {
	return &pb.LinkedUnit{Id: u.ID, Name: u.Name, CommunityId: u.CommunityID, Contact: u.Contact, CreateTime: ts(u.CreateTime)}
}

// memberToPB shows a member with the name masked (rule 13: residents' personal data only
// to those who need it).
func memberToPB(m *registry.PartyMember) *pb.PartyMember {
	return &pb.PartyMember{Id: m.ID, Name: registry.MaskName(m.Name), ResidenceCommunityId: m.ResidenceCommunityID, LinkedUnitId: m.LinkedUnitID, HouseholdId: m.HouseholdID, RegisterTime: ts(m.RegisterTime)}
}
