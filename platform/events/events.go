// Package events carries facts one service tells another without waiting for it: a
// Redis stream per topic, read by a consumer group, one consumer per process. A consumer
// acknowledges an event only after handling it; what a consumer left unacknowledged (it
// failed, or died) is tried again after a rest, by whichever consumer claims it, and an
// event that keeps failing is parked aside so the stream goes on. Handlers must be
// idempotent: an event may be handled twice when a consumer stops between handling and
// acknowledging.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// CompoundTopic is the stream of facts about compounds' renovation that the survey and
// projects services publish and governance follows (a compound's status).
const CompoundTopic = "tongdu:events:compound"

// RegistryTopic is the stream of changes to the registry's facts behind the priority
// ranking (rule 4: facilities assessed, households added, a compound classified or its
// status moved), published by governance and followed by the survey service, so the
// ranking moves within its usual delay whichever service the change happened in.
const RegistryTopic = "tongdu:events:registry"

// MaxLen bounds a stream; events are handled within seconds, so the oldest thousands are
// history nobody reads.
const MaxLen = 100_000

// Publish appends an event to a topic.
func Publish(ctx context.Context, rdb redis.UniversalClient, topic string, fields map[string]string) error {
	values := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		values = append(values, k, v)
	}
	return rdb.XAdd(ctx, &redis.XAddArgs{Stream: topic, MaxLen: MaxLen, Approx: true, Values: values}).Err()
}

// Handler handles one event; an error leaves the event unacknowledged, to be handled
// again on the consumer's next start.
type Handler func(ctx context.Context, id string, fields map[string]string) error

// Options tune how a consumer retries.
type Options struct {
	// Consumer names this consumer within its group; empty: ConsumerName(group), one
	// name per process, as each pod of a service must have its own.
	Consumer string
	// RetryAfter is how long an unacknowledged event rests before it is tried again (by
	// this consumer after a failure, or by another when its consumer died); it doubles
	// with each try. Zero: 5 s.
	RetryAfter time.Duration
	// MaxTries is how many times an event is tried before it is parked (moved to the
	// topic's parked stream, out of the way of the events behind it). Zero: 10.
	MaxTries int64
}

// ConsumerName is the name of this process's consumer in group: the group, the host and
// the process id, so two replicas never share a pending list.
func ConsumerName(group string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s:%d", group, host, os.Getpid())
}

// ParkedStream is where a topic's events that kept failing are kept for an operator.
func ParkedStream(topic string) string { return topic + ":parked" }

// Follow reads a topic as one consumer of a group until ctx ends: first the events this
// consumer read before and did not acknowledge, then new ones. An event whose handler
// fails stays pending and is tried again after RetryAfter (doubling); events pending
// with a consumer that died are claimed (XCLAIM) by a live one after RetryAfter; an event
// tried MaxTries times is parked and acknowledged, so it cannot block the stream.
func Follow(ctx context.Context, rdb redis.UniversalClient, log *slog.Logger, topic, group string, handle Handler, opt Options) {
	if opt.Consumer == "" {
		opt.Consumer = ConsumerName(group)
	}
	if opt.RetryAfter <= 0 {
		opt.RetryAfter = 5 * time.Second
	}
	if opt.MaxTries <= 0 {
		opt.MaxTries = 10
	}
	f := &follower{rdb: rdb, log: log, topic: topic, group: group, handle: handle, opt: opt}
	defer follow(rdb, log, topic, group)() // its lag is reported while it runs (metrics.go)
	if err := rdb.XGroupCreateMkStream(ctx, topic, group, "0").Err(); err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		log.WarnContext(ctx, "event group not created", "topic", topic, "cause", err.Error())
	}
	from := "0" // this consumer's pending first
	block := min(2*time.Second, opt.RetryAfter)
	lastReclaim := time.Now()
	for ctx.Err() == nil {
		if time.Since(lastReclaim) >= opt.RetryAfter/2 {
			f.reclaim(ctx)
			lastReclaim = time.Now()
		}
		streams, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: opt.Consumer, Streams: []string{topic, from}, Count: 100, Block: block,
		}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			if strings.Contains(err.Error(), "NOGROUP") {
				_ = rdb.XGroupCreateMkStream(ctx, topic, group, "0").Err()
			}
			log.WarnContext(ctx, "events not read", "topic", topic, "cause", err.Error())
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		n := 0
		for _, s := range streams {
			for _, m := range s.Messages {
				n++
				f.run(ctx, m)
			}
		}
		if from == "0" && n == 0 {
			from = ">" // the backlog is done: now new events
		}
	}
}

type follower struct {
	rdb    redis.UniversalClient
	log    *slog.Logger
	topic  string
	group  string
	handle Handler
	opt    Options
}

// run handles one event and acknowledges it when handled.
func (f *follower) run(ctx context.Context, m redis.XMessage) {
	fields := make(map[string]string, len(m.Values))
	for k, v := range m.Values {
		fields[k], _ = v.(string)
	}
	if err := f.handle(ctx, m.ID, fields); err != nil {
		if ctx.Err() == nil {
			f.log.WarnContext(ctx, "event not handled; it will be tried again", "topic", f.topic, "event", m.ID, "cause", err.Error())
			count(ctx, failedEvents, f.topic, f.group)
		}
		return
	}
	count(ctx, handledEvents, f.topic, f.group)
	if err := f.rdb.XAck(ctx, f.topic, f.group, m.ID).Err(); err != nil {
		f.log.WarnContext(ctx, "event not acknowledged", "topic", f.topic, "event", m.ID, "cause", err.Error())
	}
}

// reclaim tries again the group's events that have rested long enough (whichever
// consumer holds them, this one included) and parks those tried too often.
func (f *follower) reclaim(ctx context.Context) {
	pending, err := f.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: f.topic, Group: f.group, Start: "-", End: "+", Count: 100, Idle: f.opt.RetryAfter,
	}).Result()
	if err != nil {
		return
	}
	for _, p := range pending {
		// Each try doubles the rest before the next (RetryCount counts deliveries).
		rest := f.opt.RetryAfter << min(max(p.RetryCount-1, 0), 6)
		if p.Idle < rest {
			continue
		}
		msgs, err := f.rdb.XClaim(ctx, &redis.XClaimArgs{
			Stream: f.topic, Group: f.group, Consumer: f.opt.Consumer, MinIdle: rest, Messages: []string{p.ID},
		}).Result()
		if err != nil || len(msgs) == 0 {
			continue // another consumer took it first, or it was acknowledged meanwhile
		}
		if p.RetryCount >= f.opt.MaxTries {
			f.park(ctx, msgs[0], p.RetryCount)
			continue
		}
		count(ctx, retriedEvents, f.topic, f.group)
		f.run(ctx, msgs[0])
	}
}

// park moves an event that kept failing to the topic's parked stream, with where it came
// from, and acknowledges it: the events behind it go on.
func (f *follower) park(ctx context.Context, m redis.XMessage, tries int64) {
	values := map[string]any{"event": m.ID, "group": f.group, "tries": tries, "parkedAt": time.Now().UTC().Format(time.RFC3339)}
	for k, v := range m.Values {
		values["field."+k] = v
	}
	if err := f.rdb.XAdd(ctx, &redis.XAddArgs{Stream: ParkedStream(f.topic), MaxLen: MaxLen, Approx: true, Values: values}).Err(); err != nil {
		f.log.WarnContext(ctx, "event not parked", "topic", f.topic, "event", m.ID, "cause", err.Error())
		return
	}
	_ = f.rdb.XAck(ctx, f.topic, f.group, m.ID).Err()
	count(ctx, parkedEvents, f.topic, f.group)
	f.log.ErrorContext(ctx, "event parked after repeated failures", "topic", f.topic, "group", f.group, "event", m.ID, "tries", tries)
}

// Parked lists up to n parked events of a topic, oldest first (for operators).
func Parked(ctx context.Context, rdb redis.UniversalClient, topic string, n int64) ([]redis.XMessage, error) {
	return rdb.XRangeN(ctx, ParkedStream(topic), "-", "+", n).Result()
}
