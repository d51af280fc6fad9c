package app

import (
	"context"
	"errors"
)

// HouseholdName is how a collection list names a household: where it lives and its
// resident, as the caller may see them (rule 13).
type HouseholdName struct {
	Label    string // building, unit and room
	Resident string
}

// HouseholdNamer is a peer that names a compound's households as the caller may see
// them: the registry masks what the caller's role does not need.
type HouseholdNamer interface {
	HouseholdNames(ctx context.Context, compoundID string) (map[string]HouseholdName, error)
}

// CollectionNames names the households of a project's collection list as the caller
// may see them, reading the households of the plan's compound only (never the
// district's). A caller the registry does not show the households to gets none (nil),
// as the console's list shows them no names.
func (a *App) CollectionNames(ctx context.Context, projectID string) (map[string]HouseholdName, error) {
	namer, ok := a.peers.(HouseholdNamer)
	if !ok {
		return nil, nil
	}
	st, err := a.plan(ctx, projectID)
	if err != nil {
		return nil, err
	}
	names, err := namer.HouseholdNames(ctx, st.Plan.CompoundID)
	if errors.Is(err, ErrCallerRefused) {
		return nil, nil
	}
	return names, err
}
