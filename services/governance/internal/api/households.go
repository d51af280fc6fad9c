package api

import (
	"context"

	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
)

// CreateBuilding adds a building to a compound; building names are unique per compound.
func (s *Server) CreateBuilding(ctx context.Context, req *pb.CreateBuildingRequest) (*pb.Building, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := req.GetBuilding()
	return encoded(buildingFor(ctx))(s.app.CreateBuilding(ctx, r, registry.Building{CompoundID: req.GetCompoundId(), Name: in.GetName(), UnitCount: int(in.GetUnitCount()), FloorCount: int(in.GetFloorCount())}))
}

// GetBuilding returns a building or NOT_FOUND.
func (s *Server) GetBuilding(ctx context.Context, req *pb.GetBuildingRequest) (*pb.Building, error) {
	return encoded(buildingFor(ctx))(s.app.GetBuilding(ctx, req.GetId()))
}

// ListBuildings lists a compound's buildings in the order they were registered.
func (s *Server) ListBuildings(ctx context.Context, req *pb.ListBuildingsRequest) (*pb.ListBuildingsResponse, error) {
	bs, next, err := s.app.ListBuildings(ctx, req.GetCompoundId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListBuildingsResponse{Buildings: encodeAll(bs, buildingFor(ctx)), NextPageToken: next}, nil
}

// CreateHousehold registers one dwelling of a compound.
func (s *Server) CreateHousehold(ctx context.Context, req *pb.CreateHouseholdRequest) (*pb.Household, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	h, err := s.app.CreateHousehold(ctx, r, req.GetCompoundId(), householdFromPB(req.GetHousehold()))
	if err != nil {
		return nil, err
	}
	return householdToPB(ctx, *h), nil
}

// BatchCreateHouseholds registers up to 1,000 dwellings at once: all of them or none.
func (s *Server) BatchCreateHouseholds(ctx context.Context, req *pb.BatchCreateHouseholdsRequest) (*pb.BatchCreateHouseholdsResponse, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := make([]registry.Household, len(req.GetHouseholds()))
	for i, h := range req.GetHouseholds() {
		in[i] = householdFromPB(h)
	}
	hs, err := s.app.BatchCreateHouseholds(ctx, r, req.GetCompoundId(), in)
	if err != nil {
		return nil, err
	}
	return &pb.BatchCreateHouseholdsResponse{Households: householdsToPB(ctx, hs)}, nil
}

// GetHousehold returns a household with its personal data masked (householdToPB).
func (s *Server) GetHousehold(ctx context.Context, req *pb.GetHouseholdRequest) (*pb.Household, error) {
	h, err := s.app.GetHousehold(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return householdToPB(ctx, *h), nil
}

// ListHouseholds lists a compound's households (or one building's) in registration order.
func (s *Server) ListHouseholds(ctx context.Context, req *pb.ListHouseholdsRequest) (*pb.ListHouseholdsResponse, error) {
	hs, next, err := s.app.ListHouseholds(ctx, req.GetCompoundId(), req.GetBuildingId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListHouseholdsResponse{Households: householdsToPB(ctx, hs), NextPageToken: next}, nil
}

// BatchGetHouseholds returns the households asked for, in order; an unknown one is
// NOT_FOUND naming it.
func (s *Server) BatchGetHouseholds(ctx context.Context, req *pb.BatchGetHouseholdsRequest) (*pb.BatchGetHouseholdsResponse, error) {
	hs, err := s.app.BatchGetHouseholds(ctx, req.GetIds())
	if err != nil {
		return nil, err
	}
	// Other services place households by this; none of them needs personal data.
	return &pb.BatchGetHouseholdsResponse{Households: householdsToPB(context.Background(), hs)}, nil
}

func householdsToPB(ctx context.Context, hs []registry.Household) []*pb.Household {
	out := make([]*pb.Household, len(hs))
	for i := range hs {
		out[i] = householdToPB(ctx, hs[i])
	}
	return out
}
