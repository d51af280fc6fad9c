package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/finance/internal/ledger"
)

// createBook writes a book with its plan, quotas and bounds unless it exists; then it
// returns "request id|body hash" of the request that made it ("-" for none), so a retry
// of that request can be told from another.
// KEYS: book, quotas, bounds. ARGV: data, plan, "request id|body hash", nQuotas, pairs…, nBounds, pairs…
var createBook = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  local r = redis.call('HGET', KEYS[1], 'request')
  if not r or r == '' then return '-' end
  return r
end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'plan', ARGV[2], 'request', ARGV[3], 'seq', 0)
local i = 4
local n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i+1]); i = i + 2 end
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i+1]); i = i + 2 end
return ''`)

// CreateBook opens a book with its bounds, and for a renovation book its funding plan
// and quotas, all in one step. An existing book is ledger.ErrAlreadyExists; if it was
// made by the same request id, the same body hash makes this a replay (nil) and another
// body is ledger.ErrRequestReused.
func (s *Store) CreateBook(ctx context.Context, b ledger.Book, plan *ledger.Plan, bounds []ledger.Bound, requestID, bodyHash string) error {
	request := ""
	if requestID != "" {
		request = requestID + "|" + bodyHash
	}
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	planData := []byte("")
	args := []any{data}
	if plan != nil {
		if planData, err = json.Marshal(plan); err != nil {
			return err
		}
	}
	args = append(args, planData, request)
	if plan != nil {
		args = append(args, len(plan.Quotas))
		hids := make([]string, 0, len(plan.Quotas))
		for h := range plan.Quotas {
			hids = append(hids, h)
		}
		sort.Strings(hids)
		for _, h := range hids {
			args = append(args, h, plan.Quotas[h])
		}
	} else {
		args = append(args, 0)
	}
	args = append(args, len(bounds))
	for _, bd := range bounds {
		args = append(args, bd.Account, boundSpec(bd))
	}
	made, err := createBook.Run(ctx, s.rdb, []string{bookKey(b.ID), quotasKey(b.ID), boundsKey(b.ID)}, args...).Text()
	if err != nil {
		return err
	}
	if made != "" {
		madeID, madeHash, _ := strings.Cut(made, "|")
		switch {
		case requestID == "" || madeID != requestID:
			return fmt.Errorf("%w: book %s", ledger.ErrAlreadyExists, b.ID)
		case madeHash != bodyHash:
			return fmt.Errorf("%w: request id %q made book %s from another request", ledger.ErrRequestReused, requestID, b.ID)
		}
		return nil // the same request again: the book is what it made
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, booksKey(ledger.BookUnspecified), redis.Z{Member: b.ID})
		p.ZAdd(ctx, booksKey(b.Kind), redis.Z{Member: b.ID})
		if b.Kind == ledger.Renovation {
			p.ZAdd(ctx, compoundBooksKey(b.CompoundID), redis.Z{Member: b.ID})
		}
		return nil
	})
	return err
}

// GetBook returns a book with its balances (and plan and quotas for a renovation book),
// or ledger.ErrNotFound.
func (s *Store) GetBook(ctx context.Context, id string) (*ledger.BookState, error) {
	var book, balances, quotas *redis.MapStringStringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		book = p.HGetAll(ctx, bookKey(id))
		balances = p.HGetAll(ctx, balancesKey(id))
		quotas = p.HGetAll(ctx, quotasKey(id))
		return nil
	}); err != nil {
		return nil, err
	}
	h := book.Val()
	if len(h) == 0 {
		return nil, notFound("book", id)
	}
	b, err := paging.Decode[ledger.Book](h["data"])
	if err != nil {
		return nil, err
	}
	st := &ledger.BookState{Book: *b, Seq: atoi(h["seq"]), Balances: make(map[string]int64, len(balances.Val()))}
	for a, v := range balances.Val() {
		st.Balances[a] = atoi(v)
	}
	if h["plan"] != "" {
		if st.Plan, err = paging.Decode[ledger.Plan](h["plan"]); err != nil {
			return nil, err
		}
		st.Plan.Quotas = make(map[string]int64, len(quotas.Val()))
		for hid, q := range quotas.Val() {
			st.Plan.Quotas[hid] = atoi(q)
		}
	}
	return st, nil
}

// BookHead reads what a book's own page shows: the book, its sequence and its fund
// balance, without the balances of every household account and the quotas, whose number
// grows with the compound. Balances holds the fund account only; Plan is nil.
func (s *Store) BookHead(ctx context.Context, id string) (*ledger.BookState, error) {
	var head *redis.SliceCmd
	var fund *redis.StringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		head = p.HMGet(ctx, bookKey(id), "data", "seq")
		fund = p.HGet(ctx, balancesKey(id), ledger.FundAccount)
		return nil
	}); err != nil && !isNil(err) {
		return nil, err
	}
	data, _ := head.Val()[0].(string)
	if data == "" {
		return nil, notFound("book", id)
	}
	b, err := paging.Decode[ledger.Book](data)
	if err != nil {
		return nil, err
	}
	seq, _ := head.Val()[1].(string)
	return &ledger.BookState{Book: *b, Seq: atoi(seq), Balances: map[string]int64{ledger.FundAccount: atoi(fund.Val())}}, nil
}

// PlanFor reads a renovation book's plan with the quotas of the households named only,
// not every balance and quota: what a write needs, at a cost that does not grow with the
// compound.
func (s *Store) PlanFor(ctx context.Context, id string, households ...string) (*ledger.BookState, error) {
	var book *redis.SliceCmd
	var quotas *redis.SliceCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		book = p.HMGet(ctx, bookKey(id), "data", "plan", "seq")
		if len(households) > 0 {
			quotas = p.HMGet(ctx, quotasKey(id), households...)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	v := book.Val()
	data, _ := v[0].(string)
	planData, _ := v[1].(string)
	seq, _ := v[2].(string)
	if data == "" {
		return nil, notFound("book", id)
	}
	b, err := paging.Decode[ledger.Book](data)
	if err != nil {
		return nil, err
	}
	st := &ledger.BookState{Book: *b, Seq: atoi(seq)}
	if planData != "" {
		if st.Plan, err = paging.Decode[ledger.Plan](planData); err != nil {
			return nil, err
		}
		st.Plan.Quotas = map[string]int64{}
		if quotas != nil {
			for i, q := range quotas.Val() {
				if str, ok := q.(string); ok {
					st.Plan.Quotas[households[i]] = atoi(str)
				}
			}
		}
	}
	return st, nil
}

// FundBalance reads one book's fund balance alone: a constant-cost read however long the
// book's log.
func (s *Store) FundBalance(ctx context.Context, id string) (int64, int64, error) {
	var bal *redis.StringCmd
	var seq *redis.StringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		bal = p.HGet(ctx, balancesKey(id), ledger.FundAccount)
		seq = p.HGet(ctx, bookKey(id), "seq")
		return nil
	}); err != nil && !isNil(err) {
		return 0, 0, err
	}
	if seq.Val() == "" {
		return 0, 0, notFound("book", id)
	}
	return atoi(bal.Val()), atoi(seq.Val()), nil
}

// Tallies returns a book's report counters.
func (s *Store) Tallies(ctx context.Context, id string) (map[string]int64, error) {
	h, err := s.rdb.HGetAll(ctx, talliesKey(id)).Result()
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(h))
	for k, v := range h {
		out[k] = atoi(v)
	}
	return out, nil
}

// ListBooks pages through books, of one kind or all.
func (s *Store) ListBooks(ctx context.Context, kind ledger.BookKind, token string, size int) ([]string, string, error) {
	return paging.Lex(ctx, s.rdb, booksKey(kind), token, size)
}

// CompoundBooks lists a compound's renovation books.
func (s *Store) CompoundBooks(ctx context.Context, cid string) ([]string, error) {
	return s.rdb.ZRange(ctx, compoundBooksKey(cid), 0, -1).Result()
}

// ApprovedStream returns the resolution that allowed an income stream ("" for none).
func (s *Store) ApprovedStream(ctx context.Context, bookID, stream string) (string, error) {
	v, err := s.rdb.HGet(ctx, streamsKey(bookID), stream).Result()
	if isNil(err) {
		return "", nil
	}
	return v, err
}

// ApproveStream records the resolution that allows an income stream.
func (s *Store) ApproveStream(ctx context.Context, bookID, stream, surveyID string) error {
	return s.rdb.HSetNX(ctx, streamsKey(bookID), stream, surveyID).Err()
}
