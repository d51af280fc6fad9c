// Package storage keeps the finance service's books in Redis; it is the only code that
// knows the keys. Every key of one book shares the book's hash tag, so the one Lua script
// that writes a transaction stays valid on Redis Cluster (only a transaction's location,
// fin:txloc, lies elsewhere: on a single server the script writes it too, on a cluster it
// is written just before):
//
//	fin:{b:<book>}:book       hash: data (the book), plan (a renovation book's funding plan), seq
//	fin:{b:<book>}:balances   hash: account → balance in fen
//	fin:{b:<book>}:bounds     hash: account → "min|max" the balance must stay within
//	fin:{b:<book>}:quotas     hash: household → quota in fen (renovation books)
//	fin:{b:<book>}:log        hash: transaction id → transaction (append-only)
//	fin:{b:<book>}:order      sorted set: transaction ids by sequence
//	fin:{b:<book>}:after      hash: transaction id → balances of its accounts just after it
//	fin:{b:<book>}:requests   hash: request id → "body hash|transaction id"
//	fin:{b:<book>}:reversed   hash: transaction id → the transaction that reversed it
//	fin:{b:<book>}:tallies    hash: report counter → fen (spending by item, refunds)
//	fin:{b:<book>}:contracts  hash: contract id → contract (rule 9; kept under the project's
//	                          renovation book id, which exists before the book does)
//	fin:{b:<book>}:payees     hash: normalised payee → its contract's id (one per payee)
//	fin:{b:<book>}:contract-requests hash: request id → "body hash|contract id"
//	fin:{b:<book>}:streams    hash: income stream → the resolution that allowed it
//	fin:txloc:<transaction>   the book of a transaction
//	fin:{idx}:books:<kind|_>  sorted set of book ids
//	fin:{idx}:compound-books:<compound> sorted set of a compound's renovation books
//	fin:req:<method>:<id>     idempotency claims of writes that are not transactions
package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/idempotency"
	"tongdu/services/finance/internal/ledger"
)

// Store is the finance service's Redis. It opens as every Tongdu store does (Store, New,
// Ping: the same shape in each service, on purpose, as each store owns its keys); what the
// stores share in code is platform/paging.
type Store struct {
	rdb redis.UniversalClient
	// single is one server (not a cluster, nor a ring): a script may reach keys of any
	// hash slot, so a transaction's location is written in the posting script's step.
	single bool
}

// New returns a store on rdb.
func New(rdb redis.UniversalClient) *Store {
	_, single := rdb.(*redis.Client)
	return &Store{rdb: rdb, single: single}
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

func bookKey(b string) string      { return "fin:{b:" + b + "}:book" }
func balancesKey(b string) string  { return "fin:{b:" + b + "}:balances" }
func boundsKey(b string) string    { return "fin:{b:" + b + "}:bounds" }
func quotasKey(b string) string    { return "fin:{b:" + b + "}:quotas" }
func logKey(b string) string       { return "fin:{b:" + b + "}:log" }
func orderKey(b string) string     { return "fin:{b:" + b + "}:order" }
func afterKey(b string) string     { return "fin:{b:" + b + "}:after" }
func requestsKey(b string) string  { return "fin:{b:" + b + "}:requests" }
func reversedKey(b string) string  { return "fin:{b:" + b + "}:reversed" }
func talliesKey(b string) string   { return "fin:{b:" + b + "}:tallies" }
func contractsKey(b string) string { return "fin:{b:" + b + "}:contracts" }
func payeesKey(b string) string    { return "fin:{b:" + b + "}:payees" }
func contractRequestsKey(b string) string {
	return "fin:{b:" + b + "}:contract-requests"
}
func streamsKey(b string) string { return "fin:{b:" + b + "}:streams" }
func txLocKey(tx string) string  { return "fin:txloc:" + tx }
func booksKey(kind ledger.BookKind) string {
	if kind == ledger.BookUnspecified {
		return "fin:{idx}:books:_"
	}
	return "fin:{idx}:books:" + strconv.Itoa(int(kind))
}
func compoundBooksKey(cid string) string { return "fin:{idx}:compound-books:" + cid }

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func notFound(what, id string) error { return fmt.Errorf("%w: %s %s", ledger.ErrNotFound, what, id) }

func isNil(err error) bool { return errors.Is(err, redis.Nil) }

func boundSpec(b ledger.Bound) string {
	lo, hi := "", ""
	if b.Min != nil {
		lo = strconv.FormatInt(*b.Min, 10)
	}
	if b.Max != nil {
		hi = strconv.FormatInt(*b.Max, 10)
	}
	return lo + "|" + hi
}

// ClaimRequest records a request id of a write that is not a transaction (a funding
// plan); see idempotency.Take.
func (s *Store) ClaimRequest(ctx context.Context, method, requestID string, c idempotency.Claim) (idempotency.Claim, bool, error) {
	return idempotency.Take(ctx, s.rdb, "fin:req:"+method+":"+requestID, c)
}
