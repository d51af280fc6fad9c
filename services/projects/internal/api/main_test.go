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
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/grpcserver"
	"tongdu/platform/testkit"
	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/finance"
	"tongdu/services/governance"
	"tongdu/services/projects"
	"tongdu/services/survey"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var bg = context.Background()

// ---------------------------------------------------------------------------------------
// The environment: the real governance, survey, finance and projects services on one
// platform gRPC server (validation interceptor included) on a loopback port, sharing one
// Redis database of their own; the services ask each other through a client of that same
// server, so projects reads the funding cover (rule 6) from finance's real funding plans
// (issue 22: no double stands in for a service that exists).

type env struct {
	pb.ProjectsServiceClient
	gov       govpb.GovernanceServiceClient
	sv        surveypb.SurveyServiceClient
	fin       financepb.FinanceServiceClient
	rdb       redis.UniversalClient
	logs      *testkit.LogBuffer
	seq       atomic.Int64
	community string
}

// options change the environment: noFinance mounts no finance service, so every call
// projects makes to it is UNIMPLEMENTED, as with a version built without finance; rdb
// serves the services from another environment's database (its registry already made),
// as a second deployment over the same data.
type options struct {
	noFinance bool
	rdb       redis.UniversalClient
}

func start(t *testing.T) *env { return startWith(t, options{}) }

func startWith(t *testing.T, o options) *env {
	t.Helper()
	logs := &testkit.LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := grpcserver.New(log)
	if err != nil {
		t.Fatal(err)
	}
	rdb := o.rdb
	if rdb == nil {
		rdb = testkit.Redis(t)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())

	testkit.Mount(t, ctx, srv)(governance.New(rdb, governance.Peers{}, log, governance.Config{}))
	testkit.Mount(t, ctx, srv)(survey.New(rdb, survey.Peers{Governance: conn}, log, survey.Config{}))
	if !o.noFinance {
		testkit.Mount(t, ctx, srv)(finance.New(rdb, finance.Peers{Projects: conn, Governance: conn, Survey: conn}, log, finance.Config{}))
	}
	testkit.Mount(t, ctx, srv)(projects.New(rdb, projects.Peers{Survey: conn, Finance: conn, Governance: conn}, log, projects.Config{}))

	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis, time.Second); close(done) }()
	t.Cleanup(func() { cancel(); <-done; conn.Close() })
	e := &env{
		ProjectsServiceClient: postingPlans{pb.NewProjectsServiceClient(conn)},
		gov:                   govpb.NewGovernanceServiceClient(conn),
		sv:                    surveypb.NewSurveyServiceClient(conn),
		fin:                   financepb.NewFinanceServiceClient(conn),
		rdb:                   rdb, logs: logs,
	}
	if o.rdb == nil {
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
// The registry and the residents' votes, through the governance and survey APIs.

func (e *env) region(t *testing.T, name string, level govpb.Region_Level, parent string) *govpb.Region {
	t.Helper()
	return testkit.Must[*govpb.Region](t)(e.gov.CreateRegion(bg, &govpb.CreateRegionRequest{Region: &govpb.Region{Name: name, Level: level, Parent: parent}}))
}

// compound registers a compound with n households of 60 m² each in one building.
func (e *env) compound(t *testing.T, n int) (string, []string) {
	t.Helper()
	c := testkit.Must[*govpb.Compound](t)(e.gov.CreateCompound(bg, &govpb.CreateCompoundRequest{Compound: &govpb.Compound{
		Name: fmt.Sprintf("石羊路%d号院", 20+e.seq.Add(1)), CommunityId: e.community, BuildYear: 1992}}))
	b := testkit.Must[*govpb.Building](t)(e.gov.CreateBuilding(bg, &govpb.CreateBuildingRequest{CompoundId: c.Id, Building: &govpb.Building{Name: "1栋", UnitCount: 2}}))
	var hs []*govpb.Household
	for i := range n {
		hs = append(hs, &govpb.Household{BuildingId: b.Id, Unit: fmt.Sprint(1 + i%2), Room: fmt.Sprintf("%d0%d", 1+i/2, 1+i%2), ExclusiveAreaM2: 60, ResidentName: "张三", Phone: "13800001234"})
	}
	resp := testkit.Must[*govpb.BatchCreateHouseholdsResponse](t)(e.gov.BatchCreateHouseholds(bg, &govpb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: hs}))
	var ids []string
	for _, h := range resp.Households {
		ids = append(ids, h.Id)
	}
	return c.Id, ids
}

func opts(pairs ...string) []*surveypb.QuestionOption {
	var out []*surveypb.QuestionOption
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, &surveypb.QuestionOption{Id: pairs[i], Text: pairs[i+1]})
	}
	return out
}

// vote runs a survey of the compound: the households answer the first question with the
// given options in order ("" for no answer); close says whether the survey is closed.
func (e *env) vote(t *testing.T, cid string, kind surveypb.Survey_Kind, matter surveypb.Survey_Matter, hs []string, answers []string, close bool) string {
	t.Helper()
	q := &surveypb.Question{Id: "vote", Text: "是否同意改造方案？", Type: surveypb.Question_SINGLE_CHOICE, Options: opts("agree", "同意", "disagree", "不同意", "abstain", "弃权")}
	title := "改造方案业主表决"
	if kind == surveypb.Survey_ACCEPTANCE {
		q = &surveypb.Question{Id: "vote", Text: "您对改造是否满意？", Type: surveypb.Question_SINGLE_CHOICE, Options: opts("satisfied", "满意", "unsatisfied", "不满意")}
		title = "改造民意验收"
	}
	s := testkit.Must[*surveypb.Survey](t)(e.sv.CreateSurvey(bg, &surveypb.CreateSurveyRequest{Survey: &surveypb.Survey{
		CompoundId: cid, Title: title, Kind: kind, Matter: matter, Questions: []*surveypb.Question{q}}}))
	testkit.Must[*surveypb.Survey](t)(e.sv.OpenSurvey(bg, &surveypb.OpenSurveyRequest{Id: s.Id}))
	for i, a := range answers {
		if a == "" {
			continue
		}
		testkit.Must[*surveypb.Response](t)(e.sv.SubmitResponse(bg, &surveypb.SubmitResponseRequest{SurveyId: s.Id, Response: &surveypb.Response{
			HouseholdId: hs[i], Channel: surveypb.Response_DOOR_TO_DOOR, CollectorId: "grid-7",
			Answers: []*surveypb.Answer{{QuestionId: "vote", OptionIds: []string{a}}}}}))
	}
	if close {
		testkit.Must[*surveypb.Survey](t)(e.sv.CloseSurvey(bg, &surveypb.CloseSurveyRequest{Id: s.Id}))
	}
	return s.Id
}

func (e *env) resolution(t *testing.T, cid string, hs []string, answers ...string) string {
	t.Helper()
	return e.vote(t, cid, surveypb.Survey_RESOLUTION, surveypb.Survey_RENOVATION, hs, answers, true)
}

func (e *env) acceptanceSurvey(t *testing.T, cid string, hs []string, close bool, answers ...string) string {
	t.Helper()
	return e.vote(t, cid, surveypb.Survey_ACCEPTANCE, 0, hs, answers, close)
}

// site is a compound of six households whose owners first voted the renovation down and
// then passed it, and who accepted the finished works (4 of 6 responded, 3 of them
// satisfied).
type site struct {
	compound         string
	households       []string
	failedResolution string
	passedResolution string
	acceptance       string
	nextYear         atomic.Int32
}

func (e *env) site(t *testing.T) *site {
	t.Helper()
	s := &site{}
	s.compound, s.households = e.compound(t, 6)
	s.failedResolution = e.resolution(t, s.compound, s.households, "agree", "agree", "agree", "disagree", "disagree", "abstain")
	s.passedResolution = e.resolution(t, s.compound, s.households, "agree", "agree", "agree", "agree", "agree", "disagree")
	s.acceptance = e.acceptanceSurvey(t, s.compound, s.households, true, "satisfied", "satisfied", "satisfied", "unsatisfied")
	s.nextYear.Store(2000)
	return s
}

// ---------------------------------------------------------------------------------------
// Projects

const budget = 60_000_000 // 600,000 yuan, as pooled for Shiyang Road No. 21

func (e *env) project(t *testing.T, cid string, year int32) *pb.Project {
	t.Helper()
	return testkit.Must[*pb.Project](t)(e.CreateProject(bg, &pb.CreateProjectRequest{Project: &pb.Project{
		CompoundId: cid, Title: fmt.Sprintf("石羊路21号院老旧小区改造（%d）", year), Year: year, BudgetFen: budget}}))
}

// fund makes the project's funding plan in the finance service: the district's housing
// bureau commits committedFen (rule 6: IN_CONSTRUCTION needs committed sources that cover
// the budget).
func (e *env) fund(t *testing.T, pid string, committedFen int64) *financepb.FundingPlan {
	t.Helper()
	return e.fundBy(t, pid, nil, &financepb.FundingSource{Party: financepb.FundingSource_GOVERNMENT, Funder: "区住建局", CommittedFen: committedFen})
}

// fundBy makes the project's funding plan with the given sources (and quota, nil for
// none) through finance's API; the plan answers with the committed total the sources add
// up to.
func (e *env) fundBy(t *testing.T, pid string, quota *financepb.Quota, sources ...*financepb.FundingSource) *financepb.FundingPlan {
	t.Helper()
	return testkit.Must[*financepb.FundingPlan](t)(e.fin.CreateFundingPlan(bg, &financepb.CreateFundingPlanRequest{FundingPlan: &financepb.FundingPlan{
		ProjectId: pid, Sources: sources, Quota: quota}}))
}

func (e *env) item(t *testing.T, pid string, it *pb.WorkItem) *pb.WorkItem {
	t.Helper()
	return testkit.Must[*pb.WorkItem](t)(e.CreateWorkItem(bg, &pb.CreateWorkItemRequest{ProjectId: pid, Item: it}))
}

func road() *pb.WorkItem {
	return &pb.WorkItem{Category: pb.WorkItem_BASIC, Kind: pb.WorkItem_ROAD_REPAIR, Description: "damaged roads repaired", Quantity: 968, Unit: "m2",
		EstimatedCostFen: 19_360_000, Difficulty: pb.WorkItem_MEDIUM, SafetyCritical: true}
}

func (e *env) get(t *testing.T, id string) *pb.Project {
	t.Helper()
	return testkit.Must[*pb.Project](t)(e.GetProject(bg, &pb.GetProjectRequest{Id: id}))
}

func (e *env) items(t *testing.T, pid string) []*pb.WorkItem {
	t.Helper()
	return testkit.Must[*pb.ListWorkItemsResponse](t)(e.ListWorkItems(bg, &pb.ListWorkItemsRequest{ProjectId: pid})).Items
}

func (e *env) progress(pid, itemID string, percent int32) error {
	_, err := e.CreateProgressReport(bg, &pb.CreateProgressReportRequest{ProjectId: pid, ProgressReport: &pb.ProgressReport{
		ItemId: itemID, ProgressPercent: percent, Contractor: "川建三公司", Remarks: fmt.Sprintf("%d%% done", percent)}})
	return err
}

func (e *env) signoff(pid string, role pb.Signoff_Role, verdict pb.Signoff_Verdict, signer, remarks string) error {
	_, err := e.CreateSignoff(bg, &pb.CreateSignoffRequest{ProjectId: pid, Signoff: &pb.Signoff{Role: role, Verdict: verdict, Signer: signer, Remarks: remarks}})
	return err
}

func (e *env) setAcceptanceSurvey(t *testing.T, pid, sid string) *pb.Project {
	t.Helper()
	return testkit.Must[*pb.Project](t)(e.UpdateProject(bg, &pb.UpdateProjectRequest{
		Project: &pb.Project{Id: pid, AcceptanceSurveyId: sid}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"acceptance_survey_id"}}}))
}

var roles = []pb.Signoff_Role{pb.Signoff_SUPERVISOR, pb.Signoff_CONTRACTOR, pb.Signoff_BUILDER, pb.Signoff_COMMUNITY}

var signers = map[pb.Signoff_Role]string{
	pb.Signoff_SUPERVISOR: "监理 张工", pb.Signoff_CONTRACTOR: "施工 川建三公司", pb.Signoff_BUILDER: "建设 区住建局", pb.Signoff_COMMUNITY: "石羊社区 王书记",
}

// act asks for one of rule 6's transitions (the project lifecycle) of a project.
func (e *env) act(a string, id string) (*pb.Project, error) {
	const actor = "区住建局 李科长"
	switch a {
	case "approve":
		return e.ApproveProject(bg, &pb.ApproveProjectRequest{Id: id, Actor: actor, Reason: "owners resolved"})
	case "startConstruction":
		return e.StartConstruction(bg, &pb.StartConstructionRequest{Id: id, Actor: actor, Reason: "funds in place"})
	case "requestAcceptance":
		return e.RequestAcceptance(bg, &pb.RequestAcceptanceRequest{Id: id, Actor: actor, Reason: "works done"})
	case "accept":
		return e.AcceptProject(bg, &pb.AcceptProjectRequest{Id: id, Actor: actor, Reason: "jointly accepted"})
	case "startMaintenance":
		return e.StartMaintenance(bg, &pb.StartMaintenanceRequest{Id: id, Actor: actor, Reason: "self-governed upkeep"})
	case "suspend":
		return e.SuspendProject(bg, &pb.SuspendProjectRequest{Id: id, Actor: actor, Reason: "rainy season"})
	case "resume":
		return e.ResumeProject(bg, &pb.ResumeProjectRequest{Id: id, Actor: actor, Reason: "dry again"})
	case "cancel":
		return e.CancelProject(bg, &pb.CancelProjectRequest{Id: id, Actor: actor, Reason: "compound to be demolished"})
	}
	panic("unknown action " + a)
}

var actions = []string{"approve", "startConstruction", "requestAcceptance", "accept", "startMaintenance", "suspend", "resume", "cancel"}

// reach builds a project of the site in the given status, walking rule 6 (the lifecycle) with every guard
// satisfied. A SUSPENDED project was suspended while IN_CONSTRUCTION. Each project has one
// item, the road, at 0% until acceptance is requested.
func (e *env) reach(t *testing.T, s *site, want pb.Project_Status) (p *pb.Project) {
	t.Helper()
	p = e.project(t, s.compound, s.nextYear.Add(1))
	e.item(t, p.Id, road())
	defer func() { p = e.get(t, p.Id) }() // as stored, with its current etag
	step := func(a string) {
		t.Helper()
		next, err := e.act(a, p.Id)
		if err != nil {
			t.Fatalf("reaching %s: %s: %v", want, a, err)
		}
		p = next
	}
	switch want {
	case pb.Project_PROPOSED:
		return p
	case pb.Project_CANCELLED:
		step("cancel")
		return p
	}
	// Rule 6: one resolution approves one project, so each project the site reaches past
	// PROPOSED has its owners' vote of its own, the compound's latest.
	e.resolution(t, s.compound, s.households, "agree", "agree", "agree", "agree", "agree", "disagree")
	step("approve")
	if want == pb.Project_APPROVED {
		return p
	}
	e.fund(t, p.Id, budget)
	step("startConstruction")
	switch want {
	case pb.Project_IN_CONSTRUCTION:
		return p
	case pb.Project_SUSPENDED:
		step("suspend")
		return p
	}
	for _, it := range e.items(t, p.Id) {
		if err := e.progress(p.Id, it.Id, 100); err != nil {
			t.Fatal(err)
		}
	}
	step("requestAcceptance")
	if want == pb.Project_PENDING_ACCEPTANCE {
		return p
	}
	e.setAcceptanceSurvey(t, p.Id, s.acceptance)
	for _, r := range roles {
		if err := e.signoff(p.Id, r, pb.Signoff_PASS, signers[r], "合格"); err != nil {
			t.Fatal(err)
		}
	}
	if p = e.get(t, p.Id); p.Status != pb.Project_ACCEPTED {
		t.Fatalf("reaching %s: four PASS sign-offs and a good survey leave the project %s", want, p.Status)
	}
	if want == pb.Project_ACCEPTED {
		return p
	}
	step("startMaintenance")
	if want != pb.Project_MAINTENANCE {
		t.Fatalf("cannot reach %s", want)
	}
	return p
}

// ---------------------------------------------------------------------------------------
// Statuses (the assertions are testkit's)

// unchanged checks a refused request left the project as it was.
func (e *env) unchanged(t *testing.T, before *pb.Project) {
	t.Helper()
	after := e.get(t, before.Id)
	if after.Etag != before.Etag || after.Status != before.Status || len(after.History) != len(before.History) {
		t.Fatalf("a refused request changed the project: %s %s (%d entries) → %s %s (%d entries)",
			before.Etag, before.Status, len(before.History), after.Etag, after.Status, len(after.History))
	}
}

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// postingPlans posts a project's plan on its compound's board, as gone up eight days ago
// (its period over), before each approval: these tests are about the other guards; the
// notice's own (rule 14) is tested through REST in tests/e2e.
type postingPlans struct{ pb.ProjectsServiceClient }

func (c postingPlans) ApproveProject(ctx context.Context, req *pb.ApproveProjectRequest, opts ...grpc.CallOption) (*pb.Project, error) {
	if p, err := c.GetProject(ctx, &pb.GetProjectRequest{Id: req.GetId()}); err == nil && p.GetStatus() == pb.Project_PROPOSED {
		// Refusals (a project of no compound, say) are the approval's to report.
		_, _ = c.CreateNotice(ctx, &pb.CreateNoticeRequest{Notice: &pb.Notice{CompoundId: p.GetCompoundId(), Kind: pb.Notice_PLAN,
			SubjectId: p.GetId(), OpensAt: timestamppb.New(time.Now().Add(-8 * 24 * time.Hour))}})
	}
	return c.ProjectsServiceClient.ApproveProject(ctx, req, opts...)
}
