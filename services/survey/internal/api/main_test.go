package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/events"
	"tongdu/platform/grpcserver"
	"tongdu/platform/testkit"
	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/governance"
	"tongdu/services/survey/internal/api"
	"tongdu/services/survey/internal/app"
	"tongdu/services/survey/internal/opinion"
	"tongdu/services/survey/internal/peers"
	"tongdu/services/survey/internal/storage"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var bg = context.Background()

// env is the governance and survey services on one platform gRPC server (validation
// interceptor included) on a loopback port, sharing a Redis database of their own; the
// survey service asks governance through a gRPC client of that same server.
type env struct {
	pb.SurveyServiceClient
	// handlers are the survey handlers themselves, for calls as a signed-in caller (the
	// server here checks no tokens, so only a context can carry one).
	handlers *api.Server
	gov      govpb.GovernanceServiceClient
	imports  govpb.ImportServiceClient
	store    *storage.Store
	rdb      redis.UniversalClient
	logs     *testkit.LogBuffer
	seq      *atomic.Int64
	// registry is what the survey service asks governance through, counting reads of
	// whole regions.
	registry *countingRegistry
	// publish: the tests publish registry events themselves (registryChanged), besides
	// governance's own.
	publish bool
}

// countingRegistry counts the calls that read every compound under a region, and the
// households asked of governance one by one (a response's check asks none when the
// survey's electorate holds them).
type countingRegistry struct {
	app.Registry
	regionReads    atomic.Int64
	householdReads atomic.Int64
}

func (r *countingRegistry) Households(ctx context.Context, ids []string) (map[string]app.Household, error) {
	r.householdReads.Add(int64(len(ids)))
	return r.Registry.Households(ctx, ids)
}

func (r *countingRegistry) CompoundsUnder(ctx context.Context, region string, each func([]*app.Compound) error) error {
	r.regionReads.Add(1)
	return r.Registry.CompoundsUnder(ctx, region, each)
}

func start(tb testing.TB) *env {
	tb.Helper()
	logs := &testkit.LogBuffer{}
	var out io.Writer = logs
	if _, bench := tb.(*testing.B); bench {
		out = io.Discard
	}
	log := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := grpcserver.New(log)
	if err != nil {
		tb.Fatal(err)
	}
	rdb := testkit.Redis(tb)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	testkit.Mount(tb, ctx, srv)(governance.New(rdb, governance.Peers{}, log, governance.Config{}))
	outbox := events.NewOutbox(rdb, log)
	store := storage.New(rdb, outbox)
	// A short delay, so the rankings also move on their own while tests read them.
	registry := &countingRegistry{Registry: peers.NewGovernance(conn)}
	a := app.New(store, registry, log, time.Now, app.Options{Weights: opinion.DefaultWeights, RankingRefresh: time.Minute, RankingDelay: 20 * time.Millisecond})
	handlers := api.New(a)
	pb.RegisterSurveyServiceServer(srv.GRPC, handlers)
	go a.RunRanking(ctx)
	go outbox.Run(ctx) // as survey.Start does: the events written with the changes
	// As survey.Start does: the registry's changes behind the ranking.
	go events.Follow(ctx, rdb, log, events.RegistryTopic, "survey", a.FollowRegistryEvent, events.Options{Consumer: "survey-test"})
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis, time.Second); close(done) }()
	tb.Cleanup(func() { cancel(); <-done; conn.Close() })
	return &env{
		SurveyServiceClient: pb.NewSurveyServiceClient(conn), handlers: handlers, gov: govpb.NewGovernanceServiceClient(conn),
		imports: govpb.NewImportServiceClient(conn),
		store:   store, rdb: rdb, logs: logs, seq: new(atomic.Int64), registry: registry, publish: true,
	}
}

// ---------------------------------------------------------------------------------------
// The registry, built through the governance API.

type tree struct {
	district, subA, subB, comA, comB *govpb.Region
}

func (e *env) region(tb testing.TB, name string, level govpb.Region_Level, parent string) *govpb.Region {
	tb.Helper()
	return testkit.Must[*govpb.Region](tb)(e.gov.CreateRegion(bg, &govpb.CreateRegionRequest{Region: &govpb.Region{Name: name, Level: level, Parent: parent}}))
}

// tree is a district with two sub-districts, each with one community.
func (e *env) tree(tb testing.TB) tree {
	tb.Helper()
	var t tree
	t.district = e.region(tb, "东川区", govpb.Region_DISTRICT, "")
	t.subA = e.region(tb, "东门街道", govpb.Region_SUBDISTRICT, t.district.Id)
	t.subB = e.region(tb, "西门街道", govpb.Region_SUBDISTRICT, t.district.Id)
	t.comA = e.region(tb, "幸福社区", govpb.Region_COMMUNITY, t.subA.Id)
	t.comB = e.region(tb, "光明社区", govpb.Region_COMMUNITY, t.subB.Id)
	return t
}

func (e *env) compound(tb testing.TB, name, community string, buildYear int32, conditions ...govpb.Facility_Condition) *govpb.Compound {
	tb.Helper()
	c := &govpb.Compound{Name: name, CommunityId: community, BuildYear: buildYear}
	for i, cond := range conditions {
		c.Facilities = append(c.Facilities, &govpb.Facility{Kind: govpb.Facility_Kind(1 + i), Condition: cond})
	}
	return testkit.Must[*govpb.Compound](tb)(e.gov.CreateCompound(bg, &govpb.CreateCompoundRequest{Compound: c}))
}

// households registers households of the given areas (hundredths of m²) in a new
// building of the compound and returns their ids in order.
func (e *env) households(tb testing.TB, cid string, areas ...int64) []string {
	tb.Helper()
	b := testkit.Must[*govpb.Building](tb)(e.gov.CreateBuilding(bg, &govpb.CreateBuildingRequest{CompoundId: cid,
		Building: &govpb.Building{Name: fmt.Sprintf("%d号楼", e.seq.Add(1)), UnitCount: 6}}))
	var ids []string
	for start := 0; start < len(areas); start += 1000 {
		var batch []*govpb.Household
		for i := start; i < min(start+1000, len(areas)); i++ {
			batch = append(batch, &govpb.Household{BuildingId: b.Id, Unit: fmt.Sprint(1 + i%6), Room: fmt.Sprintf("%d%02d", 1+i/60, i%60),
				ExclusiveAreaM2: float64(areas[i]) / 100, ResidentName: "李四", Phone: "13800001234"})
		}
		resp := testkit.Must[*govpb.BatchCreateHouseholdsResponse](tb)(e.gov.BatchCreateHouseholds(bg, &govpb.BatchCreateHouseholdsRequest{CompoundId: cid, Households: batch}))
		for _, h := range resp.Households {
			ids = append(ids, h.Id)
		}
	}
	return ids
}

func equalAreas(n int, area int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = area
	}
	return out
}

// ---------------------------------------------------------------------------------------
// Surveys

func options(pairs ...string) []*pb.QuestionOption {
	var out []*pb.QuestionOption
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, &pb.QuestionOption{Id: pairs[i], Text: pairs[i+1]})
	}
	return out
}

// needsQuestions: wants (the first; "yes" means willing), items (multi), rating (scale
// 1..5), remarks (text).
func needsQuestions() []*pb.Question {
	return []*pb.Question{
		{Id: "wants", Text: "您是否愿意改造？", Type: pb.Question_SINGLE_CHOICE, Options: options("yes", "愿意", "no", "不愿意")},
		{Id: "items", Text: "最希望改造的项目", Type: pb.Question_MULTI_CHOICE, Options: options("pipes", "水管", "roads", "道路", "lights", "楼道灯", "lifts", "加装电梯")},
		{Id: "rating", Text: "对现状的满意度", Type: pb.Question_SCALE},
		{Id: "remarks", Text: "其他意见", Type: pb.Question_TEXT},
	}
}

func voteQuestions() []*pb.Question {
	return []*pb.Question{
		{Id: "vote", Text: "是否同意改造方案？", Type: pb.Question_SINGLE_CHOICE, Options: options("agree", "同意", "disagree", "不同意", "abstain", "弃权")},
	}
}

func (e *env) draft(tb testing.TB, cid string, kind pb.Survey_Kind, matter pb.Survey_Matter) *pb.Survey {
	tb.Helper()
	qs := needsQuestions()
	if kind == pb.Survey_RESOLUTION {
		qs = voteQuestions()
	}
	var uses []pb.Survey_BusinessUse
	if matter == pb.Survey_COMMON_PART_BUSINESS {
		uses = []pb.Survey_BusinessUse{pb.Survey_PARKING_PUBLIC} // rule 10: such a resolution names its uses
	}
	return testkit.Must[*pb.Survey](tb)(e.CreateSurvey(bg, &pb.CreateSurveyRequest{Survey: &pb.Survey{
		CompoundId: cid, Title: "2024年改造意愿调查", Kind: kind, Matter: matter, Questions: qs, BusinessUses: uses}}))
}

func (e *env) open(tb testing.TB, cid string, kind pb.Survey_Kind, matter pb.Survey_Matter) *pb.Survey {
	tb.Helper()
	sv := e.draft(tb, cid, kind, matter)
	return testkit.Must[*pb.Survey](tb)(e.OpenSurvey(bg, &pb.OpenSurveyRequest{Id: sv.Id}))
}

func (e *env) close(tb testing.TB, id string) *pb.Survey {
	tb.Helper()
	return testkit.Must[*pb.Survey](tb)(e.CloseSurvey(bg, &pb.CloseSurveyRequest{Id: id}))
}

func answer(q string, opts ...string) *pb.Answer { return &pb.Answer{QuestionId: q, OptionIds: opts} }

func response(h string, answers ...*pb.Answer) *pb.Response {
	return &pb.Response{HouseholdId: h, Channel: pb.Response_DOOR_TO_DOOR, CollectorId: "grid-7", Answers: answers}
}

func at(r *pb.Response, t time.Time) *pb.Response {
	r.CollectedAt = timestamppb.New(t)
	return r
}

func (e *env) submit(tb testing.TB, sid string, r *pb.Response) *pb.Response {
	tb.Helper()
	return testkit.Must[*pb.Response](tb)(e.SubmitResponse(bg, &pb.SubmitResponseRequest{SurveyId: sid, Response: r}))
}

func (e *env) vote(tb testing.TB, sid, h, choice string) {
	tb.Helper()
	e.submit(tb, sid, response(h, answer("vote", choice)))
}

func (e *env) stats(tb testing.TB, sid string) *pb.SurveyStats {
	tb.Helper()
	return testkit.Must[*pb.SurveyStats](tb)(e.GetSurveyStats(bg, &pb.GetSurveyStatsRequest{SurveyId: sid}))
}

func (e *env) result(tb testing.TB, sid string) *pb.ResolutionResult {
	tb.Helper()
	return testkit.Must[*pb.ResolutionResult](tb)(e.GetResolutionResult(bg, &pb.GetResolutionResultRequest{SurveyId: sid}))
}
