package api

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
	"tongdu/services/governance/internal/storage"
)

// CreateBuilding adds a building to a compound; building names are unique per compound.
func (s *Server) CreateBuilding(ctx context.Context, req *pb.CreateBuildingRequest) (*pb.Building, error) {
	in := req.GetBuilding()
	if _, err := s.store.GetCompound(ctx, req.GetCompoundId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateBuilding", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	b := registry.Building{
		ID: id[0], CompoundID: req.GetCompoundId(), Name: in.GetName(),
		UnitCount: int(in.GetUnitCount()), FloorCount: int(in.GetFloorCount()), CreateTime: s.now(),
	}
	if err := s.store.CreateBuilding(ctx, b); err != nil {
		return nil, s.fail(ctx, err)
	}
	stored, err := s.store.GetBuilding(ctx, b.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return buildingToPB(stored), nil
}

// GetBuilding returns a building or NOT_FOUND.
func (s *Server) GetBuilding(ctx context.Context, req *pb.GetBuildingRequest) (*pb.Building, error) {
	b, err := s.store.GetBuilding(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return buildingToPB(b), nil
}

// ListBuildings lists a compound's buildings in the order they were registered.
func (s *Server) ListBuildings(ctx context.Context, req *pb.ListBuildingsRequest) (*pb.ListBuildingsResponse, error) {
	if _, err := s.store.GetCompound(ctx, req.GetCompoundId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	bs, next, err := s.store.ListBuildings(ctx, req.GetCompoundId(), req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListBuildingsResponse{NextPageToken: next}
	for i := range bs {
		out.Buildings = append(out.Buildings, buildingToPB(&bs[i]))
	}
	return out, nil
}

// CreateHousehold registers one dwelling of a compound.
func (s *Server) CreateHousehold(ctx context.Context, req *pb.CreateHouseholdRequest) (*pb.Household, error) {
	hs, err := s.createHouseholds(ctx, "CreateHousehold", req.GetCompoundId(), req.GetRequestId(), req, "household", true, []*pb.Household{req.GetHousehold()})
	if err != nil {
		return nil, err
	}
	return hs[0], nil
}

// BatchCreateHouseholds registers up to 1,000 dwellings at once: all of them or none.
func (s *Server) BatchCreateHouseholds(ctx context.Context, req *pb.BatchCreateHouseholdsRequest) (*pb.BatchCreateHouseholdsResponse, error) {
	hs, err := s.createHouseholds(ctx, "BatchCreateHouseholds", req.GetCompoundId(), req.GetRequestId(), req, "households", false, req.GetHouseholds())
	if err != nil {
		return nil, err
	}
	return &pb.BatchCreateHouseholdsResponse{Households: hs}, nil
}

func (s *Server) createHouseholds(ctx context.Context, method, cid, requestID string, req proto.Message, field string, single bool, in []*pb.Household) ([]*pb.Household, error) {
	if _, err := s.store.GetCompound(ctx, cid); err != nil {
		return nil, s.fail(ctx, err)
	}
	buildings, err := s.store.BuildingsOf(ctx, cid)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	proposed := make([]registry.Household, len(in))
	for i, h := range in {
		proposed[i] = householdFromPB(h)
	}
	hs, err := registry.NewHouseholds(cid, proposed, buildings, field, single, s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	newIDs, err := s.idsFor(ctx, method, requestID, req, len(hs))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	for i := range hs {
		hs[i].ID = newIDs[i]
	}
	err = s.store.CreateHouseholds(ctx, cid, hs)
	var taken *storage.DwellingTakenError
	if errors.As(err, &taken) {
		name := field
		if !single {
			name = fmt.Sprintf("%s[%d]", field, taken.Index)
		}
		return nil, s.fail(ctx, fmt.Errorf("%w: %s: that building, unit and room is registered already", registry.ErrAlreadyExists, name))
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	// Replayed requests answer with what is stored, which is what the first one made.
	stored, err := s.store.GetHouseholds(ctx, newIDs)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := make([]*pb.Household, len(stored))
	for i := range stored {
		out[i] = householdToPB(ctx, stored[i])
	}
	return out, nil
}

// GetHousehold returns a household with its personal data masked.
func (s *Server) GetHousehold(ctx context.Context, req *pb.GetHouseholdRequest) (*pb.Household, error) {
	h, err := s.store.GetHousehold(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return householdToPB(ctx, *h), nil
}

// ListHouseholds lists a compound's households (or one building's) in registration order.
func (s *Server) ListHouseholds(ctx context.Context, req *pb.ListHouseholdsRequest) (*pb.ListHouseholdsResponse, error) {
	if _, err := s.store.GetCompound(ctx, req.GetCompoundId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	hs, next, err := s.store.ListHouseholds(ctx, req.GetCompoundId(), req.GetBuildingId(), req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListHouseholdsResponse{NextPageToken: next}
	for i := range hs {
		out.Households = append(out.Households, householdToPB(ctx, hs[i]))
	}
	return out, nil
}

// BatchGetHouseholds returns the households asked for, in order. Every id must exist:
// the callers (survey, finance) need to know of an unknown household, so one is
// NOT_FOUND naming it.
func (s *Server) BatchGetHouseholds(ctx context.Context, req *pb.BatchGetHouseholdsRequest) (*pb.BatchGetHouseholdsResponse, error) {
	hs, err := s.store.GetHouseholds(ctx, req.GetIds())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if len(hs) != len(req.GetIds()) {
		found := make(map[string]bool, len(hs))
		for _, h := range hs {
			found[h.ID] = true
		}
		for _, id := range req.GetIds() {
			if !found[id] {
				return nil, s.fail(ctx, fmt.Errorf("%w: household %s", registry.ErrNotFound, id))
			}
		}
	}
	// Other services place households by this; none of them needs personal data.
	masked := context.Background()
	out := &pb.BatchGetHouseholdsResponse{}
	for i := range hs {
		out.Households = append(out.Households, householdToPB(masked, hs[i]))
	}
	return out, nil
}
