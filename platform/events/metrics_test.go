package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"tongdu/platform/testkit"
)

// The process's meter provider for the tests: an in-memory reader, and the Prometheus
// exporter /metrics uses, whose names the alerts read (deploy/prometheus/rules).
var reader, _ = testkit.Metrics()

// gauges collects once and returns the values of the gauges named, for topic and
// group; a gauge with no point for them is missing from the map.
func gauges(t *testing.T, topic, group string) map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	want := attribute.NewSet(attribute.String("topic", topic), attribute.String("group", group))
	out := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					if p.Attributes.Equals(&want) {
						out[m.Name] = float64(p.Value)
					}
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					if p.Attributes.Equals(&want) {
						out[m.Name] = p.Value
					}
				}
			}
		}
	}
	return out
}

// A group this process follows reports how far it is behind: events published after
// its consumer got stuck in a handler (lag), events delivered and not acknowledged,
// one failed and one being handled (pending), and how long the oldest of those has
// waited since it was published. Another group on the same stream, which the process
// does not run, is not reported; once everything is handled the figures are 0; once
// the consumer stops, its group is no longer reported.
func TestConsumerLagPendingAndOldestPendingAge(t *testing.T) {
	rdb := testkit.Redis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	const topic, group = "tongdu:events:lagtest", "gov"
	publish := func(names ...string) {
		t.Helper()
		for _, n := range names {
			if err := Publish(ctx, rdb, topic, map[string]string{"compound": n}); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish("a", "b", "c", "d", "e")
	if err := rdb.XGroupCreate(ctx, topic, "elsewhere", "0").Err(); err != nil {
		t.Fatal(err)
	}

	inE, releaseE := make(chan struct{}), make(chan struct{})
	var handled sync.Map
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Follow(cctx, rdb, log, topic, group, func(ctx context.Context, _ string, f map[string]string) error {
			switch f["compound"] {
			case "d":
				return errors.New("not now") // pending, not tried again within the test
			case "e":
				close(inE)
				select { // still being handled: pending too
				case <-releaseE:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			handled.Store(f["compound"], true)
			return nil
		}, Options{Consumer: "pod-1", RetryAfter: time.Hour})
	}()
	defer func() { cancel(); <-done }()
	select {
	case <-inE:
	case <-time.After(5 * time.Second):
		t.Fatal("the consumer never reached e")
	}
	publish("f", "g", "h") // not delivered: the consumer is busy with e
	msgs, err := rdb.XRange(ctx, topic, "-", "+").Result()
	if err != nil || len(msgs) != 8 {
		t.Fatalf("stream: %d entries (%v)", len(msgs), err)
	}
	published, _ := idTime(msgs[3].ID)  // d, the oldest pending
	time.Sleep(1100 * time.Millisecond) // an age of a second or more

	before := time.Now()
	got := gauges(t, topic, group)
	after := time.Now()
	if got["tongdu.events.lag"] != 3 || got["tongdu.events.pending"] != 2 {
		t.Errorf("lag %v and pending %v, want 3 (f, g, h) and 2 (d failed, e in hand); all: %v",
			got["tongdu.events.lag"], got["tongdu.events.pending"], got)
	}
	age, ok := got["tongdu.events.oldest_pending_age"]
	lo, hi := before.Sub(published).Seconds(), after.Sub(published).Seconds()
	if !ok || age < lo || age > hi {
		t.Errorf("oldest pending age %v (reported: %v), want between %.3f and %.3f s (since d was published)", age, ok, lo, hi)
	}
	if other := gauges(t, topic, "elsewhere"); len(other) != 0 {
		t.Errorf("a group this process does not run is reported: %v", other)
	}
	assertPrometheusNames(t, topic, group)

	// e is handled, then f, g and h; d is handled by hand: nothing waits.
	close(releaseE)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, ok := handled.Load("h"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("f, g and h were not handled")
		}
	}
	if err := rdb.XAck(ctx, topic, group, msgs[3].ID).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got = gauges(t, topic, group)
		if got["tongdu.events.pending"] == 0 || time.Now().After(deadline) {
			break // h is acknowledged just after its handler returns
		}
	}
	want := map[string]float64{"tongdu.events.lag": 0, "tongdu.events.pending": 0, "tongdu.events.oldest_pending_age": 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("with nothing waiting: %v, want %v", got, want)
	}

	cancel()
	<-done
	if got := gauges(t, topic, group); len(got) != 0 {
		t.Errorf("a group no consumer of this process runs any more is reported: %v", got)
	}
}

// assertPrometheusNames checks the names the gauges have in the Prometheus format,
// which are those the alerts read.
func assertPrometheusNames(t *testing.T, topic, group string) {
	t.Helper()
	testkit.WantPrometheusNames(t, map[string]string{"topic": topic, "group": group},
		"tongdu_events_lag", "tongdu_events_pending", "tongdu_events_oldest_pending_age_seconds")
}
