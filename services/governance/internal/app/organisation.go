package app

import (
	"context"
	"errors"
	"fmt"

	"tongdu/platform/fault"
	"tongdu/services/governance/internal/registry"
)

// CreatePartyBranch founds a compound's party branch (one per compound) or a community's
// general branch.
func (a *App) CreatePartyBranch(ctx context.Context, req Request, b registry.PartyBranch) (*registry.PartyBranch, error) {
	var compound *registry.Compound
	var community *registry.Region
	var err error
	if b.CompoundID != "" {
		if compound, err = a.compoundIn(ctx, b.CompoundID, "partyBranch.compoundId"); err != nil {
			return nil, err
		}
	}
	if b.Kind == registry.CommunityGeneralBranch {
		if community, err = a.community(ctx, b.CommunityID, "partyBranch.communityId"); err != nil {
			return nil, err
		}
	}
	if b, err = registry.NewPartyBranch(b, compound, community, a.now()); err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreatePartyBranch", req, 1)
	if err != nil {
		return nil, err
	}
	b.ID = id[0]
	if err := a.store.CreatePartyBranch(ctx, b); err != nil {
		return nil, err
	}
	// A replay answers with what the first request stored.
	return a.store.GetPartyBranch(ctx, b.ID)
}

// ListPartyBranches lists branches of a community (and of one compound, when named).
func (a *App) ListPartyBranches(ctx context.Context, communityID, compoundID, token string, size int) ([]registry.PartyBranch, string, error) {
	return a.store.ListPartyBranches(ctx, communityID, func(b *registry.PartyBranch) bool {
		return compoundID == "" || b.CompoundID == compoundID
	}, token, size)
}

// GridCell is a grid cell with its figures, summed from its buildings' counters.
type GridCell struct {
	registry.GridCell
	Households, PartyMembers, NeedsAccessibility int
}

// CreateGridCell draws a grid of a community over some of its buildings; a building
// belongs to at most one grid cell.
func (a *App) CreateGridCell(ctx context.Context, req Request, in registry.GridCell) (*GridCell, error) {
	community, err := a.community(ctx, in.CommunityID, "gridCell.communityId")
	if err != nil {
		return nil, err
	}
	communityOf := map[string]string{}
	for _, bid := range in.BuildingIDs {
		b, err := a.store.GetBuilding(ctx, bid)
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		c, err := a.store.GetCompound(ctx, b.CompoundID)
		if err != nil {
			return nil, err
		}
		communityOf[bid] = c.CommunityID
	}
	in.CommunityID = community.ID
	g, err := registry.NewGridCell(in, community, communityOf, a.now())
	if err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreateGridCell", req, 1)
	if err != nil {
		return nil, err
	}
	g.ID = id[0]
	err = a.store.CreateGridCell(ctx, g)
	var taken *registry.BuildingTakenError
	if errors.As(err, &taken) {
		return nil, fault.Field(fmt.Sprintf("gridCell.buildingIds[%d]", taken.Index), "the building belongs to another grid cell")
	}
	if err != nil {
		return nil, err
	}
	stored, err := a.store.GetGridCell(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	return a.gridFigures(ctx, stored)
}

// gridFigures sums a grid cell's figures from its buildings' counters.
func (a *App) gridFigures(ctx context.Context, g *registry.GridCell) (*GridCell, error) {
	out := &GridCell{GridCell: *g}
	bs, err := a.store.GetBuildings(ctx, g.BuildingIDs)
	if err != nil {
		return nil, err
	}
	for i, b := range bs {
		if b == nil {
			return nil, fmt.Errorf("%w: building %s of grid cell %s", registry.ErrNotFound, g.BuildingIDs[i], g.ID)
		}
		out.Households += b.HouseholdCount
		out.PartyMembers += b.PartyMembers
		out.NeedsAccessibility += b.NeedsAccessibility
	}
	return out, nil
}

// ListGridCells lists a community's grid cells with their figures.
func (a *App) ListGridCells(ctx context.Context, communityID, token string, size int) ([]GridCell, string, error) {
	gs, next, err := a.store.ListGridCells(ctx, communityID, token, size)
	if err != nil {
		return nil, "", err
	}
	out := make([]GridCell, 0, len(gs))
	for i := range gs {
		g, err := a.gridFigures(ctx, &gs[i])
		if err != nil {
			return nil, "", err
		}
		out = append(out, *g)
	}
	return out, next, nil
}

// CreateLinkedUnit ties a work unit to a community (挂联单位).
func (a *App) CreateLinkedUnit(ctx context.Context, req Request, u registry.LinkedUnit) (*registry.LinkedUnit, error) {
	if _, err := a.community(ctx, u.CommunityID, "linkedUnit.communityId"); err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreateLinkedUnit", req, 1)
	if err != nil {
		return nil, err
	}
	u.ID, u.CreateTime = id[0], a.now()
	if err := a.store.CreateLinkedUnit(ctx, u); err != nil {
		return nil, err
	}
	return a.store.GetLinkedUnit(ctx, u.ID)
}

// ListLinkedUnits lists a community's linked units.
func (a *App) ListLinkedUnits(ctx context.Context, communityID, token string, size int) ([]registry.LinkedUnit, string, error) {
	return a.store.ListLinkedUnits(ctx, communityID, token, size)
}

// CreatePartyMember registers an in-service member with the community they live in
// (双报到), tied to their work unit.
func (a *App) CreatePartyMember(ctx context.Context, req Request, m registry.PartyMember) (*registry.PartyMember, error) {
	if _, err := a.community(ctx, m.ResidenceCommunityID, "partyMember.residenceCommunityId"); err != nil {
		return nil, err
	}
	if _, err := a.store.GetLinkedUnit(ctx, m.LinkedUnitID); err != nil {
		return nil, fieldNotFound(err, "partyMember.linkedUnitId")
	}
	if m.HouseholdID != "" {
		if _, err := a.store.GetHousehold(ctx, m.HouseholdID); err != nil {
			return nil, fieldNotFound(err, "partyMember.householdId")
		}
	}
	id, err := a.idsFor(ctx, "CreatePartyMember", req, 1)
	if err != nil {
		return nil, err
	}
	m.ID, m.RegisterTime = id[0], a.now()
	if err := a.store.CreatePartyMember(ctx, m); err != nil {
		return nil, err
	}
	return a.store.GetPartyMember(ctx, m.ID)
}

// ListPartyMembers lists members by residence community or linked unit (the caller masks
// their names, rule 13).
func (a *App) ListPartyMembers(ctx context.Context, communityID, unitID, token string, size int) ([]registry.PartyMember, string, error) {
	return a.store.ListPartyMembers(ctx, communityID, unitID, token, size)
}

// CreateServiceRecord records a member's service to the community (双服务).
func (a *App) CreateServiceRecord(ctx context.Context, req Request, in registry.ServiceRecord) (*registry.ServiceRecord, error) {
	if _, err := a.store.GetPartyMember(ctx, in.PartyMemberID); err != nil {
		return nil, err
	}
	if in.CompoundID != "" {
		if _, err := a.compoundIn(ctx, in.CompoundID, "serviceRecord.compoundId"); err != nil {
			return nil, err
		}
	}
	r, err := registry.NewServiceRecord(in, a.now())
	if err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreateServiceRecord", req, 1)
	if err != nil {
		return nil, err
	}
	// A replay carries the first id, which the store counts once.
	r.ID = id[0]
	if err := a.store.AddServiceRecord(ctx, r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ReportBack is a linked unit's members' service over a period (双报告).
type ReportBack struct {
	Members []MemberService
	Records int
	Hours   registry.Hours
}

// MemberService is one member's part of a ReportBack.
type MemberService struct {
	registry.PartyMember
	Records int
	Hours   registry.Hours
}

// GetReportBack sums a linked unit's members' service over a period (a year, quarter or
// month), read from monthly totals kept with each record.
func (a *App) GetReportBack(ctx context.Context, unitID, period string) (*ReportBack, error) {
	if _, err := a.store.GetLinkedUnit(ctx, unitID); err != nil {
		return nil, err
	}
	months, err := registry.Months(period)
	if err != nil {
		return nil, err
	}
	members, err := a.store.UnitMembers(ctx, unitID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	totals, err := a.store.ServiceTotals(ctx, ids, months)
	if err != nil {
		return nil, err
	}
	out := &ReportBack{}
	for _, m := range members {
		t := totals[m.ID]
		out.Records += int(t[0])
		out.Hours += registry.Hours(t[1])
		out.Members = append(out.Members, MemberService{PartyMember: m, Records: int(t[0]), Hours: registry.Hours(t[1])})
	}
	return out, nil
}
