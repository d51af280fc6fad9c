package console

import (
	"context"
	"sync"
	"time"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// compoundNamesFor is how long the names of a region's compounds are kept for the
// choosers that offer every compound of the viewer's scope (the whistles board's filter
// and its raise form). Listing them means the registry decodes every compound's record:
// on the demo district's 322 compounds that cost more than the rest of the board, and a
// board is opened far more often than a compound is registered or renamed. A new or
// renamed compound shows in the choosers within this long; pages of one compound always
// read it fresh.
const compoundNamesFor = 15 * time.Second

// compoundNamesKept bounds the cache: one entry a role and region that opened a board.
const compoundNamesKept = 512

// compoundNames caches (id, name) of the compounds under a region, keyed by the role and
// the region of the viewer whose call filled it: a viewer is only ever served names that
// a call with their own role and scope was answered with.
type compoundNames struct {
	mu      sync.Mutex
	entries map[string]compoundNamesEntry
}

type compoundNamesEntry struct {
	names   [][2]string
	expires time.Time
}

// get returns the names for (role, region), listing them as the caller when they are
// missing or stale.
func (c *compoundNames) get(ctx context.Context, s *Server, role, region string) ([][2]string, error) {
	key := role + "\x00" + region
	now := s.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.names, nil
	}
	var names [][2]string
	req := &governancepb.ListCompoundsRequest{RegionId: region, PageSize: 1000}
	for {
		got, err := s.c.Governance.ListCompounds(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, cp := range got.GetCompounds() {
			names = append(names, [2]string{cp.GetId(), cp.GetName()})
		}
		if req.PageToken = got.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= compoundNamesKept {
		// Dropping everything at the bound keeps this simple; the bound is far above the
		// number of distinct (role, region) pairs a district has.
		c.entries = map[string]compoundNamesEntry{}
	}
	c.entries[key] = compoundNamesEntry{names: names, expires: now.Add(compoundNamesFor)}
	return names, nil
}
