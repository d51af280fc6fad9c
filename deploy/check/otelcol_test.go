package check

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	yamlv3 "gopkg.in/yaml.v3"
)

// collectorConfigs are the OpenTelemetry Collector configs that deploy/ ships.
var collectorConfigs = []string{"../otel-collector/config.yaml", "../k8s/base/otel-collector/config.yaml"}

// collectorEnv are the values the validator gets for the ${env:NAME} (or ${NAME})
// references in the collector configs: each reference needs one here, because an unset
// variable expands to nothing, and the check would validate a config that the
// collector never sees. Only these variables reach the validator.
var collectorEnv = map[string]string{}

// collectorAliases are the deprecated component names that the collector still accepts
// for a renamed component: the type a config names → the type the build lists.
var collectorAliases = map[string]string{"exporters/otlp": "exporters/otlp_grpc"}

var (
	otelcolOnce sync.Once
	otelcolPath string
	otelcolErr  string
)

// otelcol returns the path of the collector of otelcol/ (the collector release of the
// image, with the components our configs use; pinned in otelcol/go.mod). It is built into
// the user's cache directory under a name drawn from its sources and the Go version, so
// a run after the first builds nothing, and a changed source builds anew.
func otelcol(t *testing.T) string {
	t.Helper()
	otelcolOnce.Do(func() {
		otelcolPath, otelcolErr = buildOtelcol()
	})
	if otelcolErr != "" {
		t.Fatalf("building the collector: %s", otelcolErr)
	}
	return otelcolPath
}

func buildOtelcol() (string, string) {
	h := sha256.New()
	h.Write([]byte(runtime.Version() + "\n"))
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		data, err := os.ReadFile(filepath.Join("otelcol", f))
		if err != nil {
			return "", err.Error()
		}
		h.Write(data)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "tongdu-deploy-check")
	path := filepath.Join(dir, "otelcol-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(path); err == nil {
		return path, ""
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err.Error()
	}
	// Built under a name of its own and then renamed, so that two runs at once never
	// see half a binary; older builds go.
	tmp, err := os.MkdirTemp(dir, "build")
	if err != nil {
		return "", err.Error()
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "build", "-o", filepath.Join(tmp, "otelcol"), ".")
	cmd.Dir = "otelcol"
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", err.Error() + "\n" + string(out)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "otelcol-*"))
	if err := os.Rename(filepath.Join(tmp, "otelcol"), path); err != nil {
		return "", err.Error()
	}
	for _, o := range old {
		if o != path {
			os.Remove(o)
		}
	}
	return path, ""
}

// envRef is a ${NAME} or ${env:NAME} reference in a collector config ($${...} is a
// literal dollar and is left out).
var envRef = regexp.MustCompile(`(^|[^$])\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}`)

// validateCollector runs the collector's `validate` on a config, with collectorEnv as its
// only environment.
func validateCollector(t *testing.T, config string) (string, error) {
	t.Helper()
	cmd := exec.Command(otelcol(t), "validate", "--config="+config)
	cmd.Env = []string{}
	for k, v := range collectorEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// `validate` on each config: every component's section decodes strictly into that
// component's own Config (an unknown key fails), each Config's checks pass, and every
// pipeline names components that are configured; nothing starts.
func TestCollectorConfigsValidate(t *testing.T) {
	for _, f := range collectorConfigs {
		for _, m := range envRef.FindAllStringSubmatch(readFile(t, f), -1) {
			if _, ok := collectorEnv[m[2]]; !ok {
				t.Errorf("%s reads ${%s}, which collectorEnv does not set", f, m[2])
			}
		}
		if out, err := validateCollector(t, f); err != nil {
			t.Errorf("otelcol validate %s: %v\n%s", f, err, out)
		}
	}
}

// The validator refuses a broken config: the check above is not vacuous.
func TestCollectorValidateCatchesABrokenConfig(t *testing.T) {
	good := readFile(t, "../otel-collector/config.yaml")
	for name, tc := range map[string]struct{ from, to, want string }{
		"unknown key":         {"metric_expiration: 10m", "metric_expiraton: 10m", "invalid keys: metric_expiraton"},
		"unknown nested key":  {"tls:\n      insecure: true", "tls:\n      insecure: true\n      verify: false", "invalid keys: verify"},
		"unconfigured export": {"exporters: [otlp/jaeger]", "exporters: [otlp/jeager]", `references exporter "otlp/jeager" which is not configured`},
		"unknown component":   {"  batch:\n    timeout", "  batching:\n    timeout", `unknown type: "batching"`},
		"invalid value":       {"limit_mib: 400", "limit_mib: 0", "memory_limiter"},
		"duration as text":    {"timeout: 5s", "timeout: five seconds", "timeout"},
	} {
		t.Run(name, func(t *testing.T) {
			broken := strings.Replace(good, tc.from, tc.to, 1)
			if broken == good {
				t.Fatalf("the test's edit %q does not apply to otel-collector/config.yaml", tc.from)
			}
			f := filepath.Join(t.TempDir(), "config.yaml")
			must(t, os.WriteFile(f, []byte(broken), 0o644))
			out, err := validateCollector(t, f)
			if err == nil {
				t.Fatalf("the collector accepted the broken config:\n%s", out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("the collector refused the config, but not with %q:\n%s", tc.want, out)
			}
		})
	}
}

// The validator is the collector release the images run, and has exactly the components
// the configs use: one more and the build grows for nothing, one fewer and validate fails.
func TestCollectorBuildMatchesTheImages(t *testing.T) {
	mod := readFile(t, "otelcol/go.mod")
	m := regexp.MustCompile(`go\.opentelemetry\.io/collector/otelcol v0\.(\d+)\.`).FindStringSubmatch(mod)
	if m == nil {
		t.Fatal("otelcol/go.mod does not require go.opentelemetry.io/collector/otelcol")
	}
	for _, f := range []string{"../compose.yaml", "../k8s/base/otel-collector.yaml"} {
		img := regexp.MustCompile(`otel/opentelemetry-collector-contrib:0\.(\d+)\.`).FindStringSubmatch(readFile(t, f))
		if img == nil || img[1] != m[1] {
			t.Errorf("%s: the collector image is not release 0.%s, the one otelcol/go.mod validates with", f, m[1])
		}
	}

	used := map[string]bool{}
	for _, f := range collectorConfigs {
		var cfg map[string]any
		must(t, yamlv3.Unmarshal([]byte(readFile(t, f)), &cfg))
		for _, kind := range []string{"receivers", "processors", "exporters", "extensions", "connectors"} {
			section, _ := cfg[kind].(map[string]any)
			for id := range section {
				name := kind + "/" + strings.SplitN(id, "/", 2)[0]
				if alias, ok := collectorAliases[name]; ok {
					name = alias
				}
				used[name] = true
			}
		}
	}
	out, err := exec.Command(otelcol(t), "components").CombinedOutput()
	if err != nil {
		t.Fatalf("otelcol components: %v\n%s", err, out)
	}
	var listed map[string]any
	must(t, yamlv3.Unmarshal(out, &listed))
	built := map[string]bool{}
	for _, kind := range []string{"receivers", "processors", "exporters", "extensions", "connectors"} {
		list, _ := listed[kind].([]any)
		for _, c := range list {
			if c, ok := c.(map[string]any); ok {
				built[kind+"/"+c["name"].(string)] = true
			}
		}
	}
	if len(built) == 0 {
		t.Fatalf("otelcol components lists none:\n%s", out)
	}
	if missing, extra := diffSets(used, built), diffSets(built, used); len(missing) > 0 || len(extra) > 0 {
		t.Errorf("the validator's components differ from the configs': not built %v, built but unused %v (edit otelcol/main.go and otelcol/go.mod)", missing, extra)
	}
}

// diffSets lists what a has and b lacks.
func diffSets(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
