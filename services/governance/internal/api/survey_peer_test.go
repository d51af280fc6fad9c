package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"tongdu/platform/auth"
	"tongdu/platform/events"
	"tongdu/platform/grpcclient"
	"tongdu/platform/grpcserver"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/governance"
	"tongdu/services/governance/internal/api"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/peers"
	"tongdu/services/governance/internal/storage"
	"tongdu/services/survey"
)

// The survey service as governance's peer (issue 22: no test double stands in for a
// service that exists): the real service, in-process on a platform gRPC server of its own,
// which governance asks about resolutions through its real adapter (internal/peers) and
// which asks governance back about the compound's households, as the two do deployed.

// surveyPeer is the survey service beside a governance under test.
type surveyPeer struct {
	surveypb.SurveyServiceClient // the test's own client, to run the owners' votes
	asked                        atomic.Int64
	stop                         func() // takes the survey service down for good
}

// questions is how many calls governance has made to the survey service.
func (p *surveyPeer) questions() int { return int(p.asked.Load()) }

// counted counts every call made over the connection it is installed on.
func (p *surveyPeer) counted(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	p.asked.Add(1)
	return invoker(ctx, method, req, reply, cc, opts...)
}

// surveyPair is governance on the clock now and the survey service, each on a platform
// gRPC server of its own (validation interceptor and error statuses included, and guard's
// authorizer for its policy when guard is not nil) on a loopback port, sharing one Redis
// database as the all-in-one does. Each reaches the other over a peer connection as the
// binaries make them (grpcclient: the caller's token goes on); governance's is counted.
type surveyPair struct {
	gov    *grpc.ClientConn // the test's client of governance
	app    *app.App
	rdb    redis.UniversalClient
	survey *surveyPeer
}

func startSurveyPair(t *testing.T, log *slog.Logger, now func() time.Time, guard func(auth.Policy) []grpcserver.Option) surveyPair {
	t.Helper()
	var govOpts, surveyOpts []grpcserver.Option
	if guard != nil {
		govOpts, surveyOpts = guard(governance.Policy), guard(survey.Policy)
	}
	rdb := testkit.Redis(t)
	govLis, surveyLis := listen(t), listen(t)
	p := &surveyPeer{}
	toSurvey, err := grpcclient.New(surveyLis.Addr().String(), grpc.WithChainUnaryInterceptor(p.counted))
	if err != nil {
		t.Fatal(err)
	}
	toGov, err := grpcclient.New(govLis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { toSurvey.Close(); toGov.Close() })

	// Governance, as serve builds it, with the real adapter as its survey peer.
	govSrv, err := grpcserver.New(log, govOpts...)
	if err != nil {
		t.Fatal(err)
	}
	outbox := events.NewOutbox(rdb, log)
	a := app.New(storage.New(rdb, outbox), log, now, app.Options{}, peers.NewSurvey(toSurvey))
	pb.RegisterGovernanceServiceServer(govSrv.GRPC, api.New(a))
	govCtx, govCancel := context.WithCancel(context.Background())
	go outbox.Run(govCtx)
	govDone := serveOn(govCtx, govSrv, govLis)

	// The survey service, as its binary builds it.
	surveySrv, err := grpcserver.New(log, surveyOpts...)
	if err != nil {
		t.Fatal(err)
	}
	surveyCtx, surveyCancel := context.WithCancel(context.Background())
	testkit.Mount(t, surveyCtx, surveySrv)(survey.New(rdb, survey.Peers{Governance: toGov}, log, survey.Config{}))
	surveyDone := serveOn(surveyCtx, surveySrv, surveyLis)
	var once sync.Once
	p.stop = func() { once.Do(func() { surveyCancel(); <-surveyDone }) }

	gov, sv := dial(t, govLis), dial(t, surveyLis)
	p.SurveyServiceClient = surveypb.NewSurveyServiceClient(sv)
	t.Cleanup(func() { gov.Close(); sv.Close(); p.stop(); govCancel(); <-govDone })
	return surveyPair{gov: gov, app: a, rdb: rdb, survey: p}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return lis
}

func serveOn(ctx context.Context, srv *grpcserver.Server, lis net.Listener) <-chan struct{} {
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis, time.Second); close(done) }()
	return done
}

func dial(t *testing.T, lis net.Listener) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// startWithSurvey is startWith with the real survey service as governance's peer.
func startWithSurvey(t *testing.T) (env, *testkit.Clock, *surveyPeer) {
	t.Helper()
	clock := &testkit.Clock{Start: whistleT0}
	logs := &testkit.LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := startSurveyPair(t, log, clock.Now, nil)
	return env{GovernanceServiceClient: pb.NewGovernanceServiceClient(p.gov), logs: logs, rdb: p.rdb, app: p.app}, clock, p.survey
}

// serveSignedWithSurvey is serveSigned with the real survey service as governance's peer,
// behind an authorizer of its own policy that trusts the same keys.
func serveSignedWithSurvey(t *testing.T) (signedEnv, *surveyPeer) {
	t.Helper()
	signer, keys, err := auth.LocalKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	guard := func(policy auth.Policy) []grpcserver.Option {
		return []grpcserver.Option{grpcserver.WithAuth(auth.NewAuthorizer(auth.NewVerifier(keys, ""), auth.NewResolver(), auth.Merge(policy)))}
	}
	p := startSurveyPair(t, slog.New(slog.DiscardHandler), time.Now, guard)
	return signedEnv{GovernanceServiceClient: pb.NewGovernanceServiceClient(p.gov), app: p.app, signer: signer}, p.survey
}

// ownersOf registers n households of 60 m² in a new building of the compound: the owners
// who vote on its resolutions.
func ownersOf(t *testing.T, ctx context.Context, gov pb.GovernanceServiceClient, cid string, n int) []string {
	t.Helper()
	b := testkit.Must[*pb.Building](t)(gov.CreateBuilding(ctx, &pb.CreateBuildingRequest{CompoundId: cid, Building: &pb.Building{Name: "1栋", UnitCount: 2}}))
	hs := make([]*pb.Household, n)
	for i := range hs {
		hs[i] = &pb.Household{BuildingId: b.Id, Unit: fmt.Sprint(1 + i%2), Room: fmt.Sprintf("%d0%d", 1+i/2, 1+i%2), ExclusiveAreaM2: 60}
	}
	resp := testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(gov.BatchCreateHouseholds(ctx, &pb.BatchCreateHouseholdsRequest{CompoundId: cid, Households: hs}))
	ids := make([]string, len(resp.Households))
	for i, h := range resp.Households {
		ids[i] = h.Id
	}
	return ids
}

// resolution runs a closed owners' vote of the compound on a matter (rule 3): the
// households answer in order ("agree", "disagree", "abstain"; "" for no answer).
func (p *surveyPeer) resolution(t *testing.T, ctx context.Context, cid string, matter surveypb.Survey_Matter, hs []string, answers ...string) string {
	t.Helper()
	id := p.openVote(t, ctx, cid, matter, hs, answers...)
	testkit.Must[*surveypb.Survey](t)(p.CloseSurvey(ctx, &surveypb.CloseSurveyRequest{Id: id}))
	return id
}

// openVote is resolution with the vote left open: its figures are provisional.
func (p *surveyPeer) openVote(t *testing.T, ctx context.Context, cid string, matter surveypb.Survey_Matter, hs []string, answers ...string) string {
	t.Helper()
	q := &surveypb.Question{Id: "vote", Text: "是否同意？", Type: surveypb.Question_SINGLE_CHOICE, Options: []*surveypb.QuestionOption{
		{Id: "agree", Text: "同意"}, {Id: "disagree", Text: "不同意"}, {Id: "abstain", Text: "弃权"},
	}}
	s := testkit.Must[*surveypb.Survey](t)(p.CreateSurvey(ctx, &surveypb.CreateSurveyRequest{Survey: &surveypb.Survey{
		CompoundId: cid, Title: "业主表决", Kind: surveypb.Survey_RESOLUTION, Matter: matter, Questions: []*surveypb.Question{q},
	}}))
	testkit.Must[*surveypb.Survey](t)(p.OpenSurvey(ctx, &surveypb.OpenSurveyRequest{Id: s.Id}))
	for i, a := range answers {
		if a == "" {
			continue
		}
		testkit.Must[*surveypb.Response](t)(p.SubmitResponse(ctx, &surveypb.SubmitResponseRequest{SurveyId: s.Id, Response: &surveypb.Response{
			HouseholdId: hs[i], Channel: surveypb.Response_DOOR_TO_DOOR, CollectorId: "grid-7",
			Answers: []*surveypb.Answer{{QuestionId: "vote", OptionIds: []string{a}}},
		}}))
	}
	return s.Id
}

// needsSurvey drafts a needs survey of the compound: a survey, but no resolution.
func (p *surveyPeer) needsSurvey(t *testing.T, ctx context.Context, cid string) string {
	t.Helper()
	q := &surveypb.Question{Id: "want", Text: "是否需要加装电梯？", Type: surveypb.Question_SINGLE_CHOICE, Options: []*surveypb.QuestionOption{
		{Id: "yes", Text: "需要"}, {Id: "no", Text: "不需要"},
	}}
	return testkit.Must[*surveypb.Survey](t)(p.CreateSurvey(ctx, &surveypb.CreateSurveyRequest{Survey: &surveypb.Survey{
		CompoundId: cid, Title: "需求调查", Kind: surveypb.Survey_NEEDS, Questions: []*surveypb.Question{q},
	}})).Id
}
