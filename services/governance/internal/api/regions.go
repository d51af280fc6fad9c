package api

import (
	"context"

	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
)

// CreateRegion adds a district, sub-district or community (app.CreateRegion).
func (s *Server) CreateRegion(ctx context.Context, req *pb.CreateRegionRequest) (*pb.Region, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := req.GetRegion()
	return encoded(regionToPB)(s.app.CreateRegion(ctx, r, registry.Region{Name: in.GetName(), Level: registry.Level(in.GetLevel()), Parent: in.GetParent()}))
}

// GetRegion returns a region or NOT_FOUND.
func (s *Server) GetRegion(ctx context.Context, req *pb.GetRegionRequest) (*pb.Region, error) {
	return encoded(regionToPB)(s.app.GetRegion(ctx, req.GetId()))
}

// ListRegions lists the children of parent, or the districts when parent is empty.
func (s *Server) ListRegions(ctx context.Context, req *pb.ListRegionsRequest) (*pb.ListRegionsResponse, error) {
	rs, next, err := s.app.ListRegions(ctx, req.GetParent(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListRegionsResponse{Regions: encodeAll(rs, regionToPB), NextPageToken: next}, nil
}
