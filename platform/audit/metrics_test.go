package audit_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"tongdu/platform/audit"
	"tongdu/platform/testkit"
)

// The process's meter provider for the tests: an in-memory reader, and the Prometheus
// exporter /metrics uses, whose names the alerts read (deploy/prometheus/rules).
var reader, _ = testkit.Metrics()

// fill is what the spool gauges report: entries and capacity, or none.
type fill struct {
	entries, capacity int64
	reported          bool
}

func spoolFill(t *testing.T) fill {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var f fill
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			g, ok := m.Data.(metricdata.Gauge[int64])
			if !ok || len(g.DataPoints) != 1 {
				continue
			}
			switch m.Name {
			case "tongdu.audit.spool.entries":
				f.entries, f.reported = g.DataPoints[0].Value, true
			case "tongdu.audit.spool.capacity":
				f.capacity = g.DataPoints[0].Value
			}
		}
	}
	return f
}

// The spool's gauges follow it: its capacity from the start, the entries as they are
// spooled and drained, what a restart finds on disk (counted once), and nothing once
// the process holds no spool. They have the names the alert reads.
func TestSpoolGaugesFollowTheSpool(t *testing.T) {
	runtime.GC() // other tests' spools, no longer held, are not reported
	base := spoolFill(t)
	want := func(what string, entries, capacity int64) {
		t.Helper()
		got := spoolFill(t)
		exp := fill{base.entries + entries, base.capacity + capacity, true}
		if got != exp {
			t.Errorf("%s: %+v, want %+v", what, got, exp)
		}
	}
	dir := t.TempDir()
	spool, err := audit.OpenSpool(dir, 5)
	if err != nil {
		t.Fatal(err)
	}
	want("empty", 0, 5)
	for i := range 3 {
		if err := spool.Add("audit:{finance}", map[string]any{"resource": fmt.Sprint("projects/P", i)}); err != nil {
			t.Fatal(err)
		}
	}
	want("3 spooled", 3, 5)
	assertPrometheusNames(t)

	// A restart finds the 3 on disk; the file is counted once.
	spool, err = audit.OpenSpool(dir, 5)
	if err != nil || spool.Len() != 3 {
		t.Fatalf("reopened: %d waiting (%v)", spool.Len(), err)
	}
	runtime.GC()
	want("reopened", 3, 5)
	if err := spool.Add("audit:{finance}", map[string]any{"resource": "projects/P3"}); err != nil {
		t.Fatal(err)
	}
	want("one more", 4, 5)

	if n, err := spool.Drain(context.Background(), testkit.Redis(t)); err != nil || n != 4 {
		t.Fatalf("drained %d (%v), want 4", n, err)
	}
	want("drained", 0, 5)

	runtime.KeepAlive(spool)
	spool = nil
	runtime.GC()
	if got := spoolFill(t); got != base {
		t.Errorf("with the spool dropped: %+v, want %+v", got, base)
	}
}

func assertPrometheusNames(t *testing.T) {
	t.Helper()
	testkit.WantPrometheusNames(t, nil, "tongdu_audit_spool_entries", "tongdu_audit_spool_capacity")
}
