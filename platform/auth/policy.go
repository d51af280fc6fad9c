package auth

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Rule says who may call one method, and on what.
type Rule struct {
	// Public methods need no token (health, disclosures).
	Public bool
	// Roles may call the method; a role not named is denied.
	Roles []Role
	// Target names the resource the call concerns, from the request's fields:
	// "compounds/{id}", "regions/{compound.community_id}"; alternatives separated by "|"
	// are the filters of a list, and every one that is set must lie within the caller's
	// scope. Empty (or no field set): the call concerns the whole district (lists without
	// a filter, new departments), so only callers without a scope may.
	Target string
	// Anywhere: the role may call whatever its scope (registry facts that are no
	// personal data: regions, compounds, departments).
	Anywhere bool
	// Shared matters are a compound's public ones (its surveys' statistics, its projects,
	// its ideas): a caller whose scope is a household of the compound may read and act on
	// them (answer, endorse, report), one whose scope is a project of it may read them.
	Shared bool
	// Own is a request field naming a household (e.g. "response.household_id"): a
	// RESIDENT may act only for their own household.
	Own string
	// Check is a further condition on the request, e.g. that a party signs for its own role.
	Check func(p Principal, req proto.Message) error
}

// Role sets the services' policies are written with.
var (
	// Staff are the district's, sub-districts' and communities' own staff.
	Staff = []Role{DistrictAdmin, SubdistrictStaff, CommunityStaff}
	// Fieldwork adds the grid workers who go door to door.
	Fieldwork = append(clone(Staff), GridWorker)
	// CompoundPeople adds those who act within one compound.
	CompoundPeople = append(clone(Fieldwork), BranchSecretary, OwnersCommittee, BuildingLeader)
	// Readers adds residents, the works' parties and auditors.
	Readers = append(clone(CompoundPeople), Resident, Contractor, Supervisor, Auditor)
	// Everyone is every role.
	Everyone = append(clone(Readers), Department)
	// MoneyReaders are staff and auditors.
	MoneyReaders = append(clone(Staff), Auditor)
	// WorksParties are staff, contractors and supervisors.
	WorksParties = append(clone(Staff), Contractor, Supervisor)
	// WorksReaders are the readers and the departments.
	WorksReaders = append(clone(Readers), Department)
)

func clone(rs []Role) []Role { return append([]Role(nil), rs...) }

// RolesOf joins role sets: RolesOf(Staff, []Role{Auditor}).
func RolesOf(rs ...[]Role) []Role {
	var out []Role
	for _, r := range rs {
		out = append(out, r...)
	}
	return out
}

// Policy says who may call each method, by full gRPC name. Each service declares the
// policy of its own methods; a process merges those of the services it serves. A method
// missing from the policy is denied.
type Policy map[string]Rule

// Infrastructure is the policy of what every server serves beside the contracts: health
// and reflection need no token.
var Infrastructure = Policy{
	"/grpc.health.v1.Health/Check":                                   {Public: true},
	"/grpc.health.v1.Health/Watch":                                   {Public: true},
	"/grpc.health.v1.Health/List":                                    {Public: true},
	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      {Public: true},
	"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": {Public: true},
}

// Merge joins the infrastructure's and the services' policies into one; a method that
// two of them declare is a mistake and panics at start.
func Merge(ps ...Policy) Policy {
	out := Policy{}
	for _, p := range append([]Policy{Infrastructure}, ps...) {
		for m, r := range p {
			if _, dup := out[m]; dup && !isInfrastructure(m) {
				panic("auth: two policies for " + m)
			}
			out[m] = r
		}
	}
	return out
}

func isInfrastructure(m string) bool { _, ok := Infrastructure[m]; return ok }

// Target names the resource a call concerns by the policy ("" when none).
func (p Policy) Target(method string, req proto.Message) string {
	return expand(p[method].Target, req)
}

// Field reads a dotted field path of a request (for a rule's Check).
func Field(req proto.Message, path string) protoreflect.Value { return field(req, path) }
