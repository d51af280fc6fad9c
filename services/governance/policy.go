package governance

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"tongdu/platform/auth"
)

// method is the prefix of this service's full gRPC method names.
const method = "/tongdu.governance.v1.GovernanceService/"

// importMethod is the prefix of the import service's (issue 20).
const importMethod = "/tongdu.governance.v1.ImportService/"

// accountMethod is the prefix of the account service's (issue 17).
const accountMethod = "/tongdu.governance.v1.AccountService/"

// Policy says who may call each method of the governance service: the registry and the
// organisation, and on what:
// the roles allowed, the request field naming the resource (which must lie in the
// caller's scope), and any further check. A process merges the policies of the services
// it serves (auth.Merge); a test in cmd/tongdu fails when a method has no entry.
var Policy = auth.Policy{
	// governance: the registry. Registry facts of regions and compounds are not personal
	// data; every role reads them (that is also how other services place a resource).
	method + "CreateRegion": {Roles: auth.Staff, Target: "regions/{region.parent}"},
	method + "GetRegion":    {Roles: auth.Everyone, Anywhere: true},
	method + "ListRegions":  {Roles: auth.Everyone, Anywhere: true},
	// Counts only, but of a whole region: the staff and auditors of that region.
	method + "GetRegionStatistics":   {Roles: auth.MoneyReaders, Target: "regions/{id}"},
	method + "CreateCompound":        {Roles: auth.Staff, Target: "regions/{compound.community_id}"},
	method + "GetCompound":           {Roles: auth.RolesOf(auth.Everyone, []auth.Role{auth.Reporter}), Anywhere: true},
	method + "ListCompounds":         {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Auditor}), Target: "regions/{region_id}"},
	method + "UpdateCompound":        {Roles: auth.Staff, Target: "compounds/{compound.id}"},
	method + "ClassifyCompound":      {Roles: auth.Staff, Target: "compounds/{id}"},
	method + "CreateBuilding":        {Roles: auth.Fieldwork, Target: "compounds/{compound_id}"},
	method + "GetBuilding":           {Roles: auth.Readers, Target: "buildings/{id}", Shared: true},
	method + "ListBuildings":         {Roles: auth.Readers, Target: "compounds/{compound_id}", Shared: true},
	method + "CreateHousehold":       {Roles: auth.Fieldwork, Target: "compounds/{compound_id}"},
	method + "BatchCreateHouseholds": {Roles: auth.Fieldwork, Target: "compounds/{compound_id}"},
	method + "GetHousehold":          {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Resident}), Target: "households/{id}"},
	method + "ListHouseholds":        {Roles: auth.CompoundPeople, Target: "compounds/{compound_id}"},
	// Other services place households by it on the caller's behalf: every household named
	// must lie within the caller's scope, as for a single get; it always answers masked.
	method + "BatchGetHouseholds": {Roles: auth.Everyone, Target: "households/{ids}"},

	// governance: the organisation.
	method + "CreatePartyBranch":    {Roles: auth.Staff, Target: "regions/{party_branch.community_id}"},
	method + "ListPartyBranches":    {Roles: auth.Readers, Target: "regions/{community_id}"},
	method + "CreateGridCell":       {Roles: auth.Staff, Target: "regions/{grid_cell.community_id}"},
	method + "ListGridCells":        {Roles: auth.CompoundPeople, Target: "regions/{community_id}"},
	method + "CreateLeaderElection": {Roles: auth.CompoundPeople, Target: "buildings/{leader_election.building_id}"},
	method + "GetLeaderElection":    {Roles: auth.Readers, Target: "elections/{id}", Shared: true},
	method + "CastLeaderVote":       {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Resident}), Target: "elections/{id}", Shared: true, Own: "household_id"},
	method + "CloseLeaderElection":  {Roles: auth.CompoundPeople, Target: "elections/{id}"},
	method + "CreateLinkedUnit":     {Roles: auth.Staff, Target: "regions/{linked_unit.community_id}"},
	method + "ListLinkedUnits":      {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Auditor}), Target: "regions/{community_id}"},
	method + "CreatePartyMember":    {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.BranchSecretary}), Target: "regions/{party_member.residence_community_id}"},
	method + "ListPartyMembers":     {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.BranchSecretary}), Target: "regions/{residence_community_id}"},
	method + "CreateServiceRecord":  {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.BranchSecretary}), Target: "members/{party_member_id}"},
	method + "GetReportBack":        {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.BranchSecretary, auth.Auditor}), Target: "units/{linked_unit_id}"},
	method + "CreateLeaderContact":  {Roles: []auth.Role{auth.DistrictAdmin}},
	method + "ListLeaderContacts":   {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.Auditor})},
	method + "CreateDepartment":     {Roles: []auth.Role{auth.DistrictAdmin}},
	method + "ListDepartments":      {Roles: auth.RolesOf(auth.Everyone, []auth.Role{auth.Reporter}), Anywhere: true},
	method + "CreateWhistle":        {Roles: auth.CompoundPeople, Target: "compounds/{whistle.compound_id}"},
	method + "GetWhistle":           {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Department, auth.Auditor, auth.Reporter}), Target: "whistles/{id}"},
	// A resident lists the whistles their household reported, and no others (Own).
	method + "ListWhistles":       {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Department, auth.Auditor, auth.Resident, auth.Reporter}), Target: "departments/{department_id}|compounds/{compound_id}|households/{household_id}", Own: "household_id"},
	method + "AcknowledgeWhistle": {Roles: []auth.Role{auth.Department, auth.DistrictAdmin}, Target: "departments/{department_id}", Check: calledDepartment},
	method + "ResolveWhistle":     {Roles: []auth.Role{auth.Department, auth.DistrictAdmin}, Target: "departments/{department_id}", Check: calledDepartment},
	method + "CloseWhistle":       {Roles: auth.Staff, Target: "whistles/{id}"},
	// Reports from anyone (issue 19): the compound's people, its residents (for their own
	// household), and reporting systems such as Open311 apps through the gateway.
	method + "ReportWhistle":            {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Resident, auth.Reporter}), Target: "compounds/{compound_id}", Shared: true, Own: "household_id"},
	method + "TriageWhistle":            {Roles: auth.Staff, Target: "whistles/{id}"},
	method + "RateWhistle":              {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Resident}), Target: "whistles/{id}", Shared: true, Own: "household_id"},
	method + "GetDepartmentPerformance": {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.Department, auth.Auditor}), Target: "departments/{department_id}"},
	// As the performance (issue 20); without a department every department's, so the
	// district's staff and auditors only (no target: no scope).
	method + "ExportDepartmentPerformance": {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.Department, auth.Auditor}), Target: "departments/{department_id}"},
	method + "CreateLinkageMeeting":        {Roles: auth.CompoundPeople, Target: "compounds/{linkage_meeting.compound_id}"},
	method + "ListLinkageMeetings":         {Roles: auth.Readers, Target: "compounds/{compound_id}", Shared: true},
	method + "CreateConvention":            {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.OwnersCommittee}), Target: "compounds/{compound_id}"},
	method + "ListConventions":             {Roles: auth.Readers, Target: "compounds/{compound_id}", Shared: true},
	method + "AdoptConvention":             {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.OwnersCommittee}), Target: "conventions/{id}"},
	method + "ListAuditEntries":            {Roles: []auth.Role{auth.DistrictAdmin, auth.Auditor}},

	// accounts: staff make and keep accounts no wider than their own. A new account's
	// scope is a request field holding a whole resource name, and a wider one is refused
	// by the use case with its reason (ACCOUNT_TOO_WIDE) by the same ancestry check the
	// engine makes; the list keeps the accounts within the caller's scope. An account
	// lies under its scope ("accounts" is taught to the resolver).
	accountMethod + "CreateAccount":        {Roles: auth.Staff, Anywhere: true},
	accountMethod + "ListAccounts":         {Roles: auth.Staff, Anywhere: true},
	accountMethod + "DisableAccount":       {Roles: auth.Staff, Target: "accounts/{id}"},
	accountMethod + "EnableAccount":        {Roles: auth.Staff, Target: "accounts/{id}"},
	accountMethod + "ResetAccountPassword": {Roles: auth.Staff, Target: "accounts/{id}"},
	// Signing in and out needs no token: the credentials, or the session's id, are the
	// proof. The handlers name who tried for the audit trail.
	accountMethod + "CreateSession":  {Public: true},
	accountMethod + "DeleteSession":  {Public: true},
	accountMethod + "ResolveSession": {Public: true},
	accountMethod + "StartSignOn":    {Public: true},
	// Access codes: the staff and grid workers who visit the households.
	accountMethod + "IssueAccessCode":          {Roles: auth.Fieldwork, Target: "households/{household_id}"},
	accountMethod + "IssueCompoundAccessCodes": {Roles: auth.Fieldwork, Target: "compounds/{compound_id}"},
	accountMethod + "RevokeAccessCode":         {Roles: auth.Fieldwork, Target: "households/{household_id}"},

	// imports (issue 20): a register is imported by those who register households one by
	// one (the compound's staff and grid workers), an inventory by the staff who register
	// compounds (the community's); the preview, its report (the uploader's own file) and
	// its confirmation stay within the same scope, through the import's place.
	importMethod + "CreateImport":      {Roles: auth.Fieldwork, Target: "compounds/{compound_id}|regions/{community_id}", Check: compoundsByStaff},
	importMethod + "GetImport":         {Roles: auth.Fieldwork, Target: "imports/{id}"},
	importMethod + "ConfirmImport":     {Roles: auth.Fieldwork, Target: "imports/{id}"},
	importMethod + "GetImportReport":   {Roles: auth.Fieldwork, Target: "imports/{id}"},
	importMethod + "GetImportTemplate": {Roles: auth.Fieldwork, Anywhere: true},
}

// compoundsByStaff: an inventory of compounds is imported by staff (as CreateCompound),
// and a request names its compound or its community, not both (the scope is checked on
// what it names).
func compoundsByStaff(p auth.Principal, req proto.Message) error {
	compound, community := auth.Field(req, "compound_id").String(), auth.Field(req, "community_id").String()
	if compound != "" && community != "" {
		return fmt.Errorf("an import names a compound (households) or a community (compounds), not both")
	}
	if community != "" && !slices.Contains(auth.Staff, p.Role) {
		return fmt.Errorf("compounds are imported by staff")
	}
	return nil
}

// calledDepartment: a department acts for itself only.
func calledDepartment(p auth.Principal, req proto.Message) error {
	if p.Role != auth.Department {
		return nil
	}
	if "departments/"+auth.Field(req, "department_id").String() != p.Scope {
		return fmt.Errorf("a department acknowledges and resolves for itself only")
	}
	return nil
}
