package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// overlays are the kustomizations that must render and pass, relative to this folder.
var overlays = []string{"../k8s/base", "../k8s/overlays/production"}

func TestOverlaysRenderAndPass(t *testing.T) {
	for _, dir := range overlays {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			objs, err := Overlay(filesys.MakeFsOnDisk(), dir)
			if err != nil {
				t.Fatalf("%s:\n%v", dir, err)
			}
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.GetObjectKind().GroupVersionKind().Kind]++
			}
			// Four services, the gateway, the console and the collector; one Ingress
			// for the console and the API.
			for kind, want := range map[string]int{"Deployment": 7, "HorizontalPodAutoscaler": 7, "PodDisruptionBudget": 7, "Service": 7, "Secret": 1, "Ingress": 1} {
				if kinds[kind] != want {
					t.Errorf("%s: %d %s objects, want %d", dir, kinds[kind], kind, want)
				}
			}
			if kinds["NetworkPolicy"] < 7 {
				t.Errorf("%s: %d NetworkPolicies, want the deny, DNS, gateway, web, services, Redis and collector ones", dir, kinds["NetworkPolicy"])
			}
		})
	}
}

// The production overlay really changes what it claims to.
func TestProductionUsesRedisClusterAndRegistry(t *testing.T) {
	docs, err := Render(filesys.MakeFsOnDisk(), "../k8s/overlays/production")
	if err != nil {
		t.Fatal(err)
	}
	all := string(joinDocs(docs))
	for _, want := range []string{"redis+cluster://", "registry.example.org/tongdu/survey:", "registry.example.org/tongdu/web:", "TONGDU_JWKS: https://"} {
		if !strings.Contains(all, want) {
			t.Errorf("production overlay lacks %q", want)
		}
	}
}

func joinDocs(docs [][]byte) []byte {
	var out []byte
	for _, d := range docs {
		out = append(append(out, d...), "---\n"...)
	}
	return out
}

// base renders the base and returns its objects, for tests that break one thing.
func base(t *testing.T) []runtime.Object {
	t.Helper()
	docs, err := Render(filesys.MakeFsOnDisk(), "../k8s/base")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode(docs)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func deploymentNamed(t *testing.T, objs []runtime.Object, name string) *appsv1.Deployment {
	t.Helper()
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok && d.Name == name {
			return d
		}
	}
	t.Fatalf("no Deployment %s", name)
	return nil
}

func wantError(t *testing.T, errs []error, fragment string) {
	t.Helper()
	for _, err := range errs {
		if strings.Contains(err.Error(), fragment) {
			return
		}
	}
	t.Errorf("want an error containing %q, got %v", fragment, errs)
}

func TestDeploymentWithoutProbesFails(t *testing.T) {
	objs := base(t)
	c := &deploymentNamed(t, objs, "survey").Spec.Template.Spec.Containers[0]
	c.ReadinessProbe, c.LivenessProbe = nil, nil
	errs := Objects(objs)
	wantError(t, errs, "Deployment survey: container survey has no readinessProbe")
	wantError(t, errs, "Deployment survey: container survey has no livenessProbe")
}

func TestDeploymentWithoutLimitsOrAsRootFails(t *testing.T) {
	objs := base(t)
	d := deploymentNamed(t, objs, "finance")
	d.Spec.Template.Spec.Containers[0].Resources.Limits = nil
	d.Spec.Template.Spec.SecurityContext = nil
	errs := Objects(objs)
	wantError(t, errs, "Deployment finance: container finance has no cpu limit")
	wantError(t, errs, "Deployment finance: container finance may run as root")
}

func TestProbeOnWrongPortFails(t *testing.T) {
	objs := base(t)
	d := deploymentNamed(t, objs, "projects")
	d.Spec.Template.Spec.Containers[0].ReadinessProbe.GRPC.Port = 9999
	wantError(t, Objects(objs), "probes gRPC on port 9999")
}

func TestLatestImageFails(t *testing.T) {
	objs := base(t)
	deploymentNamed(t, objs, "gateway").Spec.Template.Spec.Containers[0].Image = "tongdu/gateway:latest"
	wantError(t, Objects(objs), `image "tongdu/gateway:latest" is tagged latest`)
}

func TestDeploymentWithoutPDBOrHPAFails(t *testing.T) {
	objs := base(t)
	var kept []runtime.Object
	for _, o := range objs {
		if p, ok := o.(*policyv1.PodDisruptionBudget); ok && p.Name == "governance" {
			continue
		}
		kept = append(kept, o)
	}
	deploymentNamed(t, kept, "survey").Name = "survey-renamed" // its HPA now targets nothing
	errs := Objects(kept)
	wantError(t, errs, "Deployment governance: 0 PodDisruptionBudgets")
	wantError(t, errs, "Deployment survey-renamed: 0 HorizontalPodAutoscalers")
}

func TestNoNetworkPoliciesFails(t *testing.T) {
	objs := base(t)
	var kept []runtime.Object
	for _, o := range objs {
		if o.GetObjectKind().GroupVersionKind().Kind != "NetworkPolicy" {
			kept = append(kept, o)
		}
	}
	errs := Objects(kept)
	wantError(t, errs, "no NetworkPolicies")
	wantError(t, errs, "Deployment governance: no NetworkPolicy allows its traffic")
}

// A kustomization whose objects have an unknown field, or an unknown kind, does not
// decode.
func TestStrictDecoding(t *testing.T) {
	for name, tc := range map[string]struct{ doc, want string }{
		"unknown field": {`apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  replica: 2
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
        - name: x
          image: x:1
`, `unknown field "spec.replica"`},
		"unknown version": {`apiVersion: autoscaling/v2beta1
kind: HorizontalPodAutoscaler
metadata:
  name: x
spec:
  maxReplicas: 2
`, "autoscaling/v2beta1"},
		"unknown kind": {`apiVersion: apps/v1
kind: Deploymnet
metadata:
  name: x
`, "Deploymnet"},
	} {
		t.Run(name, func(t *testing.T) {
			fs := filesys.MakeFsInMemory()
			must(t, fs.WriteFile("/k/kustomization.yaml", []byte("resources: [x.yaml]\n")))
			must(t, fs.WriteFile("/k/x.yaml", []byte(tc.doc)))
			_, err := Overlay(fs, "/k")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestComposePasses(t *testing.T) {
	data, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if errs := Compose(data); len(errs) != 0 {
		t.Fatalf("deploy/compose.yaml: %v", errs)
	}
}

func TestBrokenComposeFails(t *testing.T) {
	data, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	good := string(data)
	for name, tc := range map[string]struct{ from, to, want string }{
		"latest image":        {"prom/prometheus:v3.0.1", "prom/prometheus:latest", "compose service prometheus: image \"prom/prometheus:latest\" is tagged latest"},
		"untagged image":      {"grafana/grafana:11.4.0", "grafana/grafana", "has no tag"},
		"no append-only":      {"- --appendonly\n      - \"yes\"", "- --appendonly\n      - \"no\"", `does not set "appendonly yes"`},
		"evicting redis":      {"- noeviction", "- allkeys-lru", `does not set "maxmemory-policy noeviction"`},
		"missing jaeger":      {"  jaeger:\n", "  tracing:\n", `no service "jaeger"`},
		"service without key": {"  TONGDU_JWKS: /run/secrets/jwks\n  OTEL", "  OTEL", "compose service governance: TONGDU_JWKS is not set"},
		"missing console":     {"  web:\n", "  console:\n", `no service "web"`},
		"console without finance": {"      TONGDU_HTTP_ADDR: \":8081\"\n      TONGDU_GOVERNANCE_ADDR: governance:9091\n      TONGDU_SURVEY_ADDR: survey:9092\n      TONGDU_PROJECTS_ADDR: projects:9093\n      TONGDU_FINANCE_ADDR: finance:9094\n",
			"      TONGDU_HTTP_ADDR: \":8081\"\n      TONGDU_GOVERNANCE_ADDR: governance:9091\n      TONGDU_SURVEY_ADDR: survey:9092\n      TONGDU_PROJECTS_ADDR: projects:9093\n",
			"compose service web: TONGDU_FINANCE_ADDR is not set"},
	} {
		t.Run(name, func(t *testing.T) {
			broken := strings.Replace(good, tc.from, tc.to, 1)
			if broken == good {
				t.Fatalf("the test's edit %q does not apply to compose.yaml", tc.from)
			}
			wantError(t, Compose([]byte(broken)), tc.want)
		})
	}
}

func ingressNamed(t *testing.T, objs []runtime.Object, name string) *networkingv1.Ingress {
	t.Helper()
	for _, o := range objs {
		if i, ok := o.(*networkingv1.Ingress); ok && i.Name == name {
			return i
		}
	}
	t.Fatalf("no Ingress %s", name)
	return nil
}

func policyNamed(t *testing.T, objs []runtime.Object, name string) *networkingv1.NetworkPolicy {
	t.Helper()
	for _, o := range objs {
		if p, ok := o.(*networkingv1.NetworkPolicy); ok && p.Name == name {
			return p
		}
	}
	t.Fatalf("no NetworkPolicy %s", name)
	return nil
}

// The Ingress routes by the Ingress API's rules: Exact before Prefix, the longest Prefix
// first, by whole path elements.
func TestRoute(t *testing.T) {
	ing := ingressNamed(t, base(t), "tongdu")
	host := ing.Spec.Rules[0].Host
	for path, want := range map[string]string{
		"/v1": "gateway", "/v1/": "gateway", "/v1/compounds/c1/disclosure": "gateway", "/openapi.json": "gateway",
		"/": "web", "/v10": "web", "/openapi.json/x": "web", "/signin": "web",
	} {
		if got := Route([]*networkingv1.Ingress{ing}, host, path); got != want {
			t.Errorf("%s goes to %q, want %q", path, got, want)
		}
	}
	if got := Route([]*networkingv1.Ingress{ing}, "other.example.org", "/v1/x"); got != "" {
		t.Errorf("another host goes to %q, want nothing", got)
	}
}

func TestBrokenIngressFails(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*networkingv1.Ingress)
		want string
	}{
		"none": {nil, "no Ingress"},
		"API to the console": {func(i *networkingv1.Ingress) {
			i.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "web"
		}, "/v1/compounds goes to web, want Service gateway"},
		"a path left out": {func(i *networkingv1.Ingress) {
			paths := i.Spec.Rules[0].HTTP.Paths
			for n, p := range paths {
				if p.Path == "/openapi.json" {
					i.Spec.Rules[0].HTTP.Paths = append(paths[:n:n], paths[n+1:]...)
				}
			}
		}, "/openapi.json goes to web, want Service gateway"},
		"console under a prefix only": {func(i *networkingv1.Ingress) {
			paths := i.Spec.Rules[0].HTTP.Paths
			paths[len(paths)-1].Path = "/console"
		}, "/signin goes to nothing, want Service web"},
		"two hosts": {func(i *networkingv1.Ingress) {
			r := *i.Spec.Rules[0].DeepCopy()
			r.Host = "console.example.org"
			i.Spec.Rules = append(i.Spec.Rules, r)
		}, "2 hosts"},
		"no such port": {func(i *networkingv1.Ingress) {
			i.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port.Name = "grpc"
		}, "goes to Service gateway port grpc, which does not exist"},
	} {
		t.Run(name, func(t *testing.T) {
			objs := base(t)
			if tc.edit == nil {
				var kept []runtime.Object
				for _, o := range objs {
					if _, ok := o.(*networkingv1.Ingress); !ok {
						kept = append(kept, o)
					}
				}
				objs = kept
			} else {
				tc.edit(ingressNamed(t, objs, "tongdu"))
			}
			wantError(t, Objects(objs), tc.want)
		})
	}
}

func TestBrokenTrafficFails(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(t *testing.T, objs []runtime.Object)
		want string
	}{
		"services refuse the console": {func(t *testing.T, objs []runtime.Object) {
			from := policyNamed(t, objs, "services").Spec.Ingress[0].From
			policyNamed(t, objs, "services").Spec.Ingress[0].From = from[:len(from)-1]
		}, "NetworkPolicies: web cannot reach governance on port 9091"},
		"console calls only governance": {func(t *testing.T, objs []runtime.Object) {
			end := int32(9091)
			policyNamed(t, objs, "web").Spec.Egress[0].Ports[0].EndPort = &end
		}, "NetworkPolicies: web cannot reach finance on port 9094"},
		"collector refuses the console": {func(t *testing.T, objs []runtime.Object) {
			policyNamed(t, objs, "otel-collector").Spec.Ingress[0].From[0].PodSelector.MatchExpressions[0].Values = []string{"gateway", "service"}
		}, "NetworkPolicies: web cannot reach otel-collector on port 4317"},
		"console open to all": {func(t *testing.T, objs []runtime.Object) {
			policyNamed(t, objs, "web").Spec.Ingress[0].From = nil
		}, "NetworkPolicies: namespace default may reach web on port 8081"},
		"ingress controller shut out": {func(t *testing.T, objs []runtime.Object) {
			policyNamed(t, objs, "web").Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] = "ingress"
		}, "NetworkPolicies: namespace ingress-nginx cannot reach web on port 8081"},
		"console probed on a port it lacks": {func(t *testing.T, objs []runtime.Object) {
			deploymentNamed(t, objs, "web").Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet.Port = intstr.FromString("web")
		}, "Deployment web: container web probes HTTP on port web, which it does not expose"},
	} {
		t.Run(name, func(t *testing.T) {
			objs := base(t)
			tc.edit(t, objs)
			wantError(t, Objects(objs), tc.want)
		})
	}
}
