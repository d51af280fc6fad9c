package api

import (
	"context"
	"errors"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
)

// CreateRegion adds a district, sub-district or community. The parent must exist and sit
// exactly one level up.
func (s *Server) CreateRegion(ctx context.Context, req *pb.CreateRegionRequest) (*pb.Region, error) {
	in := req.GetRegion()
	r := registry.Region{Name: in.GetName(), Level: registry.Level(in.GetLevel()), Parent: in.GetParent()}
	var parent *registry.Region
	if r.Parent != "" {
		p, err := s.store.GetRegion(ctx, r.Parent)
		if errors.Is(err, registry.ErrNotFound) {
			return nil, s.fail(ctx, &registry.InvalidError{Violations: []registry.Violation{{Field: "region.parent", Reason: "no region " + r.Parent}}})
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		parent = p
	}
	if err := registry.CheckParent(r.Level, parent); err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateRegion", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	r.ID, r.CreateTime = id[0], s.now()
	if err := s.store.CreateRegion(ctx, r); err != nil {
		return nil, s.fail(ctx, err)
	}
	stored, err := s.store.GetRegion(ctx, r.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return regionToPB(stored), nil
}

// GetRegion returns a region or NOT_FOUND.
func (s *Server) GetRegion(ctx context.Context, req *pb.GetRegionRequest) (*pb.Region, error) {
	r, err := s.store.GetRegion(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return regionToPB(r), nil
}

// ListRegions lists the children of parent, or the districts when parent is empty.
func (s *Server) ListRegions(ctx context.Context, req *pb.ListRegionsRequest) (*pb.ListRegionsResponse, error) {
	rs, next, err := s.store.ListRegions(ctx, req.GetParent(), req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListRegionsResponse{NextPageToken: next}
	for i := range rs {
		out.Regions = append(out.Regions, regionToPB(&rs[i]))
	}
	return out, nil
}
