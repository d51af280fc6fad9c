package app

import (
	"context"
	"errors"
	"fmt"

	"tongdu/platform/fault"
	"tongdu/services/governance/internal/registry"
)

// CreateRegion adds a district, sub-district or community (r's name, level and parent).
// The parent must exist and sit exactly one level up: bad input on region.parent
// otherwise.
func (a *App) CreateRegion(ctx context.Context, req Request, r registry.Region) (*registry.Region, error) {
	var parent *registry.Region
	if r.Parent != "" {
		p, err := a.store.GetRegion(ctx, r.Parent)
		if errors.Is(err, registry.ErrNotFound) {
			return nil, fault.Field("region.parent", "no region "+r.Parent)
		}
		if err != nil {
			return nil, err
		}
		parent = p
	}
	if err := registry.CheckParent(r.Level, parent); err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreateRegion", req, 1)
	if err != nil {
		return nil, err
	}
	r.ID, r.CreateTime = id[0], a.now()
	if err := a.store.CreateRegion(ctx, r); err != nil {
		return nil, err
	}
	return a.store.GetRegion(ctx, r.ID)
}

// GetRegion returns a region or registry.ErrNotFound.
func (a *App) GetRegion(ctx context.Context, id string) (*registry.Region, error) {
	return a.store.GetRegion(ctx, id)
}

// ListRegions lists the children of parent, or the districts when parent is empty.
func (a *App) ListRegions(ctx context.Context, parent, token string, size int) ([]registry.Region, string, error) {
	return a.store.ListRegions(ctx, parent, token, size)
}

// regionPath lists the district, sub-district and community above a compound.
func (a *App) regionPath(ctx context.Context, community *registry.Region) ([]string, error) {
	path := []string{community.ID}
	for r := community; r.Parent != ""; {
		p, err := a.store.GetRegion(ctx, r.Parent)
		if err != nil {
			return nil, fmt.Errorf("region %s: parent %s: %w", r.ID, r.Parent, err)
		}
		path = append([]string{p.ID}, path...)
		r = p
	}
	return path, nil
}

// community returns the COMMUNITY region a request names in field, or bad input there.
func (a *App) community(ctx context.Context, id, field string) (*registry.Region, error) {
	r, err := a.store.GetRegion(ctx, id)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, fault.Field(field, "no community "+id)
	}
	if err != nil {
		return nil, err
	}
	if r.Level != registry.Community {
		return nil, fault.Field(field, fmt.Sprintf("%s is a %s, not a COMMUNITY", id, r.Level))
	}
	return r, nil
}

// compoundIn returns the compound a request names in field, or bad input there.
func (a *App) compoundIn(ctx context.Context, id, field string) (*registry.Compound, error) {
	c, err := a.store.GetCompound(ctx, id)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, fault.Field(field, "no compound "+id)
	}
	return c, err
}

// fieldNotFound turns an unknown record named by a request into bad input on that field.
func fieldNotFound(err error, field string) error {
	if errors.Is(err, registry.ErrNotFound) {
		return fault.Field(field, err.Error())
	}
	return err
}
