package api

import (
	"context"

	"tongdu/platform/jsonname"
	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/registry"
)

// CreateRegion adds a district, sub-district or community (app.CreateRegion).
func (s *Server) CreateRegion(ctx context.Context, req *pb.CreateRegionRequest) (*pb.Region, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := req.GetRegion()
	reg, err := s.app.CreateRegion(ctx, r, registry.Region{Name: in.GetName(), Level: registry.Level(in.GetLevel()), Parent: in.GetParent()})
	if err != nil {
		return nil, err
	}
	return regionToPB(reg), nil
}

// GetRegion returns a region or NOT_FOUND.
func (s *Server) GetRegion(ctx context.Context, req *pb.GetRegionRequest) (*pb.Region, error) {
	r, err := s.app.GetRegion(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return regionToPB(r), nil
}

// ListRegions lists the children of parent, or the districts when parent is empty.
func (s *Server) ListRegions(ctx context.Context, req *pb.ListRegionsRequest) (*pb.ListRegionsResponse, error) {
	rs, next, err := s.app.ListRegions(ctx, req.GetParent(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListRegionsResponse{Regions: encodeAll(rs, regionToPB), NextPageToken: next}, nil
}

// CreateCompound registers a compound in a community (app.CreateCompound).
func (s *Server) CreateCompound(ctx context.Context, req *pb.CreateCompoundRequest) (*pb.Compound, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	c, err := s.app.CreateCompound(ctx, r, compoundFromPB(req.GetCompound()))
	if err != nil {
		return nil, err
	}
	return compoundToPB(c), nil
}

// GetCompound returns a compound with its derived household count and area.
func (s *Server) GetCompound(ctx context.Context, req *pb.GetCompoundRequest) (*pb.Compound, error) {
	c, err := s.app.GetCompound(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return compoundToPB(c), nil
}

// ListCompounds lists compounds anywhere under a region, optionally of one management
// type and status.
func (s *Server) ListCompounds(ctx context.Context, req *pb.ListCompoundsRequest) (*pb.ListCompoundsResponse, error) {
	f := app.CompoundFilter{RegionID: req.GetRegionId(), ManagementType: registry.ManagementType(req.GetManagementType()), Status: registry.CompoundStatus(req.GetStatus())}
	cs, next, err := s.app.ListCompounds(ctx, f, req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListCompoundsResponse{Compounds: encodeAll(cs, compoundToPB), NextPageToken: next}, nil
}

// UpdateCompound replaces the fields named in update_mask, if a given etag still matches
// (app.UpdateCompound).
func (s *Server) UpdateCompound(ctx context.Context, req *pb.UpdateCompoundRequest) (*pb.Compound, error) {
	c, err := s.app.UpdateCompound(ctx, compoundFromPB(req.GetCompound()), req.GetCompound().GetEtag(), jsonname.MaskPaths(req.GetUpdateMask().GetPaths()))
	if err != nil {
		return nil, err
	}
	return compoundToPB(c), nil
}

// ClassifyCompound records rule 1's classification (management type from who manages
// the compound) and the governance mode chosen.
func (s *Server) ClassifyCompound(ctx context.Context, req *pb.ClassifyCompoundRequest) (*pb.Compound, error) {
	c, err := s.app.ClassifyCompound(ctx, req.GetId(), app.Classification{
		ManagementType: registry.ManagementType(req.GetManagementType()), GovernanceMode: registry.GovernanceMode(req.GetGovernanceMode()),
		DecidedBy: req.GetDecidedBy(),
		Facts:     registry.FactsChange{PropertyManager: req.PropertyManager, OwningUnit: req.OwningUnit, SelfManagementCommittee: req.SelfManagementCommittee},
	})
	if err != nil {
		return nil, err
	}
	return compoundToPB(c), nil
}

// ListAuditEntries reads the audit trail of the four services, newest first, by
// resource, actor and service.
func (s *Server) ListAuditEntries(ctx context.Context, req *pb.ListAuditEntriesRequest) (*pb.ListAuditEntriesResponse, error) {
	f := app.AuditFilter{Service: req.GetService(), Resource: req.GetResource(), Actor: req.GetActor()}
	entries, next, err := s.app.ListAuditEntries(ctx, f, req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListAuditEntriesResponse{Entries: encodeAll(entries, auditEntryToPB), NextPageToken: next}, nil
}
