package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
	"tongdu/services/governance/internal/registry"
)

// CreateCompound registers a compound in a community (in.CommunityID): bad input on
// compound.communityId when there is none or it is not a COMMUNITY.
func (a *App) CreateCompound(ctx context.Context, req Request, in registry.Compound) (*registry.Compound, error) {
	community, err := a.store.GetRegion(ctx, in.CommunityID)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, fault.Field("compound.communityId", "no community "+in.CommunityID)
	}
	if err != nil {
		return nil, err
	}
	c, err := registry.NewCompound(in, community, a.now())
	if err != nil {
		return nil, err
	}
	if c.RegionPath, err = a.regionPath(ctx, community); err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreateCompound", req, 1)
	if err != nil {
		return nil, err
	}
	c.ID = id[0]
	c.CreateAccount = auth.Acting(ctx)
	// A replay finds the compound stored and writes no event again: the first did.
	if err := a.store.CreateCompound(ctx, c, factEvents(c.ID, registry.FactCreated)...); err != nil {
		return nil, err
	}
	return a.store.GetCompound(ctx, c.ID)
}

// GetCompound returns a compound with its derived household count and area, or
// registry.ErrNotFound.
func (a *App) GetCompound(ctx context.Context, id string) (*registry.Compound, error) {
	return a.store.GetCompound(ctx, id)
}

// CompoundFilter narrows ListCompounds: a region anywhere above ("" for all), a
// management type and a status (unspecified: any).
type CompoundFilter struct {
	RegionID       string
	ManagementType registry.ManagementType
	Status         registry.CompoundStatus
}

// ListCompounds lists compounds anywhere under a region (which must exist), optionally
// of one management type and status.
func (a *App) ListCompounds(ctx context.Context, f CompoundFilter, token string, size int) ([]registry.Compound, string, error) {
	if f.RegionID != "" {
		if _, err := a.store.GetRegion(ctx, f.RegionID); err != nil {
			return nil, "", err
		}
	}
	return a.store.ListCompounds(ctx, f.RegionID, func(c *registry.Compound) bool {
		return (f.ManagementType == registry.ManagementUnspecified || c.ManagementType == f.ManagementType) &&
			(f.Status == registry.StatusUnspecified || c.Status == f.Status)
	}, token, size)
}

// UpdateCompound replaces the fields named in mask (JSON names) with patch's. A given
// etag must match the stored one (registry.ErrConflict otherwise), so an edit made on a
// stale copy is refused. The status is derived only and never patched
// (registry.ApplyUpdate); an empty mask is refused there, against the stored compound.
func (a *App) UpdateCompound(ctx context.Context, patch registry.Compound, etag string, mask []string) (*registry.Compound, error) {
	if patch.ID == "" {
		return nil, fault.Field("compound.id", "is required")
	}
	return a.updateCompound(ctx, patch.ID, etag, func(c registry.Compound) (registry.Compound, error) {
		return registry.ApplyUpdate(c, patch, mask, a.now())
	})
}

// Classification is the decision of rule 1 (a compound with no manager, owning unit or
// committee is THREE_NONE) on a compound (its management type, from who
// manages it, and the governance mode chosen), with who decided and the facts that
// changed.
type Classification struct {
	ManagementType registry.ManagementType
	GovernanceMode registry.GovernanceMode
	DecidedBy      string
	Facts          registry.FactsChange
}

// ClassifyCompound records the classification of rule 1 (a compound with no manager,
// owning unit or committee is THREE_NONE) and the governance mode chosen.
func (a *App) ClassifyCompound(ctx context.Context, id string, c Classification) (*registry.Compound, error) {
	return a.updateCompound(ctx, id, "", func(cur registry.Compound) (registry.Compound, error) {
		return registry.Classify(cur, c.ManagementType, c.GovernanceMode, c.DecidedBy, c.Facts, a.now())
	})
}

// updateCompound reads, edits and writes a compound with a revision check, retrying when
// another writer got in between, unless the caller pinned an etag. The facts behind the
// ranking the edit changed (registry.RankingFacts) are written with it, and the signed-in
// caller as the one who updated it last (rule 16: who acts); the status followed from
// events is written by FollowCompoundEvent instead, which has no caller.
func (a *App) updateCompound(ctx context.Context, id, etag string, edit func(registry.Compound) (registry.Compound, error)) (*registry.Compound, error) {
	for attempt := 0; ; attempt++ {
		cur, err := a.store.GetCompound(ctx, id)
		if err != nil {
			return nil, err
		}
		if etag != "" && etag != cur.Etag() {
			return nil, fmt.Errorf("%w: compound %s is at %s, the update was made on %s", registry.ErrConflict, id, cur.Etag(), etag)
		}
		next, err := edit(*cur)
		if err != nil {
			return nil, err
		}
		next.UpdateAccount = auth.Acting(ctx)
		_, err = a.store.UpdateCompound(ctx, next, factEvents(id, registry.RankingFacts(cur, &next)...)...)
		if errors.Is(err, registry.ErrConflict) && etag == "" {
			// Another writer got in between. The caller pinned no version, so read again
			// and re-apply.
			if err := pause(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return a.store.GetCompound(ctx, id)
	}
}

// FollowCompoundEvent applies a fact another service reported about a compound's
// renovation (fields compound and fact; for a project's status also project, status,
// suspendedFrom, year and at) to its status. It is idempotent (a fact handled twice
// moves nothing the second time) and a fact older than the one kept for its project
// changes nothing (registry.FollowFact); an unknown compound is dropped, as nothing can
// follow it.
func (a *App) FollowCompoundEvent(ctx context.Context, _ string, fields map[string]string) error {
	cid, fact := fields["compound"], fields["fact"]
	for {
		c, err := a.store.GetCompound(ctx, cid)
		if errors.Is(err, registry.ErrNotFound) {
			a.log.WarnContext(ctx, "event for an unknown compound dropped", "compound", cid, "fact", fact)
			return nil
		}
		if err != nil {
			return err
		}
		// Projects say when the move happened (rule 15); a fact without it happened now.
		at, _ := time.Parse(time.RFC3339Nano, fields["at"])
		year, _ := strconv.Atoi(fields["year"])
		next, moved := registry.FollowFact(*c, registry.Fact{Kind: fact, Project: fields["project"], Status: fields["status"], SuspendedFrom: fields["suspendedFrom"], Year: year, At: at}, a.now())
		if !moved {
			// A redelivered fact may come after a move whose count a crash cut short.
			return a.store.RecountCompound(ctx, cid)
		}
		_, err = a.store.UpdateCompound(ctx, next, factEvents(cid, registry.RankingFacts(c, &next)...)...)
		if errors.Is(err, registry.ErrConflict) {
			continue
		}
		return err
	}
}
