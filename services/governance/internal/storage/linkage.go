package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/governance/internal/registry"
)

// Linkage meetings and leader contacts are few (a meeting a month per compound, a leader
// per community), so each kind shares one slot with its indexes. Conventions live in
// their compound's slot: their version counter is the compound's.

func linkageMeetingKey(id string) string { return "gov:{linkage}:meeting:" + id }
func linkageMeetingsKey() string         { return "gov:{linkage}:meetings" }
func compoundLinkageMeetingsKey(cid string) string {
	return "gov:{linkage}:compound:" + cid + ":meetings"
}
func leaderContactKey(id string) string     { return "gov:{leaders}:contact:" + id }
func leaderContactsKey() string             { return "gov:{leaders}:contacts" }
func compoundLeadersKey(cid string) string  { return "gov:{leaders}:compound:" + cid }
func communityLeadersKey(rid string) string { return "gov:{leaders}:community:" + rid }
func conventionKey(cid, id string) string   { return "gov:{c:" + cid + "}:convention:" + id }
func conventionsKey(cid string) string      { return "gov:{c:" + cid + "}:conventions" }
func conventionKindKey(cid string, k registry.ConventionKind) string {
	return "gov:{c:" + cid + "}:conventions:" + k.String()
}
func conventionVersionsKey(cid string) string { return "gov:{c:" + cid + "}:convention-versions" }

// createIndexed writes a record and lists its id in every index given, unless the record
// exists (a replayed request). KEYS: record, then the indexes. ARGV: id, data.
var createIndexed = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
for i = 2, #KEYS do redis.call('ZADD', KEYS[i], 0, ARGV[1]) end
return 1`)

// CreateLinkageMeeting stores a meeting and lists it, for all and for its compound. A
// meeting that exists already (a replayed request) is left as it is.
func (s *Store) CreateLinkageMeeting(ctx context.Context, m registry.LinkageMeeting) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	keys := []string{linkageMeetingKey(m.ID), linkageMeetingsKey(), compoundLinkageMeetingsKey(m.CompoundID)}
	return createIndexed.Run(ctx, s.rdb, keys, m.ID, data).Err()
}

// GetLinkageMeeting returns a meeting or ErrNotFound.
func (s *Store) GetLinkageMeeting(ctx context.Context, id string) (*registry.LinkageMeeting, error) {
	ms, err := present(paging.JSON[registry.LinkageMeeting](s.rdb, linkageMeetingKey)(ctx, []string{id}))
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, notFound("linkage meeting", id)
	}
	return &ms[0], nil
}

// ListLinkageMeetings pages through the meetings of a compound ("" for all), in the
// order they were recorded.
func (s *Store) ListLinkageMeetings(ctx context.Context, cid, token string, size int) ([]registry.LinkageMeeting, string, error) {
	key := linkageMeetingsKey()
	if cid != "" {
		key = compoundLinkageMeetingsKey(cid)
	}
	return list(ctx, s, key, token, size, paging.JSON[registry.LinkageMeeting](s.rdb, linkageMeetingKey))
}

// CreateLeaderContact stores a leader contact and lists it for all and under each of its
// compounds and communities. One that exists already (a replayed request) is left as it is.
func (s *Store) CreateLeaderContact(ctx context.Context, l registry.LeaderContact) error {
	data, err := json.Marshal(l)
	if err != nil {
		return err
	}
	keys := []string{leaderContactKey(l.ID), leaderContactsKey()}
	for _, c := range l.CompoundIDs {
		keys = append(keys, compoundLeadersKey(c))
	}
	for _, r := range l.CommunityIDs {
		keys = append(keys, communityLeadersKey(r))
	}
	return createIndexed.Run(ctx, s.rdb, keys, l.ID, data).Err()
}

// GetLeaderContact returns a leader contact or ErrNotFound.
func (s *Store) GetLeaderContact(ctx context.Context, id string) (*registry.LeaderContact, error) {
	ls, err := present(paging.JSON[registry.LeaderContact](s.rdb, leaderContactKey)(ctx, []string{id}))
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 {
		return nil, notFound("leader contact", id)
	}
	return &ls[0], nil
}

// ListLeaderContacts pages through the leader contacts tied to a compound and/or a
// community ("" for any), in the order they were recorded. It reads the compound's index
// when one is named, else the community's, and keeps the contacts that match both.
func (s *Store) ListLeaderContacts(ctx context.Context, compoundID, communityID, token string, size int) ([]registry.LeaderContact, string, error) {
	key := leaderContactsKey()
	switch {
	case compoundID != "":
		key = compoundLeadersKey(compoundID)
	case communityID != "":
		key = communityLeadersKey(communityID)
	}
	return paging.Filtered(ctx, s.rdb, key, token, size, paging.JSON[registry.LeaderContact](s.rdb, leaderContactKey), func(l *registry.LeaderContact) bool {
		return communityID == "" || slices.Contains(l.CommunityIDs, communityID)
	})
}

// createConvention stores a new text of a convention with the next version of its kind
// in its compound, unless it exists (a replayed request: its version stands).
// KEYS: compound, convention, conventions, kind's, versions. ARGV: id, data, kind.
// Returns the version, or -1 for a missing compound.
var createConvention = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local v = redis.call('HGET', KEYS[2], 'version')
if v then return tonumber(v) end
v = redis.call('HINCRBY', KEYS[5], ARGV[3], 1)
redis.call('HSET', KEYS[2], 'data', ARGV[2], 'version', v, 'rev', 1)
redis.call('ZADD', KEYS[3], 0, ARGV[1])
redis.call('ZADD', KEYS[4], 0, ARGV[1])
return v`)

// updateConvention replaces a convention's record only if its revision is still the one
// read. KEYS: convention. ARGV: rev, data.
var updateConvention = redis.NewScript(`
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if rev ~= ARGV[1] then return -2 end
redis.call('HSET', KEYS[1], 'data', ARGV[2])
return redis.call('HINCRBY', KEYS[1], 'rev', 1)`)

// CreateConvention stores a new text of its compound's convention of its kind and
// returns the version it got: one more than the texts of that kind before it, counted in
// the same step, so two texts written at once never share a version. A replayed request
// returns the version the first one got. ErrNotFound for a missing compound.
func (s *Store) CreateConvention(ctx context.Context, c registry.Convention) (int, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	// The location first, as for buildings: an orphan location points at nothing.
	if err := s.rdb.Set(ctx, locKey(c.ID), c.CompoundID, 0).Err(); err != nil {
		return 0, err
	}
	keys := []string{compoundKey(c.CompoundID), conventionKey(c.CompoundID, c.ID), conventionsKey(c.CompoundID),
		conventionKindKey(c.CompoundID, c.Kind), conventionVersionsKey(c.CompoundID)}
	v, err := createConvention.Run(ctx, s.rdb, keys, c.ID, data, c.Kind.String()).Int()
	if err != nil {
		return 0, err
	}
	if v == -1 {
		return 0, notFound("compound", c.CompoundID)
	}
	return v, nil
}

// GetConvention returns a convention with its version and revision, or ErrNotFound.
func (s *Store) GetConvention(ctx context.Context, id string) (*registry.Convention, error) {
	return located(ctx, s, "convention", id, s.conventions)
}

func (s *Store) conventions(cid string) paging.Loader[registry.Convention] {
	return loadHashes(s.rdb, func(id string) string { return conventionKey(cid, id) }, func(h map[string]string) (*registry.Convention, error) {
		c, err := paging.Decode[registry.Convention](h["data"])
		if err != nil {
			return nil, err
		}
		c.Version, c.Revision = int(atoi(h["version"])), atoi(h["rev"])
		return c, nil
	})
}

// ListConventions pages through a compound's conventions, of one kind or all, in the
// order they were written (so a kind's texts come in version order).
func (s *Store) ListConventions(ctx context.Context, cid string, kind registry.ConventionKind, token string, size int) ([]registry.Convention, string, error) {
	key := conventionsKey(cid)
	if kind != registry.ConventionKindUnspecified {
		key = conventionKindKey(cid, kind)
	}
	return list(ctx, s, key, token, size, s.conventions(cid))
}

// UpdateConvention writes c if its stored revision is still c.Revision; it returns the
// new revision, registry.ErrConflict when the convention changed meanwhile, or
// ErrNotFound. The version is the store's and stays as it is.
func (s *Store) UpdateConvention(ctx context.Context, c registry.Convention) (int64, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	rev, err := updateConvention.Run(ctx, s.rdb, []string{conventionKey(c.CompoundID, c.ID)}, strconv.FormatInt(c.Revision, 10), data).Int64()
	switch {
	case err != nil:
		return 0, err
	case rev == -1:
		return 0, notFound("convention", c.ID)
	case rev == -2:
		return 0, fmt.Errorf("%w: convention %s", registry.ErrConflict, c.ID)
	}
	return rev, nil
}
