package app

import (
	"context"
	"errors"
	"fmt"

	"tongdu/platform/auth"
	"tongdu/platform/idempotency"
	"tongdu/services/governance/internal/registry"
)

// Election is a leader election as read: the record, the votes cast so far (household →
// candidate) and the size of its electorate.
type Election struct {
	registry.Election
	Votes    map[string]string
	Eligible int
}

// eligible is the electorate of an election: the households of its building or unit.
func (a *App) eligible(ctx context.Context, e *registry.Election) (map[string]bool, error) {
	hs, err := a.store.BuildingHouseholds(ctx, e.CompoundID, e.BuildingID)
	if err != nil {
		return nil, err
	}
	return registry.Electorate(e, hs), nil
}

// CreateLeaderElection opens the election of a building's leader, or a unit's (e's
// building, unit and candidates), among candidates who live there (rule 12: a building
// or unit elects its leader from its own households). One election per building (or
// unit) is open at a time: while another is open the store refuses it with
// registry.ErrElectionOpen, in the same atomic step that takes the seat, so of two
// concurrent creates one wins.
func (a *App) CreateLeaderElection(ctx context.Context, req Request, e registry.Election) (*Election, error) {
	b, err := a.store.GetBuilding(ctx, e.BuildingID)
	if err != nil {
		return nil, fieldNotFound(err, "leaderElection.buildingId")
	}
	e.CompoundID, e.BuildingID = b.CompoundID, b.ID
	el, err := a.eligible(ctx, &e)
	if err != nil {
		return nil, err
	}
	if e, err = registry.NewElection(e, el, a.now()); err != nil {
		return nil, err
	}
	id, err := a.idsFor(ctx, "CreateLeaderElection", req, 1)
	if err != nil {
		return nil, err
	}
	e.ID, e.CreateAccount = id[0], auth.Acting(ctx)
	if err := a.store.CreateElection(ctx, e); err != nil {
		return nil, err
	}
	return a.GetLeaderElection(ctx, e.ID)
}

// GetLeaderElection returns an election: the running count while open, the result once
// closed.
func (a *App) GetLeaderElection(ctx context.Context, id string) (*Election, error) {
	e, votes, err := a.store.GetElection(ctx, id)
	if err != nil {
		return nil, err
	}
	el, err := a.eligible(ctx, e)
	if err != nil {
		return nil, err
	}
	return &Election{Election: *e, Votes: votes, Eligible: len(el)}, nil
}

// CastLeaderVote records a household's vote; a second vote replaces the first until the
// election closes. Households outside the building (or unit) may not vote.
func (a *App) CastLeaderVote(ctx context.Context, req Request, id, household, candidate string) (*Election, error) {
	e, _, err := a.store.GetElection(ctx, id)
	if err != nil {
		return nil, err
	}
	el, err := a.eligible(ctx, e)
	if err != nil {
		return nil, err
	}
	if err := registry.CheckVote(e, el, household, candidate); err != nil {
		return nil, err
	}
	if err := a.store.CastVote(ctx, e, household, candidate, req.ID, req.Hash); err != nil {
		return nil, err
	}
	return a.GetLeaderElection(ctx, e.ID)
}

// CloseLeaderElection counts the votes, states turnout and the winner or a tie, and
// records the winner as the building's (or unit's) leader, in one step.
func (a *App) CloseLeaderElection(ctx context.Context, req Request, id string) (*Election, error) {
	for {
		e, votes, err := a.store.GetElection(ctx, id)
		if err != nil {
			return nil, err
		}
		if e.State == registry.ElectionClosed && req.ID != "" {
			// Only a retry of the request that closed it answers with the result.
			c, isNew, err := a.store.ClaimRequest(ctx, "CloseLeaderElection", idempotency.Scoped(ctx, req.ID), idempotency.Claim{Hash: req.Hash})
			switch {
			case err != nil:
				return nil, err
			case !isNew && c.Hash != req.Hash:
				return nil, fmt.Errorf("%w: request id %q was used for another request", registry.ErrRequestReused, req.ID)
			case !isNew:
				return a.GetLeaderElection(ctx, e.ID)
			}
		}
		el, err := a.eligible(ctx, e)
		if err != nil {
			return nil, err
		}
		closed, err := registry.Close(*e, el, votes, a.now())
		if err != nil {
			return nil, err
		}
		closed.CloseAccount = auth.Acting(ctx)
		if _, err := a.idsFor(ctx, "CloseLeaderElection", req, 0); err != nil {
			return nil, err
		}
		err = a.store.CloseElection(ctx, closed)
		if errors.Is(err, registry.ErrConflict) {
			continue // a vote arrived while counting: count again
		}
		if err != nil {
			return nil, err
		}
		return &Election{Election: closed, Votes: votes, Eligible: len(el)}, nil
	}
}
