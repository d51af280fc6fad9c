package api

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"tongdu/platform/jsonname"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
)

// CreateCompound registers a compound in a community.
func (s *Server) CreateCompound(ctx context.Context, req *pb.CreateCompoundRequest) (*pb.Compound, error) {
	in := compoundFromPB(req.GetCompound())
	community, err := s.store.GetRegion(ctx, in.CommunityID)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, s.fail(ctx, &registry.InvalidError{Violations: []registry.Violation{{Field: "compound.communityId", Reason: "no community " + in.CommunityID}}})
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	c, err := registry.NewCompound(in, community, s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if c.RegionPath, err = s.regionPath(ctx, community); err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateCompound", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	c.ID = id[0]
	if err := s.store.CreateCompound(ctx, c); err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.GetCompound(ctx, &pb.GetCompoundRequest{Id: c.ID})
}

// regionPath lists the district, sub-district and community above a compound.
func (s *Server) regionPath(ctx context.Context, community *registry.Region) ([]string, error) {
	path := []string{community.ID}
	for r := community; r.Parent != ""; {
		p, err := s.store.GetRegion(ctx, r.Parent)
		if err != nil {
			return nil, fmt.Errorf("region %s: parent %s: %w", r.ID, r.Parent, err)
		}
		path = append([]string{p.ID}, path...)
		r = p
	}
	return path, nil
}

// GetCompound returns a compound with its derived household count and area.
func (s *Server) GetCompound(ctx context.Context, req *pb.GetCompoundRequest) (*pb.Compound, error) {
	c, err := s.store.GetCompound(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return compoundToPB(c), nil
}

// ListCompounds lists compounds anywhere under a region, optionally of one management
// type and status.
func (s *Server) ListCompounds(ctx context.Context, req *pb.ListCompoundsRequest) (*pb.ListCompoundsResponse, error) {
	if r := req.GetRegionId(); r != "" {
		if _, err := s.store.GetRegion(ctx, r); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	mt, st := registry.ManagementType(req.GetManagementType()), registry.CompoundStatus(req.GetStatus())
	match := func(c *registry.Compound) bool {
		return (mt == registry.ManagementUnspecified || c.ManagementType == mt) && (st == registry.StatusUnspecified || c.Status == st)
	}
	cs, next, err := s.store.ListCompounds(ctx, req.GetRegionId(), match, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListCompoundsResponse{NextPageToken: next}
	for i := range cs {
		out.Compounds = append(out.Compounds, compoundToPB(&cs[i]))
	}
	return out, nil
}

// UpdateCompound replaces the fields named in update_mask. A given etag must match the
// stored one (ABORTED otherwise), so an edit made on a stale copy is refused.
func (s *Server) UpdateCompound(ctx context.Context, req *pb.UpdateCompoundRequest) (*pb.Compound, error) {
	in := req.GetCompound()
	if in.GetId() == "" {
		return nil, s.fail(ctx, &registry.InvalidError{Violations: []registry.Violation{{Field: "compound.id", Reason: "is required"}}})
	}
	mask := jsonname.MaskPaths(req.GetUpdateMask().GetPaths())
	if len(mask) == 0 {
		return nil, s.fail(ctx, &registry.InvalidError{Violations: []registry.Violation{{Field: "updateMask", Reason: "name the fields to update"}}})
	}
	patch := compoundFromPB(in)
	return s.updateCompound(ctx, in.GetId(), in.GetEtag(), func(c registry.Compound) (registry.Compound, error) {
		return registry.ApplyUpdate(c, patch, mask, s.now())
	})
}

// ClassifyCompound records rule 1's classification and the governance mode chosen.
func (s *Server) ClassifyCompound(ctx context.Context, req *pb.ClassifyCompoundRequest) (*pb.Compound, error) {
	return s.updateCompound(ctx, req.GetId(), "", func(c registry.Compound) (registry.Compound, error) {
		change := registry.FactsChange{PropertyManager: req.PropertyManager, OwningUnit: req.OwningUnit, SelfManagementCommittee: req.SelfManagementCommittee}
		return registry.Classify(c, registry.ManagementType(req.GetManagementType()), registry.GovernanceMode(req.GetGovernanceMode()), req.GetDecidedBy(), change, s.now())
	})
}

// updateCompound reads, edits and writes a compound with a revision check, retrying when
// another writer got in between, unless the caller pinned an etag.
func (s *Server) updateCompound(ctx context.Context, id, etag string, edit func(registry.Compound) (registry.Compound, error)) (*pb.Compound, error) {
	for attempt := 0; ; attempt++ {
		cur, err := s.store.GetCompound(ctx, id)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if etag != "" && etag != cur.Etag() {
			return nil, s.fail(ctx, fmt.Errorf("%w: compound %s is at %s, the update was made on %s", registry.ErrConflict, id, cur.Etag(), etag))
		}
		next, err := edit(*cur)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		_, err = s.store.UpdateCompound(ctx, next)
		if errors.Is(err, registry.ErrConflict) && etag == "" {
			// Another writer got in between. The caller pinned no version, so read again
			// and re-apply, after a short random pause that spreads out contenders.
			select {
			case <-ctx.Done():
				return nil, s.fail(ctx, ctx.Err())
			case <-time.After(time.Duration(1+rand.IntN(1<<min(attempt, 6))) * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return s.GetCompound(ctx, &pb.GetCompoundRequest{Id: id})
	}
}
