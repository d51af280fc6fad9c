package main

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Two scripts shaped like the services' atomic writes, run by redis-benchmark with
// EVALSHA: the "bare script" each write is compared with (pct_of_script).
//
// surveyLikeScript is services/survey/internal/storage/responses.go's submitResponses
// as one SubmitResponse runs it (one response, a request id, no households learned from
// governance): the request id looked up, the survey's state read, the household's area
// read from the survey's electorate hash (svy:{s:<id>}:electorate, one HGET per response,
// field = household id), the household's previous contribution read, then the tally moved
// (six counters for the bench's NEEDS survey: responded, answered and option of each of
// the two questions, willing), the contribution, the record and the responder written,
// the request id recorded with its expiry. Same Lua string work (gsub of the area into
// the contribution, gmatch over it), all keys in one hash slot ({s}). Where the real
// script refuses (a survey not OPEN, a household not in the electorate) this one goes
// on: the survey hash is set OPEN before the run, and a household that redis-benchmark's
// random id does not find in the electorate gets a fixed area (the HGET is made all the
// same).
const surveyLikeScript = `
local prev = redis.call('HGET', KEYS[6], ARGV[1])
if prev then return prev end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'OPEN' then return {-1, state or 'MISSING'} end
local hid, at = ARGV[3], ARGV[6]
local area = redis.call('HGET', KEYS[7], hid) or '64'
local contrib = string.gsub(ARGV[7], '@', area)
local outcome = 1
local old = redis.call('HGET', KEYS[3], hid)
if old then
  local sep = string.find(old, '|', 1, true)
  outcome = 2
  for counter, amount in string.gmatch(string.sub(old, sep + 1), '([^,=]+)=(-?%d+)') do
    redis.call('HINCRBY', KEYS[4], counter, -tonumber(amount))
  end
end
for counter, amount in string.gmatch(contrib, '([^,=]+)=(-?%d+)') do
  redis.call('HINCRBY', KEYS[4], counter, tonumber(amount))
end
redis.call('HSET', KEYS[3], hid, at .. '|' .. contrib)
redis.call('HSET', KEYS[2], hid, ARGV[4] .. area .. ARGV[5])
redis.call('ZADD', KEYS[5], 0, hid)
redis.call('HSET', KEYS[6], ARGV[1], ARGV[2] .. '|' .. outcome)
redis.call('EXPIRE', KEYS[6], 604800)
return {1, outcome}`

// ledgerLikeScript is services/finance/internal/storage/post.go's posting script as one
// CreateContribution runs it (two postings, fund and household, no reversal, contract,
// extra bounds or tallies): the book's existence checked, the household's quota read
// from the book's quotas hash (one HGET, field = household id), the request id looked
// up, both balances read and checked against their bounds, the sequence taken, the
// balances moved and read back for the snapshot, the transaction, its order, the request
// id and the balances after it written, and the transaction's location set. Same code
// path and Lua work as the real script, all keys in one hash slot ({l}; the real
// location key lies in another slot, written in the step only on a single server, as
// here). Where the real script refuses a household that owes no quota, this one takes a
// fixed quota for a random household that has none (the HGET is made all the same).
const ledgerLikeScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NO_BOOK'} end
local quota = ''
if ARGV[8] ~= '' then
  quota = redis.call('HGET', KEYS[11], ARGV[8]) or '10000000'
end
local prev = redis.call('HGET', KEYS[6], ARGV[1])
if prev then return {'REPLAY', prev} end
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
return {'OK', ARGV[3], seq, '', '', table.concat(snapshot, '\n'), quota}`

// A payload about the size of a stored response or transaction.
const payload = `{"householdId":"01JBENCHHOUSEHOLD0000000000","channel":1,"collector":"bench","answers":[["want","yes"],["needs","road"]],"time":"2026-11-26T03:00:00Z"}`

// A response record cut around its area (the script puts the area in), and the
// contribution of a NEEDS response answering yes and one need.
const (
	recordHead   = `{"householdId":"01JBENCHHOUSEHOLD0000000000","channel":1,"collector":"bench","answers":[["want","yes"],["needs","road"]],"area":`
	recordTail   = `,"time":"2026-11-26T03:00:00Z"}`
	contribution = `answered:needs=1,answered:want=1,opt:needs:road=1,opt:want:yes=1,responded=1,willing=1`
)

type redisResult struct {
	name     string
	rps, p50 float64
	err      error
}

var rpsLine = regexp.MustCompile(`([0-9.]+) requests per second(?:, p50=([0-9.]+) msec)?`)

// redisBench runs redis-benchmark -q against the stack's own redis-server (database 9,
// which the services do not use) with n requests from clients connections.
func redisBench(socket string, n, clients int) []redisResult {
	sha := func(script string) (string, error) {
		out, err := exec.Command("redis-cli", "-s", socket, "SCRIPT", "LOAD", script).Output()
		return strings.TrimSpace(string(out)), err
	}
	var out []redisResult
	run := func(name string, args ...string) {
		base := []string{"-s", socket, "-q", "-n", strconv.Itoa(n), "-c", strconv.Itoa(clients), "-r", "1000000", "--dbnum", "9"}
		b, err := exec.Command("redis-benchmark", append(base, args...)...).CombinedOutput()
		r := redisResult{name: name, err: err}
		if err == nil {
			// -q rewrites its progress line with \r; the last match is the final figure.
			ms := rpsLine.FindAllStringSubmatch(strings.ReplaceAll(string(b), "\r", "\n"), -1)
			if len(ms) == 0 {
				r.err = fmt.Errorf("no figure in %q", b)
			} else {
				m := ms[len(ms)-1]
				r.rps, _ = strconv.ParseFloat(m[1], 64)
				r.p50, _ = strconv.ParseFloat(m[2], 64)
			}
		}
		out = append(out, r)
	}
	run("redis:HSET", "HSET", "{b}:resp", "__rand_int__", payload)
	run("redis:HINCRBY", "HINCRBY", "{b}:stats", "yes", "1")
	run("redis:ZADD", "ZADD", "{b}:z", "__rand_int__", "m:__rand_int__")
	run("redis:HGET", "HGET", "{b}:resp", "__rand_int__")
	// The scripts' fixed keys as the services' writes find them: the survey OPEN, the
	// book there with bounds on both kinds of account it posts to.
	for _, c := range [][]string{{"HSET", "{s}:survey", "state", "OPEN"}, {"HSET", "{l}:book", "seq", "0"}, {"HSET", "{l}:bounds", "fund", "0|"}} {
		if err := exec.Command("redis-cli", append([]string{"-s", socket, "-n", "9"}, c...)...).Run(); err != nil {
			out = append(out, redisResult{name: "redis: script keys", err: err})
		}
	}
	// Random ids from a wide range, so that few request ids repeat (a repeat is a replay).
	wide := []string{"-r", "100000000"}
	if s, err := sha(surveyLikeScript); err == nil {
		run("redis:EVALSHA survey-write-like", append(wide, "EVALSHA", s, "7", "{s}:survey", "{s}:responses", "{s}:contrib", "{s}:tally", "{s}:responders", "{s}:requests", "{s}:electorate",
			"req:__rand_int__", "bodyhash", "hh:__rand_int__", recordHead, recordTail, "20261126T030000Z", contribution)...)
	} else {
		out = append(out, redisResult{name: "redis:EVALSHA survey-write-like", err: err})
	}
	if s, err := sha(ledgerLikeScript); err == nil {
		run("redis:EVALSHA ledger-post-like", append(wide, "EVALSHA", s, "12", "{l}:book", "{l}:balances", "{l}:bounds", "{l}:log", "{l}:order", "{l}:requests", "{l}:reversed", "{l}:tallies",
			"{l}:contracts", "{l}:after", "{l}:quotas", "{l}:txloc:__rand_int__",
			"req:__rand_int__", "bodyhash", "tx:__rand_int__", payload, "", "", "bookid", "hh:__rand_int__", "2", "fund", "1", "hh:__rand_int__", "-1", "0", "0")...)
	} else {
		out = append(out, redisResult{name: "redis:EVALSHA ledger-post-like", err: err})
	}
	return out
}

// cmdStats reads INFO commandstats: calls per command.
func cmdStats(socket string) map[string]int64 {
	out, err := exec.Command("redis-cli", "-s", socket, "INFO", "commandstats").Output()
	if err != nil {
		return nil
	}
	m := map[string]int64{}
	for _, line := range strings.Split(string(out), "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "calls="); ok {
				m[strings.TrimPrefix(name, "cmdstat_")], _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	return m
}

// perCall says how many Redis commands of each kind one call cost between two snapshots
// (commands run inside scripts count too), the busiest first.
func perCall(before, after map[string]int64, calls int) (total float64, detail string) {
	if calls == 0 || before == nil || after == nil {
		return 0, ""
	}
	type kv struct {
		k string
		v float64
	}
	var all []kv
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			f := float64(d) / float64(calls)
			total += f
			if f >= 0.05 {
				all = append(all, kv{k, f})
			}
		}
	}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if all[j].v > all[i].v {
				all[i], all[j] = all[j], all[i]
			}
		}
	}
	var parts []string
	for _, e := range all {
		parts = append(parts, fmt.Sprintf("%s=%.1f", e.k, e.v))
	}
	return total, strings.Join(parts, " ")
}
