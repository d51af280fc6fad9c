package audit

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// trail appends the interceptor's entries with group commit: an entry that arrives while
// the trail is writing others waits for the next write, which takes every entry waiting
// in one pipelined round trip. A change still returns only once its entry is in Redis
// (or in the spool), as with one write per change; under load, concurrent changes share
// the round trip instead of each paying for its own, which was a second Redis round trip
// beside the change's own step. An idle trail adds no delay: the first entry is written
// at once.
type trail struct {
	rdb   redis.UniversalClient
	spool *Spool

	mu      sync.Mutex
	waiting []*pendingEntry
	writing bool // a writer goroutine is running; it ends when nothing waits
}

type pendingEntry struct {
	stream string
	values map[string]any
	done   chan error
}

// record appends an entry and waits until it is written.
func (t *trail) record(stream string, values map[string]any) error {
	p := &pendingEntry{stream: stream, values: values, done: make(chan error, 1)}
	t.mu.Lock()
	t.waiting = append(t.waiting, p)
	if !t.writing {
		t.writing = true
		go t.write()
	}
	t.mu.Unlock()
	return <-p.done
}

// write writes what waits, again and again, until nothing does. The entries outlive the
// calls that made them (a cancelled call's change happened), hence no caller's context.
func (t *trail) write() {
	ctx := context.Background()
	for {
		t.mu.Lock()
		batch := t.waiting
		t.waiting = nil
		if len(batch) == 0 {
			t.writing = false
			t.mu.Unlock()
			return
		}
		t.mu.Unlock()
		cmds := make([]*redis.StringCmd, len(batch))
		_, _ = t.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, e := range batch {
				cmds[i] = p.XAdd(ctx, &redis.XAddArgs{Stream: e.stream, MaxLen: MaxLen, Approx: true, Values: e.values})
			}
			return nil
		})
		for i, e := range batch {
			err := cmds[i].Err()
			if err != nil && t.spool != nil {
				err = t.spool.Add(e.stream, e.values)
			}
			e.done <- err
		}
	}
}
