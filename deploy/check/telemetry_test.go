package check

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	yamlv3 "gopkg.in/yaml.v3"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The path from a slow bucket to its trace, link by link: the collector offers
// exemplars (OpenMetrics), Prometheus keeps them, Grafana turns their trace_id into a
// link to the Jaeger data source, and the dashboard's latency panel asks for them.
func TestExemplarsEndToEnd(t *testing.T) {
	for _, f := range []string{"../otel-collector/config.yaml", "../k8s/base/otel-collector/config.yaml"} {
		var cfg struct {
			Exporters map[string]struct {
				EnableOpenMetrics bool `yaml:"enable_open_metrics"`
			} `yaml:"exporters"`
		}
		must(t, yamlv3.Unmarshal([]byte(readFile(t, f)), &cfg))
		if !cfg.Exporters["prometheus"].EnableOpenMetrics {
			t.Errorf("%s: the prometheus exporter does not set enable_open_metrics, so it offers no exemplars", f)
		}
	}

	var compose struct {
		Services map[string]struct {
			Image   string   `yaml:"image"`
			Command []string `yaml:"command"`
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
	}
	must(t, yamlv3.Unmarshal([]byte(readFile(t, "../compose.yaml")), &compose))
	prom := compose.Services["prometheus"]
	if !strings.Contains(strings.Join(prom.Command, " "), "--enable-feature=exemplar-storage") {
		t.Error("compose prometheus: no --enable-feature=exemplar-storage, so it drops exemplars")
	}
	if !strings.Contains(strings.Join(prom.Volumes, " "), "./prometheus/rules:/etc/prometheus/rules") {
		t.Error("compose prometheus: the rules directory is not mounted where prometheus.yaml loads it")
	}
	if !strings.Contains(readFile(t, "../prometheus/prometheus.yaml"), "/etc/prometheus/rules/*.yaml") {
		t.Error("prometheus.yaml does not load the rules")
	}

	var ds struct {
		Datasources []struct {
			UID      string `yaml:"uid"`
			Type     string `yaml:"type"`
			JSONData struct {
				Exemplars []struct {
					Name          string `yaml:"name"`
					DatasourceUID string `yaml:"datasourceUid"`
				} `yaml:"exemplarTraceIdDestinations"`
			} `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	must(t, yamlv3.Unmarshal([]byte(readFile(t, "../grafana/provisioning/datasources/datasources.yaml")), &ds))
	uids := map[string]string{}
	linked := false
	for _, d := range ds.Datasources {
		uids[d.UID] = d.Type
	}
	for _, d := range ds.Datasources {
		for _, e := range d.JSONData.Exemplars {
			if d.Type == "prometheus" && e.Name == "trace_id" && uids[e.DatasourceUID] == "jaeger" {
				linked = true
			}
		}
	}
	if !linked {
		t.Error("Grafana: no Prometheus data source links an exemplar's trace_id to the Jaeger data source")
	}

	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr     string `json:"expr"`
				Exemplar bool   `json:"exemplar"`
			} `json:"targets"`
		} `json:"panels"`
	}
	must(t, json.Unmarshal([]byte(readFile(t, "../grafana/dashboards/tongdu.json")), &dash))
	found := false
	for _, p := range dash.Panels {
		for _, q := range p.Targets {
			if q.Exemplar && strings.Contains(q.Expr, "rpc_server_call_duration_seconds_bucket") {
				found = true
			}
		}
	}
	if !found {
		t.Error("dashboard: no latency query (rpc_server_call_duration_seconds_bucket) shows exemplars")
	}
}

// Jaeger v1 has reached its end of life: compose runs Jaeger v2, with its own config,
// and the collector runs at a release no older than the one its config is written for.
func TestTracingBackendIsCurrent(t *testing.T) {
	compose := readFile(t, "../compose.yaml")
	if !regexp.MustCompile(`image: jaegertracing/jaeger:2\.\d+\.\d+`).MatchString(compose) {
		t.Error("compose: jaeger is not Jaeger v2 (jaegertracing/jaeger:2.x)")
	}
	if strings.Contains(compose, "jaegertracing/all-in-one") {
		t.Error("compose: still the Jaeger v1 all-in-one image")
	}
	var jaeger struct {
		Service struct {
			Extensions []string `yaml:"extensions"`
			Pipelines  map[string]struct {
				Receivers []string `yaml:"receivers"`
				Exporters []string `yaml:"exporters"`
			} `yaml:"pipelines"`
		} `yaml:"service"`
	}
	must(t, yamlv3.Unmarshal([]byte(readFile(t, "../jaeger/config.yaml")), &jaeger))
	tr := jaeger.Service.Pipelines["traces"]
	if strings.Join(tr.Receivers, ",") != "otlp" || strings.Join(tr.Exporters, ",") != "jaeger_storage_exporter" {
		t.Errorf("jaeger/config.yaml: the traces pipeline is %v → %v, want otlp → jaeger_storage_exporter", tr.Receivers, tr.Exporters)
	}
	for _, f := range []string{"../compose.yaml", "../k8s/base/otel-collector.yaml"} {
		m := regexp.MustCompile(`otel/opentelemetry-collector-contrib:0\.(\d+)\.`).FindStringSubmatch(readFile(t, f))
		if m == nil || len(m[1]) < 3 || m[1] < "165" {
			t.Errorf("%s: the collector is not at 0.165 or later", f)
		}
	}
}

// Every alert names its runbook entry, and deploy/README.md has it.
func TestEveryAlertHasARunbookEntry(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	must(t, yamlv3.Unmarshal([]byte(readFile(t, "../prometheus/rules/tongdu.yaml")), &rules))
	readme := readFile(t, "../README.md")
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			want := "deploy/README.md#" + strings.ToLower(r.Alert)
			if r.Annotations["runbook"] != want {
				t.Errorf("alert %s: runbook annotation %q, want %q", r.Alert, r.Annotations["runbook"], want)
			}
			if !strings.Contains(readme, "\n#### "+r.Alert+"\n") {
				t.Errorf("alert %s: deploy/README.md has no heading \"#### %s\"", r.Alert, r.Alert)
			}
		}
	}
	if n == 0 {
		t.Error("no alerts")
	}
}
