package main

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Two scripts shaped like the services' atomic writes (same kinds and counts of
// commands on keys of one hash slot), run by redis-benchmark with EVALSHA.
const surveyLikeScript = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if prev then return prev end
local state = redis.call('HGET', KEYS[2], 'state')
local old = redis.call('HGET', KEYS[3], ARGV[1])
if old then redis.call('HINCRBY', KEYS[2], 'yes', -1) end
redis.call('HINCRBY', KEYS[2], 'yes', 1)
redis.call('HINCRBY', KEYS[2], 'road', 1)
redis.call('HINCRBY', KEYS[2], 'responses', 1)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[5], 0, ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], 'resp|' .. ARGV[1])
redis.call('EXPIRE', KEYS[1], 604800)
return 'OK'`

const ledgerLikeScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('HSET', KEYS[1], 'seq', 0) end
local prev = redis.call('HGET', KEYS[6], ARGV[1])
if prev then return prev end
local a = tonumber(redis.call('HGET', KEYS[2], 'fund') or '0')
local b = tonumber(redis.call('HGET', KEYS[2], 'hh:' .. ARGV[1]) or '0')
local bound = redis.call('HGET', KEYS[3], 'fund')
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HINCRBY', KEYS[2], 'fund', 1)
redis.call('HINCRBY', KEYS[2], 'hh:' .. ARGV[1], -1)
local s = 'fund=' .. redis.call('HGET', KEYS[2], 'fund') .. '\nhh=' .. redis.call('HGET', KEYS[2], 'hh:' .. ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[5], seq, ARGV[1])
redis.call('HSET', KEYS[6], ARGV[1], 'tx|' .. ARGV[1])
redis.call('HSET', KEYS[7], ARGV[1], s)
redis.call('HINCRBY', KEYS[8], 'contributions', 1)
redis.call('HINCRBY', KEYS[8], 'collected', 1)
return seq`

// A payload about the size of a stored response or transaction.
const payload = `{"householdId":"01JBENCHHOUSEHOLD0000000000","channel":1,"collector":"bench","answers":[["want","yes"],["needs","road"]],"time":"2026-11-26T03:00:00Z"}`

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
	if s, err := sha(surveyLikeScript); err == nil {
		run("redis:EVALSHA survey-write-like", "EVALSHA", s, "5", "{s}:idem", "{s}:stats", "{s}:contrib", "{s}:resp", "{s}:order", "__rand_int__", payload)
	} else {
		out = append(out, redisResult{name: "redis:EVALSHA survey-write-like", err: err})
	}
	if s, err := sha(ledgerLikeScript); err == nil {
		run("redis:EVALSHA ledger-post-like", "EVALSHA", s, "8", "{l}:book", "{l}:bal", "{l}:bounds", "{l}:tx", "{l}:log", "{l}:idem", "{l}:snap", "{l}:coll", "__rand_int__", payload)
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
