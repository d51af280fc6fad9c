// Package storage keeps the projects service's records in Redis; it is the only code that
// knows the keys. Records are JSON of the works types. Keys that one atomic step touches
// share a hash tag, so the Lua scripts stay valid on Redis Cluster:
//
//	prj:{p:<id>}:project            hash: data, rev
//	prj:{p:<id>}:items              hash: item id → item
//	prj:{p:<id>}:item-revs          hash: item id → revision
//	prj:{p:<id>}:item-ids           sorted set of item ids (registration order)
//	prj:{p:<id>}:progress           sorted set of progress report ids; …:progress-data hash
//	prj:{p:<id>}:supervision        sorted set of supervision report ids; …:supervision-data hash
//	prj:{p:<id>}:signoffs           hash: role → latest sign-off
//	prj:{p:<id>}:signoff-log        list of every sign-off, oldest first
//	prj:{p:<id>}:signoff-data       hash: sign-off id → sign-off (a retry finds it)
//	tongdu:outbox:{p:<id>}          list: the project's events not yet relayed
//	                                (events.Outbox; written with the change)
//	prj:{idx}:projects:<compound|_> sorted set of project ids
//	prj:{idx}:plans                 hash: compound|year → project id (one plan per round)
//	prj:{idx}:resolutions           hash: resolution survey id → project id (rule 6: one
//	                                resolution approves one project)
//	prj:{n:<id>}:notice             hash: data, rev (a notice with its objections)
//	prj:{idx}:notices:<compound>    sorted set of notice ids (the compound's board)
//	prj:{idx}:plan-notices          hash: project id → its latest PLAN notice (rule 14)
//	prj:req:<method>:<request id>   idempotency claim
package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/events"
	"tongdu/platform/idempotency"
	"tongdu/services/projects/internal/works"
)

// Store is the projects service's Redis. Every service's store opens the same way (a
// client, New, Ping) on keys of its own; that parallel is intended, and what the stores
// share beyond it (tokens, pages, decoding) is platform/paging.
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

func projectKey(id string) string       { return "prj:{p:" + id + "}:project" }
func itemsKey(id string) string         { return "prj:{p:" + id + "}:items" }
func itemRevsKey(id string) string      { return "prj:{p:" + id + "}:item-revs" }
func itemIDsKey(id string) string       { return "prj:{p:" + id + "}:item-ids" }
func reportsKey(id, kind string) string { return "prj:{p:" + id + "}:" + kind }
func reportDataKey(id, kind string) string {
	return "prj:{p:" + id + "}:" + kind + "-data"
}
func signoffsKey(id string) string       { return "prj:{p:" + id + "}:signoffs" }
func signoffLogKey(id string) string     { return "prj:{p:" + id + "}:signoff-log" }
func signoffDataKey(id string) string    { return "prj:{p:" + id + "}:signoff-data" }
func projectsKey(cid string) string      { return "prj:{idx}:projects:" + orAll(cid) }
func plansKey() string                   { return "prj:{idx}:plans" }
func resolutionsKey() string             { return "prj:{idx}:resolutions" }
func claimKey(method, rid string) string { return "prj:req:" + method + ":" + rid }

func orAll(s string) string {
	if s == "" {
		return "_"
	}
	return s
}

// ClaimRequest records that requestID of method makes ids; see idempotency.Take.
func (s *Store) ClaimRequest(ctx context.Context, method, requestID string, c idempotency.Claim) (idempotency.Claim, bool, error) {
	return idempotency.Take(ctx, s.rdb, claimKey(method, requestID), c)
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func notFound(what, id string) error { return fmt.Errorf("%w: %s %s", works.ErrNotFound, what, id) }

// written reads what a revision-checked script answered: the new revision, -1 when the
// record is gone (works.ErrNotFound), -2 when it changed since it was read
// (works.ErrConflict).
func written(rev int64, err error, what, id string) (int64, error) {
	switch {
	case err != nil:
		return 0, err
	case rev == -1:
		return 0, notFound(what, id)
	case rev == -2:
		return 0, fmt.Errorf("%w: %s %s", works.ErrConflict, what, id)
	}
	return rev, nil
}

func isNil(err error) bool { return errors.Is(err, redis.Nil) }

// withEvents runs step, a script writing the record at recordKey, on keys: the record's
// key and, when the change calls for events, the record's outbox after it (same hash
// tag), which the script appends the events to in the same step. A change without
// events leaves the outbox out.
func (s *Store) withEvents(ctx context.Context, recordKey string, evs []string, step func(keys []string) error) error {
	if len(evs) == 0 {
		return step([]string{recordKey})
	}
	return s.outbox.Write(ctx, recordKey, func(outbox string) error {
		return step([]string{recordKey, outbox})
	})
}
