package testkit

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

var (
	metricsOnce sync.Once
	metricsRead *sdkmetric.ManualReader
	metricsReg  *prometheus.Registry
)

// Metrics makes the test binary's global meter provider, once: it returns an in-memory
// reader to collect from, and the registry of the Prometheus exporter that /metrics uses,
// whose names are the ones the alerts read (deploy/prometheus/rules).
func Metrics() (*sdkmetric.ManualReader, *prometheus.Registry) {
	metricsOnce.Do(func() {
		metricsRead, metricsReg = sdkmetric.NewManualReader(), prometheus.NewRegistry()
		exp, err := otelprom.New(otelprom.WithRegisterer(metricsReg))
		if err != nil {
			panic(err) // only a registry refusing the exporter's collector: a bug
		}
		otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(metricsRead), sdkmetric.WithReader(exp)))
	})
	return metricsRead, metricsReg
}
