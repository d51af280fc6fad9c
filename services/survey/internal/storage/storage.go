// Package storage keeps the survey service's records in Redis; it is the only code that
// knows the keys. Records are JSON of the opinion types. Keys that one atomic step
// touches share a hash tag, so the Lua scripts stay valid on Redis Cluster:
//
//	svy:{s:<id>}:survey           hash: data, rev, state
//	svy:{s:<id>}:responses        hash: household id → response
//	svy:{s:<id>}:contrib          hash: household id → "<collection key>|counter=amount,..."
//	svy:{s:<id>}:tally            hash: counter → value (statistics, moved with each response)
//	svy:{s:<id>}:households       sorted set of responding household ids (for listing)
//	svy:{s:<id>}:requests         hash: request id → "body hash|outcomes" (replays; kept 7 days after the last)
//	tongdu:outbox:{s:<id>}        list: the survey's events not yet relayed (events.Outbox;
//	                              written with the change)
//	svy:{idx}:surveys:<compound|_> sorted set of survey ids, by compound and all
//	svy:{idx}:meetings:<compound|_> sorted set of meeting ids
//	svy:meeting:<id>              hash: data, state
//	svy:{ic:<compound>}:idea:<id> hash: data, endorsements
//	svy:{ic:<compound>}:idea:<id>:endorsers  set of household ids
//	svy:{ic:<compound>}:ideas     sorted set of idea ids (creation order)
//	svy:{ic:<compound>}:ideas-by-endorsements sorted set, score −endorsements
//	svy:loc:<idea id>             the idea's compound
//	svy:{rank}:…                  the ranking (ranking.go)
//	svy:req:<method>:<request id> idempotency claim
package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/events"
	"tongdu/platform/idempotency"
	"tongdu/services/survey/internal/opinion"
)

// Store is the survey service's Redis. (Every service's store starts with these few
// lines, a client with New and Ping; what follows, the keys and scripts, is its own.)
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

func surveyKey(id string) string     { return "svy:{s:" + id + "}:survey" }
func responsesKey(id string) string  { return "svy:{s:" + id + "}:responses" }
func contribKey(id string) string    { return "svy:{s:" + id + "}:contrib" }
func tallyKey(id string) string      { return "svy:{s:" + id + "}:tally" }
func respondersKey(id string) string { return "svy:{s:" + id + "}:households" }
func requestsKey(id string) string   { return "svy:{s:" + id + "}:requests" }
func surveysKey(cid string) string   { return "svy:{idx}:surveys:" + orAll(cid) }
func meetingsKey(cid string) string  { return "svy:{idx}:meetings:" + orAll(cid) }
func meetingKey(id string) string    { return "svy:meeting:" + id }
func ideaKey(cid, id string) string  { return "svy:{ic:" + cid + "}:idea:" + id }
func endorsersKey(cid, id string) string {
	return "svy:{ic:" + cid + "}:idea:" + id + ":endorsers"
}
func ideasKey(cid string) string           { return "svy:{ic:" + cid + "}:ideas" }
func ideasByEndorsement(cid string) string { return "svy:{ic:" + cid + "}:ideas-by-endorsements" }
func ideaLocKey(id string) string          { return "svy:loc:" + id }
func claimKey(method, rid string) string   { return "svy:req:" + method + ":" + rid }

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

func notFound(what, id string) error { return fmt.Errorf("%w: %s %s", opinion.ErrNotFound, what, id) }

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
