package check

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// A Deployment that an HPA scales must not set replicas: `kubectl apply -k` would put the
// count back to it on every apply, whatever the HPA had chosen. The base's Deployments
// set none, and putting one back (as the files had before) fails.
func TestReplicasUnderAnHPAFail(t *testing.T) {
	objs := base(t)
	for _, name := range []string{"governance", "survey", "projects", "finance", "gateway", "web", "otel-collector"} {
		if r := deploymentNamed(t, objs, name).Spec.Replicas; r != nil {
			t.Errorf("Deployment %s sets replicas %d", name, *r)
		}
	}
	two := int32(2)
	deploymentNamed(t, objs, "survey").Spec.Replicas = &two
	wantError(t, Objects(objs), "Deployment survey: sets replicas (2) although a HorizontalPodAutoscaler scales it")
}

// The same rule on small synthetic kustomizations, through the whole render and decode.
func TestReplicasAndHPATable(t *testing.T) {
	const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
%s  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
        - name: x
          image: x:1
`
	const hpa = `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: x
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: x}
  minReplicas: 2
  maxReplicas: 4
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
`
	const fault = "sets replicas"
	for name, tc := range map[string]struct {
		replicas string
		withHPA  bool
		patch    string // a production-like overlay patch on top, if any
		want     bool
	}{
		"HPA and replicas":         {"  replicas: 3\n", true, "", true},
		"HPA and replicas: 0":      {"  replicas: 0\n", true, "", true},
		"HPA, no replicas":         {"", true, "", false},
		"replicas, no HPA":         {"  replicas: 3\n", false, "", false},
		"overlay adds replicas":    {"", true, "- op: add\n  path: /spec/replicas\n  value: 3\n", true},
		"overlay sizes containers": {"", true, "- op: add\n  path: /spec/revisionHistoryLimit\n  value: 3\n", false},
	} {
		t.Run(name, func(t *testing.T) {
			fs := filesys.MakeFsInMemory()
			doc := strings.Replace(deployment, "%s", tc.replicas, 1)
			if tc.withHPA {
				doc += hpa
			}
			must(t, fs.WriteFile("/k/x.yaml", []byte(doc)))
			kust := "resources: [x.yaml]\n"
			if tc.patch != "" {
				must(t, fs.WriteFile("/k/p.yaml", []byte(tc.patch)))
				kust += "patches:\n  - target: {kind: Deployment, name: x}\n    path: p.yaml\n"
			}
			must(t, fs.WriteFile("/k/kustomization.yaml", []byte(kust)))
			docs, err := Render(fs, "/k")
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Decode(docs)
			if err != nil {
				t.Fatal(err)
			}
			got := false
			for _, err := range Objects(objs) {
				if strings.Contains(err.Error(), fault) {
					got = true
				}
			}
			if got != tc.want {
				t.Errorf("%q reported: %v, want %v (errors: %v)", fault, got, tc.want, Objects(objs))
			}
		})
	}
}

func TestCollectorProbesAndSpread(t *testing.T) {
	objs := base(t)
	c := &deploymentNamed(t, objs, "otel-collector").Spec.Template.Spec.Containers[0]
	if sameCheck(c.ReadinessProbe, c.LivenessProbe) {
		t.Fatal("the collector's readiness and liveness are one check")
	}
	c.ReadinessProbe = c.LivenessProbe.DeepCopy()
	c.ReadinessProbe.PeriodSeconds = 5 // other timings, same question
	wantError(t, Objects(objs), "Deployment otel-collector: container otel-collector has the same readiness and liveness check")

	objs = base(t)
	deploymentNamed(t, objs, "otel-collector").Spec.Template.Spec.TopologySpreadConstraints = nil
	wantError(t, Objects(objs), "Deployment otel-collector: pods do not spread over nodes")
	objs = base(t)
	deploymentNamed(t, objs, "web").Spec.Template.Spec.TopologySpreadConstraints[0].LabelSelector.MatchLabels["app.kubernetes.io/name"] = "gateway"
	wantError(t, Objects(objs), "Deployment web: pods do not spread over nodes")
}
