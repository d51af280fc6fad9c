package events

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/testkit"
)

// writeWithEvent is a record's write as the services make it: the change and its event
// in one script, or neither when the record moved on (revision check).
var writeWithEvent = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'rev') ~= ARGV[1] then return -2 end
redis.call('HSET', KEYS[1], 'data', ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[3])
return redis.call('HINCRBY', KEYS[1], 'rev', 1)`)

func write(ctx context.Context, o *Outbox, rdb redis.UniversalClient, rev, data string) error {
	const rec = "prj:{p:1}:project"
	return o.Write(ctx, rec, func(outbox string) error {
		return writeWithEvent.Run(ctx, rdb, []string{rec, outbox}, rev, data,
			Event("topic", map[string]string{"project": "1", "data": data})).Err()
	})
}

func streamLen(t *testing.T, rdb redis.UniversalClient) []redis.XMessage {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), "topic", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5 s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A change and its event are one step: the event reaches the stream through the relay,
// and a change the script refused publishes nothing.
func TestAnEventIsPublishedOnlyWithItsChange(t *testing.T) {
	rdb := testkit.Redis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rdb.HSet(ctx, "prj:{p:1}:project", "rev", "1")
	o := NewOutbox(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go o.Run(ctx)

	if err := write(ctx, o, rdb, "1", "moved"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the change's event published", func() bool { return len(streamLen(t, rdb)) == 1 })
	if err := write(ctx, o, rdb, "1", "stale"); err != nil { // revision 1 is gone: refused
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if msgs := streamLen(t, rdb); len(msgs) != 1 || msgs[0].Values["data"] != "moved" {
		t.Fatalf("stream %v, want the one change that happened", msgs)
	}
	eventually(t, "marks removed", func() bool { return rdb.ZCard(ctx, outboxIndex).Val() == 0 })
}

// A writer that dies between its change and the relay loses no event: another
// process's sweep finds the mark once it is older than Grace and publishes the event,
// once.
func TestAnEventOfAWriterThatDiedIsRelayedBySomeoneElse(t *testing.T) {
	rdb := testkit.Redis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rdb.HSet(ctx, "prj:{p:1}:project", "rev", "1")

	dead := NewOutbox(rdb, log) // its relay never runs: the process died after the write
	if err := write(ctx, dead, rdb, "1", "moved"); err != nil {
		t.Fatal(err)
	}
	if n := len(streamLen(t, rdb)); n != 0 {
		t.Fatalf("%d events before any relay ran", n)
	}
	if n := rdb.LLen(ctx, OutboxKey("prj:{p:1}:project")).Val(); n != 1 {
		t.Fatalf("outbox holds %d events, want the change's one", n)
	}

	other := NewOutbox(rdb, log)
	other.Grace, other.Every = 300*time.Millisecond, 50*time.Millisecond
	go other.Run(ctx)
	eventually(t, "the dead writer's event relayed", func() bool { return len(streamLen(t, rdb)) == 1 })
	eventually(t, "its mark removed", func() bool { return rdb.ZCard(ctx, outboxIndex).Val() == 0 })
	time.Sleep(300 * time.Millisecond)
	if n := len(streamLen(t, rdb)); n != 1 {
		t.Fatalf("%d events, want 1", n)
	}
}

func TestOutboxKeySharesTheRecordsHashTag(t *testing.T) {
	if got := OutboxKey("prj:{p:1}:project"); got != "tongdu:outbox:{p:1}" {
		t.Fatalf("got %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a key without a hash tag was accepted")
		}
	}()
	OutboxKey("prj:p1:project")
}
