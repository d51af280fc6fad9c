package projects

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"tongdu/platform/auth"
)

// method is the prefix of this service's full gRPC method names.
const method = "/tongdu.projects.v1.ProjectsService/"

// Policy says who may call each method of the projects service, and on what:
// the roles allowed, the request field naming the resource (which must lie in the
// caller's scope), and any further check. A process merges the policies of the services
// it serves (auth.Merge); a test in cmd/tongdu fails when a method has no entry.
var Policy = auth.Policy{
	// projects: staff plan and move projects; contractors report progress and sign for
	// their party, supervisors sign for theirs; residents supervise and read.
	method + "CreateProject":           {Roles: auth.Staff, Target: "compounds/{project.compound_id}"},
	method + "GetProject":              {Roles: auth.WorksReaders, Target: "projects/{id}", Shared: true},
	method + "ListProjects":            {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Resident, auth.Auditor}), Target: "compounds/{compound_id}", Shared: true},
	method + "UpdateProject":           {Roles: auth.Staff, Target: "projects/{project.id}"},
	method + "CreateWorkItem":          {Roles: auth.Staff, Target: "projects/{project_id}"},
	method + "GetWorkItem":             {Roles: auth.WorksReaders, Target: "projects/{project_id}", Shared: true},
	method + "ListWorkItems":           {Roles: auth.WorksReaders, Target: "projects/{project_id}", Shared: true},
	method + "UpdateWorkItem":          {Roles: auth.Staff, Target: "projects/{project_id}"},
	method + "GetSchedule":             {Roles: auth.WorksReaders, Target: "projects/{project_id}", Shared: true},
	method + "ApproveProject":          {Roles: []auth.Role{auth.DistrictAdmin, auth.SubdistrictStaff}, Target: "projects/{id}"},
	method + "StartConstruction":       {Roles: []auth.Role{auth.DistrictAdmin, auth.SubdistrictStaff}, Target: "projects/{id}"},
	method + "RequestAcceptance":       {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.Contractor}), Target: "projects/{id}"},
	method + "AcceptProject":           {Roles: auth.Staff, Target: "projects/{id}"},
	method + "StartMaintenance":        {Roles: auth.Staff, Target: "projects/{id}"},
	method + "SuspendProject":          {Roles: auth.Staff, Target: "projects/{id}"},
	method + "ResumeProject":           {Roles: auth.Staff, Target: "projects/{id}"},
	method + "CancelProject":           {Roles: []auth.Role{auth.DistrictAdmin, auth.SubdistrictStaff}, Target: "projects/{id}"},
	method + "CreateProgressReport":    {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.Contractor}), Target: "projects/{project_id}"},
	method + "ListProgressReports":     {Roles: auth.WorksReaders, Target: "projects/{project_id}", Shared: true},
	method + "CreateSupervisionReport": {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Resident, auth.Supervisor}), Target: "projects/{project_id}", Shared: true, Own: "supervision_report.household_id"},
	method + "ListSupervisionReports":  {Roles: auth.WorksReaders, Target: "projects/{project_id}", Shared: true},
	method + "CreateSignoff":           {Roles: auth.WorksParties, Target: "projects/{project_id}", Check: signsForOwnParty},
	method + "GetAcceptance":           {Roles: auth.WorksReaders, Target: "projects/{project_id}", Shared: true},
	// notices (rule 14): staff post and answer; a household objects for itself (staff may
	// record an objection handed in on paper); anyone reads the board.
	method + "CreateNotice":    {Roles: auth.Staff, Target: "compounds/{notice.compound_id}"},
	method + "GetNotice":       {Public: true},
	method + "ListNotices":     {Public: true},
	method + "CreateObjection": {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.Resident}), Target: "notices/{notice_id}", Shared: true, Own: "objection.household_id"},
	method + "AnswerObjection": {Roles: auth.Staff, Target: "notices/{notice_id}"},
}

// signsForOwnParty: a contractor signs as CONTRACTOR, a supervisor as SUPERVISOR, the
// community's staff as COMMUNITY; the builder (建设单位: the housing bureau or the
// sub-district) signs as BUILDER.
func signsForOwnParty(p auth.Principal, req proto.Message) error {
	role := auth.Field(req, "signoff.role").Enum()
	want := map[auth.Role][]int32{
		auth.Contractor:       {2},
		auth.Supervisor:       {1},
		auth.CommunityStaff:   {4},
		auth.SubdistrictStaff: {3, 4},
		auth.DistrictAdmin:    {1, 2, 3, 4},
	}[p.Role]
	for _, w := range want {
		if int32(role) == w {
			return nil
		}
	}
	return fmt.Errorf("a %s does not sign for that party", p.Role)
}
