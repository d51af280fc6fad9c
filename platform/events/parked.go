package events

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Topics are the streams Tongdu publishes, and OutboxTopic; an operator's listing and
// gauge of parked events cover them all.
var Topics = []string{CompoundTopic, RegistryTopic, OutboxTopic}

// ParkedEvent is a parked event as an operator reads it.
type ParkedEvent struct {
	Topic  string            `json:"topic"`
	ID     string            `json:"id"`
	Fields map[string]string `json:"fields"`
}

// ParkedList answers GET with the parked events of every topic (or of ?topic=), oldest
// first, at most ?limit= per topic (default 100, at most 1000), as JSON. Events carry
// ids and facts, never a resident's personal data, so the listing may go to an
// operators' port; it reads streams an operator must act on, so it is not cached.
func ParkedList(rdb redis.UniversalClient) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		topics := Topics
		if t := r.URL.Query().Get("topic"); t != "" {
			topics = []string{t}
		}
		limit := int64(100)
		if s := r.URL.Query().Get("limit"); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 1 || n > 1000 {
				http.Error(w, "limit: a number from 1 to 1000", http.StatusBadRequest)
				return
			}
			limit = n
		}
		out := struct {
			Parked []ParkedEvent `json:"parked"`
		}{Parked: []ParkedEvent{}}
		for _, t := range topics {
			if !known(t) {
				http.Error(w, "topic: not one of "+strings.Join(Topics, ", "), http.StatusBadRequest)
				return
			}
			msgs, err := Parked(r.Context(), rdb, t, limit)
			if err != nil {
				http.Error(w, "the store is unavailable", http.StatusServiceUnavailable)
				return
			}
			for _, m := range msgs {
				e := ParkedEvent{Topic: t, ID: m.ID, Fields: make(map[string]string, len(m.Values))}
				for k, v := range m.Values {
					e.Fields[k], _ = v.(string)
				}
				out.Parked = append(out.Parked, e)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

func known(topic string) bool {
	for _, t := range Topics {
		if t == topic {
			return true
		}
	}
	return false
}

// ObserveParked reports how many events wait parked per topic as the gauge
// tongdu.events.parked.waiting, read from the streams at each scrape (a few XLEN), so
// an alert fires on what waits whichever process parked it.
func ObserveParked(rdb redis.UniversalClient) error {
	_, err := meter.Int64ObservableGauge("tongdu.events.parked.waiting",
		metric.WithDescription("parked events waiting for an operator, by topic"),
		metric.WithInt64Callback(func(ctx context.Context, o metric.Int64Observer) error {
			for _, t := range Topics {
				n, err := rdb.XLen(ctx, ParkedStream(t)).Result()
				if err != nil {
					return err
				}
				o.Observe(n, metric.WithAttributes(attribute.String("topic", t)))
			}
			return nil
		}))
	return err
}
