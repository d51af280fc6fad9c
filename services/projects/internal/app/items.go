package app

import (
	"context"
	"fmt"
	"slices"

	"tongdu/platform/fault"
	"tongdu/services/projects/internal/works"
)

// CreateWorkItem adds a work item to a project's plan: not once acceptance is requested
// (works.ErrProjectClosed), and only an item the schedule can place (bad input on item.*).
func (a *App) CreateWorkItem(ctx context.Context, projectID string, it works.Item, rq Request) (*works.Item, error) {
	p, err := a.projectFor(ctx, projectID, works.CanChangeItems)
	if err != nil {
		return nil, err
	}
	if err := works.CheckItem(it, "item"); err != nil {
		return nil, err
	}
	// Rule 5 (the order of works): its after links name items of the project and close no
	// cycle with the others' links and underground works before the surfaces over them.
	// The new item has no id yet; no stored item can name it.
	items, err := a.store.Items(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	it.ID = "(the new item)"
	if err := works.CheckOrder(append(items, it), it.ID, "item.after"); err != nil {
		return nil, err
	}
	id, _, err := a.claim(ctx, "CreateWorkItem", rq, 1)
	if err != nil {
		return nil, err
	}
	now := a.now()
	it.ID, it.ProjectID, it.CreateTime, it.UpdateTime = id[0], p.ID, now, now
	if err := a.store.CreateItem(ctx, it); err != nil {
		return nil, err
	}
	return a.GetWorkItem(ctx, p.ID, it.ID)
}

// GetWorkItem returns one item of a project, or works.ErrNotFound.
func (a *App) GetWorkItem(ctx context.Context, projectID, id string) (*works.Item, error) {
	return a.store.GetItem(ctx, projectID, id)
}

// ListWorkItems pages through a project's items in registration order, of one category
// (unspecified for all).
func (a *App) ListWorkItems(ctx context.Context, projectID string, cat works.Category, token string, size int) ([]works.Item, string, error) {
	if _, err := a.store.GetProject(ctx, projectID); err != nil {
		return nil, "", err
	}
	return a.store.ListItems(ctx, projectID, func(it *works.Item) bool {
		return cat == works.CategoryUnspecified || it.Category == cat
	}, token, size)
}

// UpdateWorkItem replaces the fields of patch.ID named in mask. A stale etag is
// works.ErrConflict; without one, a write that lost a race is read and tried again.
func (a *App) UpdateWorkItem(ctx context.Context, projectID string, patch works.Item, mask []string, etag string) (*works.Item, error) {
	if patch.ID == "" || len(mask) == 0 {
		return nil, fault.Field("updateMask", "name the item (item.id) and the fields to update")
	}
	p, err := a.projectFor(ctx, projectID, works.CanChangeItems)
	if err != nil {
		return nil, err
	}
	for {
		cur, err := a.store.GetItem(ctx, p.ID, patch.ID)
		if err != nil {
			return nil, err
		}
		if etag != "" && etag != cur.Etag() {
			return nil, fmt.Errorf("%w: item %s is at %s", works.ErrConflict, cur.ID, cur.Etag())
		}
		next, err := works.ApplyItemUpdate(*cur, patch, mask, a.now())
		if err != nil {
			return nil, err
		}
		// Rule 5 (the order of works): a changed kind or after link closes no cycle.
		items, err := a.store.Items(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		for i := range items {
			if items[i].ID == next.ID {
				items[i] = next
			}
		}
		// The refusal names the field the caller changed: a kind turned underground can
		// close a cycle with after links that were already there.
		field := "item.after"
		if next.Kind != cur.Kind && slices.Equal(next.After, cur.After) {
			field = "item.kind"
		}
		if err := works.CheckOrder(items, next.ID, field); err != nil {
			return nil, err
		}
		err = a.store.UpdateItem(ctx, next, nil)
		if isConflict(err) && etag == "" {
			if err := retryPause(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return a.GetWorkItem(ctx, p.ID, next.ID)
	}
}

// GetSchedule lists a project's items in rule 5's order of works (underground works
// before the surfaces over them and each item after those it names; then BASIC before
// IMPROVEMENT before UPGRADE, safety-critical, easy and costly first), each with why it
// stands where it does.
func (a *App) GetSchedule(ctx context.Context, projectID string) ([]works.ScheduleEntry, error) {
	if _, err := a.store.GetProject(ctx, projectID); err != nil {
		return nil, err
	}
	items, err := a.store.Items(ctx, projectID)
	if err != nil {
		return nil, err
	}
	return works.Schedule(items), nil
}
