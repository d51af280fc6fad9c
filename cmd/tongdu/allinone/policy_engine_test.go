package allinone_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"tongdu/platform/auth"
	"tongdu/platform/auth/authtest"
	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

type district struct {
	signer *auth.Signer
	authz  *auth.Authorizer
}

func newDistrict(t *testing.T) district {
	t.Helper()
	signer, keys, err := auth.LocalKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return district{signer: signer, authz: auth.NewAuthorizer(auth.NewVerifier(keys, ""), authtest.Resolver(), policy)}
}

func (d district) token(t *testing.T, p auth.Principal) string {
	t.Helper()
	tok, err := d.signer.Sign(p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call authorizes method for the caller of token ("" for none).
func (d district) call(token, method string, req proto.Message) (context.Context, error) {
	ctx := context.Background()
	if token != "" {
		ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", "Bearer "+token))
	}
	return d.authz.Authorize(ctx, method, req)
}

const (
	gov = "/tongdu.governance.v1.GovernanceService/"
	svy = "/tongdu.survey.v1.SurveyService/"
	prj = "/tongdu.projects.v1.ProjectsService/"
	fin = "/tongdu.finance.v1.FinanceService/"
)

var (
	admin        = auth.Principal{Subject: "admin", Role: auth.DistrictAdmin}
	auditor      = auth.Principal{Subject: "auditor", Role: auth.Auditor}
	subdistrict  = auth.Principal{Subject: "sub", Role: auth.SubdistrictStaff, Scope: "regions/S"}
	communityC1  = auth.Principal{Subject: "c1", Role: auth.CommunityStaff, Scope: "regions/C1"}
	gridC1       = auth.Principal{Subject: "grid", Role: auth.GridWorker, Scope: "regions/C1"}
	committeeK1  = auth.Principal{Subject: "yewei", Role: auth.OwnersCommittee, Scope: "compounds/K1"}
	residentH1   = auth.Principal{Subject: "zhang", Role: auth.Resident, Scope: "households/H1"}
	contractorP1 = auth.Principal{Subject: "builder-co", Role: auth.Contractor, Scope: "projects/P1"}
	supervisorP1 = auth.Principal{Subject: "jianli", Role: auth.Supervisor, Scope: "projects/P1"}
	water        = auth.Principal{Subject: "water-bureau", Role: auth.Department, Scope: "departments/water"}
)

func response(household string) *surveypb.Response {
	return &surveypb.Response{HouseholdId: household, Channel: surveypb.Response_ONLINE}
}

func signoff(project string, role projectspb.Signoff_Role) *projectspb.CreateSignoffRequest {
	return &projectspb.CreateSignoffRequest{ProjectId: project, Signoff: &projectspb.Signoff{Role: role, Verdict: projectspb.Signoff_PASS, Signer: "x"}}
}

type authCase struct {
	name   string
	who    auth.Principal
	method string
	req    proto.Message
	want   codes.Code
}

func TestAuthorizeRolesAndScopes(t *testing.T) {
	d := newDistrict(t)
	ok, denied := codes.OK, codes.PermissionDenied
	cases := []authCase{
		// Community staff act inside their community only.
		{"community staff reads a household of their community", communityC1, gov + "GetHousehold", &governancepb.GetHouseholdRequest{Id: "H1"}, ok},
		{"community staff reads a household of another community", communityC1, gov + "GetHousehold", &governancepb.GetHouseholdRequest{Id: "H3"}, denied},
		{"community staff reads an unknown household", communityC1, gov + "GetHousehold", &governancepb.GetHouseholdRequest{Id: "nope"}, denied},
		// A batch of households: each one as a single get would be.
		{"community staff batch-gets households of their community", communityC1, gov + "BatchGetHouseholds", &governancepb.BatchGetHouseholdsRequest{Ids: []string{"H1", "H2"}}, ok},
		{"community staff batch-gets one household of another community", communityC1, gov + "BatchGetHouseholds", &governancepb.BatchGetHouseholdsRequest{Ids: []string{"H1", "H3"}}, denied},
		{"resident batch-gets their own household", residentH1, gov + "BatchGetHouseholds", &governancepb.BatchGetHouseholdsRequest{Ids: []string{"H1"}}, ok},
		{"resident batch-gets a neighbour's household", residentH1, gov + "BatchGetHouseholds", &governancepb.BatchGetHouseholdsRequest{Ids: []string{"H2"}}, denied},
		{"contractor batch-gets a household of its project's compound", contractorP1, gov + "BatchGetHouseholds", &governancepb.BatchGetHouseholdsRequest{Ids: []string{"H1"}}, denied},
		{"community staff lists households of their compound", communityC1, gov + "ListHouseholds", &governancepb.ListHouseholdsRequest{CompoundId: "K1"}, ok},
		{"community staff lists households of another compound", communityC1, gov + "ListHouseholds", &governancepb.ListHouseholdsRequest{CompoundId: "K2"}, denied},
		{"community staff lists compounds of their community", communityC1, gov + "ListCompounds", &governancepb.ListCompoundsRequest{RegionId: "C1"}, ok},
		{"community staff lists compounds of the sub-district above", communityC1, gov + "ListCompounds", &governancepb.ListCompoundsRequest{RegionId: "S"}, denied},
		{"community staff lists compounds of a sibling community", communityC1, gov + "ListCompounds", &governancepb.ListCompoundsRequest{RegionId: "C2"}, denied},
		{"community staff lists the whole district's compounds", communityC1, gov + "ListCompounds", &governancepb.ListCompoundsRequest{}, denied},
		{"community staff lists leader contacts (whole district)", communityC1, gov + "ListLeaderContacts", &governancepb.ListLeaderContactsRequest{}, denied},
		{"community staff creates a leader contact", communityC1, gov + "CreateLeaderContact", &governancepb.CreateLeaderContactRequest{}, denied},
		{"community staff reads a compound elsewhere (registry fact)", communityC1, gov + "GetCompound", &governancepb.GetCompoundRequest{Id: "K2"}, ok},
		{"community staff creates a compound in their community", communityC1, gov + "CreateCompound", &governancepb.CreateCompoundRequest{Compound: &governancepb.Compound{CommunityId: "C1"}}, ok},
		{"community staff creates a compound in another community", communityC1, gov + "CreateCompound", &governancepb.CreateCompoundRequest{Compound: &governancepb.Compound{CommunityId: "C2"}}, denied},
		{"community staff approves a project (sub-district's job)", communityC1, prj + "ApproveProject", &projectspb.ApproveProjectRequest{Id: "P1"}, denied},
		{"community staff signs for the community", communityC1, prj + "CreateSignoff", signoff("P1", projectspb.Signoff_COMMUNITY), ok},
		{"community staff signs as the builder", communityC1, prj + "CreateSignoff", signoff("P1", projectspb.Signoff_BUILDER), denied},
		{"community staff reads books of another community", communityC1, fin + "ListBooks", &financepb.ListBooksRequest{CompoundId: "K2"}, denied},
		{"community staff reads the books of their project", communityC1, fin + "ListBooks", &financepb.ListBooksRequest{ProjectId: "P1"}, ok},
		// ListBooks answers the union of the project's and the compound's books, so a
		// compound outside the scope must be refused even when the project lies inside.
		{"community staff pairs their project with another compound's books", communityC1, fin + "ListBooks", &financepb.ListBooksRequest{ProjectId: "P1", CompoundId: "K2"}, denied},
		{"community staff lists transactions of another community's book", communityC1, fin + "ListTransactions", &financepb.ListTransactionsRequest{BookId: "renovation-P3"}, denied},

		// Sub-district staff act in the whole subtree, not above it.
		{"sub-district staff reads a household two levels down", subdistrict, gov + "GetHousehold", &governancepb.GetHouseholdRequest{Id: "H3"}, ok},
		{"sub-district staff approves a project in the subtree", subdistrict, prj + "ApproveProject", &projectspb.ApproveProjectRequest{Id: "P3"}, ok},
		{"sub-district staff lists the district's compounds", subdistrict, gov + "ListCompounds", &governancepb.ListCompoundsRequest{RegionId: "D"}, denied},
		{"sub-district staff creates a department", subdistrict, gov + "CreateDepartment", &governancepb.CreateDepartmentRequest{}, denied},

		// Grid workers register households; they do not run projects.
		{"grid worker registers a household in their community", gridC1, gov + "CreateHousehold", &governancepb.CreateHouseholdRequest{CompoundId: "K1"}, ok},
		{"grid worker registers a household elsewhere", gridC1, gov + "CreateHousehold", &governancepb.CreateHouseholdRequest{CompoundId: "K2"}, denied},
		{"grid worker approves a project", gridC1, prj + "ApproveProject", &projectspb.ApproveProjectRequest{Id: "P1"}, denied},

		// The owners' committee of a compound.
		{"owners committee opens a survey of their compound", committeeK1, svy + "OpenSurvey", &surveypb.OpenSurveyRequest{Id: "V1"}, ok},
		{"owners committee opens a survey of another compound", committeeK1, svy + "OpenSurvey", &surveypb.OpenSurveyRequest{Id: "V2"}, denied},
		{"owners committee records income of their compound", committeeK1, fin + "RecordIncome", &financepb.RecordIncomeRequest{CompoundId: "K1"}, ok},
		{"owners committee records a disbursement", committeeK1, fin + "CreateDisbursement", &financepb.CreateDisbursementRequest{ProjectId: "P1"}, denied},

		// Residents act for their own household and read their compound's public information.
		{"resident answers for their household", residentH1, svy + "SubmitResponse", &surveypb.SubmitResponseRequest{SurveyId: "V1", Response: response("H1")}, ok},
		{"resident answers for a neighbour", residentH1, svy + "SubmitResponse", &surveypb.SubmitResponseRequest{SurveyId: "V1", Response: response("H2")}, denied},
		{"resident answers with no household", residentH1, svy + "SubmitResponse", &surveypb.SubmitResponseRequest{SurveyId: "V1"}, denied},
		{"resident answers another compound's survey", residentH1, svy + "SubmitResponse", &surveypb.SubmitResponseRequest{SurveyId: "V2", Response: response("H1")}, denied},
		{"resident submits a batch of responses", residentH1, svy + "BatchSubmitResponses", &surveypb.BatchSubmitResponsesRequest{SurveyId: "V1"}, denied},
		{"resident reads their compound's survey stats", residentH1, svy + "GetSurveyStats", &surveypb.GetSurveyStatsRequest{SurveyId: "V1"}, ok},
		{"resident reads another compound's survey stats", residentH1, svy + "GetSurveyStats", &surveypb.GetSurveyStatsRequest{SurveyId: "V2"}, denied},
		{"resident reads the responses", residentH1, svy + "ListResponses", &surveypb.ListResponsesRequest{SurveyId: "V1"}, denied},
		{"resident endorses an idea for their household", residentH1, svy + "EndorseIdea", &surveypb.EndorseIdeaRequest{Id: "I1", HouseholdId: "H1"}, ok},
		{"resident endorses an idea for a neighbour", residentH1, svy + "EndorseIdea", &surveypb.EndorseIdeaRequest{Id: "I1", HouseholdId: "H2"}, denied},
		{"resident votes for their household", residentH1, gov + "CastLeaderVote", &governancepb.CastLeaderVoteRequest{Id: "E1", HouseholdId: "H1", CandidateHouseholdId: "H2"}, ok},
		{"resident votes for a neighbour", residentH1, gov + "CastLeaderVote", &governancepb.CastLeaderVoteRequest{Id: "E1", HouseholdId: "H2", CandidateHouseholdId: "H2"}, denied},
		{"resident reads their household", residentH1, gov + "GetHousehold", &governancepb.GetHouseholdRequest{Id: "H1"}, ok},
		{"resident reads a neighbour's household", residentH1, gov + "GetHousehold", &governancepb.GetHouseholdRequest{Id: "H2"}, denied},
		{"resident lists the compound's households", residentH1, gov + "ListHouseholds", &governancepb.ListHouseholdsRequest{CompoundId: "K1"}, denied},
		{"resident lists their compound's projects", residentH1, prj + "ListProjects", &projectspb.ListProjectsRequest{CompoundId: "K1"}, ok},
		{"resident lists another compound's projects", residentH1, prj + "ListProjects", &projectspb.ListProjectsRequest{CompoundId: "K2"}, denied},
		{"resident lists every project", residentH1, prj + "ListProjects", &projectspb.ListProjectsRequest{}, denied},
		{"resident reports on a project of their compound", residentH1, prj + "CreateSupervisionReport", &projectspb.CreateSupervisionReportRequest{ProjectId: "P2", SupervisionReport: &projectspb.SupervisionReport{HouseholdId: "H1"}}, ok},
		{"resident reports as a neighbour", residentH1, prj + "CreateSupervisionReport", &projectspb.CreateSupervisionReportRequest{ProjectId: "P1", SupervisionReport: &projectspb.SupervisionReport{HouseholdId: "H2"}}, denied},
		{"resident reads the ledger", residentH1, fin + "ListTransactions", &financepb.ListTransactionsRequest{BookId: "renovation-P1"}, denied},

		// Contractors and supervisors act on their projects.
		{"contractor reports progress on their project", contractorP1, prj + "CreateProgressReport", &projectspb.CreateProgressReportRequest{ProjectId: "P1"}, ok},
		{"contractor reports progress on another project of the compound", contractorP1, prj + "CreateProgressReport", &projectspb.CreateProgressReportRequest{ProjectId: "P2"}, denied},
		{"contractor reports progress on a project elsewhere", contractorP1, prj + "CreateProgressReport", &projectspb.CreateProgressReportRequest{ProjectId: "P3"}, denied},
		{"contractor signs as contractor", contractorP1, prj + "CreateSignoff", signoff("P1", projectspb.Signoff_CONTRACTOR), ok},
		{"contractor signs as supervisor", contractorP1, prj + "CreateSignoff", signoff("P1", projectspb.Signoff_SUPERVISOR), denied},
		{"contractor signs as builder", contractorP1, prj + "CreateSignoff", signoff("P1", projectspb.Signoff_BUILDER), denied},
		{"contractor signs as community", contractorP1, prj + "CreateSignoff", signoff("P1", projectspb.Signoff_COMMUNITY), denied},
		{"contractor signs another project", contractorP1, prj + "CreateSignoff", signoff("P2", projectspb.Signoff_CONTRACTOR), denied},
		{"contractor reads their funding plan", contractorP1, fin + "GetFundingPlan", &financepb.GetFundingPlanRequest{ProjectId: "P1"}, ok},
		{"contractor reads another project's funding plan", contractorP1, fin + "GetFundingPlan", &financepb.GetFundingPlanRequest{ProjectId: "P2"}, denied},
		{"contractor reads their compound's public survey stats", contractorP1, svy + "GetSurveyStats", &surveypb.GetSurveyStatsRequest{SurveyId: "V1"}, ok},
		{"contractor approves their project", contractorP1, prj + "ApproveProject", &projectspb.ApproveProjectRequest{Id: "P1"}, denied},
		{"contractor disburses to itself", contractorP1, fin + "CreateDisbursement", &financepb.CreateDisbursementRequest{ProjectId: "P1"}, denied},
		{"supervisor signs as supervisor", supervisorP1, prj + "CreateSignoff", signoff("P1", projectspb.Signoff_SUPERVISOR), ok},
		{"supervisor signs as contractor", supervisorP1, prj + "CreateSignoff", signoff("P1", projectspb.Signoff_CONTRACTOR), denied},
		{"supervisor reports on their project", supervisorP1, prj + "CreateSupervisionReport", &projectspb.CreateSupervisionReportRequest{ProjectId: "P1", SupervisionReport: &projectspb.SupervisionReport{HouseholdId: "H1"}}, ok},
		// "Shared" lets a household's or a project's people read their compound's public
		// information; it must not let a project's supervisor write on another project.
		{"supervisor reports on another project of the compound", supervisorP1, prj + "CreateSupervisionReport", &projectspb.CreateSupervisionReportRequest{ProjectId: "P2", SupervisionReport: &projectspb.SupervisionReport{HouseholdId: "H1"}}, denied},

		// Departments answer whistles sent to them.
		{"department acknowledges for itself", water, gov + "AcknowledgeWhistle", &governancepb.AcknowledgeWhistleRequest{Id: "W1", DepartmentId: "water"}, ok},
		{"department acknowledges for another department", water, gov + "AcknowledgeWhistle", &governancepb.AcknowledgeWhistleRequest{Id: "W2", DepartmentId: "power"}, denied},
		{"department resolves for another department", water, gov + "ResolveWhistle", &governancepb.ResolveWhistleRequest{Id: "W1", DepartmentId: "power"}, denied},
		{"department reads a whistle sent to it", water, gov + "GetWhistle", &governancepb.GetWhistleRequest{Id: "W1"}, ok},
		{"department reads a whistle sent elsewhere", water, gov + "GetWhistle", &governancepb.GetWhistleRequest{Id: "W2"}, denied},
		{"department lists its whistles", water, gov + "ListWhistles", &governancepb.ListWhistlesRequest{DepartmentId: "water"}, ok},
		{"department lists a compound's whistles", water, gov + "ListWhistles", &governancepb.ListWhistlesRequest{CompoundId: "K2"}, denied},
		{"department lists every whistle", water, gov + "ListWhistles", &governancepb.ListWhistlesRequest{}, denied},
		{"department reads its performance", water, gov + "GetDepartmentPerformance", &governancepb.GetDepartmentPerformanceRequest{DepartmentId: "water"}, ok},
		{"department reads another's performance", water, gov + "GetDepartmentPerformance", &governancepb.GetDepartmentPerformanceRequest{DepartmentId: "power"}, denied},
		{"department closes a whistle", water, gov + "CloseWhistle", &governancepb.CloseWhistleRequest{Id: "W1"}, denied},
		{"department reads a household", water, gov + "GetHousehold", &governancepb.GetHouseholdRequest{Id: "H1"}, denied},

		// Auditors read finance and the trail, and change nothing.
		{"auditor lists transactions", auditor, fin + "ListTransactions", &financepb.ListTransactionsRequest{BookId: "renovation-P3"}, ok},
		{"auditor verifies a book", auditor, fin + "VerifyBook", &financepb.VerifyBookRequest{BookId: "renovation-P1"}, ok},
		{"auditor lists every book", auditor, fin + "ListBooks", &financepb.ListBooksRequest{}, ok},
		{"auditor reads the audit trail", auditor, gov + "ListAuditEntries", &governancepb.ListAuditEntriesRequest{}, ok},
		{"auditor records a receipt", auditor, fin + "CreateReceipt", &financepb.CreateReceiptRequest{ProjectId: "P1"}, denied},
		{"auditor reverses a transaction", auditor, fin + "ReverseTransaction", &financepb.ReverseTransactionRequest{Id: "T1"}, denied},
		{"auditor reads a household", auditor, gov + "GetHousehold", &governancepb.GetHouseholdRequest{Id: "H1"}, denied},

		// The district admin, without a scope, may everything in this table.
		{"admin reads any household", admin, gov + "GetHousehold", &governancepb.GetHouseholdRequest{Id: "H3"}, ok},
		{"admin lists every compound", admin, gov + "ListCompounds", &governancepb.ListCompoundsRequest{}, ok},
		{"admin lists leader contacts", admin, gov + "ListLeaderContacts", &governancepb.ListLeaderContactsRequest{}, ok},
		{"admin acknowledges for a department", admin, gov + "AcknowledgeWhistle", &governancepb.AcknowledgeWhistleRequest{Id: "W2", DepartmentId: "power"}, ok},
		{"admin signs as builder", admin, prj + "CreateSignoff", signoff("P3", projectspb.Signoff_BUILDER), ok},
		{"admin records a receipt", admin, fin + "CreateReceipt", &financepb.CreateReceiptRequest{ProjectId: "P3"}, ok},
		{"admin answers for a household", admin, svy + "SubmitResponse", &surveypb.SubmitResponseRequest{SurveyId: "V2", Response: response("H3")}, ok},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, err := d.call(d.token(t, c.who), c.method, c.req)
			if got := status.Code(err); got != c.want {
				t.Fatalf("%s by %s %s: %v, want %s", c.method, c.who.Role, c.who.Scope, err, c.want)
			}
			if p, ok := auth.FromContext(ctx); !ok || p != c.who {
				t.Errorf("the context carries %+v, %v; want the caller %+v", p, ok, c.who)
			}
		})
	}
}

// newRequest is an empty request of a method, by its descriptor.
func newRequest(t *testing.T, method string) proto.Message {
	t.Helper()
	svc, name, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(name))
	if md == nil {
		t.Fatalf("%s: no such method", method)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return mt.New().Interface()
}

func TestDistrictAdminMayCallEveryMethod(t *testing.T) {
	d := newDistrict(t)
	tok := d.token(t, admin)
	for method := range policy {
		if !strings.HasPrefix(method, "/tongdu.") {
			continue
		}
		req := newRequest(t, method)
		if method == prj+"CreateSignoff" {
			req = signoff("", projectspb.Signoff_BUILDER)
		}
		if _, err := d.call(tok, method, req); err != nil {
			t.Errorf("%s: %v", method, err)
		}
	}
}

func TestAuthorizeAuthenticates(t *testing.T) {
	d := newDistrict(t)
	other := newDistrict(t)
	expired, err := d.signer.Sign(communityC1, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	get := &governancepb.GetHouseholdRequest{Id: "H1"}
	for _, c := range []struct {
		name, token, method string
		req                 proto.Message
		want                codes.Code
	}{
		{"no token", "", gov + "GetHousehold", get, codes.Unauthenticated},
		{"expired token", expired, gov + "GetHousehold", get, codes.Unauthenticated},
		{"token of another district", other.token(t, admin), gov + "GetHousehold", get, codes.Unauthenticated},
		{"garbage", "not-a-token", gov + "GetHousehold", get, codes.Unauthenticated},
		{"unscoped resident", func() string { tok, _ := d.signer.Sign(auth.Principal{Role: auth.Resident}, time.Hour); return tok }(), gov + "GetHousehold", get, codes.Unauthenticated},
		{"no token, method not in the table", "", gov + "DropEverything", &governancepb.GetHouseholdRequest{}, codes.Unauthenticated},
		{"method not in the table", d.token(t, admin), gov + "DropEverything", &governancepb.GetHouseholdRequest{}, codes.PermissionDenied},
		{"health check of an unknown service", d.token(t, admin), "/grpc.health.v2.Health/Check", nil, codes.PermissionDenied},
		{"no token, public disclosure", "", fin + "GetProjectDisclosure", &financepb.GetProjectDisclosureRequest{ProjectId: "P1"}, codes.OK},
		{"no token, public compound disclosure", "", fin + "GetCompoundDisclosure", &financepb.GetCompoundDisclosureRequest{CompoundId: "K1"}, codes.OK},
		{"no token, health check", "", "/grpc.health.v1.Health/Check", nil, codes.OK},
		{"no token, reflection", "", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", nil, codes.OK},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, err := d.call(c.token, c.method, c.req)
			if got := status.Code(err); got != c.want {
				t.Fatalf("%s: %v, want %s", c.method, err, c.want)
			}
			if p, ok := auth.FromContext(ctx); c.token == "" && ok {
				t.Errorf("a call without a token carries a caller: %+v", p)
			}
		})
	}
}

func TestPublicMethodKnowsACallerWhoShowsAToken(t *testing.T) {
	d := newDistrict(t)
	ctx, err := d.call(d.token(t, residentH1), fin+"GetProjectDisclosure", &financepb.GetProjectDisclosureRequest{ProjectId: "P3"})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := auth.FromContext(ctx); !ok || p != residentH1 {
		t.Fatalf("caller %+v, %v; want %+v", p, ok, residentH1)
	}
}

func TestBearerToken(t *testing.T) {
	for _, c := range []struct {
		name string
		md   metadata.MD
		want string
	}{
		{"none", nil, ""},
		{"bearer", metadata.Pairs("authorization", "Bearer abc"), "abc"},
		{"padded", metadata.Pairs("authorization", "Bearer  abc "), "abc"},
		{"basic", metadata.Pairs("authorization", "Basic dXNlcjpwYXNz"), ""},
		{"second value", metadata.Pairs("authorization", "Basic x", "authorization", "Bearer abc"), "abc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.md != nil {
				ctx = metadata.NewIncomingContext(ctx, c.md)
			}
			if got := auth.BearerToken(ctx); got != c.want {
				t.Fatalf("BearerToken = %q, want %q", got, c.want)
			}
		})
	}
}

func TestTargetOf(t *testing.T) {
	for _, c := range []struct {
		method string
		req    proto.Message
		want   string
	}{
		{gov + "GetHousehold", &governancepb.GetHouseholdRequest{Id: "H1"}, "households/H1"},
		{gov + "GetHousehold", &governancepb.GetHouseholdRequest{}, ""},
		{gov + "CreateCompound", &governancepb.CreateCompoundRequest{Compound: &governancepb.Compound{CommunityId: "C1"}}, "regions/C1"},
		{gov + "CreateCompound", &governancepb.CreateCompoundRequest{}, ""},
		{gov + "ListWhistles", &governancepb.ListWhistlesRequest{CompoundId: "K1"}, "compounds/K1"},
		{gov + "ListWhistles", &governancepb.ListWhistlesRequest{DepartmentId: "water", CompoundId: "K1"}, "departments/water"},
		{gov + "ListWhistles", &governancepb.ListWhistlesRequest{}, ""},
		{svy + "SubmitResponse", &surveypb.SubmitResponseRequest{SurveyId: "V1"}, "surveys/V1"},
		{gov + "ListLeaderContacts", &governancepb.ListLeaderContactsRequest{CompoundId: "K1"}, ""},
		{fin + "GetProjectDisclosure", &financepb.GetProjectDisclosureRequest{ProjectId: "P1"}, ""},
		{gov + "NoSuchMethod", &governancepb.GetHouseholdRequest{Id: "H1"}, ""},
	} {
		if got := policy.Target(c.method, c.req); got != c.want {
			t.Errorf("TargetOf(%s, %v) = %q, want %q", c.method, c.req, got, c.want)
		}
	}
}

func TestParseBearerIgnoresTheSchemeCase(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer abc": "abc", "bearer abc": "abc", "BEARER  abc ": "abc", " Bearer abc": "abc",
		"Basic abc": "", "Bearer": "", "Bearer ": "", "": "", "Bearerabc": "",
	} {
		got, ok := auth.ParseBearer(header)
		if got != want || ok != (want != "") {
			t.Errorf("ParseBearer(%q) = %q, %v; want %q, %v", header, got, ok, want, want != "")
		}
	}
}
