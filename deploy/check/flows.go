package check

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// The pods outside namespace tongdu that the flows below speak of.
var (
	// IngressController is the ingress controller's pod (namespace ingress-nginx, as the
	// web NetworkPolicy and ingress.yaml assume).
	IngressController = Pod{Namespace: "ingress-nginx", Labels: map[string]string{"app.kubernetes.io/name": "ingress-nginx"}}
	// Elsewhere is any other pod of the cluster.
	Elsewhere = Pod{Namespace: "default", Labels: map[string]string{"app": "other"}}
	// Redis is the Redis of the base (namespace tongdu-data).
	Redis = Pod{Namespace: "tongdu-data", Labels: map[string]string{"app.kubernetes.io/name": "redis"}}
)

// services are the Deployments of the four gRPC services.
var services = []string{"governance", "survey", "projects", "finance"}

// flow is a connection that the NetworkPolicies must allow (or, with denied, refuse).
// Each end is a Deployment by name, or a pod outside namespace tongdu.
type flow struct {
	from, to       string
	fromPod, toPod *Pod
	port           int32 // 0: the first container port of the Deployment to
	denied         bool
	why            string
}

// Flows checks the connections the deployment depends on, and a few it must refuse,
// against the NetworkPolicies: the ingress controller reaches the gateway and the
// console, both call the four services, every Tongdu pod reaches the collector; the
// console takes nothing from elsewhere and never reaches Redis, and the services take
// nothing from outside.
func Flows(deps []*appsv1.Deployment, netps []*networkingv1.NetworkPolicy) []error {
	byName := map[string]*appsv1.Deployment{}
	for _, d := range deps {
		byName[d.Name] = d
	}
	flows := []flow{
		{fromPod: &IngressController, to: "web", why: "the Ingress sends the console's paths there"},
		{fromPod: &IngressController, to: "gateway", why: "the Ingress sends the API's paths there"},
		{fromPod: &Elsewhere, to: "web", denied: true, why: "the console is reached only through the Ingress"},
		{from: "web", toPod: &Redis, port: 6379, denied: true, why: "the console keeps nothing in Redis"},
		{from: "web", to: "otel-collector", port: 4317, why: "every Tongdu pod exports to the collector"},
		{from: "gateway", to: "otel-collector", port: 4317, why: "every Tongdu pod exports to the collector"},
	}
	for _, s := range services {
		flows = append(flows,
			flow{from: "web", to: s, why: "the console calls every service"},
			flow{from: "gateway", to: s, why: "the gateway calls every service"},
			flow{from: s, to: "otel-collector", port: 4317, why: "every Tongdu pod exports to the collector"},
			flow{fromPod: &IngressController, to: s, denied: true, why: "the services take no outside traffic"},
		)
	}
	var errs []error
	end := func(name string, pod *Pod) (Pod, string, *appsv1.Deployment, error) {
		if pod != nil {
			return *pod, "namespace " + pod.Namespace, nil, nil
		}
		d, ok := byName[name]
		if !ok {
			return Pod{}, "", nil, fmt.Errorf("NetworkPolicies: no Deployment %s to check its traffic", name)
		}
		return Pod{Namespace: d.Namespace, Labels: d.Spec.Template.Labels}, name, d, nil
	}
	for _, f := range flows {
		from, fromName, _, err := end(f.from, f.fromPod)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		to, toName, toDep, err := end(f.to, f.toPod)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		port := f.port
		if port == 0 && toDep != nil {
			if cs := toDep.Spec.Template.Spec.Containers; len(cs) > 0 && len(cs[0].Ports) > 0 {
				port = cs[0].Ports[0].ContainerPort
			}
		}
		if port == 0 {
			errs = append(errs, fmt.Errorf("NetworkPolicies: %s exposes no port to check", toName))
			continue
		}
		switch ok := Allowed(netps, from, to, port); {
		case !ok && !f.denied:
			errs = append(errs, fmt.Errorf("NetworkPolicies: %s cannot reach %s on port %d, but %s", fromName, toName, port, f.why))
		case ok && f.denied:
			errs = append(errs, fmt.Errorf("NetworkPolicies: %s may reach %s on port %d, but %s", fromName, toName, port, f.why))
		}
	}
	return errs
}
