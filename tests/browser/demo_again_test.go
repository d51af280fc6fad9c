package browser

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/redisconn"
)

// demoLoadedAgainChangesNothing holds the demo loader to its promise (`tongdu demo`
// run on a district that has it changes nothing): once the district is at rest (the
// events of the first run handled), a second run says it is loaded already and leaves
// every key of the database as it was, byte for byte.
func (s *site) demoLoadedAgainChangesNothing(first string) {
	s.t.Helper()
	before := s.atRest()
	again := s.loadDemo()
	if !again.AlreadyLoaded || again.DistrictID != first {
		s.t.Errorf("second run: already loaded %v, district %s (the first %s)", again.AlreadyLoaded, again.DistrictID, first)
	}
	time.Sleep(time.Second) // whatever the second run might have set off
	after := s.atRest()
	var changed []string
	for k, v := range after {
		if w, ok := before[k]; !ok || w != v {
			changed = append(changed, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			changed = append(changed, k+" (deleted)")
		}
	}
	if len(changed) > 0 {
		slices.Sort(changed)
		s.t.Errorf("the second run of the demo loader changed %d of %d keys, e.g. %v", len(changed), len(before), changed[:min(10, len(changed))])
	}
}

// atRest waits until two readings of the database a second apart are the same (the
// services' event consumers done) and returns it: each key with a digest of its value.
func (s *site) atRest() map[string][32]byte {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rdb, err := redisconn.Open(ctx, s.redisURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		s.t.Fatal(err)
	}
	defer rdb.Close()
	read := func() map[string][32]byte {
		var keys []string
		it := rdb.Scan(ctx, 0, "*", 1000).Iterator()
		for it.Next(ctx) {
			keys = append(keys, it.Val())
		}
		if err := it.Err(); err != nil {
			s.t.Fatal(err)
		}
		out := make(map[string][32]byte, len(keys))
		for chunk := range slices.Chunk(keys, 1000) {
			pipe := rdb.Pipeline()
			for _, k := range chunk {
				pipe.Dump(ctx, k)
			}
			cmds, _ := pipe.Exec(ctx) // a key expired meanwhile answers nil
			for i, c := range cmds {
				out[chunk[i]] = sha256.Sum256([]byte(c.(*redis.StringCmd).Val()))
			}
		}
		return out
	}
	prev := read()
	for {
		time.Sleep(time.Second)
		cur := read()
		if maps.Equal(prev, cur) {
			return cur
		}
		if ctx.Err() != nil {
			s.t.Fatalf("the database did not come to rest within a minute")
		}
		prev = cur
	}
}
