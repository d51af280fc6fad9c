package tlsconfig

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"tongdu/platform/testkit"
)

// The process's meter provider for the tests: an in-memory reader, and the Prometheus
// exporter /metrics uses, whose names the alerts read (deploy/prometheus/rules).
var reader, _ = testkit.Metrics()

// Each certificate file a server or a client loaded reports when it expires, by file:
// the server's and the client's certificates their own NotAfter, a CA bundle the
// earliest of its certificates'. The key files are not reported. The gauge has the name
// the alerts read.
func TestCertificateExpiryByFile(t *testing.T) {

	dir := t.TempDir()
	now := time.Now()
	ca, caKey, caPath, _ := writeCertUntil(t, dir, "ca", nil, nil, true, now.Add(30*24*time.Hour))
	oldCA, _, oldCAPath, _ := writeCertUntil(t, dir, "old-ca", nil, nil, true, now.Add(5*24*time.Hour))
	srv, _, srvCert, srvKey := writeCertUntil(t, dir, "server", ca, caKey, false, now.Add(10*24*time.Hour+time.Minute))
	cli, _, cliCert, cliKey := writeCertUntil(t, dir, "client", ca, caKey, false, now.Add(2*24*time.Hour+time.Second))
	bundle := filepath.Join(dir, "bundle.pem")
	a, _ := os.ReadFile(caPath)
	b, _ := os.ReadFile(oldCAPath)
	if err := os.WriteFile(bundle, append(a, b...), 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := Server(Files{Cert: srvCert, Key: srvKey, CA: bundle}); err != nil {
		t.Fatal(err)
	}
	if _, err := Client(Files{CA: caPath, Cert: cliCert, Key: cliKey}); err != nil {
		t.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "tongdu.tls.certificate.expiry" {
				continue
			}
			for _, p := range m.Data.(metricdata.Gauge[int64]).DataPoints {
				if file, _ := p.Attributes.Value("file"); filepath.Dir(file.AsString()) == dir {
					got[file.AsString()] = p.Value // this test's files, not other tests'
				}
			}
		}
	}
	want := map[string]int64{
		srvCert: srv.NotAfter.Unix(),
		cliCert: cli.NotAfter.Unix(),
		caPath:  ca.NotAfter.Unix(),
		bundle:  oldCA.NotAfter.Unix(), // the earlier of the two
	}
	for file, w := range want {
		if got[file] != w {
			t.Errorf("%s: expiry %d, want %d (its NotAfter)", filepath.Base(file), got[file], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("expiries reported for %v, want only the 4 certificate files", got)
	}

	testkit.WantPrometheusNames(t, nil, "tongdu_tls_certificate_expiry_seconds")
}
