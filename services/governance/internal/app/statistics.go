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

// CountStoredCompounds counts, once, the compounds stored before the region counters
// existed (a one-off pass at start); a failure is logged and the pass runs again at the
// next start.
func (a *App) CountStoredCompounds(ctx context.Context) {
	n, err := a.store.CountStoredCompounds(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.log.ErrorContext(ctx, "counting the stored compounds for the region statistics", "counted", n, "err", err)
		}
		return
	}
	if n > 0 {
		a.log.InfoContext(ctx, "stored compounds counted for the region statistics", "compounds", n)
	}
}
