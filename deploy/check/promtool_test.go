package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// promtoolTags leave out the cloud service discoveries, most of promtool's build; the
// Kubernetes one stays for prometheus/kubernetes.yaml.
const promtoolTags = "remove_all_sd,enable_kubernetes_sd"

var (
	promtoolOnce sync.Once
	promtoolPath string
	promtoolErr  string
)

// promtool builds Prometheus's promtool at the version pinned in promtool/go.mod (once
// per test run; the Go build cache makes later runs quick) and returns its path.
func promtool(t *testing.T) string {
	t.Helper()
	promtoolOnce.Do(func() {
		dir, err := os.MkdirTemp("", "promtool")
		if err != nil {
			promtoolErr = err.Error()
			return
		}
		promtoolPath = filepath.Join(dir, "promtool")
		cmd := exec.Command("go", "build", "-tags", promtoolTags, "-o", promtoolPath, "github.com/prometheus/prometheus/cmd/promtool")
		cmd.Dir = "promtool"
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
		if out, err := cmd.CombinedOutput(); err != nil {
			promtoolErr = err.Error() + "\n" + string(out)
		}
	})
	if promtoolErr != "" {
		t.Fatalf("building promtool: %s", promtoolErr)
	}
	return promtoolPath
}

func runPromtool(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(promtool(t), args...).CombinedOutput()
	return string(out), err
}

// `promtool check rules`: every rule file parses, every expression is valid PromQL, every
// template renders, no rule is duplicated.
func TestPromtoolCheckRules(t *testing.T) {
	files, err := filepath.Glob("../prometheus/rules/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files under deploy/prometheus/rules (%v)", err)
	}
	out, err := runPromtool(t, append([]string{"check", "rules", "--lint=all", "--lint-fatal"}, files...)...)
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// `promtool test rules`: each alert fires on the history in the unit tests that should
// page, with the labels and texts it should have, and stays quiet otherwise.
func TestPromtoolTestRules(t *testing.T) {
	files, err := filepath.Glob("../prometheus/tests/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule tests under deploy/prometheus/tests (%v)", err)
	}
	out, err := runPromtool(t, append([]string{"test", "rules"}, files...)...)
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// `promtool check config` on the compose Prometheus and on the cluster's scrape job.
func TestPromtoolCheckConfig(t *testing.T) {
	for _, f := range []string{"../prometheus/prometheus.yaml", "../prometheus/kubernetes.yaml"} {
		if out, err := runPromtool(t, "check", "config", "--syntax-only", f); err != nil {
			t.Errorf("promtool check config %s: %v\n%s", f, err, out)
		}
	}
}

// promtool itself catches a broken rule: the check above is not vacuous.
func TestPromtoolCatchesABrokenRule(t *testing.T) {
	data, err := os.ReadFile("../prometheus/rules/tongdu.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ from, to string }{
		"bad PromQL":       {"expr: redis_up == 0", "expr: redis_up === 0"},
		"bad template":     {`summary: "{{ $value }} whistles`, `summary: "{{ $value whistles`},
		"duration as text": {"for: 15m\n", "for: fifteen minutes\n"},
	} {
		t.Run(name, func(t *testing.T) {
			broken := strings.Replace(string(data), tc.from, tc.to, 1)
			if broken == string(data) {
				t.Fatalf("the test's edit %q does not apply to tongdu.yaml", tc.from)
			}
			f := filepath.Join(t.TempDir(), "rules.yaml")
			must(t, os.WriteFile(f, []byte(broken), 0o644))
			if out, err := runPromtool(t, "check", "rules", f); err == nil {
				t.Errorf("promtool accepted the broken rules:\n%s", out)
			}
		})
	}
}
