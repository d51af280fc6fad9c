package governance

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// watchOverdue reports the number of overdue whistles (rule 11: a department that
// misses its limit to acknowledge or resolve makes the whistle overdue) as a gauge read at each
// scrape or export, until ctx ends. It is a count on the overdue index, not a scan, so
// frequent scrapes cost one ZCOUNT. Unregistering on ctx's end matters where several
// services live in one process one after another (tests): a stopped service must not be
// read again.
func (s *Service) watchOverdue(ctx context.Context) {
	meter := otel.Meter("tongdu/services/governance")
	gauge, err := meter.Int64ObservableGauge("tongdu.whistles.overdue",
		metric.WithDescription("whistles past their acknowledge or resolve deadline (rule 11)"))
	if err != nil {
		s.log.WarnContext(ctx, "overdue whistles gauge not registered", "cause", err.Error())
		return
	}
	reg, err := meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		n, err := s.store.CountOverdue(ctx, time.Now())
		if err != nil {
			return err // the scrape leaves the gauge out rather than report a wrong zero
		}
		o.ObserveInt64(gauge, n)
		return nil
	}, gauge)
	if err != nil {
		s.log.WarnContext(ctx, "overdue whistles gauge not registered", "cause", err.Error())
		return
	}
	go func() {
		<-ctx.Done()
		_ = reg.Unregister()
	}()
}
