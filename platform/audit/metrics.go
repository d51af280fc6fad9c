package audit

import (
	"context"
	"errors"
	"sync"
	"weak"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// The spool's fill, for the alert that reads entries / capacity (Prometheus names
// through the collector: tongdu_audit_spool_entries, tongdu_audit_spool_capacity):
//
//   - tongdu.audit.spool.entries: the entries waiting in the spool (Spool.Len);
//   - tongdu.audit.spool.capacity: how many it may hold (the max of OpenSpool,
//     SpoolMax in the binaries), beyond which changes are refused.
//
// A process has one spool; were several open, both figures are their sums. A spool is
// reported from OpenSpool for as long as the process holds it, without labels: its path
// would tell /metrics' readers where the data dir is. A process that opened none (the
// gateway) reports nothing.
var (
	meter       = otel.Meter("tongdu/platform/audit")
	spoolGauges sync.Once
	spoolsMu    sync.Mutex
	spools      = map[string]weak.Pointer[Spool]{} // by file: a reopened file counts once
)

// observe adds s to the spools the gauges report.
func observe(s *Spool) {
	spoolGauges.Do(registerSpoolGauges)
	spoolsMu.Lock()
	defer spoolsMu.Unlock()
	spools[s.path] = weak.Make(s)
}

func registerSpoolGauges() {
	entries, err1 := meter.Int64ObservableGauge("tongdu.audit.spool.entries", metric.WithUnit("{entry}"),
		metric.WithDescription("audit entries waiting in the spool on disk for Redis"))
	capacity, err2 := meter.Int64ObservableGauge("tongdu.audit.spool.capacity", metric.WithUnit("{entry}"),
		metric.WithDescription("audit entries the spool may hold before changes are refused"))
	if err := errors.Join(err1, err2); err != nil {
		otel.Handle(err)
		return
	}
	_, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		spoolsMu.Lock()
		defer spoolsMu.Unlock()
		var n, capacitySum int64
		open := false
		for path, p := range spools {
			s := p.Value()
			if s == nil {
				delete(spools, path) // nothing holds it any more
				continue
			}
			open = true
			n += s.waiting.Load()
			capacitySum += int64(s.max)
		}
		if open {
			o.ObserveInt64(entries, n)
			o.ObserveInt64(capacity, capacitySum)
		}
		return nil
	}, entries, capacity)
	if err != nil {
		otel.Handle(err)
	}
}
