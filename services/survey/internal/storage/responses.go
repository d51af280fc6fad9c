package storage

import (
	"bytes"
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
// the survey must be OPEN when the step runs, and every household must be in the
// survey's copy of its compound's households (electorate), whose area the response is
// weighed by (rule 3): the check and the write are one step, with no call to governance.
//
// KEYS: survey, responses, contrib, tally, responders, requests, electorate.
// ARGV: request id ("" for none), body hash, n, m, then per response: household id, its
// JSON record up to the area's value and from after it (the record carries the account
// that entered it, so that who acted is stored in the same step and a replay reads it
// back as first stored), collection key (opinion.CollectedKey: compared as strings),
// contribution with "@" for the area (opinion.EncodeContributionTemplate); then m
// households learned from governance (id, area), added to the electorate unless there.
// Returns {1, outcome...} with outcome 1 recorded, 2 replaced, 3 ignored as older;
// {0, outcome...} for a replayed request; {-1, state} when the survey is not OPEN;
// {-2} for a request id reused with another body; {-3, household id...} for households
// not in the electorate (nothing recorded).
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
local n, m = tonumber(ARGV[3]), tonumber(ARGV[4])
local base = 5 + n*5
for j = 0, m - 1 do
  redis.call('HSETNX', KEYS[7], ARGV[base + j*2], ARGV[base + j*2 + 1])
end
local areas, unknown = {}, {-3}
for i = 0, n - 1 do
  local hid = ARGV[5 + i*5]
  local area = redis.call('HGET', KEYS[7], hid)
  if not area then unknown[#unknown + 1] = hid end
  areas[i] = area
end
if #unknown > 1 then return unknown end
local out = {1}
for i = 0, n - 1 do
  local hid, at = ARGV[5 + i*5], ARGV[8 + i*5]
  local contrib = string.gsub(ARGV[9 + i*5], '@', areas[i])
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
    redis.call('HSET', KEYS[3], hid, at .. '|' .. contrib)
    redis.call('HSET', KEYS[2], hid, ARGV[6 + i*5] .. areas[i] .. ARGV[7 + i*5])
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

// SubmitResponses records responses with their tally contributions, all in one step,
// each weighed by its household's area as the survey's electorate holds it (rs' Area is
// not read). Later responses of the same household in the list are applied after
// earlier ones. learned (household id → area) are households governance was asked about
// since the last try, added to the electorate first. Households not in the electorate
// are an *opinion.UnknownHouseholds, and nothing is recorded. With a request id, a retry
// of the same body (bodyHash) answers with the first outcomes and replayed true, writing
// nothing; another body is opinion.ErrRequestReused.
func (s *Store) SubmitResponses(ctx context.Context, sv *opinion.Survey, rs []opinion.Response, requestID, bodyHash string, learned map[string]int64) (outcomes []opinion.Outcome, replayed bool, err error) {
	keys := []string{surveyKey(sv.ID), responsesKey(sv.ID), contribKey(sv.ID), tallyKey(sv.ID), respondersKey(sv.ID), requestsKey(sv.ID), electorateKey(sv.ID)}
	args := make([]any, 0, 4+5*len(rs)+2*len(learned))
	args = append(args, requestID, bodyHash, len(rs), len(learned))
	for i := range rs {
		head, tail, err := recordAroundArea(&rs[i])
		if err != nil {
			return nil, false, err
		}
		args = append(args, rs[i].HouseholdID, head, tail, opinion.CollectedKey(rs[i].CollectedAt),
			opinion.EncodeContributionTemplate(opinion.Contribution(sv, &rs[i])))
	}
	for id, area := range learned {
		args = append(args, id, area)
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
	case -3:
		unknown := &opinion.UnknownHouseholds{}
		for _, v := range res[1:] {
			id, _ := v.(string)
			unknown.IDs = append(unknown.IDs, id)
		}
		return nil, false, unknown
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

// areaField is how a response's area appears in its JSON record: never first, and a key
// of the record itself, since quotes inside the strings of a record are escaped.
var areaField = []byte(`,"area":0`)

// recordAroundArea is a response's JSON record cut around the value of its area, which
// the response script puts in from the electorate.
func recordAroundArea(r *opinion.Response) (head, tail []byte, err error) {
	shown := *r
	shown.Area = 0
	data, err := json.Marshal(&shown)
	if err != nil {
		return nil, nil, err
	}
	i := bytes.Index(data, areaField)
	if i < 0 {
		return nil, nil, fmt.Errorf("response record without its area: %s", data)
	}
	cut := i + len(areaField) - 1
	return data[:cut], data[cut+1:], nil
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
