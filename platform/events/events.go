// Package events carries facts one service tells another without waiting for it: a
// Redis stream per topic, read by a consumer group. A consumer acknowledges an event only
// after handling it, and on start it first handles what it read before and never
// acknowledged, so a restart loses no event. Handlers must be idempotent: an event may be
// handled twice when a consumer stops between handling and acknowledging.
package events

import (
	"context"
	"errors"
	"log/slog"
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

// Consume reads a topic as one consumer of a group until ctx ends: first the events this
// consumer read before and did not acknowledge, then new ones.
func Consume(ctx context.Context, rdb redis.UniversalClient, log *slog.Logger, topic, group, consumer string, handle Handler) {
	if err := rdb.XGroupCreateMkStream(ctx, topic, group, "0").Err(); err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		log.WarnContext(ctx, "event group not created", "topic", topic, "cause", err.Error())
	}
	from := "0" // pending first
	for ctx.Err() == nil {
		streams, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: consumer, Streams: []string{topic, from}, Count: 100, Block: 2 * time.Second,
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
				fields := make(map[string]string, len(m.Values))
				for k, v := range m.Values {
					fields[k], _ = v.(string)
				}
				if err := handle(ctx, m.ID, fields); err != nil {
					log.WarnContext(ctx, "event not handled; kept for the next start", "topic", topic, "event", m.ID, "cause", err.Error())
					continue
				}
				if err := rdb.XAck(ctx, topic, group, m.ID).Err(); err != nil {
					log.WarnContext(ctx, "event not acknowledged", "topic", topic, "event", m.ID, "cause", err.Error())
				}
			}
		}
		if from == "0" && n == 0 {
			from = ">" // the backlog is done: now new events
		}
	}
}
