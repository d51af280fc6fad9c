package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// An outbox makes a change and its event one atomic step. The script that writes the
// change also appends the event to an outbox list kept under the record's own hash tag
// (so the script stays valid on Redis Cluster), and a relay moves the outbox's events
// to their streams afterwards. A crash between the change and the relay loses nothing
// (the event waits in the outbox), and a change that was refused publishes nothing
// (its script appended nothing).
//
// The relay must find outboxes without scanning the keyspace: before the step, the
// writer marks the outbox in an index (a sorted set, scored by time) under a member of
// its own; after the step it hands the mark to this process's relay, which drains the
// outbox and removes the mark. A writer that died between its mark and the relay leaves
// its mark behind, and the sweep (any process's relay) drains that outbox once the mark
// is older than Grace. Delivery is at least once: two relays draining one outbox at the
// same moment may both publish its head, so handlers stay idempotent as before.

// OutboxTopic names the parked stream of outbox entries that could not be read (only a
// bug writes one); it is not a stream anyone publishes to.
const OutboxTopic = "tongdu:outbox"

// outboxIndex lists the outboxes that may hold events, one member per write.
const outboxIndex = "tongdu:outbox:index"

// OutboxKey is the outbox of the record stored at recordKey: the same hash tag, so one
// script can write both. recordKey must carry a hash tag ("prj:{p:123}:project").
func OutboxKey(recordKey string) string {
	i := strings.IndexByte(recordKey, '{')
	j := -1
	if i >= 0 {
		j = strings.IndexByte(recordKey[i+1:], '}')
	}
	if j <= 0 {
		panic("events: record key without a hash tag: " + recordKey)
	}
	return "tongdu:outbox:" + recordKey[i:i+j+2]
}

// Event encodes an event for a script to append to an outbox (RPUSH outbox event).
func Event(topic string, fields map[string]string) string {
	data, err := json.Marshal(outboxEntry{ID: randomID(), Topic: topic, Fields: fields})
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return string(data)
}

type outboxEntry struct {
	ID     string            `json:"id"`
	Topic  string            `json:"topic"`
	Fields map[string]string `json:"fields"`
}

// Outbox relays the events scripts appended to outboxes. One per process.
type Outbox struct {
	rdb  redis.UniversalClient
	log  *slog.Logger
	kick chan string
	// Grace is how old a mark must be before the sweep takes it as its writer's and
	// drains the outbox (the writer died, or its relay failed). Zero: 10 s.
	Grace time.Duration
	// Every is how often the sweep runs. Zero: 1 s.
	Every time.Duration
}

// NewOutbox makes a process's outbox relay; Run must be started for events to flow.
func NewOutbox(rdb redis.UniversalClient, log *slog.Logger) *Outbox {
	return &Outbox{rdb: rdb, log: log, kick: make(chan string, 1024)}
}

// Write makes a change with its event: it marks the record's outbox, runs step (the
// script writing the change and appending the event to the outbox key it is given),
// and hands the outbox to the relay. The change stands when step succeeds, whether or
// not the event is relayed at once.
func (o *Outbox) Write(ctx context.Context, recordKey string, step func(outbox string) error) error {
	key := OutboxKey(recordKey)
	member := key + "|" + randomID()
	if err := o.rdb.ZAdd(ctx, outboxIndex, redis.Z{Score: float64(time.Now().UnixMilli()), Member: member}).Err(); err != nil {
		return err
	}
	err := step(key)
	select {
	case o.kick <- member:
	default: // the relay is busy: the sweep takes this mark after Grace
	}
	return err
}

// Run relays outboxes until ctx ends: those handed to it by writers at once, and those
// whose marks are older than Grace every Every.
func (o *Outbox) Run(ctx context.Context) {
	grace, every := o.Grace, o.Every
	if grace <= 0 {
		grace = 10 * time.Second
	}
	if every <= 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-o.kick:
			o.relay(ctx, m)
		case <-tick.C:
			o.sweep(ctx, grace)
		}
	}
}

// sweep relays the outboxes of marks older than grace.
func (o *Outbox) sweep(ctx context.Context, grace time.Duration) {
	old := strconv.FormatInt(time.Now().Add(-grace).UnixMilli(), 10)
	for ctx.Err() == nil {
		marks, err := o.rdb.ZRangeByScore(ctx, outboxIndex, &redis.ZRangeBy{Min: "-inf", Max: old, Count: 100}).Result()
		if err != nil || len(marks) == 0 {
			return
		}
		done := 0
		for _, m := range marks {
			if o.relay(ctx, m) {
				done++
			}
		}
		if done == 0 {
			return // every outbox failed: try again at the next sweep
		}
	}
}

// popHead removes an outbox's head if it is still the entry relayed (another relay
// may have taken it meanwhile).
var popHead = redis.NewScript(`
if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then redis.call('LPOP', KEYS[1]) return 1 end
return 0`)

// relay publishes an outbox's events in order and then removes the mark; it reports
// whether the outbox was drained.
func (o *Outbox) relay(ctx context.Context, member string) bool {
	key, _, _ := strings.Cut(member, "|")
	for {
		head, err := o.rdb.LIndex(ctx, key, 0).Result()
		if err == redis.Nil {
			break
		}
		if err == nil {
			err = o.publish(ctx, head)
		}
		if err == nil {
			err = popHead.Run(ctx, o.rdb, []string{key}, head).Err()
		}
		if err != nil {
			if ctx.Err() == nil {
				o.log.WarnContext(ctx, "outbox not relayed; the sweep tries again", "outbox", key, "cause", err.Error())
			}
			return false
		}
	}
	if err := o.rdb.ZRem(ctx, outboxIndex, member).Err(); err != nil {
		return false
	}
	return true
}

// publish appends an outbox entry to its stream. An entry that cannot be read is
// parked on the outbox topic's parked stream, so it cannot block the outbox.
func (o *Outbox) publish(ctx context.Context, raw string) error {
	var e outboxEntry
	if err := json.Unmarshal([]byte(raw), &e); err != nil || e.Topic == "" {
		o.log.ErrorContext(ctx, "unreadable outbox entry parked", "cause", fmt.Sprint(err))
		return o.rdb.XAdd(ctx, &redis.XAddArgs{Stream: ParkedStream(OutboxTopic), MaxLen: MaxLen, Approx: true, Values: map[string]any{"entry": raw}}).Err()
	}
	if err := Publish(ctx, o.rdb, e.Topic, e.Fields); err != nil {
		return err
	}
	count(ctx, relayedEvents, e.Topic, "outbox")
	return nil
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
