package events

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tongdu/platform/testkit"
)

// A consumer killed in the middle of an event (it never acknowledged it) does not lose
// it: another consumer of the group claims it once it has rested, and it is handled
// once, by that one.
func TestAnEventOfAKilledConsumerIsHandledOnceByAnother(t *testing.T) {
	rdb := testkit.Redis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	if err := Publish(ctx, rdb, "topic", map[string]string{"compound": "k1"}); err != nil {
		t.Fatal(err)
	}
	opt := Options{RetryAfter: 200 * time.Millisecond}

	// The first consumer takes the event and dies while handling it.
	started := make(chan struct{})
	dying, kill := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		o := opt
		o.Consumer = "pod-1"
		Follow(dying, rdb, log, "topic", "gov", func(ctx context.Context, _ string, _ map[string]string) error {
			close(started)
			<-ctx.Done() // killed mid-event
			return ctx.Err()
		}, o)
	}()
	<-started
	kill()
	<-done

	var handled atomic.Int32
	var by sync.Map
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	o := opt
	o.Consumer = "pod-2"
	go Follow(cctx, rdb, log, "topic", "gov", func(_ context.Context, id string, f map[string]string) error {
		handled.Add(1)
		by.Store(id, f["compound"])
		return nil
	}, o)
	for handled.Load() == 0 && cctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(3 * opt.RetryAfter) // time for a second (wrong) handling to show
	if n := handled.Load(); n != 1 {
		t.Fatalf("the killed consumer's event was handled %d times by the other, want once", n)
	}
	if n, _ := rdb.XPending(ctx, "topic", "gov").Result(); n.Count != 0 {
		t.Fatalf("%d events still pending", n.Count)
	}
}

// An event that keeps failing is tried again with a growing rest, then parked after
// MaxTries, and the events behind it are handled meanwhile.
func TestAFailingEventIsParkedAndDoesNotBlockTheStream(t *testing.T) {
	rdb := testkit.Redis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	for _, c := range []string{"poison", "k2", "k3"} {
		if err := Publish(ctx, rdb, RegistryTopic, map[string]string{"compound": c}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	tries, ok := 0, map[string]bool{}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	go Follow(cctx, rdb, log, RegistryTopic, "gov", func(_ context.Context, _ string, f map[string]string) error {
		mu.Lock()
		defer mu.Unlock()
		if f["compound"] == "poison" {
			tries++
			return errors.New("cannot")
		}
		ok[f["compound"]] = true
		return nil
	}, Options{Consumer: "pod-1", RetryAfter: 50 * time.Millisecond, MaxTries: 3})
	for cctx.Err() == nil {
		parked, _ := Parked(ctx, rdb, RegistryTopic, 10)
		if len(parked) == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	parked, err := Parked(ctx, rdb, RegistryTopic, 10)
	if err != nil || len(parked) != 1 || parked[0].Values["field.compound"] != "poison" {
		t.Fatalf("parked %v (%v), want the poison event", parked, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if tries != 3 || !ok["k2"] || !ok["k3"] {
		t.Fatalf("poison tried %d times (want 3), handled %v (want k2 and k3)", tries, ok)
	}
	if n, _ := rdb.XPending(ctx, RegistryTopic, "gov").Result(); n.Count != 0 {
		t.Fatalf("%d events still pending after parking", n.Count)
	}

	// The operator's listing shows it, with the group that gave up on it.
	rec := httptest.NewRecorder()
	ParkedList(rdb).ServeHTTP(rec, httptest.NewRequest("GET", "/debug/events/parked", nil))
	var page struct{ Parked []ParkedEvent }
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || rec.Code != 200 {
		t.Fatalf("listing: %d %s", rec.Code, rec.Body)
	}
	if len(page.Parked) != 1 || page.Parked[0].Topic != RegistryTopic || page.Parked[0].Fields["group"] != "gov" || page.Parked[0].Fields["field.compound"] != "poison" {
		t.Fatalf("listing %+v, want the poison event of group gov", page.Parked)
	}
	rec = httptest.NewRecorder()
	ParkedList(rdb).ServeHTTP(rec, httptest.NewRequest("GET", "/debug/events/parked?topic=nope", nil))
	if rec.Code != 400 {
		t.Fatalf("unknown topic: %d, want 400", rec.Code)
	}
}
