package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/paging"

	"tongdu/services/survey/internal/opinion"
)

// submitResponses records responses of one survey in one atomic step (rule 2, one
// response per household, the later collection winning): each
// household keeps at most one response; a newer collection replaces the older one and the
// tally moves with it (the old contribution subtracted, the new added); an older
// collection never overwrites a newer one. A request id seen before answers with the
// outcomes it had then and writes nothing (another body under it is refused); otherwise
// the survey must be OPEN when the step runs.
//
// KEYS: survey, responses, contrib, tally, responders, requests.
// ARGV: request id ("" for none), body hash, n, then per response: household id,
// response (its JSON record, the account that entered it included, so that who acted is
// stored in the same step and a replay reads it back as first stored), collection key
// (opinion.CollectedKey: compared as strings), contribution.
// Returns {1, outcome...} with outcome 1 recorded, 2 replaced, 3 ignored as older;
// {0, outcome...} for a replayed request; {-1, state} when the survey is not OPEN;
// {-2} for a request id reused with another body.
var submitResponses = redis.NewScript(`
if ARGV[1] ~= '' then
  local prev = redis.call('HGET', KEYS[6], ARGV[1])
  if prev then
    local sep = string.find(prev, '|', 1, true)
    if string.sub(prev, 1, sep - 1) ~= ARGV[2] then return {-2} end
    local out = {0}
    for o in string.gmatch(string.sub(prev, sep + 1), '%d+') do out[#out + 1] = tonumber(o) end
    return out
  end
end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'OPEN' then return {-1, state or 'MISSING'} end
local n = tonumber(ARGV[3])
local out = {1}
for i = 0, n - 1 do
  local hid, resp, at, contrib = ARGV[4 + i*4], ARGV[5 + i*4], ARGV[6 + i*4], ARGV[7 + i*4]
  local outcome = 1
  local old = redis.call('HGET', KEYS[3], hid)
  if old then
    local sep = string.find(old, '|', 1, true)
    if string.sub(old, 1, sep - 1) > at then
      outcome = 3
    else
      outcome = 2
      for counter, amount in string.gmatch(string.sub(old, sep + 1), '([^,=]+)=(-?%d+)') do
        redis.call('HINCRBY', KEYS[4], counter, -tonumber(amount))
      end
    end
  end
  if outcome ~= 3 then
    for counter, amount in string.gmatch(contrib, '([^,=]+)=(-?%d+)') do
      redis.call('HINCRBY', KEYS[4], counter, tonumber(amount))
    end
    redis.call('HSET', KEYS[3], hid, ARGV[6 + i*4] .. '|' .. contrib)
    redis.call('HSET', KEYS[2], hid, resp)
    redis.call('ZADD', KEYS[5], 0, hid)
  end
  out[#out + 1] = outcome
end
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[6], ARGV[1], ARGV[2] .. '|' .. table.concat(out, ',', 2))
  redis.call('EXPIRE', KEYS[6], 604800)
end
return out`)

// ClosedError says the survey was not OPEN when the responses arrived.
type ClosedError struct{ State string }

func (e *ClosedError) Error() string { return "survey is " + e.State }

// Unwrap is opinion.ErrSurveyClosed or ErrSurveyNotOpen, so that callers can test for
// them and the API answers with their reason (the message stays "survey is <state>").
func (e *ClosedError) Unwrap() error {
	if e.State == "CLOSED" {
		return opinion.ErrSurveyClosed
	}
	return opinion.ErrSurveyNotOpen
}

// SubmitResponses records responses with their tally contributions, all in one step.
// Later responses of the same household in the list are applied after earlier ones. With
// a request id, a retry of the same body (bodyHash) answers with the first outcomes and
// replayed true, writing nothing; another body is opinion.ErrRequestReused.
func (s *Store) SubmitResponses(ctx context.Context, sv *opinion.Survey, rs []opinion.Response, requestID, bodyHash string) (outcomes []opinion.Outcome, replayed bool, err error) {
	keys := []string{surveyKey(sv.ID), responsesKey(sv.ID), contribKey(sv.ID), tallyKey(sv.ID), respondersKey(sv.ID), requestsKey(sv.ID)}
	args := make([]any, 0, 3+4*len(rs))
	args = append(args, requestID, bodyHash, len(rs))
	for i := range rs {
		data, err := json.Marshal(&rs[i])
		if err != nil {
			return nil, false, err
		}
		args = append(args, rs[i].HouseholdID, data, opinion.CollectedKey(rs[i].CollectedAt),
			opinion.EncodeContribution(opinion.Contribution(sv, &rs[i])))
	}
	res, err := submitResponses.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return nil, false, err
	}
	switch code, _ := res[0].(int64); code {
	case -1:
		state, _ := res[1].(string)
		return nil, false, &ClosedError{State: state}
	case -2:
		return nil, false, fmt.Errorf("%w: request id %q was used for other responses", opinion.ErrRequestReused, requestID)
	case 0:
		replayed = true
	}
	out := make([]opinion.Outcome, 0, len(res)-1)
	for _, v := range res[1:] {
		n, _ := v.(int64)
		out = append(out, opinion.Outcome(n))
	}
	return out, replayed, nil
}

// GetResponse returns a household's response, or opinion.ErrNotFound.
func (s *Store) GetResponse(ctx context.Context, surveyID, householdID string) (*opinion.Response, error) {
	data, err := s.rdb.HGet(ctx, responsesKey(surveyID), householdID).Result()
	if isNil(err) {
		return nil, notFound("response of household", householdID)
	}
	if err != nil {
		return nil, err
	}
	return paging.Decode[opinion.Response](data)
}

// ListResponses pages through a survey's responses by household id, keeping those that
// match.
func (s *Store) ListResponses(ctx context.Context, surveyID string, match func(*opinion.Response) bool, token string, size int) ([]opinion.Response, string, error) {
	load := func(ctx context.Context, ids []string) ([]*opinion.Response, error) {
		vals, err := s.rdb.HMGet(ctx, responsesKey(surveyID), ids...).Result()
		if err != nil {
			return nil, err
		}
		out := make([]*opinion.Response, len(vals))
		for i, v := range vals {
			if str, ok := v.(string); ok {
				if out[i], err = paging.Decode[opinion.Response](str); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
	return paging.Filtered(ctx, s.rdb, respondersKey(surveyID), token, size, load, match)
}

// Recount rebuilds a survey's tally from its stored responses, for checking that the
// counters kept with each response are right. It reads every response: never on a hot path.
func (s *Store) Recount(ctx context.Context, sv *opinion.Survey) (opinion.Tally, error) {
	t := opinion.Tally{}
	iter := s.rdb.HScan(ctx, responsesKey(sv.ID), 0, "", 500).Iterator()
	for iter.Next(ctx) {
		iter.Next(ctx) // HSCAN yields field, value pairs
		r, err := paging.Decode[opinion.Response](iter.Val())
		if err != nil {
			return nil, fmt.Errorf("recount: %w", err)
		}
		for _, d := range opinion.Contribution(sv, r) {
			t[d.Counter] += d.Amount
		}
	}
	return t, iter.Err()
}
