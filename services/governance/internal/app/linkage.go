package app

import (
	"context"
	"errors"
	"fmt"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
	"tongdu/services/governance/internal/registry"
)

// Five-party linkage meetings, conventions adopted by resolution, and leader contacts.

// CreateLinkageMeeting records a meeting of the five parties about a compound. Each
// party attends at most once; follow-up whistles must be whistles of that compound.
func (a *App) CreateLinkageMeeting(ctx context.Context, req Request, in registry.LinkageMeeting) (*registry.LinkageMeeting, error) {
	if _, err := a.store.GetCompound(ctx, in.CompoundID); errors.Is(err, registry.ErrNotFound) {
		return nil, fault.Field("linkageMeeting.compoundId", "no compound "+in.CompoundID)
	} else if err != nil {
		return nil, err
	}
	ws, err := a.store.GetWhistles(ctx, in.FollowUpWhistleIDs)
	if err != nil {
		return nil, err
	}
	whistleCompound := make(map[string]string, len(ws))
	for _, w := range ws {
		whistleCompound[w.ID] = w.CompoundID
	}
	m, err := registry.NewLinkageMeeting(in, whistleCompound, a.now())
	if err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreateLinkageMeeting", req, 1)
	if err != nil {
		return nil, err
	}
	m.ID = id[0]
	if err := a.store.CreateLinkageMeeting(ctx, m); err != nil {
		return nil, err
	}
	return a.store.GetLinkageMeeting(ctx, m.ID)
}

// ListLinkageMeetings lists meetings in the order they were recorded, of one compound
// (which must exist) or all.
func (a *App) ListLinkageMeetings(ctx context.Context, compoundID, token string, size int) ([]registry.LinkageMeeting, string, error) {
	if compoundID != "" {
		if _, err := a.store.GetCompound(ctx, compoundID); err != nil {
			return nil, "", err
		}
	}
	return a.store.ListLinkageMeetings(ctx, compoundID, token, size)
}

// CreateConvention writes a new text of a compound's convention of one kind. Its version
// is one more than the texts of that kind before it, assigned atomically by the store.
func (a *App) CreateConvention(ctx context.Context, req Request, compoundID string, in registry.Convention) (*registry.Convention, error) {
	if _, err := a.store.GetCompound(ctx, compoundID); err != nil {
		return nil, err
	}
	c, err := registry.NewConvention(in, compoundID, a.now())
	if err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreateConvention", req, 1)
	if err != nil {
		return nil, err
	}
	c.ID, c.CreateAccount = id[0], auth.Acting(ctx)
	if _, err := a.store.CreateConvention(ctx, c); err != nil {
		return nil, err
	}
	return a.store.GetConvention(ctx, c.ID)
}

// ListConventions lists a compound's convention texts, of one kind or all, in the order
// they were written.
func (a *App) ListConventions(ctx context.Context, compoundID string, kind registry.ConventionKind, token string, size int) ([]registry.Convention, string, error) {
	if _, err := a.store.GetCompound(ctx, compoundID); err != nil {
		return nil, "", err
	}
	return a.store.ListConventions(ctx, compoundID, kind, token, size)
}

// AdoptConvention records that the owners adopted a convention text by a passed
// resolution of its compound, as the survey service states it. Without a survey service
// it is registry.ErrPeerDown (UNAVAILABLE); a resolution unknown, of another compound or
// not passed is registry.ErrResolution with the figures. Adopting again by the same
// resolution changes nothing and asks no one.
func (a *App) AdoptConvention(ctx context.Context, req Request, id, surveyID string) (*registry.Convention, error) {
	cur, err := a.store.GetConvention(ctx, id)
	if err != nil {
		return nil, err
	}
	r := registry.Resolution{SurveyID: surveyID}
	if !cur.Adopted {
		// An adopted text needs no answer: the same resolution is a retry, another is
		// refused whatever the survey says.
		if r, err = a.resolution(ctx, surveyID); err != nil {
			return nil, err
		}
	}
	claimed := false
	for attempt := 0; ; attempt++ {
		next, changed, err := registry.AdoptConvention(*cur, r, a.now())
		if err != nil {
			return nil, err
		}
		// Claimed once the adoption is found valid, so a refusal does not use up the id.
		if !claimed {
			if _, err := a.idsFor(ctx, "AdoptConvention", req, 0); err != nil {
				return nil, err
			}
			claimed = true
		}
		if !changed {
			// A retry: the account that first recorded the adoption stays.
			return cur, nil
		}
		next.AdoptAccount = auth.Acting(ctx)
		_, err = a.store.UpdateConvention(ctx, next)
		if errors.Is(err, registry.ErrConflict) {
			if err := pause(ctx, attempt); err != nil {
				return nil, err
			}
			if cur, err = a.store.GetConvention(ctx, id); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return a.store.GetConvention(ctx, id)
	}
}

// resolution asks the survey service about a resolution.
func (a *App) resolution(ctx context.Context, surveyID string) (registry.Resolution, error) {
	if a.resolutions == nil {
		return registry.Resolution{}, fmt.Errorf("%w: no survey service is wired to state resolution %s", registry.ErrPeerDown, surveyID)
	}
	f, err := a.resolutions.Resolution(ctx, surveyID)
	if err != nil {
		return registry.Resolution{}, err
	}
	return registry.Resolution{
		SurveyID: surveyID, Found: f.Found, Passed: f.Passed, CompoundID: f.CompoundID,
		Matter: f.Matter, Figures: f.Figures,
	}, nil
}

// CreateLeaderContact ties a district leader to compounds (which must exist) and
// communities (which must be COMMUNITY regions).
func (a *App) CreateLeaderContact(ctx context.Context, req Request, in registry.LeaderContact) (*registry.LeaderContact, error) {
	cs, err := a.store.GetCompounds(ctx, in.CompoundIDs)
	if err != nil {
		return nil, err
	}
	compoundExists := make(map[string]bool, len(cs))
	for _, c := range cs {
		compoundExists[c.ID] = true
	}
	regions := make(map[string]*registry.Region, len(in.CommunityIDs))
	for _, id := range in.CommunityIDs {
		r, err := a.store.GetRegion(ctx, id)
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		regions[id] = r
	}
	l, err := registry.NewLeaderContact(in, compoundExists, regions, a.now())
	if err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreateLeaderContact", req, 1)
	if err != nil {
		return nil, err
	}
	l.ID = id[0]
	if err := a.store.CreateLeaderContact(ctx, l); err != nil {
		return nil, err
	}
	return a.store.GetLeaderContact(ctx, l.ID)
}

// ListLeaderContacts lists leader contacts in the order they were recorded, tied to a
// compound and/or a community when those are named (each must exist).
func (a *App) ListLeaderContacts(ctx context.Context, compoundID, communityID, token string, size int) ([]registry.LeaderContact, string, error) {
	if compoundID != "" {
		if _, err := a.store.GetCompound(ctx, compoundID); err != nil {
			return nil, "", err
		}
	}
	if communityID != "" {
		if _, err := a.store.GetRegion(ctx, communityID); err != nil {
			return nil, "", err
		}
	}
	return a.store.ListLeaderContacts(ctx, compoundID, communityID, token, size)
}
