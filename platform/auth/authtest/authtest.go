// Package authtest is a fake district for tests of authorization: a few regions,
// compounds, households, projects and books, and a resolver that places them, so the
// tests of the engine (platform/auth) and of the merged policy (cmd/tongdu) use one map.
package authtest

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tongdu/platform/auth"
)

// Parents is the fake district, each resource with what lies directly above it:
//
//	regions/D ⊃ regions/S ⊃ regions/C1 ⊃ compounds/K1 ⊃ households/H1, H2 (building B1),
//	                                                     projects/P1, P2, surveys/V1, ideas/I1,
//	                                                     elections/E1 (building B1), whistles/W1 (water)
//	                     ⊃ regions/C2 ⊃ compounds/K2 ⊃ households/H3, projects/P3, surveys/V2,
//	                                                     whistles/W2 (power)
//
// Books: renovation-P1 in P1, renovation-P3 in P3, maintenance-K2 in K2.
var Parents = map[string][]string{
	"regions/D":            nil,
	"regions/S":            {"regions/D"},
	"regions/C1":           {"regions/S"},
	"regions/C2":           {"regions/S"},
	"compounds/K1":         {"regions/C1"},
	"compounds/K2":         {"regions/C2"},
	"buildings/B1":         {"compounds/K1"},
	"buildings/B3":         {"compounds/K2"},
	"households/H1":        {"compounds/K1", "buildings/B1"},
	"households/H2":        {"compounds/K1", "buildings/B1"},
	"households/H3":        {"compounds/K2", "buildings/B3"},
	"projects/P1":          {"compounds/K1"},
	"projects/P2":          {"compounds/K1"},
	"projects/P3":          {"compounds/K2"},
	"surveys/V1":           {"compounds/K1"},
	"surveys/V2":           {"compounds/K2"},
	"ideas/I1":             {"compounds/K1"},
	"elections/E1":         {"buildings/B1"},
	"whistles/W1":          {"compounds/K1", "departments/water"},
	"whistles/W2":          {"compounds/K2", "departments/power"},
	"departments/water":    nil,
	"departments/power":    nil,
	"books/renovation-P1":  {"projects/P1"},
	"books/renovation-P3":  {"projects/P3"},
	"books/maintenance-K2": {"compounds/K2"},
}

// Resolver places the fake district's resources; an unknown one is NOT_FOUND.
func Resolver() *auth.Resolver {
	r := auth.NewResolver()
	for _, kind := range []string{"regions", "compounds", "buildings", "households", "projects", "surveys", "ideas", "elections", "whistles", "departments", "books"} {
		kind := kind
		r.Teach(kind, func(_ context.Context, id string) ([]string, error) {
			ups, ok := Parents[kind+"/"+id]
			if !ok {
				return nil, status.Errorf(codes.NotFound, "%s/%s not found", kind, id)
			}
			return ups, nil
		})
	}
	return r
}
