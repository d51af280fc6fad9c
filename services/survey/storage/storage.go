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
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/events"
	"tongdu/platform/idempotency"
	"tongdu/services/survey/opinion"
)

// Store is the survey service's Redis.
type Store struct {
	rdb redis.UniversalClient
}

// New returns a store on rdb.
func New(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb} }

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

// EncodeToken keeps page tokens opaque: the last id of a page, or an offset.
func EncodeToken(last string) string {
	if last == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(last))
}

// DecodeToken returns what EncodeToken wrapped; it fails with opinion.ErrInvalid.
func DecodeToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 {
		return "", &opinion.InvalidError{Violations: []opinion.Violation{{Field: "pageToken", Reason: "is not a token this service issued"}}}
	}
	return string(b), nil
}

// pageOf reads up to size members after the token's from a lexically ordered set.
func (s *Store) pageOf(ctx context.Context, key, token string, size int) ([]string, string, error) {
	after, err := DecodeToken(token)
	if err != nil {
		return nil, "", err
	}
	min := "-"
	if after != "" {
		min = "(" + after
	}
	ids, err := s.rdb.ZRangeByLex(ctx, key, &redis.ZRangeBy{Min: min, Max: "+", Count: int64(size + 1)}).Result()
	if err != nil {
		return nil, "", err
	}
	if len(ids) > size {
		return ids[:size], EncodeToken(ids[size-1]), nil
	}
	return ids, "", nil
}

func decode[T any](data string) (*T, error) {
	var v T
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		return nil, fmt.Errorf("corrupt record: %w", err)
	}
	return &v, nil
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func notFound(what, id string) error { return fmt.Errorf("%w: %s %s", opinion.ErrNotFound, what, id) }

func isNil(err error) bool { return errors.Is(err, redis.Nil) }

// PublishCompoundFact tells governance, on the compound events stream, a fact about a
// compound's renovation (a NEEDS survey opened).
func (s *Store) PublishCompoundFact(ctx context.Context, compoundID, fact, surveyID string) error {
	return events.Publish(ctx, s.rdb, events.CompoundTopic, map[string]string{"compound": compoundID, "fact": fact, "survey": surveyID})
}
