package events

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The consumers' counters, by topic and group: handled, failed (to be tried again),
// retried and parked events. Parked ones need an operator.
var (
	meter         = otel.Meter("tongdu/platform/events")
	handledEvents = counter("tongdu.events.handled", "events handled and acknowledged")
	failedEvents  = counter("tongdu.events.failed", "event handlings that failed (the event is tried again)")
	retriedEvents = counter("tongdu.events.retried", "events tried again after a failure or a consumer's death")
	parkedEvents  = counter("tongdu.events.parked", "events parked after repeated failures")
	relayedEvents = counter("tongdu.events.relayed", "events moved from an outbox to their stream")
)

func counter(name, desc string) metric.Int64Counter {
	c, _ := meter.Int64Counter(name, metric.WithDescription(desc))
	return c
}

func count(ctx context.Context, c metric.Int64Counter, topic, group string) {
	if c != nil {
		c.Add(ctx, 1, metric.WithAttributes(attribute.String("topic", topic), attribute.String("group", group)))
	}
}

// How far behind the consumer groups this process runs are, by topic and group, read
// from Redis at each collection (Prometheus names through the collector:
// tongdu_events_lag, tongdu_events_pending, tongdu_events_oldest_pending_age_seconds):
//
//   - tongdu.events.lag: entries of the stream not yet delivered to the group (the lag
//     of XINFO GROUPS; Redis 7 or later, and no observation when Redis cannot tell);
//   - tongdu.events.pending: entries delivered to the group's consumers and not
//     acknowledged yet (XPENDING's count): being handled, failed and waiting for their
//     next try, or held by a consumer that died until another claims them;
//   - tongdu.events.oldest_pending_age: seconds since the oldest of those was published
//     (the time in its id), 0 when none is pending.
//
// Only the groups this process follows (Follow, while it runs) are read: two commands
// on the stream's key per group (one slot on Redis Cluster), in one round trip, within
// lagReadTimeout in all. A group that cannot be read is left out of that collection,
// with a warning.
var (
	lagGauges  sync.Once
	followedMu sync.Mutex
	followed   = map[followedGroup]*followedEntry{}
)

// lagReadTimeout bounds the Redis reads of one collection: a Redis that does not answer
// costs a scrape this long, not the client's read timeout for each group.
const lagReadTimeout = time.Second

type followedGroup struct {
	rdb          redis.UniversalClient
	topic, group string
}

type followedEntry struct {
	log  *slog.Logger
	runs int // Follow calls running for this group on this client
}

// follow counts a running Follow of topic and group among the groups whose lag this
// process reports; the returned func takes it out again.
func follow(rdb redis.UniversalClient, log *slog.Logger, topic, group string) (done func()) {
	lagGauges.Do(registerLagGauges)
	k := followedGroup{rdb: rdb, topic: topic, group: group}
	followedMu.Lock()
	defer followedMu.Unlock()
	e := followed[k]
	if e == nil {
		e = &followedEntry{log: log}
		followed[k] = e
	}
	e.runs++
	return func() {
		followedMu.Lock()
		defer followedMu.Unlock()
		if e.runs--; e.runs == 0 {
			delete(followed, k)
		}
	}
}

func registerLagGauges() {
	lag, err1 := meter.Int64ObservableGauge("tongdu.events.lag", metric.WithUnit("{event}"),
		metric.WithDescription("entries of the stream not yet delivered to the consumer group, by topic and group"))
	pending, err2 := meter.Int64ObservableGauge("tongdu.events.pending", metric.WithUnit("{event}"),
		metric.WithDescription("entries delivered to the consumer group and not acknowledged, by topic and group"))
	age, err3 := meter.Float64ObservableGauge("tongdu.events.oldest_pending_age", metric.WithUnit("s"),
		metric.WithDescription("seconds since the oldest entry pending in the consumer group was published (0: none pending), by topic and group"))
	if err := errors.Join(err1, err2, err3); err != nil {
		otel.Handle(err)
		return
	}
	_, err := meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		for _, r := range readFollowed(ctx) {
			attrs := metric.WithAttributes(attribute.String("topic", r.topic), attribute.String("group", r.group))
			if r.lag >= 0 {
				o.ObserveInt64(lag, r.lag, attrs)
			}
			o.ObserveInt64(pending, r.pending, attrs)
			o.ObserveFloat64(age, r.oldestAge, attrs)
		}
		return nil
	}, lag, pending, age)
	if err != nil {
		otel.Handle(err)
	}
}

// groupReading is what Redis said of one followed group.
type groupReading struct {
	topic, group string
	lag          int64 // -1: Redis cannot tell
	pending      int64
	oldestAge    float64
}

// readFollowed reads every followed group at once and returns the readings that came
// back within lagReadTimeout; the others are logged and left out.
func readFollowed(ctx context.Context) []groupReading {
	followedMu.Lock()
	groups := make(map[followedGroup]*slog.Logger, len(followed))
	for k, e := range followed {
		groups[k] = e.log
	}
	followedMu.Unlock()
	if len(groups) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, lagReadTimeout)
	defer cancel()
	type result struct {
		k   followedGroup
		r   groupReading
		err error
	}
	// Each read runs on its own so that the deadline holds even where the client ignores
	// contexts on a socket that hangs; a late read finishes into the buffer and is dropped.
	results := make(chan result, len(groups))
	for k := range groups {
		go func() {
			r, err := readGroup(ctx, k)
			results <- result{k, r, err}
		}()
	}
	out := make([]groupReading, 0, len(groups))
	for range groups {
		select {
		case res := <-results:
			if res.err != nil {
				groups[res.k].WarnContext(ctx, "event consumer lag not read", "topic", res.k.topic, "group", res.k.group, "cause", res.err.Error())
				continue
			}
			out = append(out, res.r)
		case <-ctx.Done():
			for k, log := range groups {
				if !readIn(out, k) {
					log.WarnContext(ctx, "event consumer lag not read", "topic", k.topic, "group", k.group, "cause", "no answer within "+lagReadTimeout.String())
				}
			}
			return out
		}
	}
	return out
}

func readIn(rs []groupReading, k followedGroup) bool {
	for _, r := range rs {
		if r.topic == k.topic && r.group == k.group {
			return true
		}
	}
	return false
}

// readGroup asks Redis for one group's lag (XINFO GROUPS) and pending entries
// (XPENDING's summary), both on the stream's key, in one round trip.
func readGroup(ctx context.Context, k followedGroup) (groupReading, error) {
	r := groupReading{topic: k.topic, group: k.group, lag: -1}
	pipe := k.rdb.Pipeline()
	infoCmd := pipe.XInfoGroups(ctx, k.topic)
	pendingCmd := pipe.XPending(ctx, k.topic, k.group)
	_, _ = pipe.Exec(ctx)
	infos, err := infoCmd.Result()
	if err != nil {
		return r, err
	}
	found := false
	for _, g := range infos {
		if g.Name == k.group {
			r.lag, found = g.Lag, true
		}
	}
	if !found {
		return r, errors.New("no such consumer group")
	}
	p, err := pendingCmd.Result()
	if err != nil {
		return r, err
	}
	r.pending = p.Count
	if p.Count > 0 {
		if at, ok := idTime(p.Lower); ok {
			r.oldestAge = max(0, time.Since(at).Seconds())
		}
	}
	return r, nil
}

// idTime is the time a stream entry was added, from its id ("<ms>-<seq>").
func idTime(id string) (time.Time, bool) {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}
