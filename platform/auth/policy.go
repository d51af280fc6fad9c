package auth

import (
	"fmt"

	"google.golang.org/protobuf/proto"
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

// Role sets of the matrix.
var (
	staff     = []Role{DistrictAdmin, SubdistrictStaff, CommunityStaff}
	fieldwork = append(clone(staff), GridWorker)
	compound  = append(clone(fieldwork), BranchSecretary, OwnersCommittee, BuildingLeader)
	readers   = append(clone(compound), Resident, Contractor, Supervisor, Auditor)
	everyone  = append(clone(readers), Department)
	money     = append(clone(staff), Auditor)
	works     = append(clone(staff), Contractor, Supervisor)
	worksRead = append(clone(readers), Department)
)

func clone(rs []Role) []Role { return append([]Role(nil), rs...) }

func roles(rs ...[]Role) []Role {
	var out []Role
	for _, r := range rs {
		out = append(out, r...)
	}
	return out
}

// The methods, by full gRPC name.
const (
	gov = "/tongdu.governance.v1.GovernanceService/"
	svy = "/tongdu.survey.v1.SurveyService/"
	prj = "/tongdu.projects.v1.ProjectsService/"
	fin = "/tongdu.finance.v1.FinanceService/"
)

// Policy is the one table of who may do what, where, for every method of the four
// contracts. A method missing from it is denied (policy_test.go fails when one is).
var Policy = map[string]Rule{
	// Health and reflection are served beside the contracts and need no token.
	"/grpc.health.v1.Health/Check":                                   {Public: true},
	"/grpc.health.v1.Health/Watch":                                   {Public: true},
	"/grpc.health.v1.Health/List":                                    {Public: true},
	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      {Public: true},
	"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": {Public: true},

	// governance: the registry. Registry facts of regions and compounds are not personal
	// data; every role reads them (that is also how other services place a resource).
	gov + "CreateRegion":          {Roles: roles(staff), Target: "regions/{region.parent}"},
	gov + "GetRegion":             {Roles: everyone, Anywhere: true},
	gov + "ListRegions":           {Roles: everyone, Anywhere: true},
	gov + "CreateCompound":        {Roles: roles(staff), Target: "regions/{compound.community_id}"},
	gov + "GetCompound":           {Roles: everyone, Anywhere: true},
	gov + "ListCompounds":         {Roles: roles(compound, []Role{Auditor}), Target: "regions/{region_id}"},
	gov + "UpdateCompound":        {Roles: roles(staff), Target: "compounds/{compound.id}"},
	gov + "ClassifyCompound":      {Roles: roles(staff), Target: "compounds/{id}"},
	gov + "CreateBuilding":        {Roles: roles(fieldwork), Target: "compounds/{compound_id}"},
	gov + "GetBuilding":           {Roles: readers, Target: "buildings/{id}", Shared: true},
	gov + "ListBuildings":         {Roles: readers, Target: "compounds/{compound_id}", Shared: true},
	gov + "CreateHousehold":       {Roles: roles(fieldwork), Target: "compounds/{compound_id}"},
	gov + "BatchCreateHouseholds": {Roles: roles(fieldwork), Target: "compounds/{compound_id}"},
	gov + "GetHousehold":          {Roles: roles(compound, []Role{Resident}), Target: "households/{id}"},
	gov + "ListHouseholds":        {Roles: compound, Target: "compounds/{compound_id}"},
	// Other services place households by it; it always answers masked.
	gov + "BatchGetHouseholds": {Roles: everyone, Anywhere: true},

	// governance: the organisation.
	gov + "CreatePartyBranch":        {Roles: roles(staff), Target: "regions/{party_branch.community_id}"},
	gov + "ListPartyBranches":        {Roles: readers, Target: "regions/{community_id}"},
	gov + "CreateGridCell":           {Roles: roles(staff), Target: "regions/{grid_cell.community_id}"},
	gov + "ListGridCells":            {Roles: compound, Target: "regions/{community_id}"},
	gov + "CreateLeaderElection":     {Roles: roles(compound), Target: "buildings/{leader_election.building_id}"},
	gov + "GetLeaderElection":        {Roles: readers, Target: "elections/{id}", Shared: true},
	gov + "CastLeaderVote":           {Roles: roles(compound, []Role{Resident}), Target: "elections/{id}", Shared: true, Own: "household_id"},
	gov + "CloseLeaderElection":      {Roles: roles(compound), Target: "elections/{id}"},
	gov + "CreateLinkedUnit":         {Roles: roles(staff), Target: "regions/{linked_unit.community_id}"},
	gov + "ListLinkedUnits":          {Roles: roles(compound, []Role{Auditor}), Target: "regions/{community_id}"},
	gov + "CreatePartyMember":        {Roles: roles(staff, []Role{BranchSecretary}), Target: "regions/{party_member.residence_community_id}"},
	gov + "ListPartyMembers":         {Roles: roles(staff, []Role{BranchSecretary}), Target: "regions/{residence_community_id}"},
	gov + "CreateServiceRecord":      {Roles: roles(staff, []Role{BranchSecretary}), Target: "members/{party_member_id}"},
	gov + "GetReportBack":            {Roles: roles(staff, []Role{BranchSecretary, Auditor}), Target: "units/{linked_unit_id}"},
	gov + "CreateLeaderContact":      {Roles: []Role{DistrictAdmin}},
	gov + "ListLeaderContacts":       {Roles: roles(staff, []Role{Auditor})},
	gov + "CreateDepartment":         {Roles: []Role{DistrictAdmin}},
	gov + "ListDepartments":          {Roles: everyone, Anywhere: true},
	gov + "CreateWhistle":            {Roles: roles(compound), Target: "compounds/{whistle.compound_id}"},
	gov + "GetWhistle":               {Roles: roles(compound, []Role{Department, Auditor}), Target: "whistles/{id}"},
	gov + "ListWhistles":             {Roles: roles(compound, []Role{Department, Auditor}), Target: "departments/{department_id}|compounds/{compound_id}"},
	gov + "AcknowledgeWhistle":       {Roles: []Role{Department, DistrictAdmin}, Target: "departments/{department_id}", Check: calledDepartment},
	gov + "ResolveWhistle":           {Roles: []Role{Department, DistrictAdmin}, Target: "departments/{department_id}", Check: calledDepartment},
	gov + "CloseWhistle":             {Roles: roles(staff), Target: "whistles/{id}"},
	gov + "GetDepartmentPerformance": {Roles: roles(staff, []Role{Department, Auditor}), Target: "departments/{department_id}"},
	gov + "CreateLinkageMeeting":     {Roles: roles(compound), Target: "compounds/{linkage_meeting.compound_id}"},
	gov + "ListLinkageMeetings":      {Roles: readers, Target: "compounds/{compound_id}", Shared: true},
	gov + "CreateConvention":         {Roles: roles(staff, []Role{OwnersCommittee}), Target: "compounds/{compound_id}"},
	gov + "ListConventions":          {Roles: readers, Target: "compounds/{compound_id}", Shared: true},
	gov + "AdoptConvention":          {Roles: roles(staff, []Role{OwnersCommittee}), Target: "conventions/{id}"},
	gov + "ListAuditEntries":         {Roles: []Role{DistrictAdmin, Auditor}},

	// survey: staff run surveys; grid workers, branch secretaries and building leaders
	// collect answers door to door and at courtyard meetings; residents answer for their
	// own household and read their compound's results.
	svy + "CreateSurvey":         {Roles: roles(staff, []Role{OwnersCommittee}), Target: "compounds/{survey.compound_id}"},
	svy + "GetSurvey":            {Roles: worksRead, Target: "surveys/{id}", Shared: true},
	svy + "ListSurveys":          {Roles: worksRead, Target: "compounds/{compound_id}", Shared: true},
	svy + "UpdateSurvey":         {Roles: roles(staff, []Role{OwnersCommittee}), Target: "surveys/{survey.id}"},
	svy + "OpenSurvey":           {Roles: roles(staff, []Role{OwnersCommittee}), Target: "surveys/{id}"},
	svy + "CloseSurvey":          {Roles: roles(staff, []Role{OwnersCommittee}), Target: "surveys/{id}"},
	svy + "SubmitResponse":       {Roles: roles(compound, []Role{Resident}), Target: "surveys/{survey_id}", Shared: true, Own: "response.household_id"},
	svy + "BatchSubmitResponses": {Roles: compound, Target: "surveys/{survey_id}"},
	svy + "ListResponses":        {Roles: compound, Target: "surveys/{survey_id}"},
	svy + "GetSurveyStats":       {Roles: worksRead, Target: "surveys/{survey_id}", Shared: true},
	svy + "ExportSurveyStats":    {Roles: roles(compound, []Role{Auditor}), Target: "surveys/{survey_id}"},
	svy + "GetResolutionResult":  {Roles: worksRead, Target: "surveys/{survey_id}", Shared: true},
	svy + "CreateMeeting":        {Roles: compound, Target: "compounds/{meeting.compound_id}"},
	svy + "GetMeeting":           {Roles: readers, Target: "meetings/{id}", Shared: true},
	svy + "ListMeetings":         {Roles: readers, Target: "compounds/{compound_id}", Shared: true},
	svy + "CloseMeeting":         {Roles: compound, Target: "meetings/{id}"},
	svy + "CreateIdea":           {Roles: roles(compound, []Role{Resident}), Target: "compounds/{idea.compound_id}", Shared: true, Own: "idea.household_id"},
	svy + "GetIdea":              {Roles: readers, Target: "ideas/{id}", Shared: true},
	svy + "ListIdeas":            {Roles: readers, Target: "compounds/{compound_id}", Shared: true},
	svy + "EndorseIdea":          {Roles: roles(compound, []Role{Resident}), Target: "ideas/{id}", Shared: true, Own: "household_id"},
	svy + "AdoptIdea":            {Roles: roles(staff, []Role{OwnersCommittee}), Target: "ideas/{id}"},
	svy + "DeclineIdea":          {Roles: roles(staff, []Role{OwnersCommittee}), Target: "ideas/{id}"},
	svy + "GetRanking":           {Roles: roles(staff, []Role{Auditor}), Target: "regions/{region_id}"},

	// projects: staff plan and move projects; contractors report progress and sign for
	// their party, supervisors sign for theirs; residents supervise and read.
	prj + "CreateProject":           {Roles: roles(staff), Target: "compounds/{project.compound_id}"},
	prj + "GetProject":              {Roles: worksRead, Target: "projects/{id}", Shared: true},
	prj + "ListProjects":            {Roles: roles(compound, []Role{Resident, Auditor}), Target: "compounds/{compound_id}", Shared: true},
	prj + "UpdateProject":           {Roles: roles(staff), Target: "projects/{project.id}"},
	prj + "CreateWorkItem":          {Roles: roles(staff), Target: "projects/{project_id}"},
	prj + "GetWorkItem":             {Roles: worksRead, Target: "projects/{project_id}", Shared: true},
	prj + "ListWorkItems":           {Roles: worksRead, Target: "projects/{project_id}", Shared: true},
	prj + "UpdateWorkItem":          {Roles: roles(staff), Target: "projects/{project_id}"},
	prj + "GetSchedule":             {Roles: worksRead, Target: "projects/{project_id}", Shared: true},
	prj + "ApproveProject":          {Roles: []Role{DistrictAdmin, SubdistrictStaff}, Target: "projects/{id}"},
	prj + "StartConstruction":       {Roles: []Role{DistrictAdmin, SubdistrictStaff}, Target: "projects/{id}"},
	prj + "RequestAcceptance":       {Roles: roles(staff, []Role{Contractor}), Target: "projects/{id}"},
	prj + "AcceptProject":           {Roles: roles(staff), Target: "projects/{id}"},
	prj + "StartMaintenance":        {Roles: roles(staff), Target: "projects/{id}"},
	prj + "SuspendProject":          {Roles: roles(staff), Target: "projects/{id}"},
	prj + "ResumeProject":           {Roles: roles(staff), Target: "projects/{id}"},
	prj + "CancelProject":           {Roles: []Role{DistrictAdmin, SubdistrictStaff}, Target: "projects/{id}"},
	prj + "CreateProgressReport":    {Roles: roles(staff, []Role{Contractor}), Target: "projects/{project_id}"},
	prj + "ListProgressReports":     {Roles: worksRead, Target: "projects/{project_id}", Shared: true},
	prj + "CreateSupervisionReport": {Roles: roles(compound, []Role{Resident, Supervisor}), Target: "projects/{project_id}", Shared: true, Own: "supervision_report.household_id"},
	prj + "ListSupervisionReports":  {Roles: worksRead, Target: "projects/{project_id}", Shared: true},
	prj + "CreateSignoff":           {Roles: works, Target: "projects/{project_id}", Check: signsForOwnParty},
	prj + "GetAcceptance":           {Roles: worksRead, Target: "projects/{project_id}", Shared: true},

	// finance: staff record money; auditors read every book; disclosures are public.
	fin + "CreateFundingPlan":     {Roles: []Role{DistrictAdmin, SubdistrictStaff}, Target: "projects/{funding_plan.project_id}"},
	fin + "GetFundingPlan":        {Roles: roles(money, []Role{OwnersCommittee, Contractor}), Target: "projects/{project_id}"},
	fin + "CreateReceipt":         {Roles: []Role{DistrictAdmin, SubdistrictStaff}, Target: "projects/{project_id}"},
	fin + "CreateContribution":    {Roles: roles(staff, []Role{GridWorker}), Target: "projects/{project_id}"},
	fin + "GetCollection":         {Roles: roles(money, []Role{GridWorker, OwnersCommittee}), Target: "projects/{project_id}"},
	fin + "CreateDisbursement":    {Roles: []Role{DistrictAdmin, SubdistrictStaff}, Target: "projects/{project_id}"},
	fin + "RecordIncome":          {Roles: roles(staff, []Role{OwnersCommittee}), Target: "compounds/{compound_id}"},
	fin + "RecordExpense":         {Roles: roles(staff, []Role{OwnersCommittee}), Target: "compounds/{compound_id}"},
	fin + "GetBook":               {Roles: roles(money, []Role{OwnersCommittee}), Target: "books/{book_id}"},
	fin + "ListBooks":             {Roles: money, Target: "projects/{project_id}|compounds/{compound_id}"},
	fin + "ListAccounts":          {Roles: money, Target: "books/{book_id}"},
	fin + "ListTransactions":      {Roles: money, Target: "books/{book_id}"},
	fin + "ReverseTransaction":    {Roles: []Role{DistrictAdmin, SubdistrictStaff}, Target: "transactions/{id}"},
	fin + "VerifyBook":            {Roles: money, Target: "books/{book_id}"},
	fin + "GetProjectDisclosure":  {Public: true},
	fin + "GetCompoundDisclosure": {Public: true},
}

// signsForOwnParty: a contractor signs as CONTRACTOR, a supervisor as SUPERVISOR, the
// community's staff as COMMUNITY; the builder (建设单位: the housing bureau or the
// sub-district) signs as BUILDER.
func signsForOwnParty(p Principal, req proto.Message) error {
	role := field(req, "signoff.role").Enum()
	want := map[Role][]int32{
		Contractor:       {2},
		Supervisor:       {1},
		CommunityStaff:   {4},
		SubdistrictStaff: {3, 4},
		DistrictAdmin:    {1, 2, 3, 4},
	}[p.Role]
	for _, w := range want {
		if int32(role) == w {
			return nil
		}
	}
	return fmt.Errorf("a %s does not sign for that party", p.Role)
}

// calledDepartment: a department acts for itself only.
func calledDepartment(p Principal, req proto.Message) error {
	if p.Role != Department {
		return nil
	}
	if "departments/"+field(req, "department_id").String() != p.Scope {
		return fmt.Errorf("a department acknowledges and resolves for itself only")
	}
	return nil
}
