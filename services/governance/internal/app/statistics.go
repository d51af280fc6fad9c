package app

import (
	"context"

	"tongdu/services/governance/internal/registry"
)

// GetRegionStatistics returns the counters of the compounds under a region (a district
// too), or registry.ErrNotFound for an unknown region. It reads counters only.
func (a *App) GetRegionStatistics(ctx context.Context, id string) (registry.RegionStatistics, error) {
	if _, err := a.store.GetRegion(ctx, id); err != nil {
		return registry.RegionStatistics{}, err
	}
	return a.store.RegionStatistics(ctx, id)
}
