package events

import (
	"context"

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
