package testkit

import (
	"sync"
	"testing"

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

// WantPrometheusNames fails t unless each name is a metric in the Prometheus format (the
// names the alerts read) with a series carrying labels (nil: any series).
func WantPrometheusNames(t testing.TB, labels map[string]string, names ...string) {
	t.Helper()
	_, reg := Metrics()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			matches := true
			for k, v := range labels {
				matches = matches && have[k] == v
			}
			if matches {
				found[f.GetName()] = true
			}
		}
	}
	for _, name := range names {
		if !found[name] {
			t.Errorf("no %s with labels %v in the Prometheus format; found %v", name, labels, found)
		}
	}
}
