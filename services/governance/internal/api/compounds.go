package api

import (
	"context"

	"tongdu/platform/jsonname"
	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/registry"
)

// CreateCompound registers a compound in a community (app.CreateCompound).
func (s *Server) CreateCompound(ctx context.Context, req *pb.CreateCompoundRequest) (*pb.Compound, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(compoundToPB)(s.app.CreateCompound(ctx, r, compoundFromPB(req.GetCompound())))
}

// GetCompound returns a compound with its derived household count and area.
func (s *Server) GetCompound(ctx context.Context, req *pb.GetCompoundRequest) (*pb.Compound, error) {
	return encoded(compoundToPB)(s.app.GetCompound(ctx, req.GetId()))
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
	return encoded(compoundToPB)(s.app.UpdateCompound(ctx, compoundFromPB(req.GetCompound()), req.GetCompound().GetEtag(), jsonname.MaskPaths(req.GetUpdateMask().GetPaths())))
}

// ClassifyCompound records the classification of rule 1 (a compound with no manager,
// owning unit or committee is THREE_NONE)
// (management type from who manages
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
