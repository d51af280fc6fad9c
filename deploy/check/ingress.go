package check

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// The console and the REST API share one origin, so that one session cookie signs a
// person in to both: an Ingress sends the API's paths to the gateway and everything else
// to the console, on one host, as web.IsAPIPath does for the all-in-one. These paths
// stand for that function's rule (its exact paths and its prefixes); keep them in step
// with web/web.go.
var (
	// APIPaths must reach the gateway.
	APIPaths = []string{"/v1/compounds", "/v1/sessions", "/v1/sessions/oidc", "/v1/sessions/oidc/callback",
		"/open311/v2/requests.json", "/healthz", "/readyz", "/openapi.json", "/metrics"}
	// ConsolePaths must reach the console.
	ConsolePaths = []string{"/", "/signin", "/signout", "/lang", "/assets/app.css", "/assets/vendor/htmx.min.js",
		"/compounds", "/v1x", "/healthz/x", "/metricsx"}
)

// The Services the routing must reach.
const (
	GatewayService = "gateway"
	ConsoleService = "web"
)

// ingresses checks that every Ingress backend is a Service port that exists, and that the
// Ingresses put the console and the API on one host, routed by path.
func ingresses(ings []*networkingv1.Ingress, svcs []*corev1.Service) []error {
	if len(ings) == 0 {
		return []error{fmt.Errorf("no Ingress: the console (Service %s) and the REST API (Service %s) need one host, routed by path", ConsoleService, GatewayService)}
	}
	var errs []error
	for _, ing := range ings {
		check := func(where string, b *networkingv1.IngressBackend) {
			if b == nil {
				return
			}
			if b.Service == nil {
				errs = append(errs, fmt.Errorf("Ingress %s: %s has no Service backend", ing.Name, where))
				return
			}
			if !servicePort(svcs, ing.Namespace, b.Service) {
				errs = append(errs, fmt.Errorf("Ingress %s: %s goes to Service %s port %s, which does not exist", ing.Name, where, b.Service.Name, portName(b.Service.Port)))
			}
		}
		check("the default backend", ing.Spec.DefaultBackend)
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				check(fmt.Sprintf("host %q path %s", r.Host, p.Path), &p.Backend)
			}
		}
	}
	hosts := map[string]bool{}
	for _, ing := range ings {
		for _, r := range ing.Spec.Rules {
			hosts[r.Host] = true
		}
	}
	if len(hosts) != 1 {
		names := make([]string, 0, len(hosts))
		for h := range hosts {
			names = append(names, fmt.Sprintf("%q", h))
		}
		sort.Strings(names)
		return append(errs, fmt.Errorf("Ingress: %d hosts (%s), want the console and the API on exactly one", len(hosts), strings.Join(names, ", ")))
	}
	var host string
	for h := range hosts {
		host = h
	}
	for _, want := range []struct {
		paths   []string
		service string
	}{{APIPaths, GatewayService}, {ConsolePaths, ConsoleService}} {
		for _, p := range want.paths {
			if got := Route(ings, host, p); got != want.service {
				if got == "" {
					got = "nothing"
				}
				errs = append(errs, fmt.Errorf("Ingress: %s%s goes to %s, want Service %s", host, p, got, want.service))
			}
		}
	}
	return errs
}

// Route says which Service the Ingresses send a request for host and path to, by the
// Ingress API's rules: an Exact path before any Prefix, the longest Prefix (matched by
// whole path elements) before shorter ones, then the default backend. It returns "" when
// nothing matches.
func Route(ings []*networkingv1.Ingress, host, path string) string {
	best, bestLen, exact := "", -1, false
	var fallback string
	for _, ing := range ings {
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil && fallback == "" {
			fallback = b.Service.Name
		}
		for _, r := range ing.Spec.Rules {
			if r.Host != host || r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service == nil {
					continue
				}
				typ := networkingv1.PathTypePrefix
				if p.PathType != nil {
					typ = *p.PathType
				}
				switch {
				case typ == networkingv1.PathTypeExact:
					if p.Path == path && !exact {
						best, exact = p.Backend.Service.Name, true
					}
				case !exact && prefixMatches(p.Path, path) && len(p.Path) > bestLen:
					best, bestLen = p.Backend.Service.Name, len(p.Path)
				}
			}
		}
	}
	if best == "" {
		return fallback
	}
	return best
}

// prefixMatches is the Ingress API's Prefix match: by whole path elements, a trailing
// slash ignored.
func prefixMatches(prefix, path string) bool {
	p := strings.TrimSuffix(prefix, "/")
	return p == "" || path == p || strings.HasPrefix(path, p+"/")
}

func servicePort(svcs []*corev1.Service, ns string, b *networkingv1.IngressServiceBackend) bool {
	for _, s := range svcs {
		if s.Namespace != ns || s.Name != b.Name {
			continue
		}
		for _, p := range s.Spec.Ports {
			if (b.Port.Name != "" && p.Name == b.Port.Name) || (b.Port.Name == "" && p.Port == b.Port.Number) {
				return true
			}
		}
	}
	return false
}

func portName(p networkingv1.ServiceBackendPort) string {
	if p.Name != "" {
		return p.Name
	}
	return fmt.Sprint(p.Number)
}
