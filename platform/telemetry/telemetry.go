// Package telemetry sets up OpenTelemetry tracing and metrics once per process.
//
// Metrics are always on: a Prometheus reader keeps them for scraping at /metrics
// (Handler), so an operator sees request rates, errors, latencies, Redis pool figures
// and the business counters without running a collector. Traces, and a second copy of
// the metrics, are exported by OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT (or the
// traces/metrics variant) is set; without it the tracer provider stays the no-op default
// and costs nothing. The exporters read the standard OTEL_* variables themselves.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// Enabled reports whether the environment asks for OTLP export.
func Enabled() bool {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// metricsPage serves the registry made by the latest Setup. It is swapped, not shared, so
// a second Setup in one process (tests) does not collide with the first's collectors.
var metricsPage atomic.Pointer[http.Handler]

// emptyPage is what /metrics serves before Setup.
var emptyPage = promhttp.HandlerFor(prometheus.NewRegistry(), promhttp.HandlerOpts{})

// Handler serves the process's metrics in the Prometheus text format. Before Setup it
// serves an empty page.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := metricsPage.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		emptyPage.ServeHTTP(w, r)
	})
}

// Setup installs the global propagator (W3C trace context and baggage) and the meter
// provider always, and the tracer provider when OTLP export is enabled. The returned
// shutdown flushes whatever is buffered; call it once on exit, after servers have
// stopped. Call Setup before the servers and Redis clients are built: instrumentation
// takes the global providers when it is made.
func Setup(ctx context.Context, serviceName string) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(serviceName)))
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	// The Go runtime's and the process's own figures (goroutines, heap, resident memory,
	// open files): what shows a leak long before it is an outage.
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	promReader, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	readers := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promReader)}
	var tp *sdktrace.TracerProvider
	if Enabled() {
		traceExp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, err
		}
		tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(traceExp), sdktrace.WithResource(res))
		metricExp, err := otlpmetricgrpc.New(ctx)
		if err != nil {
			_ = tp.Shutdown(ctx)
			return nil, err
		}
		readers = append(readers, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricExp)))
	}
	mp := sdkmetric.NewMeterProvider(readers...)
	page := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	metricsPage.Store(&page)
	otel.SetMeterProvider(mp)
	if tp != nil {
		otel.SetTracerProvider(tp)
	}
	return func(ctx context.Context) error {
		var errs []error
		if tp != nil {
			errs = append(errs, tp.Shutdown(ctx))
		}
		return errors.Join(append(errs, mp.Shutdown(ctx))...)
	}, nil
}

// Flush exports the spans buffered so far, without shutting down: for tests and for a
// caller that wants a request's trace out before it goes on.
func Flush(ctx context.Context) error {
	if tp, ok := otel.GetTracerProvider().(interface{ ForceFlush(context.Context) error }); ok {
		return tp.ForceFlush(ctx)
	}
	return nil
}
