package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

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
// A projects service the test steers: each project's compound, budget and status, as
// the test sets them.

type fakeProjects struct {
	prjpb.UnimplementedProjectsServiceServer
	mu    sync.Mutex
	m     map[string]*prjpb.Project
	items map[string]bool // "<project>/<item>": the work items of each project
}

func (f *fakeProjects) GetWorkItem(_ context.Context, req *prjpb.GetWorkItemRequest) (*prjpb.WorkItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.items[req.GetProjectId()+"/"+req.GetId()] {
		return nil, status.Errorf(codes.NotFound, "no work item %s of project %s", req.GetId(), req.GetProjectId())
	}
	return &prjpb.WorkItem{Id: req.GetId(), ProjectId: req.GetProjectId()}, nil
}

func (f *fakeProjects) GetProject(_ context.Context, req *prjpb.GetProjectRequest) (*prjpb.Project, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.m[req.GetId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no project %s", req.GetId())
	}
	return proto.Clone(p).(*prjpb.Project), nil
}

func (f *fakeProjects) set(p *prjpb.Project) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[p.Id] = proto.Clone(p).(*prjpb.Project)
}

func (f *fakeProjects) update(id string, change func(*prjpb.Project)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f.m[id])
}

// ---------------------------------------------------------------------------------------
// The environment: real governance and survey, the projects fake (or the real projects
// service), and finance on one platform gRPC server (validation interceptor included) on
// a loopback port, sharing one Redis database; the services ask each other through a
// client of that same server.

type env struct {
	pb.FinanceServiceClient
	gov       govpb.GovernanceServiceClient
	sv        surveypb.SurveyServiceClient
	prj       prjpb.ProjectsServiceClient
	projects  *fakeProjects // nil with the real projects service
	rdb       redis.UniversalClient
	store     *storage.Store
	srv       *api.Server // the finance handlers themselves, for reads that skip the network
	logs      *testkit.LogBuffer
	seq       atomic.Int64
	community string
}

type options struct {
	realProjects bool
	noProjects   bool      // no projects service on the server: its calls are UNIMPLEMENTED
	peers        app.Peers // instead of governance, survey and projects over gRPC
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

	var p app.Peers = o.peers
	if p == nil {
		p = peers.New(conn, conn, conn)
		testkit.Mount(t, ctx, srv)(governance.New(rdb, governance.Peers{}, log, governance.Config{}))
		testkit.Mount(t, ctx, srv)(survey.New(rdb, survey.Peers{Governance: conn}, log, survey.Config{}))
		if o.realProjects {
			testkit.Mount(t, ctx, srv)(projects.New(rdb, projects.Peers{Survey: conn, Finance: conn, Governance: conn}, log, projects.Config{}))
		} else if !o.noProjects {
			e.projects = &fakeProjects{m: map[string]*prjpb.Project{}, items: map[string]bool{}}
			prjpb.RegisterProjectsServiceServer(srv.GRPC, e.projects)
		}
	}
	e.srv = api.New(app.New(e.store, p, time.Now))
	pb.RegisterFinanceServiceServer(srv.GRPC, e.srv)

	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis, time.Second); close(done) }()
	t.Cleanup(func() { cancel(); <-done; conn.Close() })
	e.FinanceServiceClient = pb.NewFinanceServiceClient(conn)
	e.gov = govpb.NewGovernanceServiceClient(conn)
	e.sv = surveypb.NewSurveyServiceClient(conn)
	e.prj = prjpb.NewProjectsServiceClient(conn)
	if o.peers == nil {
		district := e.region(t, "东川区", govpb.Region_DISTRICT, "")
		sub := e.region(t, "铜都街道", govpb.Region_SUBDISTRICT, district.Id)
		e.community = e.region(t, "石羊社区", govpb.Region_COMMUNITY, sub.Id).Id
	}
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

const budget = 60_000_000 // 600,000 yuan

// projectItems are the work items every project of the projects fake has.
var projectItems = []string{"road", "item-road", "item-drain"}

// project makes a project of the compound in the projects fake, with projectItems.
func (e *env) project(t testing.TB, cid string, budgetFen int64, st prjpb.Project_Status) string {
	t.Helper()
	id := fmt.Sprintf("prj-%d", e.seq.Add(1))
	e.projects.set(&prjpb.Project{Id: id, CompoundId: cid, BudgetFen: budgetFen, Status: st, Title: "老旧小区改造", Year: 2024})
	e.projects.mu.Lock()
	for _, it := range projectItems {
		e.projects.items[id+"/"+it] = true
	}
	e.projects.mu.Unlock()
	return id
}

func (e *env) setStatus(id string, st prjpb.Project_Status) {
	e.projects.update(id, func(p *prjpb.Project) { p.Status = st })
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

// site is a compound of n households of 60 m² with a project (IN_CONSTRUCTION, the
// 600,000 yuan budget) whose plan has the government commit 400,000 yuan, a utility
// 50,000 and each household the flat 1,084.
type site struct {
	compound   string
	households []string
	project    string
	book       string
}

func (e *env) site(t testing.TB, n int) *site {
	t.Helper()
	s := &site{}
	s.compound, s.households = e.households(t, n)
	s.project = e.project(t, s.compound, budget, prjpb.Project_IN_CONSTRUCTION)
	s.book = e.plan(t, s.project, flat(108400), gov(40_000_000), social(5_000_000), residents()).BookId
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
	q := &surveypb.Question{Id: "vote", Text: "是否同意将公共车位对外出租？", Type: surveypb.Question_SINGLE_CHOICE, Options: opts("agree", "同意", "disagree", "不同意", "abstain", "弃权")}
	s := testkit.Must[*surveypb.Survey](t)(e.sv.CreateSurvey(bg, &surveypb.CreateSurveyRequest{Survey: &surveypb.Survey{
		CompoundId: cid, Title: "业主表决", Kind: surveypb.Survey_RESOLUTION, Matter: matter, BusinessUses: uses, Questions: []*surveypb.Question{q}}}))
	testkit.Must[*surveypb.Survey](t)(e.sv.OpenSurvey(bg, &surveypb.OpenSurveyRequest{Id: s.Id}))
	for i, a := range answers {
		if a == "" {
			continue
		}
		testkit.Must[*surveypb.Response](t)(e.sv.SubmitResponse(bg, &surveypb.SubmitResponseRequest{SurveyId: s.Id, Response: &surveypb.Response{
			HouseholdId: hs[i], Channel: surveypb.Response_DOOR_TO_DOOR, CollectorId: "grid-7",
			Answers: []*surveypb.Answer{{QuestionId: "vote", OptionIds: []string{a}}}}}))
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
