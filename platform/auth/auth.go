// Package auth answers who is calling and what they may do. Callers carry a bearer JWT
// whose claims name a subject, a role and a scope (a resource name: a region subtree, a
// compound, a household, a project or a department). Tokens are checked at the gateway
// and again at every service: a service never trusts a caller for being inside the
// network. What each role may do where is one table (policy.go); anything the table does
// not name is denied.
package auth

import (
	"context"
	"fmt"
	"strings"
)

// Role is what a caller is in the district's work.
type Role string

// The roles, as tokens name them.
const (
	DistrictAdmin    Role = "DISTRICT_ADMIN"
	SubdistrictStaff Role = "SUBDISTRICT_STAFF"
	CommunityStaff   Role = "COMMUNITY_STAFF"
	GridWorker       Role = "GRID_WORKER"
	BranchSecretary  Role = "BRANCH_SECRETARY"
	OwnersCommittee  Role = "OWNERS_COMMITTEE"
	BuildingLeader   Role = "BUILDING_LEADER"
	Resident         Role = "RESIDENT"
	Contractor       Role = "CONTRACTOR"
	Supervisor       Role = "SUPERVISOR"
	Department       Role = "DEPARTMENT"
	Auditor          Role = "AUDITOR"
	// Reporter is a system that reports problems for the public and reads where they
	// stand (an Open311 app, through the gateway's facade): it reads whistles and
	// departments and files reports, nothing else.
	Reporter Role = "REPORTER"
)

// Roles lists every role.
var Roles = []Role{DistrictAdmin, SubdistrictStaff, CommunityStaff, GridWorker, BranchSecretary, OwnersCommittee, BuildingLeader, Resident, Contractor, Supervisor, Department, Auditor, Reporter}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q", s)
}

// Principal is an authenticated caller.
type Principal struct {
	Subject string
	Role    Role
	// Scope is the resource the caller acts within ("regions/ID", "compounds/ID",
	// "households/ID", "projects/ID", "departments/ID"); empty only for a DISTRICT_ADMIN
	// or AUDITOR of the whole district.
	Scope string
}

// ScopeKinds are the resource kinds a scope may name.
var ScopeKinds = []string{"regions", "compounds", "households", "projects", "departments"}

// CheckScope refuses a scope that names no resource of a known kind.
func CheckScope(scope string) error {
	if scope == "" {
		return nil
	}
	kind, id, ok := strings.Cut(scope, "/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return fmt.Errorf("scope %q: want KIND/ID, e.g. regions/01H…", scope)
	}
	for _, k := range ScopeKinds {
		if k == kind {
			return nil
		}
	}
	return fmt.Errorf("scope %q: kind %q is not one of %v", scope, kind, ScopeKinds)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying the caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

type slotKey struct{}

// WithSlot returns ctx with a place that Authorize fills with the caller, for what runs
// before authorization and must name the caller after it (the audit trail, which also
// records calls that authorization refused).
func WithSlot(ctx context.Context) (context.Context, *Principal) {
	slot := &Principal{}
	return context.WithValue(ctx, slotKey{}, slot), slot
}

// Name tells the audit trail who a call acts for when no token says so: sign-in names the
// account that signed in, or for a failed attempt what it tried ("login:<login>", with no
// role; never a password or code). Outside an audited call it does nothing.
func Name(ctx context.Context, p Principal) { fillSlot(ctx, p) }

func fillSlot(ctx context.Context, p Principal) {
	if slot, ok := ctx.Value(slotKey{}).(*Principal); ok {
		*slot = p
	}
}

// FromContext returns the caller, if the request was authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Acting is the signed-in caller's token subject ("accounts/ID", "households/ID", or a
// district system's subject), which a service records with each change as who acted
// (rule 16); empty when the context carries no principal.
func Acting(ctx context.Context) string {
	p, _ := FromContext(ctx)
	return p.Subject
}

// SeesPersonalData reports whether a caller's role needs residents' names, phone numbers
// and ID numbers (rule 13: personal data masked): the staff who register and visit households. Everyone else
// sees them masked, except a resident reading their own household.
func (p Principal) SeesPersonalData() bool {
	switch p.Role {
	case DistrictAdmin, SubdistrictStaff, CommunityStaff, GridWorker:
		return true
	}
	return false
}
