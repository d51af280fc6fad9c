package allinone_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/servicemain"

	_ "tongdu/proto/gen/go/tongdu/finance/v1"
	_ "tongdu/proto/gen/go/tongdu/governance/v1"
	_ "tongdu/proto/gen/go/tongdu/projects/v1"
	_ "tongdu/proto/gen/go/tongdu/survey/v1"
)

// policy is the merged policy of every service Tongdu runs, as the all-in-one decides by.
var policy = servicemain.Policies(allinone.Modules()...)

// contractMethods are the methods of every service of the tongdu.* contracts, by full
// gRPC name.
func contractMethods(t *testing.T) map[string]protoreflect.MethodDescriptor {
	t.Helper()
	out := map[string]protoreflect.MethodDescriptor{}
	protoregistry.GlobalFiles.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(f.Package()), "tongdu.") {
			return true
		}
		for i := 0; i < f.Services().Len(); i++ {
			s := f.Services().Get(i)
			for j := 0; j < s.Methods().Len(); j++ {
				m := s.Methods().Get(j)
				out["/"+string(s.FullName())+"/"+string(m.Name())] = m
			}
		}
		return true
	})
	services := map[string]bool{}
	for name := range out {
		services[strings.Split(name, "/")[1]] = true
	}
	for _, want := range []string{
		"tongdu.governance.v1.GovernanceService", "tongdu.survey.v1.SurveyService",
		"tongdu.projects.v1.ProjectsService", "tongdu.finance.v1.FinanceService",
	} {
		if !services[want] {
			t.Fatalf("service %s is not registered; the generated packages were not linked", want)
		}
	}
	return out
}

func TestEveryRPCHasAPolicy(t *testing.T) {
	methods := contractMethods(t)
	var missing []string
	for name := range methods {
		if _, ok := policy[name]; !ok {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("%s has no policy (it would be denied to everyone)", m)
	}
	if len(methods) < 100 {
		t.Errorf("found only %d methods in the contracts; the walk is broken", len(methods))
	}
}

func TestEveryPolicyNamesAnExistingRPC(t *testing.T) {
	methods := contractMethods(t)
	for name := range policy {
		if !strings.HasPrefix(name, "/tongdu.") {
			continue
		}
		if _, ok := methods[name]; !ok {
			t.Errorf("policy for %s, which no contract has (stale or misspelt)", name)
		}
	}
}

// The methods served beside the contracts need no token, and nothing else that is not a
// contract method may appear in the table.
func TestNonContractPoliciesArePublicInfrastructure(t *testing.T) {
	for name, rule := range policy {
		if strings.HasPrefix(name, "/tongdu.") {
			continue
		}
		if !strings.HasPrefix(name, "/grpc.health.v1.Health/") && !strings.HasPrefix(name, "/grpc.reflection.") {
			t.Errorf("policy for %s, which is neither a contract method nor health or reflection", name)
		}
		if !rule.Public {
			t.Errorf("%s: health and reflection must be public", name)
		}
	}
	for _, m := range []string{"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"} {
		if !policy[m].Public {
			t.Errorf("%s is not public; probes carry no token", m)
		}
	}
}

var placeholder = regexp.MustCompile(`\{([^{}]*)\}`)

// fieldAt walks a dotted protobuf field path from msg; it returns the last field.
func fieldAt(msg protoreflect.MessageDescriptor, path string) (protoreflect.FieldDescriptor, string) {
	var fd protoreflect.FieldDescriptor
	m := msg
	for i, name := range strings.Split(path, ".") {
		if m == nil {
			return nil, "field " + strings.Join(strings.Split(path, ".")[:i], ".") + " is not a message"
		}
		fd = m.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return nil, "no field " + name + " in " + string(m.FullName())
		}
		if fd.IsList() || fd.IsMap() {
			return nil, "field " + name + " is repeated"
		}
		m = fd.Message()
	}
	return fd, ""
}

func TestPolicyFieldsExistInTheRequest(t *testing.T) {
	methods := contractMethods(t)
	for name, rule := range policy {
		m, ok := methods[name]
		if !ok {
			continue
		}
		req := m.Input()
		if rule.Target != "" {
			for _, alt := range strings.Split(rule.Target, "|") {
				if strings.Count(alt, "{") != strings.Count(alt, "}") {
					t.Errorf("%s: target %q has unbalanced braces", name, alt)
				}
				kind, _, ok := strings.Cut(alt, "/")
				if !ok || kind == "" || strings.HasPrefix(kind, "{") {
					t.Errorf("%s: target %q does not start with KIND/", name, alt)
				}
				holes := placeholder.FindAllStringSubmatch(alt, -1)
				if len(holes) == 0 {
					t.Errorf("%s: target %q names no request field", name, alt)
				}
				for _, h := range holes {
					// "kind/{ids}": a list of ids, each of which must lie in scope.
					if list := req.Fields().ByName(protoreflect.Name(h[1])); list != nil && list.IsList() &&
						list.Kind() == protoreflect.StringKind && len(holes) == 1 && strings.HasSuffix(alt, "/{"+h[1]+"}") {
						continue
					}
					fd, why := fieldAt(req, h[1])
					if fd == nil {
						t.Errorf("%s: target %q: %s", name, alt, why)
						continue
					}
					if fd.Kind() != protoreflect.StringKind {
						t.Errorf("%s: target %q: %s is %s, not a string id", name, alt, h[1], fd.Kind())
					}
				}
			}
		}
		if rule.Own != "" {
			fd, why := fieldAt(req, rule.Own)
			if fd == nil {
				t.Errorf("%s: own %q: %s", name, rule.Own, why)
			} else if fd.Kind() != protoreflect.StringKind {
				t.Errorf("%s: own %q is %s, not a household id", name, rule.Own, fd.Kind())
			}
		}
	}
}

func TestPolicyRulesAreWellFormed(t *testing.T) {
	known := map[auth.Role]bool{}
	for _, r := range auth.Roles {
		known[r] = true
	}
	for name, rule := range policy {
		if rule.Public {
			if len(rule.Roles) != 0 || rule.Target != "" || rule.Own != "" || rule.Check != nil {
				t.Errorf("%s: a public rule with conditions (they are never checked)", name)
			}
			continue
		}
		if len(rule.Roles) == 0 {
			t.Errorf("%s: not public and names no role (denied to everyone)", name)
		}
		seen := map[auth.Role]bool{}
		for _, r := range rule.Roles {
			if !known[r] {
				t.Errorf("%s: unknown role %q", name, r)
			}
			if seen[r] {
				t.Errorf("%s: role %s named twice", name, r)
			}
			seen[r] = true
		}
		if rule.Own != "" && !seen[auth.Resident] {
			t.Errorf("%s: Own %q is checked only for residents, and residents may not call it", name, rule.Own)
		}
		if rule.Anywhere && rule.Target != "" {
			t.Errorf("%s: Anywhere with a target (the target is never checked)", name)
		}
	}
}

// Only reads of public registry facts may be callable anywhere; a change that any scope
// may make would break "staff act only inside their subtree". The one exception places
// its resource itself: a new account's scope is a field holding a whole resource name,
// checked by the use case with the engine's ancestry (reason ACCOUNT_TOO_WIDE).
func TestOnlyReadsAreAnywhere(t *testing.T) {
	for name, rule := range policy {
		if !rule.Anywhere || name == "/tongdu.governance.v1.AccountService/CreateAccount" {
			continue
		}
		method := name[strings.LastIndexByte(name, '/')+1:]
		if !strings.HasPrefix(method, "Get") && !strings.HasPrefix(method, "List") && !strings.HasPrefix(method, "BatchGet") {
			t.Errorf("%s is callable anywhere but is not a read", name)
		}
	}
}

// The only methods that need no token are the public reports and notice boards (rule
// 14), the probes, and signing in and out (whose credentials or session id are the proof).
func TestPublicMethods(t *testing.T) {
	want := map[string]bool{
		"/tongdu.finance.v1.FinanceService/GetProjectDisclosure":  true,
		"/tongdu.finance.v1.FinanceService/GetCompoundDisclosure": true,
		"/tongdu.governance.v1.AccountService/CreateSession":      true,
		"/tongdu.governance.v1.AccountService/DeleteSession":      true,
		"/tongdu.governance.v1.AccountService/ResolveSession":     true,
		"/tongdu.governance.v1.AccountService/StartSignOn":        true,
		"/tongdu.projects.v1.ProjectsService/GetNotice":           true,
		"/tongdu.projects.v1.ProjectsService/ListNotices":         true,
	}
	for name, rule := range policy {
		if !strings.HasPrefix(name, "/tongdu.") {
			continue
		}
		if rule.Public != want[name] {
			t.Errorf("%s: Public = %v, want %v", name, rule.Public, want[name])
		}
	}
}

func isRead(method string) bool {
	name := method[strings.LastIndexByte(method, '/')+1:]
	for _, p := range []string{"Get", "List", "BatchGet", "Export", "Verify"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func names(rs []auth.Role, r auth.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// AUDITOR is read-only.
func TestAuditorOnlyReads(t *testing.T) {
	for name, rule := range policy {
		if names(rule.Roles, auth.Auditor) && !isRead(name) {
			t.Errorf("%s changes something and an AUDITOR may call it", name)
		}
	}
}

// A resident changes nothing but what their own household submits (responses,
// endorsements, votes, ideas, supervision reports): every change open to residents must
// name the household field the engine checks.
func TestResidentChangesOnlyForTheirHousehold(t *testing.T) {
	for name, rule := range policy {
		if names(rule.Roles, auth.Resident) && !isRead(name) && rule.Own == "" {
			t.Errorf("%s changes something, a RESIDENT may call it, and no field ties it to their household", name)
		}
	}
}

// Contractors and supervisors never touch money or the registry.
func TestWorksPartiesStayOnTheirProjects(t *testing.T) {
	for name, rule := range policy {
		for _, r := range []auth.Role{auth.Contractor, auth.Supervisor} {
			if !names(rule.Roles, r) || isRead(name) {
				continue
			}
			if !strings.HasPrefix(name, "/tongdu.projects.v1.") {
				t.Errorf("%s: a %s may change something outside projects", name, r)
			}
			if !strings.HasPrefix(rule.Target, "projects/") {
				t.Errorf("%s: a %s may change something not tied to a project (target %q)", name, r, rule.Target)
			}
		}
	}
}

// grpcserver authorizes unary calls only (WithAuth adds no stream interceptor), so a
// streaming contract method would bypass the policy table.
func TestContractMethodsAreUnary(t *testing.T) {
	for name, m := range contractMethods(t) {
		if m.IsStreamingClient() || m.IsStreamingServer() {
			t.Errorf("%s streams; the auth interceptor is unary only", name)
		}
	}
}
