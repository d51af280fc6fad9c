package events

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"tongdu/platform/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// An event whose handling failed, or that was read by a consumer that then stopped, is
// handled again when the consumer starts again: a restart loses nothing.
func TestUnacknowledgedEventsAreHandledAfterARestart(t *testing.T) {
	rdb := testkit.Redis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	for _, c := range []string{"a", "b", "c"} {
		if err := Publish(ctx, rdb, "topic", map[string]string{"compound": c}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	run := func(failOn string) {
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			Follow(cctx, rdb, log, "topic", "gov", func(_ context.Context, _ string, f map[string]string) error {
				mu.Lock()
				defer mu.Unlock()
				seen[f["compound"]]++
				if f["compound"] == failOn {
					return errors.New("not now")
				}
				return nil
			}, Options{Consumer: "gov-1"})
			close(done)
		}()
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			n := len(seen)
			mu.Unlock()
			if n == 3 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
	}
	run("b") // b fails: it stays pending
	mu.Lock()
	seen = map[string]int{}
	mu.Unlock()
	// The second run sees only b again, from the pending list, and handles it.
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	got := make(chan string, 10)
	go Follow(cctx, rdb, log, "topic", "gov", func(_ context.Context, _ string, f map[string]string) error {
		got <- f["compound"]
		return nil
	}, Options{Consumer: "gov-1"})
	select {
	case c := <-got:
		if c != "b" {
			t.Fatalf("after restart handled %q first, want the pending b", c)
		}
	case <-cctx.Done():
		t.Fatal("the pending event was not handled after the restart")
	}
	if n, err := rdb.XPending(ctx, "topic", "gov").Result(); err == nil && n.Count != 0 {
		time.Sleep(100 * time.Millisecond)
		if n, _ := rdb.XPending(ctx, "topic", "gov").Result(); n.Count != 0 {
			t.Fatalf("%d events still pending", n.Count)
		}
	}
}
