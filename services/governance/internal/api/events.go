package api

import (
	"context"
	"errors"

	"tongdu/services/governance/internal/registry"
)

// FollowCompoundEvent applies a fact another service reported about a compound's
// renovation to its status. It is idempotent (a fact handled twice moves nothing the
// second time); an unknown compound is dropped, as nothing can follow it.
func (s *Server) FollowCompoundEvent(ctx context.Context, _ string, fields map[string]string) error {
	cid, fact := fields["compound"], fields["fact"]
	for {
		c, err := s.store.GetCompound(ctx, cid)
		if errors.Is(err, registry.ErrNotFound) {
			s.log.WarnContext(ctx, "event for an unknown compound dropped", "compound", cid, "fact", fact)
			return nil
		}
		if err != nil {
			return err
		}
		next, moved := registry.FollowStatus(*c, fact, fields["status"], s.now())
		if !moved {
			return nil
		}
		_, err = s.store.UpdateCompound(ctx, next)
		if errors.Is(err, registry.ErrConflict) {
			continue
		}
		return err
	}
}
