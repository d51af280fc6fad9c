package check

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	yamlv3 "gopkg.in/yaml.v3"
)

// ComposeServices are the services deploy/compose.yaml must have.
var ComposeServices = []string{"redis", "redis-exporter", "governance", "survey", "projects", "finance", "gateway", "web", "otel-collector", "jaeger", "prometheus", "grafana"}

// tongduServices are the compose services that run Tongdu binaries and so need keys.
// The console (web) checks no tokens itself: the services do.
var tongduServices = []string{"governance", "survey", "projects", "finance", "gateway"}

// serviceClients are the compose services that call all four services, and so need each
// one's address: the defaults (127.0.0.1) are never right in compose.
var serviceClients = []string{"gateway", "web"}

// serviceAddrs are the settings that name the four services.
var serviceAddrs = []string{"TONGDU_GOVERNANCE_ADDR", "TONGDU_SURVEY_ADDR", "TONGDU_PROJECTS_ADDR", "TONGDU_FINANCE_ADDR"}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string `yaml:"image"`
	Command     any    `yaml:"command"`
	Environment any    `yaml:"environment"`
}

// Compose checks a compose file: every required service is there, every image is pinned
// to a tag other than latest, Redis keeps an append-only file and never evicts, each
// Tongdu binary that checks tokens is given its keys (TONGDU_JWKS), and the gateway and
// the console are told where the four services are.
func Compose(data []byte) []error {
	var f composeFile
	if err := yamlv3.Unmarshal(data, &f); err != nil {
		return []error{fmt.Errorf("compose: %w", err)}
	}
	var errs []error
	for _, name := range ComposeServices {
		if _, ok := f.Services[name]; !ok {
			errs = append(errs, fmt.Errorf("compose: no service %q", name))
		}
	}
	names := make([]string, 0, len(f.Services))
	for name := range f.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := pinned(f.Services[name].Image); err != nil {
			errs = append(errs, fmt.Errorf("compose service %s: %w", name, err))
		}
	}
	if r, ok := f.Services["redis"]; ok {
		cmd, err := commandLine(r.Command)
		if err != nil {
			errs = append(errs, fmt.Errorf("compose service redis: %w", err))
		}
		for _, want := range []string{"appendonly yes", "maxmemory-policy noeviction"} {
			if !strings.Contains(cmd, want) {
				errs = append(errs, fmt.Errorf("compose service redis: its command does not set %q", want))
			}
		}
	}
	for _, name := range tongduServices {
		s, ok := f.Services[name]
		if !ok {
			continue
		}
		if v, ok := environment(s.Environment)["TONGDU_JWKS"]; !ok || v == "" {
			errs = append(errs, fmt.Errorf("compose service %s: TONGDU_JWKS is not set, and the binary does not start without keys", name))
		}
	}
	for _, name := range serviceClients {
		s, ok := f.Services[name]
		if !ok {
			continue
		}
		env := environment(s.Environment)
		for _, k := range serviceAddrs {
			if env[k] == "" {
				errs = append(errs, fmt.Errorf("compose service %s: %s is not set, so it calls 127.0.0.1", name, k))
			}
		}
	}
	return errs
}

// commandLine flattens a compose command (a string or a list) into one line, with
// redis-server's "--name value" options read as "name value".
func commandLine(c any) (string, error) {
	switch v := c.(type) {
	case nil:
		return "", errors.New("no command")
	case string:
		return strings.ReplaceAll(v, "--", ""), nil
	case []any:
		parts := make([]string, 0, len(v))
		for _, p := range v {
			parts = append(parts, strings.TrimPrefix(fmt.Sprint(p), "--"))
		}
		return strings.Join(parts, " "), nil
	default:
		return "", fmt.Errorf("command of unexpected form %T", c)
	}
}

// environment reads a compose environment in either form (map or KEY=VALUE list).
func environment(e any) map[string]string {
	out := map[string]string{}
	switch v := e.(type) {
	case map[string]any:
		for k, val := range v {
			if val != nil {
				out[k] = fmt.Sprint(val)
			}
		}
	case []any:
		for _, item := range v {
			k, val, _ := strings.Cut(fmt.Sprint(item), "=")
			out[k] = val
		}
	}
	return out
}
