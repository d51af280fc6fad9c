// Package storage keeps the governance registry in Redis. It is the only code that knows
// the keys. Records are JSON of the registry types. Keys that one atomic step touches
// share a hash tag, so the Lua scripts stay valid on Redis Cluster:
//
//	gov:{regions}:region:<id>            a region (all regions share one slot: they are few)
//	gov:{regions}:children:<parent|_>    sorted set of child region ids
//	gov:{regions}:names:<parent|_>       hash: child region name → id (names unique among siblings)
//	gov:{regions}:compounds:<region|_>   sorted set of compound ids under a region (every level)
//	gov:{regions}:stats:<region|_>       hash: the region's compound counters (statistics.go)
//	gov:{regions}:counted:<cid>          hash: the compound's share those counters hold
//	gov:{c:<id>}:compound                hash: data, rev, households, area, buildings
//	gov:{c:<id>}:buildings               sorted set of building ids
//	gov:{c:<id>}:building:<bid>          hash: data, households
//	gov:{c:<id>}:building-names          hash: building name → id
//	gov:{c:<id>}:households              sorted set of household ids
//	gov:{c:<id>}:building:<bid>:households sorted set of the building's household ids
//	gov:{c:<id>}:household:<hid>         a household
//	gov:{c:<id>}:dwellings               hash: building|unit|room → household id
//	gov:{c:<id>}:convention:<vid>        hash: data, version, rev (gov:loc:<vid> locates it)
//	gov:{c:<id>}:conventions             sorted set of convention ids
//	gov:{c:<id>}:conventions:<KIND>      sorted set of the ids of one kind (version order)
//	gov:{c:<id>}:convention-versions     hash: kind → texts of that kind so far
//	tongdu:outbox:{c:<id>}               list: the compound's registry facts not yet relayed
//	                                     (events.Outbox; written with the change)
//	gov:{whistles}:department:<id>       hash: data, claim (the create request that made it)
//	gov:{whistles}:departments           sorted set of department ids
//	gov:{whistles}:department:<id>:tally    hash: the department's report counters (rule 11: called departments acknowledge and resolve within limits by priority)
//	gov:{whistles}:department:<id>:pending  sorted set: whistle id → µs of the deadline the
//	                                     department breaks next if it does nothing
//	gov:{whistles}:department:<id>:whistles sorted set of the ids of whistles calling it
//	gov:{whistles}:whistle:<id>          hash: data, rev
//	gov:{whistles}:all                   sorted set of whistle ids
//	gov:{whistles}:compound:<cid>        sorted set of the compound's whistle ids
//	gov:{whistles}:household:<hid>       sorted set of the ids of whistles the household reported
//	gov:{whistles}:status:<STATUS>       sorted set of the ids of whistles in that status
//	gov:{whistles}:overdue-at            sorted set: whistle id → µs after which it is overdue
//	                                     (only whistles that are or may become overdue)
//	gov:{linkage}:meeting:<id>           a linkage meeting
//	gov:{linkage}:meetings               sorted set of meeting ids
//	gov:{linkage}:compound:<cid>:meetings sorted set of the compound's meeting ids
//	gov:{leaders}:contact:<id>           a leader contact
//	gov:{leaders}:contacts               sorted set of leader contact ids
//	gov:{leaders}:compound:<cid>         sorted set of the contacts tied to a compound
//	gov:{leaders}:community:<rid>        sorted set of the contacts tied to a community
//	gov:loc:<id>                         compound id of a building or household
//	gov:req:<method>:<request id>        idempotency claim: body hash and the ids it made
//
// Sorted sets hold members with score 0 and are read by lexical range: ids are ULIDs, so
// that is creation order and a page token is the last id returned.
package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/events"
	"tongdu/platform/idempotency"
	"tongdu/platform/paging"
	"tongdu/services/governance/internal/registry"
)

// Store is the governance registry on Redis. (Every service has a store of this shape,
// each over its own keys and records; what they share is in platform/paging.)
type Store struct {
	rdb    redis.UniversalClient
	outbox *events.Outbox
}

// New returns a store on rdb whose changes publish their events through outbox (the
// process's relay, events.NewOutbox; its Run must be started for them to flow).
func New(rdb redis.UniversalClient, outbox *events.Outbox) *Store {
	return &Store{rdb: rdb, outbox: outbox}
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

func regionKey(id string) string          { return "gov:{regions}:region:" + id }
func regionNamesKey(parent string) string { return "gov:{regions}:names:" + orAll(parent) }
func childrenKey(parent string) string    { return "gov:{regions}:children:" + orAll(parent) }
func compoundsInKey(region string) string { return "gov:{regions}:compounds:" + orAll(region) }
func compoundKey(id string) string        { return "gov:{c:" + id + "}:compound" }
func buildingsKey(cid string) string      { return "gov:{c:" + cid + "}:buildings" }
func buildingKey(cid, bid string) string  { return "gov:{c:" + cid + "}:building:" + bid }
func buildingNamesKey(cid string) string  { return "gov:{c:" + cid + "}:building-names" }
func householdsKey(cid string) string     { return "gov:{c:" + cid + "}:households" }
func buildingHouseholdsKey(cid, bid string) string {
	return "gov:{c:" + cid + "}:building:" + bid + ":households"
}
func householdKey(cid, hid string) string { return "gov:{c:" + cid + "}:household:" + hid }
func dwellingsKey(cid string) string      { return "gov:{c:" + cid + "}:dwellings" }
func locKey(id string) string             { return "gov:loc:" + id }
func claimKey(method, requestID string) string {
	return "gov:req:" + method + ":" + requestID
}

func orAll(s string) string {
	if s == "" {
		return "_"
	}
	return s
}

// Claim is what an idempotent request left behind: the hash of its body and the ids it made.
type Claim = idempotency.Claim

// ClaimRequest records that requestID of method makes ids. When the id was already used
// it returns the earlier claim and false; the caller compares hashes and replays it.
func (s *Store) ClaimRequest(ctx context.Context, method, requestID string, c Claim) (Claim, bool, error) {
	return idempotency.Take(ctx, s.rdb, claimKey(method, requestID), c)
}

// loadHashes reads records kept as hashes (key(id) each) in one round trip, in the order
// of ids, nil where none is stored: a paging.Loader once key and from are given. On a
// cluster the keys of one call share a slot.
func loadHashes[T any](rdb redis.Cmdable, key func(id string) string, from func(map[string]string) (*T, error)) paging.Loader[T] {
	return func(ctx context.Context, ids []string) ([]*T, error) {
		cmds := make([]*redis.MapStringStringCmd, len(ids))
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range ids {
				cmds[i] = p.HGetAll(ctx, key(id))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out := make([]*T, len(ids))
		for i, cmd := range cmds {
			if len(cmd.Val()) == 0 {
				continue
			}
			if out[i], err = from(cmd.Val()); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
}

// located reads the record id of a compound, which gov:loc:<id> names, with the loader of
// that compound's records; registry.ErrNotFound (naming what) when there is none.
func located[T any](ctx context.Context, s *Store, what, id string, load func(cid string) paging.Loader[T]) (*T, error) {
	cid, err := s.rdb.Get(ctx, locKey(id)).Result()
	if isNil(err) {
		return nil, notFound(what, id)
	}
	if err != nil {
		return nil, err
	}
	recs, err := load(cid)(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if recs[0] == nil {
		return nil, notFound(what, id)
	}
	return recs[0], nil
}

// present keeps the records that exist, in order.
func present[T any](recs []*T, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(recs))
	for _, r := range recs {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out, nil
}

// list pages through the records of a lexically ordered index, keeping every one.
func list[T any](ctx context.Context, s *Store, index, token string, size int, load paging.Loader[T]) ([]T, string, error) {
	return paging.Filtered(ctx, s.rdb, index, token, size, load, paging.All[T])
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func notFound(what, id string) error {
	return fmt.Errorf("%w: %s %s", registry.ErrNotFound, what, id)
}

func isNil(err error) bool { return errors.Is(err, redis.Nil) }

// withEvents runs step, a script writing the record at recordKey, with the keys to add
// after its own: the record's outbox (same hash tag) when the change calls for events,
// which the script appends them to in the same step, so the change and its events are
// one; none when it calls for none, which spares the outbox's bookkeeping.
func (s *Store) withEvents(ctx context.Context, recordKey string, evs []string, step func(outbox []string) error) error {
	if len(evs) == 0 {
		return step(nil)
	}
	return s.outbox.Write(ctx, recordKey, func(outbox string) error {
		return step([]string{outbox})
	})
}
