// Package check validates Tongdu's deployment files offline: it renders every kustomize
// overlay under deploy/k8s, decodes each object strictly into its Kubernetes API type and
// applies the rules of deploy/README.md (probes, limits, non-root, a disruption budget
// and an autoscaler per Deployment, network policies and the traffic they allow, the
// Ingress that puts the console and the API on one host), and it checks
// deploy/compose.yaml.
// `make deploy-check` runs its tests.
package check

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// scheme knows the API groups and versions the manifests may use, and no others: an
// object of any other kind or version is an error, as is a field its type lacks.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme,
		policyv1.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

var decoder = serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()

// Render runs kustomize on the kustomization in dir (read from fsys) and returns each
// resulting object as YAML.
func Render(fsys filesys.FileSystem, dir string) ([][]byte, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", dir, err)
	}
	var out [][]byte
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("kustomize %s: %s: %w", dir, r.CurId(), err)
		}
		out = append(out, y)
	}
	return out, nil
}

// Decode turns rendered YAML documents into typed API objects. Unknown kinds, unknown
// versions, unknown fields and duplicate fields are errors.
func Decode(docs [][]byte) ([]runtime.Object, error) {
	var objs []runtime.Object
	var errs []error
	for _, doc := range docs {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		obj, gvk, err := decoder.Decode(j, nil, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", describe(doc), err))
			continue
		}
		if gvk == nil || gvk.Kind == "" {
			errs = append(errs, fmt.Errorf("%s: no kind", describe(doc)))
			continue
		}
		objs = append(objs, obj)
	}
	return objs, errors.Join(errs...)
}

// describe names a raw document for an error message.
func describe(doc []byte) string {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = yaml.Unmarshal(doc, &head)
	return fmt.Sprintf("%s %s/%s", head.APIVersion, head.Kind, head.Metadata.Name)
}

// Overlay renders, decodes and checks the kustomization in dir.
func Overlay(fsys filesys.FileSystem, dir string) ([]runtime.Object, error) {
	docs, err := Render(fsys, dir)
	if err != nil {
		return nil, err
	}
	objs, err := Decode(docs)
	if err != nil {
		return objs, err
	}
	return objs, errors.Join(Objects(objs)...)
}

// Objects applies the deployment rules to a decoded set of objects and returns every
// violation found.
func Objects(objs []runtime.Object) []error {
	var (
		deps  []*appsv1.Deployment
		pdbs  []*policyv1.PodDisruptionBudget
		hpas  []*autoscalingv2.HorizontalPodAutoscaler
		netps []*networkingv1.NetworkPolicy
		svcs  []*corev1.Service
		ings  []*networkingv1.Ingress
		errs  []error
	)
	for _, o := range objs {
		switch v := o.(type) {
		case *appsv1.Deployment:
			deps = append(deps, v)
		case *policyv1.PodDisruptionBudget:
			pdbs = append(pdbs, v)
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpas = append(hpas, v)
		case *networkingv1.NetworkPolicy:
			netps = append(netps, v)
		case *corev1.Service:
			svcs = append(svcs, v)
		case *networkingv1.Ingress:
			ings = append(ings, v)
		}
	}
	if len(deps) == 0 {
		errs = append(errs, errors.New("no Deployments"))
	}
	for _, d := range deps {
		if d.Name == "otel-collector" {
			for _, c := range d.Spec.Template.Spec.Containers {
				if sameCheck(c.ReadinessProbe, c.LivenessProbe) {
					errs = append(errs, fmt.Errorf("Deployment %s: container %s has the same readiness and liveness check: ready means the OTLP receiver takes connections, alive means the health_check extension answers", d.Name, c.Name))
				}
			}
		}
		errs = append(errs, deployment(d)...)
		errs = append(errs, guarded(d, pdbs, hpas, netps, svcs)...)
	}
	errs = append(errs, networkPolicies(netps)...)
	errs = append(errs, Flows(deps, netps)...)
	errs = append(errs, ingresses(ings, svcs)...)
	for _, h := range hpas {
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 {
			errs = append(errs, fmt.Errorf("HorizontalPodAutoscaler %s: minReplicas must be at least 2, or its disruption budget blocks every drain", h.Name))
		}
		if h.Spec.MaxReplicas < ptrOr(h.Spec.MinReplicas, 1) {
			errs = append(errs, fmt.Errorf("HorizontalPodAutoscaler %s: maxReplicas below minReplicas", h.Name))
		}
		if len(h.Spec.Metrics) == 0 {
			errs = append(errs, fmt.Errorf("HorizontalPodAutoscaler %s: no metrics", h.Name))
		}
	}
	return errs
}

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// deployment checks one Deployment's pod template on its own.
func deployment(d *appsv1.Deployment) []error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("Deployment %s: "+format, append([]any{d.Name}, a...)...))
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() {
		bad("selector is missing or invalid")
	} else if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		bad("selector does not match the pod template's labels")
	}
	pod := d.Spec.Template.Spec
	if !spreadsOverNodes(pod, d.Spec.Template.Labels) {
		bad("pods do not spread over nodes: want a topologySpreadConstraint on kubernetes.io/hostname that selects its own pods")
	}
	podNonRoot := pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot
	podUser := int64(-1)
	if pod.SecurityContext != nil && pod.SecurityContext.RunAsUser != nil {
		podUser = *pod.SecurityContext.RunAsUser
	}
	if len(pod.Containers) == 0 {
		bad("no containers")
	}
	for _, c := range pod.Containers {
		where := "container " + c.Name
		if c.ReadinessProbe == nil {
			bad("%s has no readinessProbe", where)
		}
		if c.LivenessProbe == nil {
			bad("%s has no livenessProbe", where)
		}
		for _, p := range []*corev1.Probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
			if p == nil {
				continue
			}
			if p.GRPC != nil && !hasPort(c, p.GRPC.Port) {
				bad("%s probes gRPC on port %d, which it does not expose", where, p.GRPC.Port)
			}
			if p.HTTPGet != nil && !hasNamedPort(c, p.HTTPGet.Port) {
				bad("%s probes HTTP on port %s, which it does not expose", where, p.HTTPGet.Port.String())
			}
			if p.TCPSocket != nil && !hasNamedPort(c, p.TCPSocket.Port) {
				bad("%s probes TCP on port %s, which it does not expose", where, p.TCPSocket.Port.String())
			}
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Limits[r]; !ok {
				bad("%s has no %s limit", where, r)
			}
			if _, ok := c.Resources.Requests[r]; !ok {
				bad("%s has no %s request", where, r)
			}
		}
		nonRoot, user := podNonRoot, podUser
		if sc := c.SecurityContext; sc != nil {
			if sc.RunAsNonRoot != nil {
				nonRoot = *sc.RunAsNonRoot
			}
			if sc.RunAsUser != nil {
				user = *sc.RunAsUser
			}
			if sc.Privileged != nil && *sc.Privileged {
				bad("%s is privileged", where)
			}
		}
		if !nonRoot || user == 0 {
			bad("%s may run as root: set runAsNonRoot: true (and a non-zero runAsUser)", where)
		}
		if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			bad("%s allows privilege escalation", where)
		}
		if err := pinned(c.Image); err != nil {
			bad("%s: %v", where, err)
		}
	}
	return errs
}

// hasNamedPort is hasPort for a probe's port given by number or by name.
func hasNamedPort(c corev1.Container, port intstr.IntOrString) bool {
	if port.Type == intstr.Int {
		return hasPort(c, port.IntVal)
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return true
		}
	}
	return false
}

func hasPort(c corev1.Container, port int32) bool {
	for _, p := range c.Ports {
		if p.ContainerPort == port {
			return true
		}
	}
	return false
}

// guarded checks what a Deployment needs around it: a disruption budget and an
// autoscaler of its own (which then owns the replica count, so the Deployment sets none),
// a network policy that selects its pods and a Service.
func guarded(d *appsv1.Deployment, pdbs []*policyv1.PodDisruptionBudget, hpas []*autoscalingv2.HorizontalPodAutoscaler, netps []*networkingv1.NetworkPolicy, svcs []*corev1.Service) []error {
	var errs []error
	podLabels := labels.Set(d.Spec.Template.Labels)
	n := 0
	for _, p := range pdbs {
		if p.Namespace != d.Namespace {
			continue
		}
		if sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector); err == nil && !sel.Empty() && sel.Matches(podLabels) {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, fmt.Errorf("Deployment %s: %d PodDisruptionBudgets select its pods, want exactly 1", d.Name, n))
	}
	n = 0
	for _, h := range hpas {
		t := h.Spec.ScaleTargetRef
		if h.Namespace == d.Namespace && t.Kind == "Deployment" && t.Name == d.Name && strings.HasPrefix(t.APIVersion, "apps/") {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, fmt.Errorf("Deployment %s: %d HorizontalPodAutoscalers target it, want exactly 1", d.Name, n))
	}
	if n > 0 && d.Spec.Replicas != nil {
		errs = append(errs, fmt.Errorf("Deployment %s: sets replicas (%d) although a HorizontalPodAutoscaler scales it: every apply would reset the count the autoscaler chose; leave replicas out", d.Name, *d.Spec.Replicas))
	}
	selected := false
	for _, np := range netps {
		if np.Namespace != d.Namespace || len(np.Spec.PodSelector.MatchLabels)+len(np.Spec.PodSelector.MatchExpressions) == 0 {
			continue // the namespace-wide policies (deny, DNS) say nothing about this app
		}
		if sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector); err == nil && sel.Matches(podLabels) {
			selected = true
		}
	}
	if !selected {
		errs = append(errs, fmt.Errorf("Deployment %s: no NetworkPolicy allows its traffic", d.Name))
	}
	served := false
	for _, s := range svcs {
		if s.Namespace == d.Namespace && len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) {
			served = true
		}
	}
	if !served {
		errs = append(errs, fmt.Errorf("Deployment %s: no Service selects its pods", d.Name))
	}
	return errs
}

// networkPolicies wants a namespace-wide default deny of both directions in every
// namespace that has policies.
func networkPolicies(netps []*networkingv1.NetworkPolicy) []error {
	if len(netps) == 0 {
		return []error{errors.New("no NetworkPolicies")}
	}
	denied := map[string]bool{}
	for _, np := range netps {
		denied[np.Namespace] = denied[np.Namespace] || isDefaultDeny(np)
	}
	var errs []error
	for ns, ok := range denied {
		if !ok {
			errs = append(errs, fmt.Errorf("namespace %q: no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)", ns))
		}
	}
	return errs
}

func isDefaultDeny(np *networkingv1.NetworkPolicy) bool {
	s := np.Spec
	if len(s.PodSelector.MatchLabels)+len(s.PodSelector.MatchExpressions) != 0 || len(s.Ingress)+len(s.Egress) != 0 {
		return false
	}
	var in, out bool
	for _, t := range s.PolicyTypes {
		in = in || t == networkingv1.PolicyTypeIngress
		out = out || t == networkingv1.PolicyTypeEgress
	}
	return in && out
}

// pinned accepts an image reference with an explicit tag other than "latest", or a
// digest.
func pinned(image string) error {
	if image == "" {
		return errors.New("no image")
	}
	if strings.Contains(image, "${") {
		return fmt.Errorf("image %q is interpolated, not pinned", image)
	}
	if strings.Contains(image, "@sha256:") {
		return nil
	}
	slash := strings.LastIndex(image, "/")
	colon := strings.LastIndex(image, ":")
	if colon < slash+1 || colon == len(image)-1 {
		return fmt.Errorf("image %q has no tag", image)
	}
	if image[colon+1:] == "latest" {
		return fmt.Errorf("image %q is tagged latest", image)
	}
	return nil
}

// spreadsOverNodes reports whether the pod template has a topology spread constraint over
// nodes that counts the Deployment's own pods.
func spreadsOverNodes(pod corev1.PodSpec, podLabels map[string]string) bool {
	for _, c := range pod.TopologySpreadConstraints {
		if c.TopologyKey != "kubernetes.io/hostname" || c.LabelSelector == nil {
			continue
		}
		if sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector); err == nil && !sel.Empty() && sel.Matches(labels.Set(podLabels)) {
			return true
		}
	}
	return false
}

// sameCheck reports whether two probes ask the same thing (the same handler), whatever
// their timings.
func sameCheck(a, b *corev1.Probe) bool {
	if a == nil || b == nil {
		return false
	}
	x, y := a.ProbeHandler, b.ProbeHandler
	return equalJSON(x, y)
}

func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
