package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"
	"tongdu/services/finance/internal/ledger"
)

// createContract records a project's contract in one step (rule 9: one contract per
// payee, its name normalised): it replays a known request id (same body hash) or refuses
// it (another body), refuses a payee that already has a contract, then stores the
// contract and its payee.
//
// KEYS: contracts, payees, contract-requests. ARGV: request id, body hash, contract id,
// normalised payee, contract.
var createContract = redis.NewScript(`
if ARGV[1] ~= '' then
  local prev = redis.call('HGET', KEYS[3], ARGV[1])
  if prev then
    local sep = string.find(prev, '|', 1, true)
    if string.sub(prev, 1, sep - 1) ~= ARGV[2] then return {'REUSED', string.sub(prev, sep + 1)} end
    return {'REPLAY', string.sub(prev, sep + 1)}
  end
end
local other = redis.call('HGET', KEYS[2], ARGV[4])
if other then return {'EXISTS', other} end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[5])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[3])
if ARGV[1] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. '|' .. ARGV[3]) end
return {'OK', ARGV[3]}`)

// CreateContract stores a contract of the project whose renovation book is book. A retry
// of the request that made it (same requestID and bodyHash) answers with that contract;
// another body under the id is a *ReusedError; a payee with a contract already is
// ledger.ErrContractExists.
func (s *Store) CreateContract(ctx context.Context, book string, c ledger.Contract, requestID, bodyHash string) (*ledger.Contract, bool, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, false, err
	}
	keys := []string{contractsKey(book), payeesKey(book), contractRequestsKey(book)}
	res, err := createContract.Run(ctx, s.rdb, keys, requestID, bodyHash, c.ID, c.Payee, data).StringSlice()
	if err != nil {
		return nil, false, err
	}
	switch res[0] {
	case "OK":
		return &c, false, nil
	case "REPLAY":
		got, err := s.Contract(ctx, book, res[1])
		return got, true, err
	case "REUSED":
		return nil, false, &ReusedError{TransactionID: res[1]}
	case "EXISTS":
		return nil, false, fmt.Errorf("%w: payee %s has contract %s on this project", ledger.ErrContractExists, c.Payee, res[1])
	}
	return nil, false, fmt.Errorf("create contract: unexpected reply %v", res)
}

// Contract reads one contract of a project (by its renovation book), or
// ledger.ErrNotFound.
func (s *Store) Contract(ctx context.Context, book, id string) (*ledger.Contract, error) {
	v, err := s.rdb.HGet(ctx, contractsKey(book), id).Result()
	if isNil(err) {
		return nil, notFound("contract", id)
	}
	if err != nil {
		return nil, err
	}
	return paging.Decode[ledger.Contract](v)
}

// Contracts reads every contract of a project (by its renovation book), by id.
func (s *Store) Contracts(ctx context.Context, book string) ([]ledger.Contract, error) {
	h, err := s.rdb.HGetAll(ctx, contractsKey(book)).Result()
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Contract, 0, len(h))
	for _, v := range h {
		c, err := paging.Decode[ledger.Contract](v)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Balances reads the balances of a book's accounts (none when the book is not open yet).
func (s *Store) Balances(ctx context.Context, book string) (map[string]int64, error) {
	h, err := s.rdb.HGetAll(ctx, balancesKey(book)).Result()
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(h))
	for k, v := range h {
		out[k] = atoi(v)
	}
	return out, nil
}
