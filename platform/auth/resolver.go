package auth

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Parents names the resources directly above one (a household's compound, a compound's
// community, a project's compound, a whistle's compound and departments, ...).
type Parents func(ctx context.Context, id string) ([]string, error)

// Resolver finds every resource above a resource, to tell whether it lies in a caller's
// scope. Each service teaches it the kinds it owns; what lies above a resource never
// changes, so answers are cached.
type Resolver struct {
	mu      sync.RWMutex
	parents map[string]Parents
	cache   map[string][]string
}

// NewResolver returns a resolver that knows no kinds yet.
func NewResolver() *Resolver {
	return &Resolver{parents: map[string]Parents{}, cache: map[string][]string{}}
}

// Teach adds the parents of a kind of resource ("compounds", "surveys", ...).
func (r *Resolver) Teach(kind string, p Parents) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parents[kind] = p
}

// maxCached bounds the cache; beyond it, the cache starts afresh (the district's
// compounds, projects and households are hundreds of thousands at most).
const maxCached = 200_000

// Ancestry returns the resource and every resource above it.
func (r *Resolver) Ancestry(ctx context.Context, resource string) ([]string, error) {
	r.mu.RLock()
	got, ok := r.cache[resource]
	r.mu.RUnlock()
	if ok {
		return got, nil
	}
	kind, id, found := strings.Cut(resource, "/")
	if !found || id == "" {
		return nil, fmt.Errorf("resource %q: want KIND/ID", resource)
	}
	r.mu.RLock()
	p := r.parents[kind]
	r.mu.RUnlock()
	out := []string{resource}
	if p != nil {
		ups, err := p(ctx, id)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{resource: true}
		for _, up := range ups {
			above, err := r.Ancestry(ctx, up)
			if err != nil {
				return nil, err
			}
			for _, a := range above {
				if !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
			}
		}
	}
	r.mu.Lock()
	if len(r.cache) >= maxCached {
		r.cache = map[string][]string{}
	}
	r.cache[resource] = out
	r.mu.Unlock()
	return out, nil
}

// TeachIfAbsent adds the parents of a kind unless another service taught it already
// (in one process, the owner of a kind answers locally; the others ask it over gRPC).
func (r *Resolver) TeachIfAbsent(kind string, p Parents) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.parents[kind]; !ok {
		r.parents[kind] = p
	}
}
