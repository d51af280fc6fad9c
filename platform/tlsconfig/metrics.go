package tlsconfig

import (
	"context"
	"crypto/x509"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// tongdu.tls.certificate.expiry (tongdu_tls_certificate_expiry_seconds through the
// collector) is when each certificate file this process loaded stops being valid, as
// Unix seconds, by file (its path as given in the flags: the key files are not
// reported). A file holding several certificates (a chain, a CA bundle) reports the
// earliest NotAfter among them, the one that breaks first. The binaries read their
// files at start only, so the figure is that of the certificate in use until a restart.
var (
	meter       = otel.Meter("tongdu/platform/tlsconfig")
	expiryGauge sync.Once
	expiriesMu  sync.Mutex
	expiries    = map[string]int64{} // by file
)

// loaded records the earliest NotAfter of the certificates (DER) read from file.
func loaded(file string, ders [][]byte) {
	var earliest int64
	found := false
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			continue // not ours to judge: the TLS stack refuses it
		}
		if t := c.NotAfter.Unix(); !found || t < earliest {
			earliest, found = t, true
		}
	}
	if !found {
		return
	}
	expiryGauge.Do(registerExpiryGauge)
	expiriesMu.Lock()
	defer expiriesMu.Unlock()
	expiries[file] = earliest
}

func registerExpiryGauge() {
	_, err := meter.Int64ObservableGauge("tongdu.tls.certificate.expiry", metric.WithUnit("s"),
		metric.WithDescription("when the certificate file loaded stops being valid (the earliest NotAfter in it), in Unix seconds, by file"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			expiriesMu.Lock()
			defer expiriesMu.Unlock()
			for file, t := range expiries {
				o.Observe(t, metric.WithAttributes(attribute.String("file", file)))
			}
			return nil
		}))
	if err != nil {
		otel.Handle(err)
	}
}
