package app

import (
	"context"
	"errors"
	"fmt"

	"tongdu/platform/auth"
	"tongdu/services/governance/internal/registry"
)

// CreateBuilding adds a building to a compound; building names are unique per compound.
func (a *App) CreateBuilding(ctx context.Context, req Request, b registry.Building) (*registry.Building, error) {
	if _, err := a.store.GetCompound(ctx, b.CompoundID); err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreateBuilding", req, 1)
	if err != nil {
		return nil, err
	}
	b.ID, b.CreateTime = id[0], a.now()
	if err := a.store.CreateBuilding(ctx, b); err != nil {
		return nil, err
	}
	return a.store.GetBuilding(ctx, b.ID)
}

// GetBuilding returns a building or registry.ErrNotFound.
func (a *App) GetBuilding(ctx context.Context, id string) (*registry.Building, error) {
	return a.store.GetBuilding(ctx, id)
}

// ListBuildings lists a compound's buildings in the order they were registered.
func (a *App) ListBuildings(ctx context.Context, compoundID, token string, size int) ([]registry.Building, string, error) {
	if _, err := a.store.GetCompound(ctx, compoundID); err != nil {
		return nil, "", err
	}
	return a.store.ListBuildings(ctx, compoundID, token, size)
}

// CreateHousehold registers one dwelling of a compound.
func (a *App) CreateHousehold(ctx context.Context, req Request, compoundID string, h registry.Household) (*registry.Household, error) {
	hs, err := a.createHouseholds(ctx, "CreateHousehold", req, compoundID, "household", true, []registry.Household{h})
	if err != nil {
		return nil, err
	}
	return &hs[0], nil
}

// BatchCreateHouseholds registers up to 1,000 dwellings at once: all of them or none.
func (a *App) BatchCreateHouseholds(ctx context.Context, req Request, compoundID string, hs []registry.Household) ([]registry.Household, error) {
	return a.createHouseholds(ctx, "BatchCreateHouseholds", req, compoundID, "households", false, hs)
}

func (a *App) createHouseholds(ctx context.Context, method string, req Request, cid, field string, single bool, proposed []registry.Household) ([]registry.Household, error) {
	if _, err := a.store.GetCompound(ctx, cid); err != nil {
		return nil, err
	}
	buildings, err := a.store.BuildingsOf(ctx, cid)
	if err != nil {
		return nil, err
	}
	hs, err := registry.NewHouseholds(cid, proposed, buildings, field, single, a.now())
	if err != nil {
		return nil, err
	}
	newIDs, err := a.idsFor(ctx, method, req, len(hs))
	if err != nil {
		return nil, err
	}
	for i := range hs {
		hs[i].ID, hs[i].CreateAccount = newIDs[i], auth.Acting(ctx)
	}
	// The ranking and the survey service's copy of the compound's households must hear of
	// them, once per set written (a replay writes nothing, so tells nothing again).
	err = a.store.CreateHouseholds(ctx, cid, hs, householdsEvent(cid, hs)...)
	var taken *registry.DwellingTakenError
	if errors.As(err, &taken) {
		name := field
		if !single {
			name = fmt.Sprintf("%s[%d]", field, taken.Index)
		}
		return nil, fmt.Errorf("%w: %s: that building, unit and room is registered already", registry.ErrAlreadyExists, name)
	}
	if err != nil {
		return nil, err
	}
	// Replayed requests answer with what is stored, which is what the first one made.
	return a.store.GetHouseholds(ctx, newIDs)
}

// GetHousehold returns a household (the caller masks its personal data, rule 13:
// residents' names, phones and ID numbers only to those who need them).
func (a *App) GetHousehold(ctx context.Context, id string) (*registry.Household, error) {
	return a.store.GetHousehold(ctx, id)
}

// ListHouseholds lists a compound's households (or one building's) in registration order.
func (a *App) ListHouseholds(ctx context.Context, compoundID, buildingID, token string, size int) ([]registry.Household, string, error) {
	if _, err := a.store.GetCompound(ctx, compoundID); err != nil {
		return nil, "", err
	}
	return a.store.ListHouseholds(ctx, compoundID, buildingID, token, size)
}

// BatchGetHouseholds returns the households asked for, in order. Every id must exist:
// the callers (survey, finance) need to know of an unknown household, so one is
// registry.ErrNotFound naming it.
func (a *App) BatchGetHouseholds(ctx context.Context, ids []string) ([]registry.Household, error) {
	hs, err := a.store.GetHouseholds(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(hs) != len(ids) {
		found := make(map[string]bool, len(hs))
		for _, h := range hs {
			found[h.ID] = true
		}
		for _, id := range ids {
			if !found[id] {
				return nil, fmt.Errorf("%w: household %s", registry.ErrNotFound, id)
			}
		}
	}
	return hs, nil
}
