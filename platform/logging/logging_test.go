package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestRecordsCarryTraceAndSpanIDs(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "governance", slog.LevelInfo)
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5}, TraceFlags: trace.FlagsSampled,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	log.With("k", "v").InfoContext(ctx, "hello")

	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["trace_id"] != sc.TraceID().String() || rec["span_id"] != sc.SpanID().String() {
		t.Fatalf("ids missing: %v", rec)
	}
	if rec["service"] != "governance" || rec["k"] != "v" {
		t.Fatalf("attrs missing: %v", rec)
	}
}
