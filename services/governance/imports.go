package governance

import (
	"context"

	"tongdu/platform/auth"
	"tongdu/services/governance/internal/storage"
)

// teachImports tells the authorizer where an import lies: under the compound whose
// register it imports, or the community whose compounds it imports.
func teachImports(r *auth.Resolver, s *storage.Store) {
	r.Teach("imports", func(ctx context.Context, id string) ([]string, error) {
		return s.ImportPlace(ctx, id)
	})
}
