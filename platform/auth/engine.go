package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Authorizer decides each call by the policy table: it authenticates the caller's token,
// then checks role, scope and the rule's conditions.
type Authorizer struct {
	verifier *Verifier
	resolver *Resolver
	policy   Policy
}

// NewAuthorizer decides by policy (the merged policies of the services served) with the
// given token verifier and resource resolver.
func NewAuthorizer(v *Verifier, r *Resolver, policy Policy) *Authorizer {
	return &Authorizer{verifier: v, resolver: r, policy: policy}
}

// Policy is the policy the authorizer decides by.
func (a *Authorizer) Policy() Policy { return a.policy }

// Resolver is where services teach the kinds of resource they own.
func (a *Authorizer) Resolver() *Resolver { return a.resolver }

// BearerToken reads the token of incoming gRPC metadata ("authorization: Bearer …").
func BearerToken(ctx context.Context) string {
	for _, v := range metadata.ValueFromIncomingContext(ctx, "authorization") {
		if t, ok := ParseBearer(v); ok {
			return t
		}
	}
	return ""
}

// ParseBearer reads the token of an Authorization value. The scheme name is
// case-insensitive (RFC 9110 §11.1), so "bearer x" is as good as "Bearer x".
func ParseBearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// Authorize decides a call and returns ctx carrying the caller. Refusals are
// UNAUTHENTICATED (no token, or a bad one) or PERMISSION_DENIED (with why).
func (a *Authorizer) Authorize(ctx context.Context, method string, req proto.Message) (context.Context, error) {
	rule, ok := a.policy[method]
	token := BearerToken(ctx)
	if ok && rule.Public {
		if p, err := a.verifier.Verify(token); err == nil {
			ctx = WithPrincipal(ctx, p)
		}
		return ctx, nil
	}
	p, err := a.verifier.Verify(token)
	if err == nil {
		fillSlot(ctx, p)
	}
	if err != nil {
		if errors.Is(err, ErrNoToken) {
			return ctx, status.Error(codes.Unauthenticated, "a bearer token is required")
		}
		// The verifier's reason (expired, wrong key, a library's parse error) stays out
		// of the answer: it helps an attacker more than a caller.
		return ctx, status.Error(codes.Unauthenticated, "invalid token")
	}
	ctx = WithPrincipal(ctx, p)
	if !ok {
		return ctx, status.Errorf(codes.PermissionDenied, "%s has no policy: denied", method)
	}
	if err := a.allow(ctx, p, method, rule, req); err != nil {
		return ctx, status.Error(codes.PermissionDenied, err.Error())
	}
	return ctx, nil
}

func (a *Authorizer) allow(ctx context.Context, p Principal, method string, rule Rule, req proto.Message) error {
	allowed := false
	for _, r := range rule.Roles {
		allowed = allowed || r == p.Role
	}
	if !allowed {
		return fmt.Errorf("a %s may not do this", p.Role)
	}
	if rule.Check != nil {
		if err := rule.Check(p, req); err != nil {
			return err
		}
	}
	if rule.Own != "" && p.Role == Resident {
		if "households/"+field(req, rule.Own).String() != p.Scope {
			return errors.New("a resident acts for their own household only")
		}
	}
	if rule.Anywhere || p.Scope == "" {
		return nil
	}
	// Every resource the call names (each filter of a list) must lie within the scope.
	targets := expandAll(rule.Target, req)
	if len(targets) == 0 {
		return fmt.Errorf("the call concerns the whole district; your scope is %s", p.Scope)
	}
	for _, target := range targets {
		if err := a.within(ctx, p, rule.Shared && sharesCompound(p.Scope, method), target); err != nil {
			return err
		}
	}
	return nil
}

// sharesCompound: a household's people read and act on their compound's public matters
// (its surveys, ideas, works); a project's parties read them, but act only on their own
// project.
func sharesCompound(scope, method string) bool {
	return strings.HasPrefix(scope, "households/") || (strings.HasPrefix(scope, "projects/") && !IsChange(method))
}

func (a *Authorizer) within(ctx context.Context, p Principal, shared bool, target string) error {
	above, err := a.resolver.Ancestry(ctx, target)
	if err != nil {
		if st, ok := status.FromError(err); ok && st.Code() == codes.NotFound {
			return fmt.Errorf("%s is not within your scope %s", target, p.Scope)
		}
		return fmt.Errorf("cannot place %s: %v", target, err)
	}
	if contains(above, p.Scope) {
		return nil
	}
	if shared {
		mine, err := a.resolver.Ancestry(ctx, p.Scope)
		if err == nil {
			for _, m := range mine {
				if strings.HasPrefix(m, "compounds/") && contains(above, m) {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("%s is not within your scope %s", target, p.Scope)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// expand fills a target template from the request: the first alternative whose fields
// are all set.
func expand(template string, req proto.Message) string {
	if all := expandAll(template, req); len(all) > 0 {
		return all[0]
	}
	return ""
}

// expandAll fills every alternative of a target template whose fields are all set. A
// template whose one field is a list ("households/{ids}") names every element, and each
// must lie within the caller's scope.
func expandAll(template string, req proto.Message) []string {
	var targets []string
	for _, alt := range strings.Split(template, "|") {
		if each, ok := eachOf(alt, req); ok {
			targets = append(targets, each...)
			continue
		}
		out, complete := "", alt != ""
		rest := alt
		for rest != "" {
			open := strings.IndexByte(rest, '{')
			if open < 0 {
				out += rest
				break
			}
			end := strings.IndexByte(rest[open:], '}')
			if end < 0 {
				complete = false
				break
			}
			v := field(req, rest[open+1:open+end]).String()
			if v == "" {
				complete = false
				break
			}
			out += rest[:open] + v
			rest = rest[open+end+1:]
		}
		if complete {
			targets = append(targets, out)
		}
	}
	return targets
}

// eachOf expands a template "kind/{field}" whose field is a list of strings: one target
// per element. ok is false for any other template.
func eachOf(template string, req proto.Message) ([]string, bool) {
	open, end := strings.IndexByte(template, '{'), strings.IndexByte(template, '}')
	if req == nil || open < 0 || end != len(template)-1 || strings.Contains(template[:open], "{") {
		return nil, false
	}
	fd := req.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(template[open+1 : end]))
	if fd == nil || !fd.IsList() || fd.Kind() != protoreflect.StringKind {
		return nil, false
	}
	l := req.ProtoReflect().Get(fd).List()
	out := make([]string, 0, l.Len())
	for i := 0; i < l.Len(); i++ {
		out = append(out, template[:open]+l.Get(i).String())
	}
	return out, true
}

// field reads a request field by its protobuf path ("response.household_id").
func field(req proto.Message, path string) protoreflect.Value {
	if req == nil {
		return protoreflect.Value{}
	}
	m := req.ProtoReflect()
	parts := strings.Split(path, ".")
	for i, name := range parts {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return protoreflect.ValueOfString("")
		}
		v := m.Get(fd)
		if i == len(parts)-1 {
			return v
		}
		if fd.Message() == nil {
			return protoreflect.ValueOfString("")
		}
		m = v.Message()
	}
	return protoreflect.ValueOfString("")
}

// IsChange reports whether a method of the contracts changes something; reads (Get,
// List, BatchGet, Export, Verify) do not.
func IsChange(method string) bool {
	_, name, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	for _, read := range []string{"Get", "List", "BatchGet", "Export", "Verify"} {
		if strings.HasPrefix(name, read) {
			return false
		}
	}
	return strings.HasPrefix(method, "/tongdu.")
}
