package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/finance/internal/ledger"
)

// post writes one transaction, all in one step, or nothing (rule 7: postings
// sum to zero, the fund never negative, a request id answered once). In order it:
// refuses a household that owes no quota under the book's plan, when the write is a
// household's contribution (before the request id, as the service always checked the
// household first); replays a known request id (same body hash) or refuses it (another
// body); refuses to reverse a transaction twice; refuses a contract the project does not
// have (rule 9: every disbursement names its contract); refuses postings that do not sum
// to zero; refuses any balance that would leave its bounds (the book's own, among them
// each household's quota, and this request's); then appends the transaction, moves the
// balances and tallies, records the balances just after it and, given its key, the
// transaction's location.
//
// It answers everything the caller returns, so that a write is one round trip: status,
// transaction id, sequence, the stored transaction (on a replay; a new one is what the
// caller sent), the transaction that reversed it, the balances just after it
// ("account=balance" lines) and the household's quota (empty when none was asked).
//
// KEYS: book, balances, bounds, log, order, requests, reversed, tallies, contracts, after,
// quotas, and the transaction's location (optional: it lies in another hash slot, so
// only on a single server).
// ARGV: request id, body hash, transaction id, transaction, reverses, contract id, book
// id (the location's value), household that must owe a quota (empty for none),
// then n and n (account, amount) postings, then n and n (account, "min|max") bounds,
// then n and n (counter, amount) tallies.
var post = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NO_BOOK'} end
local quota = ''
if ARGV[8] ~= '' then
  quota = redis.call('HGET', KEYS[11], ARGV[8])
  if not quota then return {'NO_QUOTA'} end
end
local prev = redis.call('HGET', KEYS[6], ARGV[1])
if prev then
  local sep = string.find(prev, '|', 1, true)
  local txid = string.sub(prev, sep + 1)
  if string.sub(prev, 1, sep - 1) ~= ARGV[2] then return {'REUSED', txid} end
  local seq = redis.call('ZSCORE', KEYS[5], txid) or '0'
  return {'REPLAY', txid, seq, redis.call('HGET', KEYS[4], txid) or '', redis.call('HGET', KEYS[7], txid) or '', redis.call('HGET', KEYS[10], txid) or '', quota}
end
local rev = ARGV[5]
if rev ~= '' then
  if redis.call('HEXISTS', KEYS[4], rev) == 0 then return {'NOT_FOUND'} end
  local by = redis.call('HGET', KEYS[7], rev)
  if by then return {'ALREADY_REVERSED', by} end
end
if ARGV[6] ~= '' and redis.call('HEXISTS', KEYS[9], ARGV[6]) == 0 then return {'NO_CONTRACT'} end
local i = 9
local n = tonumber(ARGV[i]); i = i + 1
local accounts, amounts, after, order = {}, {}, {}, {}
local sum = 0
for k = 1, n do
  local acct, amt = ARGV[i], ARGV[i + 1]; i = i + 2
  accounts[k], amounts[k] = acct, amt
  if after[acct] == nil then
    after[acct] = tonumber(redis.call('HGET', KEYS[2], acct) or '0')
    order[#order + 1] = acct
  end
  after[acct] = after[acct] + tonumber(amt)
  sum = sum + tonumber(amt)
end
if sum ~= 0 then return {'UNBALANCED'} end
local extra = {}
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do extra[ARGV[i]] = ARGV[i + 1]; i = i + 2 end
local function outside(acct, spec, v)
  if not spec or spec == '' then return nil end
  local sep = string.find(spec, '|', 1, true)
  local lo, hi = string.sub(spec, 1, sep - 1), string.sub(spec, sep + 1)
  if lo ~= '' and v < tonumber(lo) then return {'BOUND', acct, string.format('%d', v), lo, 'min'} end
  if hi ~= '' and v > tonumber(hi) then return {'BOUND', acct, string.format('%d', v), hi, 'max'} end
  return nil
end
for _, acct in ipairs(order) do
  local bad = outside(acct, redis.call('HGET', KEYS[3], acct), after[acct]) or outside(acct, extra[acct], after[acct])
  if bad then return bad end
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local snapshot = {}
for k = 1, #accounts do redis.call('HINCRBY', KEYS[2], accounts[k], amounts[k]) end
for _, acct in ipairs(order) do
  snapshot[#snapshot + 1] = acct .. '=' .. redis.call('HGET', KEYS[2], acct)
end
redis.call('HSET', KEYS[4], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[5], seq, ARGV[3])
redis.call('HSET', KEYS[6], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
redis.call('HSET', KEYS[10], ARGV[3], table.concat(snapshot, '\n'))
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('HINCRBY', KEYS[8], ARGV[i], ARGV[i + 1]); i = i + 2 end
if rev ~= '' then redis.call('HSET', KEYS[7], rev, ARGV[3]) end
if KEYS[12] then redis.call('SET', KEYS[12], ARGV[7]) end
return {'OK', ARGV[3], seq, '', '', table.concat(snapshot, '\n'), quota}`)

// ReusedError says a request id was used before with another body.
type ReusedError struct{ TransactionID string }

func (e *ReusedError) Error() string {
	return "the request id was used before, with another request, for transaction " + e.TransactionID
}

// Unwrap makes it ledger.ErrRequestReused (REQUEST_ID_REUSED), with this message.
func (e *ReusedError) Unwrap() error { return ledger.ErrRequestReused }

// Post writes t to its book atomically, checking every bound. bodyHash fingerprints the
// request; the same request id with the same hash replays the first outcome. It returns
// a *ledger.BoundError, *ReusedError, ledger.ErrAlreadyReversed, ledger.ErrNotFound (no
// book, no transaction to reverse, or no contract contractID of the book's project).
// contractID, when set, must name a contract of the book's project, checked in the step.
func (s *Store) Post(ctx context.Context, t ledger.Transaction, bodyHash string, extra []ledger.Bound, contractID string) (*ledger.Posted, error) {
	p, _, err := s.post(ctx, t, bodyHash, extra, contractID, "")
	return p, err
}

// PostContribution is Post for a household's contribution (ledger.ContributionOf). In the
// same step it reads the quota the household owes under the book's plan, refusing the
// write with ledger.ErrNotInPlan when it owes none, and answers that quota with the
// outcome, a replay's too: the caller needs no read of the plan before or after. What
// the household may pay is bounded by the book's own bounds (its quota, fixed with the
// plan), checked in the step like every bound.
func (s *Store) PostContribution(ctx context.Context, t ledger.Transaction, bodyHash, householdID string) (*ledger.Posted, int64, error) {
	if householdID == "" {
		return nil, 0, fmt.Errorf("contribution %s names no household", t.ID)
	}
	return s.post(ctx, t, bodyHash, nil, "", householdID)
}

// post runs the posting script once, and on a cluster writes the location around it;
// owes is the household that must owe a quota ("" for none), whose quota it returns.
func (s *Store) post(ctx context.Context, t ledger.Transaction, bodyHash string, extra []ledger.Bound, contractID, owes string) (*ledger.Posted, int64, error) {
	if !t.Balanced() {
		return nil, 0, fmt.Errorf("postings of %s do not sum to zero", t.ID)
	}
	data, err := json.Marshal(t)
	if err != nil {
		return nil, 0, err
	}
	b := t.BookID
	args := []any{t.RequestID, bodyHash, t.ID, data, t.Reverses, contractID, b, owes, len(t.Postings)}
	for _, p := range t.Postings {
		args = append(args, p.Account, strconv.FormatInt(p.AmountFen, 10))
	}
	args = append(args, len(extra))
	for _, b := range extra {
		args = append(args, b.Account, boundSpec(b))
	}
	args = append(args, len(t.Tallies))
	for _, p := range t.Tallies {
		args = append(args, p.Account, strconv.FormatInt(p.AmountFen, 10))
	}
	keys := []string{bookKey(b), balancesKey(b), boundsKey(b), logKey(b), orderKey(b), requestsKey(b), reversedKey(b), talliesKey(b), contractsKey(b), afterKey(b), quotasKey(b)}
	if s.single {
		// One server: the script records the location in its own step, only for a
		// transaction it writes, and the write stays one round trip.
		keys = append(keys, txLocKey(t.ID))
	} else if err := s.rdb.Set(ctx, txLocKey(t.ID), b, 0).Err(); err != nil {
		// A cluster: the location's key lies in another hash slot than the book's, out of
		// the script's reach. It is written first, so that no transaction lacks its
		// location; an orphan (the script then refuses) points at no transaction.
		return nil, 0, err
	}
	res, err := post.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return nil, 0, err
	}
	str := func(i int) string {
		if i >= len(res) {
			return ""
		}
		v, _ := res[i].(string)
		return v
	}
	if !s.single && str(0) != "OK" {
		// Nothing was written under this id: its location points nowhere.
		_ = s.rdb.Del(ctx, txLocKey(t.ID)).Err()
	}
	switch str(0) {
	case "OK":
		// What was written is what was sent: decoded as a reader would decode it.
		return postedOf(res, string(data), false)
	case "REPLAY":
		if str(3) == "" {
			// Not a missing resource the client named: the log lost what a request id
			// points at.
			return nil, 0, fmt.Errorf("request id %q answered by transaction %s, which is not in the log of %s", t.RequestID, str(1), b)
		}
		return postedOf(res, str(3), true)
	case "NO_QUOTA":
		return nil, 0, fmt.Errorf("%w: household %s owes no quota in the plan of book %s", ledger.ErrNotInPlan, owes, b)
	case "REUSED":
		return nil, 0, &ReusedError{TransactionID: str(1)}
	case "NO_BOOK":
		return nil, 0, notFound("book", b)
	case "NOT_FOUND":
		return nil, 0, notFound("transaction", t.Reverses)
	case "ALREADY_REVERSED":
		return nil, 0, fmt.Errorf("%w: %s was reversed by %s", ledger.ErrAlreadyReversed, t.Reverses, str(1))
	case "NO_CONTRACT":
		return nil, 0, notFound("contract", contractID)
	case "UNBALANCED":
		return nil, 0, fmt.Errorf("postings of %s do not sum to zero", t.ID)
	case "BOUND":
		return nil, 0, &ledger.BoundError{Account: str(1), Balance: atoi(str(2)), Limit: atoi(str(3)), TooLow: str(4) == "min"}
	}
	return nil, 0, fmt.Errorf("post: unexpected reply %v", res)
}

// postedOf reads the script's answer of a written or replayed transaction: {status, id,
// sequence, stored transaction, reversed by, balances after, quota}; data is the
// transaction as stored.
func postedOf(res []any, data string, replayed bool) (*ledger.Posted, int64, error) {
	field := func(i int) string {
		switch v := res[i].(type) {
		case string:
			return v
		case int64:
			return strconv.FormatInt(v, 10)
		}
		return ""
	}
	if len(res) < 7 {
		return nil, 0, fmt.Errorf("post: unexpected reply %v", res)
	}
	tx, err := paging.Decode[ledger.Transaction](data)
	if err != nil {
		return nil, 0, err
	}
	// The sequence is an integer when just written, a sorted set's score when replayed.
	seq, err := strconv.ParseFloat(field(2), 64)
	if err != nil {
		return nil, 0, fmt.Errorf("post: sequence %q of %s: %w", field(2), field(1), err)
	}
	tx.Sequence, tx.ReversedBy = int64(seq), field(4)
	after := map[string]int64{}
	for _, line := range strings.Split(field(5), "\n") {
		if acct, v, ok := strings.Cut(line, "="); ok {
			after[acct] = atoi(v)
		}
	}
	return &ledger.Posted{Tx: *tx, After: after, Replayed: replayed}, atoi(field(6)), nil
}

// Transaction returns a transaction of a book with its sequence and reversal, or
// ledger.ErrNotFound.
func (s *Store) Transaction(ctx context.Context, book, txID string) (*ledger.Transaction, error) {
	var data, by *redis.StringCmd
	var seq *redis.FloatCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		data = p.HGet(ctx, logKey(book), txID)
		seq = p.ZScore(ctx, orderKey(book), txID)
		by = p.HGet(ctx, reversedKey(book), txID)
		return nil
	}); err != nil && !isNil(err) {
		return nil, err
	}
	if data.Val() == "" {
		return nil, notFound("transaction", txID)
	}
	tx, err := paging.Decode[ledger.Transaction](data.Val())
	if err != nil {
		return nil, err
	}
	tx.Sequence, tx.ReversedBy = int64(seq.Val()), by.Val()
	return tx, nil
}

// TransactionBook returns the book a transaction belongs to.
func (s *Store) TransactionBook(ctx context.Context, txID string) (string, error) {
	b, err := s.rdb.Get(ctx, txLocKey(txID)).Result()
	if isNil(err) {
		return "", notFound("transaction", txID)
	}
	return b, err
}

// Transactions pages through a book's log in sequence order, keeping those that match;
// the token is the last sequence read.
func (s *Store) Transactions(ctx context.Context, book string, match func(*ledger.Transaction) bool, token string, size int) ([]ledger.Transaction, string, error) {
	last, err := paging.DecodeToken(token)
	if err != nil {
		return nil, "", err
	}
	from := "-inf"
	if last != "" {
		from = "(" + last
	}
	var out []ledger.Transaction
	for {
		zs, err := s.rdb.ZRangeByScoreWithScores(ctx, orderKey(book), &redis.ZRangeBy{Min: from, Max: "+inf", Count: int64(size)}).Result()
		if err != nil || len(zs) == 0 {
			return out, "", err
		}
		ids := make([]string, len(zs))
		for i, z := range zs {
			ids[i] = z.Member.(string)
		}
		var vc, bc *redis.SliceCmd
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			vc = p.HMGet(ctx, logKey(book), ids...)
			bc = p.HMGet(ctx, reversedKey(book), ids...)
			return nil
		}); err != nil {
			return nil, "", err
		}
		vals, bys := vc.Val(), bc.Val()
		for i, v := range vals {
			str, _ := v.(string)
			tx, err := paging.Decode[ledger.Transaction](str)
			if err != nil {
				return nil, "", err
			}
			tx.Sequence = int64(zs[i].Score)
			tx.ReversedBy, _ = bys[i].(string)
			from = "(" + strconv.FormatInt(tx.Sequence, 10)
			if match(tx) {
				out = append(out, *tx)
				if len(out) == size {
					return out, paging.EncodeToken(strconv.FormatInt(tx.Sequence, 10)), nil
				}
			}
		}
		if len(zs) < size {
			return out, "", nil
		}
	}
}

// Recompute replays a book's whole log: every account's balance from the postings, and
// the transactions whose postings do not sum to zero. It reads every transaction: for
// :verify, never on a hot path.
func (s *Store) Recompute(ctx context.Context, book string) (map[string]int64, []string, int, error) {
	balances := map[string]int64{}
	var unbalanced []string
	n := 0
	token := ""
	for {
		txs, next, err := s.Transactions(ctx, book, func(*ledger.Transaction) bool { return true }, token, 1000)
		if err != nil {
			return nil, nil, 0, err
		}
		for i := range txs {
			n++
			if !txs[i].Balanced() {
				unbalanced = append(unbalanced, txs[i].ID)
			}
			for _, p := range txs[i].Postings {
				balances[p.Account] += p.AmountFen
			}
		}
		if next == "" {
			return balances, unbalanced, n, nil
		}
		token = next
	}
}
