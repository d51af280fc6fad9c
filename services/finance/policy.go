package finance

import (
	"tongdu/platform/auth"
)

// method is the prefix of this service's full gRPC method names.
const method = "/tongdu.finance.v1.FinanceService/"

// Policy says who may call each method of the finance service, and on what:
// the roles allowed, the request field naming the resource (which must lie in the
// caller's scope), and any further check. A process merges the policies of the services
// it serves (auth.Merge); a test in cmd/tongdu fails when a method has no entry.
var Policy = auth.Policy{
	// finance: staff record money; auditors read every book; disclosures are public; a
	// resident reads their own household's quota (GetHouseholdQuota).
	method + "CreateFundingPlan":  {Roles: []auth.Role{auth.DistrictAdmin, auth.SubdistrictStaff}, Target: "projects/{funding_plan.project_id}"},
	method + "GetFundingPlan":     {Roles: auth.RolesOf(auth.MoneyReaders, []auth.Role{auth.OwnersCommittee, auth.Contractor}), Target: "projects/{project_id}"},
	method + "CreateReceipt":      {Roles: []auth.Role{auth.DistrictAdmin, auth.SubdistrictStaff}, Target: "projects/{project_id}"},
	method + "CreateContribution": {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.GridWorker}), Target: "projects/{project_id}"},
	method + "GetCollection":      {Roles: auth.RolesOf(auth.MoneyReaders, []auth.Role{auth.GridWorker, auth.OwnersCommittee}), Target: "projects/{project_id}"},
	// The collection list as a workbook: as the collection list (issue 20).
	method + "ExportCollection":   {Roles: auth.RolesOf(auth.MoneyReaders, []auth.Role{auth.GridWorker, auth.OwnersCommittee}), Target: "projects/{project_id}"},
	method + "GetHouseholdQuota":  {Roles: auth.RolesOf(auth.MoneyReaders, []auth.Role{auth.GridWorker, auth.OwnersCommittee, auth.Resident}), Target: "projects/{project_id}", Shared: true, Own: "household_id"},
	method + "CreateContract":     {Roles: []auth.Role{auth.DistrictAdmin, auth.SubdistrictStaff}, Target: "projects/{project_id}"},
	method + "ListContracts":      {Roles: auth.RolesOf(auth.MoneyReaders, []auth.Role{auth.OwnersCommittee, auth.Contractor, auth.Supervisor}), Target: "projects/{project_id}"},
	method + "CreateDisbursement": {Roles: []auth.Role{auth.DistrictAdmin, auth.SubdistrictStaff}, Target: "projects/{project_id}"},
	method + "RecordIncome":       {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.OwnersCommittee}), Target: "compounds/{compound_id}"},
	method + "RecordExpense":      {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.OwnersCommittee}), Target: "compounds/{compound_id}"},
	method + "GetBook":            {Roles: auth.RolesOf(auth.MoneyReaders, []auth.Role{auth.OwnersCommittee}), Target: "books/{book_id}"},
	method + "ListBooks":          {Roles: auth.MoneyReaders, Target: "projects/{project_id}|compounds/{compound_id}"},
	method + "ListAccounts":       {Roles: auth.MoneyReaders, Target: "books/{book_id}"},
	method + "ListTransactions":   {Roles: auth.MoneyReaders, Target: "books/{book_id}"},
	// A book's entries as a workbook: as the entries (issue 20).
	method + "ExportTransactions":    {Roles: auth.MoneyReaders, Target: "books/{book_id}"},
	method + "ReverseTransaction":    {Roles: []auth.Role{auth.DistrictAdmin, auth.SubdistrictStaff}, Target: "transactions/{id}"},
	method + "VerifyBook":            {Roles: auth.MoneyReaders, Target: "books/{book_id}"},
	method + "GetProjectDisclosure":  {Public: true},
	method + "GetCompoundDisclosure": {Public: true},
}
