package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/grpcserver"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	prjpb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/finance/internal/api"
	"tongdu/services/finance/internal/app"
	"tongdu/services/finance/internal/peers"
	"tongdu/services/finance/internal/storage"
	"tongdu/services/governance"
	"tongdu/services/projects"
	"tongdu/services/survey"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var bg = context.Background()

// ---------------------------------------------------------------------------------------
// The environment: the real governance, survey and projects services and finance on one
// platform gRPC server (validation interceptor included) on a loopback port, sharing one
// Redis database; the services ask each other through a client of that same server, so
// finance reads projects' own replies through its adapter (internal/peers).

type env struct {
	pb.FinanceServiceClient
	gov       govpb.GovernanceServiceClient
	sv        surveypb.SurveyServiceClient
	prj       prjpb.ProjectsServiceClient
	rdb       redis.UniversalClient
	store     *storage.Store
	srv       *api.Server // the finance handlers themselves, for reads that skip the network
	logs      *testkit.LogBuffer
	seq       atomic.Int64
	community string
}

type options struct {
	noProjects bool // no projects service on the server: its calls are UNIMPLEMENTED
}

func start(t testing.TB) *env { return startWith(t, options{}) }

func startWith(t testing.TB, o options) *env {
	t.Helper()
	logs := &testkit.LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := grpcserver.New(log)
	if err != nil {
		t.Fatal(err)
	}
	rdb := testkit.Redis(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{rdb: rdb, store: storage.New(rdb), logs: logs}

	testkit.Mount(t, ctx, srv)(governance.New(rdb, governance.Peers{}, log, governance.Config{}))
	testkit.Mount(t, ctx, srv)(survey.New(rdb, survey.Peers{Governance: conn}, log, survey.Config{}))
	if !o.noProjects {
		testkit.Mount(t, ctx, srv)(projects.New(rdb, projects.Peers{Survey: conn, Finance: conn, Governance: conn}, log, projects.Config{}))
	}
	e.srv = api.New(app.New(e.store, peers.New(conn, conn, conn), time.Now))
	pb.RegisterFinanceServiceServer(srv.GRPC, e.srv)

	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis, time.Second); close(done) }()
	t.Cleanup(func() { cancel(); <-done; conn.Close() })
	e.FinanceServiceClient = pb.NewFinanceServiceClient(conn)
	e.gov = govpb.NewGovernanceServiceClient(conn)
	e.sv = surveypb.NewSurveyServiceClient(conn)
	e.prj = prjpb.NewProjectsServiceClient(conn)
	district := e.region(t, "东川区", govpb.Region_DISTRICT, "")
	sub := e.region(t, "铜都街道", govpb.Region_SUBDISTRICT, district.Id)
	e.community = e.region(t, "石羊社区", govpb.Region_COMMUNITY, sub.Id).Id
	t.Cleanup(func() {
		if strings.Contains(logs.String(), `"level":"ERROR"`) {
			t.Errorf("the services logged errors:\n%s", logs.String())
		}
	})
	return e
}

// ---------------------------------------------------------------------------------------
// The registry, projects and votes

func (e *env) region(t testing.TB, name string, level govpb.Region_Level, parent string) *govpb.Region {
	t.Helper()
	return testkit.Must[*govpb.Region](t)(e.gov.CreateRegion(bg, &govpb.CreateRegionRequest{Region: &govpb.Region{Name: name, Level: level, Parent: parent}}))
}

const (
	residentName = "张三丰"
	phone        = "13800001234"
	idNumber     = "53010219650101123X"
)

// compound registers a compound whose households have the given exclusive areas (m²).
func (e *env) compound(t testing.TB, areas ...float64) (string, []string) {
	t.Helper()
	c := testkit.Must[*govpb.Compound](t)(e.gov.CreateCompound(bg, &govpb.CreateCompoundRequest{Compound: &govpb.Compound{
		Name: fmt.Sprintf("石羊路%d号院", 20+e.seq.Add(1)), CommunityId: e.community, BuildYear: 1992}}))
	b := testkit.Must[*govpb.Building](t)(e.gov.CreateBuilding(bg, &govpb.CreateBuildingRequest{CompoundId: c.Id, Building: &govpb.Building{Name: "1栋", UnitCount: 2}}))
	var hs []*govpb.Household
	for i, a := range areas {
		hs = append(hs, &govpb.Household{BuildingId: b.Id, Unit: fmt.Sprint(1 + i%2), Room: fmt.Sprintf("%d0%d", 1+i/2, 1+i%2), ExclusiveAreaM2: a,
			ResidentName: residentName, Phone: phone, IdNumber: idNumber})
	}
	resp := testkit.Must[*govpb.BatchCreateHouseholdsResponse](t)(e.gov.BatchCreateHouseholds(bg, &govpb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: hs}))
	var ids []string
	for _, h := range resp.Households {
		ids = append(ids, h.Id)
	}
	return c.Id, ids
}

// households registers n households of 60 m².
func (e *env) households(t testing.TB, n int) (string, []string) {
	t.Helper()
	areas := make([]float64, n)
	for i := range areas {
		areas[i] = 60
	}
	return e.compound(t, areas...)
}

// ---------------------------------------------------------------------------------------
// Projects, through the real projects service's API: each status reached as rule 6 (the
// project lifecycle) allows, every guard met on the way.

const budget = 60_000_000 // 600,000 yuan

// actor is the officer on whose behalf the lifecycle steps are asked (a free-text note).
const actor = "区住建局 李科长"

// proposed draws up a project of the compound (a round of its own) with the budget and
// two work items, the drain pipes and the road laid over them: PROPOSED.
func (e *env) proposed(t testing.TB, cid string, budgetFen int64) string {
	t.Helper()
	p := testkit.Must[*prjpb.Project](t)(e.prj.CreateProject(bg, &prjpb.CreateProjectRequest{Project: &prjpb.Project{
		CompoundId: cid, Title: "老旧小区改造", Year: 2000 + int32(e.seq.Add(1)), BudgetFen: budgetFen}}))
	for _, it := range []*prjpb.WorkItem{
		{Category: prjpb.WorkItem_BASIC, Kind: prjpb.WorkItem_DRAIN_PIPE, Description: "雨污分流管网", Quantity: 420, Unit: "m",
			EstimatedCostFen: 12_600_000, Difficulty: prjpb.WorkItem_HARD, SafetyCritical: true},
		{Category: prjpb.WorkItem_BASIC, Kind: prjpb.WorkItem_ROAD_REPAIR, Description: "破损道路修复", Quantity: 968, Unit: "m2",
			EstimatedCostFen: 19_360_000, Difficulty: prjpb.WorkItem_MEDIUM, SafetyCritical: true},
	} {
		testkit.Must[*prjpb.WorkItem](t)(e.prj.CreateWorkItem(bg, &prjpb.CreateWorkItemRequest{ProjectId: p.Id, Item: it}))
	}
	return p.Id
}

// approved is a project drawn up and approved (proposed, then approve).
func (e *env) approved(t testing.TB, cid string, budgetFen int64) string {
	t.Helper()
	pid := e.proposed(t, cid, budgetFen)
	e.approve(t, pid)
	return pid
}

// approve takes a PROPOSED project to APPROVED past rule 6's guards: its plan posted on
// the compound's board (rule 14), gone up eight days ago so its week is over (rule 15: a
// notice put up on paper is recorded late), and a renovation resolution of its own that
// every household of the compound voted for (rule 3).
func (e *env) approve(t testing.TB, pid string) {
	t.Helper()
	cid := e.projectNow(t, pid).CompoundId
	testkit.Must[*prjpb.Notice](t)(e.prj.CreateNotice(bg, &prjpb.CreateNoticeRequest{Notice: &prjpb.Notice{CompoundId: cid, Kind: prjpb.Notice_PLAN,
		SubjectId: pid, OpensAt: timestamppb.New(time.Now().Add(-8 * 24 * time.Hour))}}))
	hs := e.householdsOf(t, cid)
	vote := e.resolution(t, cid, surveypb.Survey_RENOVATION, hs, repeat("agree", len(hs))...)
	to(t, prjpb.Project_APPROVED)(e.prj.ApproveProject(bg, &prjpb.ApproveProjectRequest{Id: pid, ResolutionSurveyId: vote, Actor: actor, Reason: "业主表决通过"}))
}

// startConstruction: APPROVED → IN_CONSTRUCTION, the projects service asking finance
// whether the plan's commitments cover the budget (rule 6).
func (e *env) startConstruction(t testing.TB, pid string) {
	t.Helper()
	to(t, prjpb.Project_IN_CONSTRUCTION)(e.prj.StartConstruction(bg, &prjpb.StartConstructionRequest{Id: pid, Actor: actor, Reason: "资金落实"}))
}

// finishWorks reports every item of a project IN_CONSTRUCTION done and hands the works
// over: PENDING_ACCEPTANCE.
func (e *env) finishWorks(t testing.TB, pid string) {
	t.Helper()
	for _, it := range e.workItems(t, pid) {
		testkit.Must[*prjpb.ProgressReport](t)(e.prj.CreateProgressReport(bg, &prjpb.CreateProgressReportRequest{ProjectId: pid, ProgressReport: &prjpb.ProgressReport{
			ItemId: it.Id, ProgressPercent: 100, Contractor: "川建三公司", Remarks: "完工"}}))
	}
	to(t, prjpb.Project_PENDING_ACCEPTANCE)(e.prj.RequestAcceptance(bg, &prjpb.RequestAcceptanceRequest{Id: pid, Actor: actor, Reason: "竣工"}))
}

// accept takes a project IN_CONSTRUCTION or PENDING_ACCEPTANCE to ACCEPTED by rule 6's
// joint acceptance: the works finished, every household satisfied in a closed
// ACCEPTANCE survey, and PASS sign-offs from the four parties, the last of which accepts
// the project.
func (e *env) accept(t testing.TB, pid string) {
	t.Helper()
	p := e.projectNow(t, pid)
	if p.Status == prjpb.Project_IN_CONSTRUCTION {
		e.finishWorks(t, pid)
	}
	hs := e.householdsOf(t, p.CompoundId)
	q := &surveypb.Question{Id: "vote", Text: "您对改造是否满意？", Type: surveypb.Question_SINGLE_CHOICE, Options: opts("satisfied", "满意", "unsatisfied", "不满意")}
	survey := e.survey(t, &surveypb.Survey{CompoundId: p.CompoundId, Title: "改造民意验收", Kind: surveypb.Survey_ACCEPTANCE, Questions: []*surveypb.Question{q}},
		true, hs, repeat("satisfied", len(hs))...)
	testkit.Must[*prjpb.Project](t)(e.prj.UpdateProject(bg, &prjpb.UpdateProjectRequest{Project: &prjpb.Project{Id: pid, AcceptanceSurveyId: survey},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"acceptance_survey_id"}}}))
	for _, r := range []prjpb.Signoff_Role{prjpb.Signoff_SUPERVISOR, prjpb.Signoff_CONTRACTOR, prjpb.Signoff_BUILDER, prjpb.Signoff_COMMUNITY} {
		testkit.Must[*prjpb.Signoff](t)(e.prj.CreateSignoff(bg, &prjpb.CreateSignoffRequest{ProjectId: pid, Signoff: &prjpb.Signoff{
			Role: r, Verdict: prjpb.Signoff_PASS, Remarks: "合格"}}))
	}
	if st := e.projectNow(t, pid).Status; st != prjpb.Project_ACCEPTED {
		t.Fatalf("four PASS sign-offs and a satisfied compound leave project %s %s", pid, st)
	}
}

// startMaintenance: ACCEPTED → MAINTENANCE.
func (e *env) startMaintenance(t testing.TB, pid string) {
	t.Helper()
	to(t, prjpb.Project_MAINTENANCE)(e.prj.StartMaintenance(bg, &prjpb.StartMaintenanceRequest{Id: pid, Actor: actor, Reason: "小区自管"}))
}

// suspend halts a project (APPROVED, IN_CONSTRUCTION or PENDING_ACCEPTANCE); resume takes
// it back where it was.
func (e *env) suspend(t testing.TB, pid string) {
	t.Helper()
	to(t, prjpb.Project_SUSPENDED)(e.prj.SuspendProject(bg, &prjpb.SuspendProjectRequest{Id: pid, Actor: actor, Reason: "雨季停工"}))
}

func (e *env) resume(t testing.TB, pid string, back prjpb.Project_Status) {
	t.Helper()
	to(t, back)(e.prj.ResumeProject(bg, &prjpb.ResumeProjectRequest{Id: pid, Actor: actor, Reason: "复工"}))
}

// cancel: any status before ACCEPTED → CANCELLED.
func (e *env) cancel(t testing.TB, pid string) {
	t.Helper()
	to(t, prjpb.Project_CANCELLED)(e.prj.CancelProject(bg, &prjpb.CancelProjectRequest{Id: pid, Actor: actor, Reason: "小区纳入征收范围"}))
}

// setBudget changes a project's budget, as the projects service allows before
// construction.
func (e *env) setBudget(t testing.TB, pid string, fen int64) {
	t.Helper()
	p := testkit.Must[*prjpb.Project](t)(e.prj.UpdateProject(bg, &prjpb.UpdateProjectRequest{Project: &prjpb.Project{Id: pid, BudgetFen: fen},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"budget_fen"}}}))
	if p.BudgetFen != fen {
		t.Fatalf("budget %d, want %d", p.BudgetFen, fen)
	}
}

// to checks a lifecycle step took the project where the story needs it.
func to(t testing.TB, want prjpb.Project_Status) func(*prjpb.Project, error) {
	return func(p *prjpb.Project, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("on the way to %s: %v", want, err)
		}
		if p.Status != want {
			t.Fatalf("project %s is %s, want %s", p.Id, p.Status, want)
		}
	}
}

func (e *env) projectNow(t testing.TB, pid string) *prjpb.Project {
	t.Helper()
	return testkit.Must[*prjpb.Project](t)(e.prj.GetProject(bg, &prjpb.GetProjectRequest{Id: pid}))
}

func (e *env) workItems(t testing.TB, pid string) []*prjpb.WorkItem {
	t.Helper()
	return testkit.Must[*prjpb.ListWorkItemsResponse](t)(e.prj.ListWorkItems(bg, &prjpb.ListWorkItemsRequest{ProjectId: pid, PageSize: 100})).Items
}

// workItem is the id of a project's item of a kind.
func (e *env) workItem(t testing.TB, pid string, kind prjpb.WorkItem_Kind) string {
	t.Helper()
	for _, it := range e.workItems(t, pid) {
		if it.Kind == kind {
			return it.Id
		}
	}
	t.Fatalf("project %s has no %s item", pid, kind)
	return ""
}

// householdsOf lists the ids of a compound's households, as governance registered them.
func (e *env) householdsOf(t testing.TB, cid string) []string {
	t.Helper()
	var out []string
	token := ""
	for {
		resp := testkit.Must[*govpb.ListHouseholdsResponse](t)(e.gov.ListHouseholds(bg, &govpb.ListHouseholdsRequest{CompoundId: cid, PageSize: 1000, PageToken: token}))
		for _, h := range resp.Households {
			out = append(out, h.Id)
		}
		if token = resp.NextPageToken; token == "" {
			return out
		}
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func source(party pb.FundingSource_Party, funder string, fen int64) *pb.FundingSource {
	return &pb.FundingSource{Party: party, Funder: funder, CommittedFen: fen}
}

func flat(fen int64) *pb.Quota  { return &pb.Quota{Amount: &pb.Quota_FlatFen{FlatFen: fen}} }
func perM2(fen int64) *pb.Quota { return &pb.Quota{Amount: &pb.Quota_PerM2Fen{PerM2Fen: fen}} }
func gov(fen int64) *pb.FundingSource {
	return source(pb.FundingSource_GOVERNMENT, "区住建局", fen)
}
func social(fen int64) *pb.FundingSource {
	return source(pb.FundingSource_SOCIAL, "国网供电公司", fen)
}
func residents() *pb.FundingSource { return source(pb.FundingSource_RESIDENTS, "居民自筹", 0) }

func (e *env) plan(t testing.TB, pid string, q *pb.Quota, sources ...*pb.FundingSource) *pb.FundingPlan {
	t.Helper()
	return testkit.Must[*pb.FundingPlan](t)(e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{ProjectId: pid, Sources: sources, Quota: q}}))
}

// site is a compound of n households of 60 m² and its project, IN_CONSTRUCTION, whose
// plan has the government commit 400,000 yuan, a utility 50,000 and each household the
// flat 1,084: the project's whole budget, so construction could start (rule 6).
type site struct {
	compound    string
	households  []string
	project     string
	budget      int64
	book        string
	road, drain string // the project's work items
}

func (e *env) site(t testing.TB, n int) *site {
	t.Helper()
	s := &site{budget: 40_000_000 + 5_000_000 + int64(n)*108400}
	s.compound, s.households = e.households(t, n)
	s.project = e.proposed(t, s.compound, s.budget)
	// The plan comes before the notice, which publishes each household's share (rule 14).
	s.book = e.plan(t, s.project, flat(108400), gov(40_000_000), social(5_000_000), residents()).BookId
	e.approve(t, s.project)
	e.startConstruction(t, s.project)
	s.road, s.drain = e.workItem(t, s.project, prjpb.WorkItem_ROAD_REPAIR), e.workItem(t, s.project, prjpb.WorkItem_DRAIN_PIPE)
	return s
}

func opts(pairs ...string) []*surveypb.QuestionOption {
	var out []*surveypb.QuestionOption
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, &surveypb.QuestionOption{Id: pairs[i], Text: pairs[i+1]})
	}
	return out
}

// resolution runs a closed owners' vote of the compound on a matter: the households
// answer in order ("" for no answer).
func (e *env) resolution(t testing.TB, cid string, matter surveypb.Survey_Matter, hs []string, answers ...string) string {
	t.Helper()
	return e.vote(t, cid, matter, true, hs, answers...)
}

// resolutionFor runs a closed COMMON_PART_BUSINESS vote naming the business uses given
// (rule 10: income from a use of common parts needs a resolution naming that use).
func (e *env) resolutionFor(t testing.TB, cid string, uses []surveypb.Survey_BusinessUse, hs []string, answers ...string) string {
	t.Helper()
	return e.voteOn(t, cid, surveypb.Survey_COMMON_PART_BUSINESS, uses, true, hs, answers...)
}

// vote runs an owners' vote, closed or still open; a COMMON_PART_BUSINESS vote names
// parking let to outsiders and shop rent as its uses.
func (e *env) vote(t testing.TB, cid string, matter surveypb.Survey_Matter, closeIt bool, hs []string, answers ...string) string {
	t.Helper()
	var uses []surveypb.Survey_BusinessUse
	if matter == surveypb.Survey_COMMON_PART_BUSINESS {
		uses = []surveypb.Survey_BusinessUse{surveypb.Survey_PARKING_PUBLIC, surveypb.Survey_SHOP_RENT}
	}
	return e.voteOn(t, cid, matter, uses, closeIt, hs, answers...)
}

func (e *env) voteOn(t testing.TB, cid string, matter surveypb.Survey_Matter, uses []surveypb.Survey_BusinessUse, closeIt bool, hs []string, answers ...string) string {
	t.Helper()
	text := "是否同意将公共车位对外出租？"
	if matter == surveypb.Survey_RENOVATION {
		text = "是否同意本小区改造方案？"
	}
	q := &surveypb.Question{Id: "vote", Text: text, Type: surveypb.Question_SINGLE_CHOICE, Options: opts("agree", "同意", "disagree", "不同意", "abstain", "弃权")}
	return e.survey(t, &surveypb.Survey{CompoundId: cid, Title: "业主表决", Kind: surveypb.Survey_RESOLUTION, Matter: matter, BusinessUses: uses, Questions: []*surveypb.Question{q}},
		closeIt, hs, answers...)
}

// survey opens a survey whose one question the households answer in order ("" for no
// answer), and closes it if asked.
func (e *env) survey(t testing.TB, sv *surveypb.Survey, closeIt bool, hs []string, answers ...string) string {
	t.Helper()
	s := testkit.Must[*surveypb.Survey](t)(e.sv.CreateSurvey(bg, &surveypb.CreateSurveyRequest{Survey: sv}))
	testkit.Must[*surveypb.Survey](t)(e.sv.OpenSurvey(bg, &surveypb.OpenSurveyRequest{Id: s.Id}))
	q := sv.Questions[0].Id
	for i, a := range answers {
		if a == "" {
			continue
		}
		testkit.Must[*surveypb.Response](t)(e.sv.SubmitResponse(bg, &surveypb.SubmitResponseRequest{SurveyId: s.Id, Response: &surveypb.Response{
			HouseholdId: hs[i], Channel: surveypb.Response_DOOR_TO_DOOR, CollectorId: "grid-7",
			Answers: []*surveypb.Answer{{QuestionId: q, OptionIds: []string{a}}}}}))
	}
	if closeIt {
		testkit.Must[*surveypb.Survey](t)(e.sv.CloseSurvey(bg, &surveypb.CloseSurveyRequest{Id: s.Id}))
	}
	return s.Id
}

// ---------------------------------------------------------------------------------------
// Money writes

var reqSeq atomic.Int64

func rid(prefix string) string { return fmt.Sprintf("%s-%d", prefix, reqSeq.Add(1)) }

func (e *env) receipt(pid string, party pb.FundingSource_Party, funder string, fen int64, req string) (*pb.Receipt, error) {
	return e.CreateReceipt(bg, &pb.CreateReceiptRequest{ProjectId: pid, Receipt: &pb.Receipt{Party: party, Funder: funder, AmountFen: fen, RequestId: req}})
}

func (e *env) pay(pid, hid string, fen int64, req string) (*pb.Contribution, error) {
	return e.CreateContribution(bg, &pb.CreateContributionRequest{ProjectId: pid, Contribution: &pb.Contribution{
		HouseholdId: hid, AmountFen: fen, Method: pb.Contribution_WECHAT, RequestId: req}})
}

func (e *env) contract(pid, payee string, fen int64, req string, items ...string) (*pb.Contract, error) {
	return e.CreateContract(bg, &pb.CreateContractRequest{ProjectId: pid, Contract: &pb.Contract{Payee: payee, AmountFen: fen, ItemIds: items, RequestId: req}})
}

// disburse pays a payee under its contract of the given amount, recording the contract
// first (its request id names payee and amount, so the same contract is a replay; another
// amount for the payee is CONTRACT_EXISTS).
func (e *env) disburse(pid, payee string, contract, fen int64, item, req string) (*pb.Disbursement, error) {
	c, err := e.contract(pid, payee, contract, fmt.Sprintf("contract:%s:%d", payee, contract))
	if err != nil {
		return nil, err
	}
	return e.disburseTo(pid, c.Id, fen, item, req)
}

// disburseTo pays under a contract by its id.
func (e *env) disburseTo(pid, contractID string, fen int64, item, req string) (*pb.Disbursement, error) {
	return e.CreateDisbursement(bg, &pb.CreateDisbursementRequest{ProjectId: pid, Disbursement: &pb.Disbursement{
		ContractId: contractID, AmountFen: fen, ItemId: item, Purpose: "进度款", RequestId: req}})
}

func (e *env) reverse(id, reason, req string) (*pb.Transaction, error) {
	return e.ReverseTransaction(bg, &pb.ReverseTransactionRequest{Id: id, Reason: reason, RequestId: req})
}

func (e *env) income(cid string, stream pb.Income_Stream, fen int64, resolution, req string) (*pb.Income, error) {
	return e.RecordIncome(bg, &pb.RecordIncomeRequest{CompoundId: cid, Income: &pb.Income{
		Stream: stream, AmountFen: fen, ResolutionSurveyId: resolution, Period: "2024-07", RequestId: req}})
}

func (e *env) expense(cid string, kind pb.Expense_Kind, fen int64, req string) (*pb.Expense, error) {
	return e.RecordExpense(bg, &pb.RecordExpenseRequest{CompoundId: cid, Expense: &pb.Expense{
		Kind: kind, Payee: "石羊物业保洁队", AmountFen: fen, Period: "2024-07", RequestId: req}})
}

// ---------------------------------------------------------------------------------------
// Reading the books

func (e *env) book(t testing.TB, id string) *pb.Book {
	t.Helper()
	return testkit.Must[*pb.Book](t)(e.GetBook(bg, &pb.GetBookRequest{BookId: id}))
}

func (e *env) collection(t testing.TB, pid string) *pb.Collection {
	t.Helper()
	return testkit.Must[*pb.Collection](t)(e.GetCollection(bg, &pb.GetCollectionRequest{ProjectId: pid, PageSize: 1000}))
}

func (e *env) transactions(t testing.TB, book string) []*pb.Transaction {
	t.Helper()
	var out []*pb.Transaction
	token := ""
	for {
		resp := testkit.Must[*pb.ListTransactionsResponse](t)(e.ListTransactions(bg, &pb.ListTransactionsRequest{BookId: book, PageSize: 1000, PageToken: token}))
		out = append(out, resp.Transactions...)
		if token = resp.NextPageToken; token == "" {
			return out
		}
	}
}

func (e *env) accounts(t testing.TB, book string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	resp := testkit.Must[*pb.ListAccountsResponse](t)(e.ListAccounts(bg, &pb.ListAccountsRequest{BookId: book, PageSize: 1000}))
	for _, a := range resp.Accounts {
		out[a.Id] = a.BalanceFen
	}
	return out
}

// verified checks :verify finds nothing wrong with a book.
func (e *env) verified(t testing.TB, book string) {
	t.Helper()
	v := testkit.Must[*pb.VerifyBookResponse](t)(e.VerifyBook(bg, &pb.VerifyBookRequest{BookId: book}))
	if !v.Ok || len(v.Differences) > 0 || len(v.UnbalancedTransactionIds) > 0 {
		t.Fatalf("verify %s: %v", book, v)
	}
}

// state is what a refused write must leave as it was.
type state struct {
	book     *pb.Book
	accounts map[string]int64
	log      int
}

func (e *env) state(t testing.TB, book string) state {
	t.Helper()
	b := e.book(t, book)
	b.CreateTime, b.UpdateTime = nil, nil
	return state{b, e.accounts(t, book), len(e.transactions(t, book))}
}

func (e *env) unchanged(t testing.TB, book string, before state) {
	t.Helper()
	after := e.state(t, book)
	if !proto.Equal(after.book, before.book) || after.log != before.log || fmt.Sprint(after.accounts) != fmt.Sprint(before.accounts) {
		t.Fatalf("a refused write changed book %s:\nbefore %v %v (%d transactions)\n after %v %v (%d transactions)",
			book, before.book, before.accounts, before.log, after.book, after.accounts, after.log)
	}
}

// contractOf finds the id of a payee's contract on a project.
func contractOf(t testing.TB, e *env, pid, payee string) string {
	t.Helper()
	resp := testkit.Must[*pb.ListContractsResponse](t)(e.ListContracts(bg, &pb.ListContractsRequest{ProjectId: pid, PageSize: 1000}))
	for _, c := range resp.Contracts {
		if c.Payee == payee {
			return c.Id
		}
	}
	t.Fatalf("no contract with %s on %s: %v", payee, pid, resp)
	return ""
}
