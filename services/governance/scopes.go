package governance

import (
	"context"

	"tongdu/platform/auth"
	"tongdu/services/governance/internal/storage"
)

// teach tells the authorizer what lies above each kind of resource governance owns, so a
// caller's scope (a region subtree, a compound, a household) can be checked.
func teach(r *auth.Resolver, s *storage.Store) {
	r.Teach("regions", func(ctx context.Context, id string) ([]string, error) {
		reg, err := s.GetRegion(ctx, id)
		if err != nil || reg.Parent == "" {
			return nil, err
		}
		return []string{"regions/" + reg.Parent}, nil
	})
	r.Teach("compounds", func(ctx context.Context, id string) ([]string, error) {
		c, err := s.GetCompound(ctx, id)
		if err != nil {
			return nil, err
		}
		return []string{"regions/" + c.CommunityID}, nil
	})
	r.Teach("buildings", func(ctx context.Context, id string) ([]string, error) {
		b, err := s.GetBuilding(ctx, id)
		if err != nil {
			return nil, err
		}
		return []string{"compounds/" + b.CompoundID}, nil
	})
	r.Teach("households", func(ctx context.Context, id string) ([]string, error) {
		h, err := s.GetHousehold(ctx, id)
		if err != nil {
			return nil, err
		}
		return []string{"compounds/" + h.CompoundID, "buildings/" + h.BuildingID}, nil
	})
	r.Teach("elections", func(ctx context.Context, id string) ([]string, error) {
		e, _, err := s.GetElection(ctx, id)
		if err != nil {
			return nil, err
		}
		return []string{"buildings/" + e.BuildingID}, nil
	})
	r.Teach("whistles", func(ctx context.Context, id string) ([]string, error) {
		w, err := s.GetWhistle(ctx, id)
		if err != nil {
			return nil, err
		}
		out := []string{"compounds/" + w.CompoundID}
		for _, d := range w.DepartmentIDs {
			out = append(out, "departments/"+d)
		}
		return out, nil
	})
	r.Teach("conventions", func(ctx context.Context, id string) ([]string, error) {
		c, err := s.GetConvention(ctx, id)
		if err != nil {
			return nil, err
		}
		return []string{"compounds/" + c.CompoundID}, nil
	})
	r.Teach("members", func(ctx context.Context, id string) ([]string, error) {
		m, err := s.GetPartyMember(ctx, id)
		if err != nil {
			return nil, err
		}
		return []string{"regions/" + m.ResidenceCommunityID, "units/" + m.LinkedUnitID}, nil
	})
	r.Teach("units", func(ctx context.Context, id string) ([]string, error) {
		u, err := s.GetLinkedUnit(ctx, id)
		if err != nil {
			return nil, err
		}
		return []string{"regions/" + u.CommunityID}, nil
	})
	// An account lies under its scope (none: the whole district); a scope never changes.
	r.Teach("accounts", func(ctx context.Context, id string) ([]string, error) {
		a, err := s.GetAccount(ctx, id)
		if err != nil || a.Scope == "" {
			return nil, err
		}
		return []string{a.Scope}, nil
	})
}
