package check

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Pod is one end of a connection: a pod's namespace and labels. Namespaces are known by
// the label every namespace carries, kubernetes.io/metadata.name.
type Pod struct {
	Namespace string
	Labels    map[string]string
}

// Allowed reports whether the NetworkPolicies let pod from open a TCP connection to pod
// to on port: the policies that select from (if any select it for egress) must allow it
// out, and those that select to (if any select it for ingress) must let it in. Address
// ranges (ipBlock) and named ports are not evaluated; they never match a pod here.
func Allowed(netps []*networkingv1.NetworkPolicy, from, to Pod, port int32) bool {
	return side(netps, from, networkingv1.PolicyTypeEgress, to, port) &&
		side(netps, to, networkingv1.PolicyTypeIngress, from, port)
}

// side decides one direction: pod's own policies of type typ against the peer.
func side(netps []*networkingv1.NetworkPolicy, pod Pod, typ networkingv1.PolicyType, peer Pod, port int32) bool {
	selected := false
	for _, np := range netps {
		if np.Namespace != pod.Namespace || !hasType(np, typ) || !matches(&np.Spec.PodSelector, pod.Labels) {
			continue
		}
		selected = true
		if typ == networkingv1.PolicyTypeEgress {
			for _, r := range np.Spec.Egress {
				if portsAllow(r.Ports, port) && peersAllow(r.To, np.Namespace, peer) {
					return true
				}
			}
		} else {
			for _, r := range np.Spec.Ingress {
				if portsAllow(r.Ports, port) && peersAllow(r.From, np.Namespace, peer) {
					return true
				}
			}
		}
	}
	return !selected
}

// hasType follows the API's defaults: a policy always governs ingress unless its types
// say otherwise, and egress when its types say so or it has egress rules.
func hasType(np *networkingv1.NetworkPolicy, typ networkingv1.PolicyType) bool {
	if len(np.Spec.PolicyTypes) == 0 {
		return typ == networkingv1.PolicyTypeIngress || len(np.Spec.Egress) > 0
	}
	for _, t := range np.Spec.PolicyTypes {
		if t == typ {
			return true
		}
	}
	return false
}

func matches(sel *metav1.LabelSelector, set map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(set))
}

func portsAllow(ports []networkingv1.NetworkPolicyPort, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.StrVal != "" {
			continue // a named port: not evaluated
		}
		lo, hi := p.Port.IntVal, p.Port.IntVal
		if p.EndPort != nil {
			hi = *p.EndPort
		}
		if port >= lo && port <= hi {
			return true
		}
	}
	return false
}

func peersAllow(peers []networkingv1.NetworkPolicyPeer, policyNS string, peer Pod) bool {
	if len(peers) == 0 {
		return true
	}
	nsLabels := map[string]string{"kubernetes.io/metadata.name": peer.Namespace}
	for _, p := range peers {
		switch {
		case p.IPBlock != nil:
			continue
		case p.NamespaceSelector != nil && p.PodSelector != nil:
			if matches(p.NamespaceSelector, nsLabels) && matches(p.PodSelector, peer.Labels) {
				return true
			}
		case p.NamespaceSelector != nil:
			if matches(p.NamespaceSelector, nsLabels) {
				return true
			}
		case p.PodSelector != nil:
			if peer.Namespace == policyNS && matches(p.PodSelector, peer.Labels) {
				return true
			}
		}
	}
	return false
}
