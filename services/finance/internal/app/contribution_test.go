package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"tongdu/platform/fault"
	"tongdu/platform/grpcserver"
	"tongdu/platform/testkit"
	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	prjpb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/finance/internal/app"
	"tongdu/services/finance/internal/ledger"
	"tongdu/services/finance/internal/peers"
	"tongdu/services/finance/internal/storage"
	"tongdu/services/governance"
	"tongdu/services/projects"
	"tongdu/services/survey"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var bg = context.Background()

const quota = 108400

// ---------------------------------------------------------------------------------------
// The peers: the real governance, survey and projects services on a platform gRPC server
// on a loopback port, over a Redis database of their own client. Finance's use cases ask
// them through finance's real adapter (internal/peers) over a connection of its own, on
// which every call is counted.

// asked records the calls finance makes on its peers' connection: each as its method's
// name, with the id it asks about when the request names one.
type asked struct {
	mu    sync.Mutex
	calls []string
}

func (a *asked) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	call := method[strings.LastIndex(method, "/")+1:]
	if r, ok := req.(interface{ GetId() string }); ok {
		call += " " + r.GetId()
	}
	a.mu.Lock()
	a.calls = append(a.calls, call)
	a.mu.Unlock()
	return invoker(ctx, method, req, reply, cc, opts...)
}

// take returns the calls since the last take.
func (a *asked) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.calls
	a.calls = nil
	return out
}

// registry is what the peers hold: compound c1 with households h1, h2, h3 (60 m² each)
// in its building b1, compound c2 with h9, and project p1 of c1 (PROPOSED, budget 20,000
// yuan), by the ids the services gave them; gov registers more.
type registry struct {
	c1, c2, p1 string
	b1         string
	h1, h2, h3 string
	h9         string
	gov        govpb.GovernanceServiceClient
}

// peersOf starts the real governance, survey and projects services on Redis database
// rdb (through a client of their own, so that what they do in the background never
// reaches finance's client and its hooks), registers the compounds and the project, and
// returns finance's adapter over a counted connection of its own.
func peersOf(t *testing.T, rdb redis.UniversalClient) (*peers.Peers, *asked, registry) {
	t.Helper()
	logs := &testkit.LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := grpcserver.New(log)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dial := func(opts ...grpc.DialOption) *grpc.ClientConn {
		conn, err := grpc.NewClient(lis.Addr().String(), append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	conn := dial() // the services' and the test's own calls
	n := &asked{}
	fin := dial(grpc.WithUnaryInterceptor(n.intercept)) // finance's, counted
	svcRedis := sameDatabase(t, rdb)
	ctx, cancel := context.WithCancel(context.Background())
	testkit.Mount(t, ctx, srv)(governance.New(svcRedis, governance.Peers{}, log, governance.Config{}))
	testkit.Mount(t, ctx, srv)(survey.New(svcRedis, survey.Peers{Governance: conn}, log, survey.Config{}))
	testkit.Mount(t, ctx, srv)(projects.New(svcRedis, projects.Peers{Survey: conn, Finance: conn, Governance: conn}, log, projects.Config{}))
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis, time.Second); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if strings.Contains(logs.String(), `"level":"ERROR"`) {
			t.Errorf("the services logged errors:\n%s", logs.String())
		}
	})

	gov := govpb.NewGovernanceServiceClient(conn)
	region := func(name string, level govpb.Region_Level, parent string) string {
		return testkit.Must[*govpb.Region](t)(gov.CreateRegion(bg, &govpb.CreateRegionRequest{Region: &govpb.Region{Name: name, Level: level, Parent: parent}})).Id
	}
	community := region("石羊社区", govpb.Region_COMMUNITY, region("铜都街道", govpb.Region_SUBDISTRICT, region("东川区", govpb.Region_DISTRICT, "")))
	compound := func(name string, n int) (string, string, []string) {
		c := testkit.Must[*govpb.Compound](t)(gov.CreateCompound(bg, &govpb.CreateCompoundRequest{Compound: &govpb.Compound{Name: name, CommunityId: community, BuildYear: 1992}}))
		b := testkit.Must[*govpb.Building](t)(gov.CreateBuilding(bg, &govpb.CreateBuildingRequest{CompoundId: c.Id, Building: &govpb.Building{Name: "1栋", UnitCount: 1}}))
		var hs []*govpb.Household
		for i := range n {
			hs = append(hs, &govpb.Household{BuildingId: b.Id, Unit: "1", Room: fmt.Sprint(101 + i), ExclusiveAreaM2: 60})
		}
		var ids []string
		for _, h := range testkit.Must[*govpb.BatchCreateHouseholdsResponse](t)(gov.BatchCreateHouseholds(bg, &govpb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: hs})).Households {
			ids = append(ids, h.Id)
		}
		return c.Id, b.Id, ids
	}
	r := registry{gov: gov}
	var hs []string
	r.c1, r.b1, hs = compound("石羊路21号院", 3)
	r.h1, r.h2, r.h3 = hs[0], hs[1], hs[2]
	r.c2, _, hs = compound("石羊路22号院", 1)
	r.h9 = hs[0]
	r.p1 = testkit.Must[*prjpb.Project](t)(prjpb.NewProjectsServiceClient(conn).CreateProject(bg, &prjpb.CreateProjectRequest{Project: &prjpb.Project{
		CompoundId: r.c1, Title: "老旧小区改造", Year: 2024, BudgetFen: 2_000_000}})).Id
	return peers.New(fin, fin, fin), n, r
}

// sameDatabase is another client of rdb's database.
func sameDatabase(t *testing.T, rdb redis.UniversalClient) redis.UniversalClient {
	t.Helper()
	var c redis.UniversalClient
	switch r := rdb.(type) {
	case *redis.Client:
		c = redis.NewClient(r.Options())
	case *redis.ClusterClient:
		c = redis.NewClusterClient(r.Options())
	default:
		t.Fatalf("a Redis client of type %T", rdb)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// trips records what reaches Redis: each round trip as the names of its commands.
type trips struct {
	mu  sync.Mutex
	all [][]string
}

func (r *trips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *trips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.add(cmd)
		return next(ctx, cmd)
	}
}

func (r *trips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.add(cmds...)
		return next(ctx, cmds)
	}
}

func (r *trips) add(cmds ...redis.Cmder) {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.Name()
	}
	r.mu.Lock()
	r.all = append(r.all, names)
	r.mu.Unlock()
}

// take returns the round trips since the last take.
func (r *trips) take() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := r.all
	r.all = nil
	return all
}

// world is project p1's plan with the peers that stand behind it.
type world struct {
	registry
	a     *app.App
	asked *asked                // finance's calls to its peers
	trips *trips                // finance's round trips to Redis
	rdb   redis.UniversalClient // finance's client
}

// funded opens project p1's plan (households of c1 owe the flat 1,084 yuan, as
// governance registered them) and returns the use cases over the real peers, with the
// calls to the peers and the round trips to Redis counted from then on.
func funded(t *testing.T) *world {
	t.Helper()
	rdb := testkit.Redis(t)
	p, n, reg := peersOf(t, rdb)
	w := &world{registry: reg, a: app.New(storage.New(rdb), p, time.Now), asked: n, trips: &trips{}, rdb: rdb}
	fp, err := w.a.CreateFundingPlan(bg, app.PlanRequest{ProjectID: reg.p1,
		Sources: []ledger.Source{{Party: ledger.Government, Funder: "区住建局", CommittedFen: 1_000_000}, {Party: ledger.Residents, Funder: "居民"}},
		Quota:   ledger.Quota{FlatFen: quota}}, "plan-1", "hash-plan-1")
	if err != nil {
		t.Fatal(err)
	}
	// The plan was made from the peers' own answers, through the adapter: the project
	// (asked again for the budget it holds now) and its compound's households.
	if calls := n.take(); !slices.Equal(calls, []string{"GetProject " + reg.p1, "ListHouseholds", "GetProject " + reg.p1}) {
		t.Fatalf("making the plan asked the peers %v", calls)
	}
	want := map[string]int64{reg.h1: quota, reg.h2: quota, reg.h3: quota}
	if fp.Plan.CompoundID != reg.c1 || fp.BudgetFen != 2_000_000 || fmt.Sprint(fp.Plan.Quotas) != fmt.Sprint(want) {
		t.Fatalf("plan of compound %s, budget %d, quotas %v; want %s, 2000000, %v", fp.Plan.CompoundID, fp.BudgetFen, fp.Plan.Quotas, reg.c1, want)
	}
	rdb.AddHook(w.trips)
	return w
}

func (w *world) pay(hid string, fen int64, req string) (*app.Contribution, error) {
	return w.a.CreateContribution(bg, w.p1, app.ContributionRequest{HouseholdID: hid, AmountFen: fen, Method: 1, RequestID: req}, "hash-"+req+fmt.Sprint(fen))
}

// oneTrip fails unless what reached Redis since the last take was one script call: an
// EVALSHA (its first run in a server may fall back to EVAL, the script not yet loaded).
// On a cluster a transaction's location lies in another hash slot than its book: it is
// written by a SET just before, and deleted after a refusal or a replay.
func oneTrip(t *testing.T, r *trips, rdb redis.UniversalClient, what string) {
	t.Helper()
	got := r.take()
	if _, cluster := rdb.(*redis.ClusterClient); cluster {
		if len(got) > 0 && slices.Equal(got[0], []string{"set"}) {
			got = got[1:]
		}
		if len(got) > 0 && slices.Equal(got[len(got)-1], []string{"del"}) {
			got = got[:len(got)-1]
		}
	}
	if len(got) == 2 && slices.Equal(got[1], []string{"eval"}) {
		got = got[:1] // NOSCRIPT, then the script itself
	}
	if len(got) != 1 || !slices.Equal(got[0], []string{"evalsha"}) {
		t.Fatalf("%s: round trips to Redis %v, want one EVALSHA", what, got)
	}
}

// A household that owes a quota pays within it in one round trip to Redis (one script
// call), without asking any peer; a replay, and an overpayment refused, are one round
// trip too and ask no peer either. The standing answered is right each time.
func TestContributionIsOneRoundTrip(t *testing.T) {
	w := funded(t)

	c, err := w.pay(w.h1, 50_000, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	w.oneTrip(t, "a contribution")
	if c.Replayed || c.Standing != (ledger.Standing{HouseholdID: w.h1, QuotaFen: quota, PaidFen: 50_000, Status: ledger.PartiallyPaid}) {
		t.Fatalf("contribution %+v, standing %+v", c.Entry, c.Standing)
	}
	if c.Record.ProjectID != w.p1 || c.Record.HouseholdID != w.h1 || c.Record.AmountFen != 50_000 || c.FundBalanceFen() != 50_000 || c.Tx.Sequence != 1 {
		t.Fatalf("record %+v, fund %d, sequence %d", c.Record, c.FundBalanceFen(), c.Tx.Sequence)
	}

	// The rest of the quota: PAID.
	paid, err := w.pay(w.h1, quota-50_000, "c-2")
	if err != nil {
		t.Fatal(err)
	}
	w.oneTrip(t, "a second contribution")
	if paid.Standing.Status != ledger.Paid || paid.Standing.PaidFen != quota || paid.Tx.Sequence != 2 {
		t.Fatalf("standing %+v, sequence %d", paid.Standing, paid.Tx.Sequence)
	}

	// A retry of the first answers the first result, with its standing then.
	again, err := w.pay(w.h1, 50_000, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	w.oneTrip(t, "a replay")
	if !again.Replayed || again.Tx.ID != c.Tx.ID || again.Tx.Sequence != 1 || again.ReceiptNumber() != c.ReceiptNumber() ||
		again.Standing != c.Standing || again.Record != c.Record || !again.Tx.CreateTime.Equal(c.Tx.CreateTime) {
		t.Fatalf("replay %+v %+v, want the first %+v %+v", again.Entry, again.Standing, c.Entry, c.Standing)
	}

	// Beyond the quota: OVERPAYMENT, with the excess.
	_, err = w.pay(w.h2, quota+1, "c-3")
	w.oneTrip(t, "an overpayment")
	if f, ok := fault.As(err); !ok || f.Reason != "OVERPAYMENT" || f.Metadata["overFen"] != "1" {
		t.Fatalf("overpayment: %v, want OVERPAYMENT over by 1 fen", err)
	}
}

// oneTrip fails unless the use case since the last take asked no peer and made one round
// trip to Redis (oneTrip).
func (w *world) oneTrip(t *testing.T, what string) {
	t.Helper()
	if calls := w.asked.take(); len(calls) != 0 {
		t.Fatalf("%s asked the peers %v", what, calls)
	}
	oneTrip(t, w.trips, w.rdb, what)
}

// Only a household that owes no quota under the plan makes the service ask a peer,
// governance, to refuse it as it always did: one of another compound is
// HOUSEHOLD_NOT_IN_COMPOUND, one nobody knows is bad input on contribution.householdId,
// one of the compound registered after the plan is NOT_IN_PLAN. None writes anything.
func TestContributionOfAHouseholdOwingNoQuota(t *testing.T) {
	w := funded(t)
	logKey := "fin:{b:" + ledger.RenovationBookID(w.p1) + "}:log"
	before := w.rdb.HLen(bg, logKey).Val()

	_, err := w.pay(w.h9, 100, "c-1")
	if !errors.Is(err, ledger.ErrNotInCompound) {
		t.Fatalf("household of another compound: %v, want HOUSEHOLD_NOT_IN_COMPOUND", err)
	}
	_, err = w.pay("nobody", 100, "c-2")
	if vs := fault.ViolationsOf(err); len(vs) != 1 || vs[0].Field != "contribution.householdId" {
		t.Fatalf("unknown household: %v, want bad input on contribution.householdId", err)
	}
	// The household is asked about before the amount, as it always was.
	_, err = w.pay("nobody", -1, "c-3")
	if vs := fault.ViolationsOf(err); len(vs) != 1 || vs[0].Field != "contribution.householdId" {
		t.Fatalf("unknown household paying -1: %v, want bad input on contribution.householdId", err)
	}
	if calls := w.asked.take(); !slices.Equal(calls, []string{"GetHousehold " + w.h9, "GetHousehold nobody", "GetHousehold nobody"}) {
		t.Fatalf("the peers were asked %v", calls)
	}
	// A household of the compound registered after the plan owes no quota under it: it is
	// of the compound, as governance says, and not in the plan.
	late := testkit.Must[*govpb.Household](t)(w.gov.CreateHousehold(bg, &govpb.CreateHouseholdRequest{CompoundId: w.c1, Household: &govpb.Household{
		BuildingId: w.b1, Unit: "1", Room: "201", ExclusiveAreaM2: 60}})).Id
	_, err = w.pay(late, 100, "c-late")
	if !errors.Is(err, ledger.ErrNotInPlan) {
		t.Fatalf("household registered after the plan: %v, want NOT_IN_PLAN", err)
	}
	if calls := w.asked.take(); !slices.Equal(calls, []string{"GetHousehold " + late}) {
		t.Fatalf("the peers were asked %v", calls)
	}
	if after := w.rdb.HLen(bg, logKey).Val(); after != before {
		t.Fatalf("%d transactions written", after-before)
	}

	// A household that owes a quota with a bad amount, or a time in the future (rule
	// 15): bad input on the field, no peer asked.
	_, err = w.pay(w.h1, 0, "c-4")
	if vs := fault.ViolationsOf(err); len(vs) != 1 || vs[0].Field != "contribution.amountFen" {
		t.Fatalf("0 fen: %v, want bad input on contribution.amountFen", err)
	}
	_, err = w.a.CreateContribution(bg, w.p1, app.ContributionRequest{HouseholdID: w.h1, AmountFen: 100, RequestID: "c-5", At: time.Now().Add(time.Hour)}, "h-c-5")
	if vs := fault.ViolationsOf(err); len(vs) != 1 || vs[0].Field != "effectiveTime" {
		t.Fatalf("an hour ahead: %v, want bad input on effectiveTime", err)
	}
	if calls := w.asked.take(); len(calls) != 0 {
		t.Fatalf("the peers were asked %v", calls)
	}

	// No plan for the project: not found, whoever pays, and no peer asked.
	for _, hid := range []string{w.h1, "nobody"} {
		_, err = w.a.CreateContribution(bg, "p2", app.ContributionRequest{HouseholdID: hid, AmountFen: 100, RequestID: "c-6"}, "h-c-6")
		if !errors.Is(err, ledger.ErrNotFound) || err.Error() != "not found: no funding plan for project p2" {
			t.Fatalf("no plan, household %s: %v", hid, err)
		}
	}
	if calls := w.asked.take(); len(calls) != 0 {
		t.Fatalf("the peers were asked %v", calls)
	}
}
